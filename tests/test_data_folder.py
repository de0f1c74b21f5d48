"""What data/ holds, by rule: every file is read or reported, an editor's own
files are ignored, nothing outside the project is read, nothing blocks, and
one mistake gives one message, in its own file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from onepagers import source
from onepagers.diagnostics import ContentError
from onepagers.library import load_library
from test_bad_input import run_cli

from conftest import copy_project


@pytest.fixture
def copy(project, tmp_path) -> Path:
    copy_project(project, tmp_path)
    return tmp_path


def _problems(root: Path) -> list:
    with pytest.raises(ContentError) as caught:
        load_library(root / "data")
    return caught.value.diagnostics


def _theme(root: Path, number: int) -> Path:
    return next((root / "data" / "themes").glob(f"{number:02d}-*.yaml"))


def test_a_theme_saved_as_yml_is_reported_once_not_left_out(copy, library):
    path = _theme(copy, 4)
    path.rename(path.with_suffix(".yml"))
    problems = _problems(copy)
    # One message, in that file: themes referring to theme 4 say nothing.
    assert [d.path.name for d in problems] == [path.with_suffix(".yml").name]
    assert f"rename it to {path.name}" in problems[0].suggestion


@pytest.mark.parametrize("name", ["NOTES.txt", "04-tidspres.YAML", "06-svaere-kald.yaml.txt"])
def test_any_other_file_in_themes_is_reported(copy, name):
    (copy / "data" / "themes" / name).write_text("x: 1\n", encoding="utf-8")
    problems = _problems(copy)
    assert [d.path.name for d in problems] == [name]


def test_a_folder_in_themes_is_reported(copy):
    (copy / "data" / "themes" / "old").mkdir()
    (copy / "data" / "themes" / "old" / "04-tidspres.yaml").write_text("number: 4\n", encoding="utf-8")
    problems = _problems(copy)
    assert [(d.path.name, d.message) for d in problems] == [("old", "a folder inside data/themes is not read")]


def test_an_editors_files_are_ignored(copy, library):
    themes = copy / "data" / "themes"
    (themes / ".#06-svaere-kald.yaml").symlink_to("user@host.1234:1700000000")  # Emacs' lock: a dangling link
    (themes / "#06-svaere-kald.yaml#").write_text("number: [", encoding="utf-8")
    (themes / "06-svaere-kald.yaml~").write_text("number: [", encoding="utf-8")
    (themes / ".06-svaere-kald.yaml.swp").write_bytes(b"\0\1\2")
    (themes / "06-svaere-kald.yaml.bak").write_text("number: [", encoding="utf-8")
    loaded = load_library(copy / "data")
    assert [tf.theme.number for tf in loaded.themes] == [tf.theme.number for tf in library.themes]


@pytest.mark.parametrize(("name", "hint"), [("series.yml", "rename it to series.yaml"), ("extra-theme.yaml", "themes go in data/themes")])
def test_a_yaml_file_in_data_that_would_not_be_read_is_reported(copy, name, hint):
    (copy / "data" / name).write_text("x: 1\n", encoding="utf-8")
    problems = _problems(copy)
    assert [(d.path.name, d.suggestion) for d in problems] == [(name, hint)]


CORRECTION = {"theme": 1, "variant": "privat@2", "field": "lead", "published": "a", "data": "b", "reason": "slip"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"theme": 42}, "theme 42 does not exist"),
        ({"variant": "privat@9"}, "unknown variant 'privat@9'"),
        ({"field": "leed"}, "'leed' is not a field of a sheet"),
        ({"reason": None}, "'corrections[1].reason' must be text"),
        ({"reasn": "slip"}, "unknown field 'reasn' in 'corrections[1]'"),
    ],
    ids=["theme", "variant", "field", "reason", "key"],
)
def test_corrections_are_validated(copy, change, message):
    entry = {**CORRECTION, **change}
    (copy / "data" / "corrections.yaml").write_text(
        "# a comment\ncorrections:\n" + yaml.safe_dump([entry], allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    problems = _problems(copy)
    assert len(problems) == 1 and message in problems[0].message, problems
    assert problems[0].path.name == "corrections.yaml" and problems[0].line >= 3


def test_a_link_to_a_file_outside_the_project_is_not_read(copy, tmp_path_factory):
    secret = tmp_path_factory.mktemp("elsewhere") / "secret.yaml"
    secret.write_text("password: hunter2\nnumber: [\n", encoding="utf-8")
    path = _theme(copy, 4)
    path.unlink()
    path.symlink_to(secret)
    result = run_cli("build", "--theme", "4", "--out", "out", cwd=copy)
    assert result.returncode == 1
    assert result.stderr.startswith(f"data/themes/{path.name}: error: is a link to a file outside the project")
    assert "hunter2" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert not (copy / "out").exists()


def test_a_link_inside_the_project_is_read(copy):
    path = _theme(copy, 4)
    kept = copy / "data" / "kept-04.yaml.txt"
    path.rename(kept)
    path.symlink_to(os.path.relpath(kept, path.parent))
    assert load_library(copy / "data").theme(4) is not None


def test_a_link_loop_is_one_message(copy):
    path = _theme(copy, 4)
    path.unlink()
    path.symlink_to(path.name)
    result = run_cli("list", cwd=copy)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [f"data/themes/{path.name}: error: cannot read file: Too many levels of symbolic links"]


def test_a_pipe_in_data_does_not_block(copy):
    path = _theme(copy, 4)
    path.unlink()
    os.mkfifo(path)
    result = run_cli("list", cwd=copy)  # run_cli's timeout fails the test on a hang
    assert result.returncode == 1
    assert f"data/themes/{path.name}: error: is not a regular file" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreadable_file_is_one_message(copy, monkeypatch):
    # As root, permissions do not stop reading: the refusal is made to happen.
    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(source, "open", refuse, raising=False)
    problems = _problems(copy)
    assert problems and all(d.message == "cannot read file: Permission denied" for d in problems)
    assert {d.path.name for d in problems} >= {"series.yaml"}


def test_an_unreadable_themes_folder_is_one_message(copy, unreadable_folder):
    themes = copy / "data" / "themes"
    unreadable_folder(themes)
    problems = _problems(copy)
    assert [(d.path, d.message) for d in problems] == [(themes, "cannot read folder: Permission denied")]


def test_a_file_too_large_is_refused_unparsed(copy):
    path = _theme(copy, 4)
    path.write_text(path.read_text(encoding="utf-8") + "# " + "x" * source.MAX_BYTES + "\n", encoding="utf-8")
    problems = _problems(copy)
    assert len(problems) == 1 and "a data file holds at most" in problems[0].message


def test_the_shipped_data_is_within_the_limits(project):
    """The limits leave room: the largest file is far from them."""
    files = list(project.data.rglob("*.yaml"))
    assert max(p.stat().st_size for p in files) * 10 < source.MAX_BYTES


def test_a_file_read_again_is_parsed_and_validated_once_and_still_named_where_it_is(project, tmp_path):
    """serve, watch and the tests load the same files again, from other folders:
    a text already read is not parsed or validated again, but what it says
    about itself names the file just read, and a changed file is read anew."""
    first = load_library(project.data)
    copies = []
    for name in ("a", "b"):
        shutil.copytree(project.data, tmp_path / name / "data")
        copies.append(tmp_path / name / "data")
    again = load_library(copies[0])
    theme = first.theme(4)
    assert again.theme(4).theme is theme.theme and again.theme(4).source.path == copies[0] / theme.source.path.relative_to(project.data)
    path = copies[1] / theme.source.path.relative_to(project.data)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: ", "titel: ", 1), encoding="utf-8")
    problems = _problems(copies[1].parent)
    assert [p.path for p in problems] == [path] and "unknown field 'titel'" in problems[0].message
    path.write_text(text.replace("title: \"Tidspres\"", "title: \"Tidspres og travlhed\""), encoding="utf-8")
    assert load_library(copies[1]).theme(4).theme.title == "Tidspres og travlhed"
    assert load_library(copies[0]).theme(4).theme is theme.theme
