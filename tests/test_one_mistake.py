"""One mistake, one message, in its own file; a broken theme stops only its own sheet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from onepagers.diagnostics import ContentError
from onepagers.library import load_library
from test_bad_input import run_cli

from conftest import copy_project


@pytest.fixture
def copy(project, tmp_path) -> Path:
    copy_project(project, tmp_path)
    return tmp_path


def _theme(root: Path, number: int) -> Path:
    return next((root / "data" / "themes").glob(f"{number:02d}-*.yaml"))


def _unclose_first_quote(path: Path) -> int:
    """Drop the closing quote of the first quoted text; returns its line."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if re.match(r'^\w+: ".*"$', line.rstrip("\n")))
    lines[number] = lines[number].rstrip("\n")[:-1] + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return number + 1


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": error: " in line]


def test_an_unclosed_quote_is_one_error_line_in_its_own_file(copy, library):
    theme = _theme(copy, 6)
    line = _unclose_first_quote(theme)
    referring = [tf.theme.number for tf in library.themes if any(r.theme == 6 for r in tf.theme.references)]
    assert referring, "the data has references to theme 6: what this test is about"

    result = run_cli("build", "--theme", "2", "--theme", "6", "--out", "out", cwd=copy)

    errors = _error_lines(result.stderr)
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"data/themes/{theme.name}:{line}:"), errors
    assert "quote" in errors[0]
    assert "Traceback" not in result.stderr
    # The other sheet asked for is built; the exit status still says something failed.
    assert result.returncode == 1
    assert [Path(p).name for p in result.stdout.split()] == ["tema-" + _theme(copy, 2).stem + "-privat-2.pdf"]


def test_a_broken_theme_does_not_stop_list(copy, library):
    theme = _theme(copy, 6)
    _unclose_first_quote(theme)
    result = run_cli("list", cwd=copy)
    assert result.returncode == 1
    listed = [int(line.split()[0]) for line in result.stdout.splitlines()]
    # Theme 6 and the sheets that name it (they cannot say its title) wait.
    assert 6 not in listed and listed
    assert set(listed) < {tf.theme.number for tf in library.themes}
    assert len(_error_lines(result.stderr)) == 1


@pytest.mark.parametrize("where", ["top level", "variant"])
def test_a_misspelt_key_gets_did_you_mean_wherever_it_stands(copy, where):
    theme = _theme(copy, 6)
    text = theme.read_text(encoding="utf-8")
    if where == "top level":
        text = text.replace("\nfindings:", "\nfindigns:", 1)
    else:
        match = re.search(r"\nvariants:\n  (\S+):\n", text)
        assert match, "theme 6 has an overlay: what this case is about"
        text = text.replace(match.group(0), match.group(0) + "    findigns: [Et fund]\n", 1)
    theme.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_library(copy / "data")
    messages = [d.one_line() for d in caught.value.diagnostics]
    assert len(messages) == 1, messages
    assert "unknown field 'findigns'" in messages[0] and "did you mean 'findings'?" in messages[0]


def test_a_broken_theme_file_mentions_no_other_file(copy):
    theme = _theme(copy, 6)
    theme.write_text(theme.read_text(encoding="utf-8").replace("number: 6", "number: [6"), encoding="utf-8")
    library = load_library(copy / "data", partial=True)
    assert {d.path for d in library.problems} == {theme}
    assert 6 in library.broken
    assert library.introduction is None  # its list of themes would lack theme 6
