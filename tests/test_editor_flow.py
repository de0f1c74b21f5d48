"""What data/README.md shows an editor works as shown: every YAML example on
it is a file (or an entry of one) that loads and passes `check`, and the way
it says to record a change of wording records it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from onepagers.check import preflight
from onepagers.library import load_library
from onepagers.project import Project
from onepagers.published import RULE
from onepagers.source import load_yaml
from onepagers.variants import resolve, variants_of

from conftest import ROOT, copy_project

README = ROOT / "data" / "README.md"


def _examples() -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.S | re.M)


def _kind(example: str) -> str:
    data = yaml.safe_load(example)
    if isinstance(data, dict) and "number" in data:
        return "theme file"
    if isinstance(data, list) and data and all(isinstance(e, dict) and {"published", "data", "reason"} <= set(e) for e in data):
        return "correction"
    return "unknown"


def test_every_example_is_one_the_tests_know():
    kinds = [_kind(e) for e in _examples()]
    assert "theme file" in kinds and "correction" in kinds, kinds
    assert "unknown" not in kinds, "an example on data/README.md that no test tries: teach tests/test_editor_flow.py to"


def _reported(output: str) -> set[str]:
    return {line for line in output.splitlines() if f"[{RULE}]" in line}


def _sandbox(project: Project, root: Path) -> Project:
    copy_project(project, root)
    shutil.copytree(project.root / "tests" / "seeds", root / "tests" / "seeds")
    return Project(root)


@pytest.mark.parametrize("example", [e for e in _examples() if _kind(e) == "theme file"])
def test_a_theme_file_example_loads_and_passes_check(project, tmp_path, cli, example):
    """In place of the theme of its number: no error; the reference form it
    recommends is neither 'pasted' (theme 2 says the same line) nor misread."""
    sandbox = _sandbox(project, tmp_path)
    number = yaml.safe_load(example)["number"]
    path = next((sandbox.data / "themes").glob(f"{number:02d}-*.yaml"))
    path.write_text(example, encoding="utf-8")
    library = load_library(sandbox.data)
    tf = library.theme(number)
    assert len(variants_of(library, tf)) == len(library.series.variants)
    for name in variants_of(library, tf):
        resolve(library, tf, name)
    findings = preflight(library, sandbox)
    assert [d.one_line() for d in findings if d.severity == "error"] == []
    mine = {d.rule for d in findings if d.path == path}
    assert not mine & {"pasted-text", "reference-number", "retyped-title"}, mine
    assert any(ref.theme is not None and "{number}" in ref.text for ref in tf.theme.references)
    result = cli("check", "--project", str(sandbox.root))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("example", [e for e in _examples() if _kind(e) == "correction"])
def test_recording_a_change_as_the_readme_says(project, tmp_path, cli, monkeypatch, example):
    """The editor's change as the entry describes it: `check` shows it at its
    line (as the README's sample line says) and passes; with the entry added at
    the end of corrections.yaml, it no longer shows it."""
    sandbox = _sandbox(project, tmp_path)
    monkeypatch.chdir(sandbox.root)  # file names as the editor sees them: data/themes/…
    # The data as it stands may carry an editor's own changes: only what the
    # example adds counts.
    as_it_stands = _reported(cli("check", "--project", str(sandbox.root)).output)
    entries = yaml.safe_load(example)
    lines = []
    for entry in entries:
        path = next((sandbox.data / "themes").glob(f"{entry['theme']:02d}-*.yaml"))
        section, _, index = entry["field"].partition("[")
        owner: tuple = () if entry["variant"] == "privat@2" else ("variants", entry["variant"])
        line, _ = load_yaml(path).position((*owner, section, int(index.rstrip("]")) - 1))
        text = path.read_text(encoding="utf-8").splitlines(keepends=True)
        assert entry["published"] in text[line - 1], (entry, text[line - 1])
        text[line - 1] = text[line - 1].replace(entry["published"], entry["data"], 1)
        path.write_text("".join(text), encoding="utf-8")
        lines.append(f"data/themes/{path.name}:{line}:")
    before = cli("check", "--project", str(sandbox.root))
    assert before.exit_code == 0, before.output
    shown = [line for line in before.output.splitlines() if f"[{RULE}]" in line and line not in as_it_stands]
    assert all(any(s.startswith(where) for s in shown) for where in lines), shown
    # The sample line on the README is what check says, up to the quoted text.
    (sample,) = re.findall(r"^    (data/\S+: warning: .*\[" + RULE + r"\])$", README.read_text(encoding="utf-8"), flags=re.M)
    assert any(s.startswith(sample.split(": '")[0] + ": '") for s in shown), (sample, shown)
    with (sandbox.data / "corrections.yaml").open("a", encoding="utf-8") as corrections:
        corrections.write(example)
    after = cli("check", "--project", str(sandbox.root))
    assert after.exit_code == 0, after.output
    assert _reported(after.output) == as_it_stands, after.output
