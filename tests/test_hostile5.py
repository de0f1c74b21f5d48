"""Hostile input, fifth round (review 27): what a tester found overwriting the
project's own files, crashing, or printing the wrong number."""

from __future__ import annotations

import os

import pytest

from onepagers.project import Project


@pytest.mark.parametrize(
    "args, target",
    [
        (("diff", "--theme", "4", "privat@2", "privat@1", "--html"), "data/series.yaml"),
        (("check", "--report"), "data/themes/04-tidspres.yaml"),
        (("check", "--report"), "templates/sheet.css"),
        (("check", "--report"), "fonts/new.txt"),
    ],
    ids=["diff-html-over-series", "report-over-theme", "report-over-stylesheet", "report-into-fonts"],
)
def test_a_report_or_page_is_never_written_among_the_projects_files(sandbox: Project, cli, args, target):
    """They replaced series.yaml, a theme file or a stylesheet with a report, exit 0."""
    path = sandbox.root / target
    before = path.read_bytes() if path.exists() else None
    result = cli(*args, str(path), "--project", str(sandbox.root))
    assert result.exit_code == 2, result.output
    assert f"is inside the project's {target.split('/')[0]}/ folder" in result.stderr, result.stderr
    assert (path.read_bytes() if path.exists() else None) == before


def test_a_relative_path_into_the_current_folders_project_is_refused_too(sandbox: Project, cli, monkeypatch):
    """Read from the current folder, data/series.yaml is that project's, whichever --project is checked."""
    here = sandbox.root / "here"
    for part in ("data", "templates", "fonts"):
        (here / part).mkdir(parents=True)
    (here / "data" / "series.yaml").write_text("language: da\n", encoding="utf-8")
    monkeypatch.chdir(here)
    result = cli("check", "--report", "data/series.yaml", "--project", str(sandbox.root))
    assert result.exit_code == 2, result.output
    assert (here / "data" / "series.yaml").read_text(encoding="utf-8") == "language: da\n"


def test_a_report_beside_the_data_is_written(sandbox: Project, cli):
    result = cli("check", "--report", str(sandbox.root / "check.txt"), "--project", str(sandbox.root))
    assert result.exit_code == 0, result.output
    assert (sandbox.root / "check.txt").read_text(encoding="utf-8").endswith("warnings.\n")


def test_preview_puts_no_pictures_among_the_theme_files(sandbox: Project, cli, monkeypatch):
    """PNGs in data/themes/ made every later check and build fail."""
    out = sandbox.root / "out"
    assert cli("build", "--theme", "4", "--project", str(sandbox.root), "--out", str(out)).exit_code == 0
    before = sorted(os.listdir(sandbox.data / "themes"))
    monkeypatch.chdir(sandbox.root)
    result = cli("preview", "--out", "out", "--to", "data/themes")
    assert result.exit_code == 2, result.output
    assert "--to data/themes is inside the project's data/ folder" in result.stderr, result.stderr
    assert sorted(os.listdir(sandbox.data / "themes")) == before
