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


@pytest.mark.parametrize("name", ["08-teknologi.yaml.orig", "08-teknologi.bak", ".08-teknologi.yaml"])
def test_a_theme_without_a_file_is_said_and_the_introduction_waits(sandbox: Project, cli, name):
    """Renamed to a name the folder's listing skips, theme 8 went missing
    without a word, and the introduction numbered Ledelse 8 beside a sheet that
    says TEMA 9/10."""
    themes = sandbox.data / "themes"
    (themes / "08-teknologi.yaml").rename(themes / name)
    checked = cli("check", "--project", str(sandbox.root))
    assert checked.exit_code == 1, checked.output
    assert f"{themes}: error: no file holds theme 8 of the 10 the series has" in checked.stderr, checked.stderr
    assert checked.stderr.count("theme 8") == 1, checked.stderr  # and no correction naming it is blamed
    if name != ".08-teknologi.yaml":
        return  # the files skipped alike: one of them is built (nine sheets, 5 s), the one a glob of *.yaml still finds
    out = sandbox.root / "out"
    built = cli("build", "--all", "--project", str(sandbox.root), "--out", str(out))
    assert built.exit_code == 1, built.output
    assert "not built: theme 8, the introduction." in built.stderr, built.stderr
    names = sorted(p.name for p in out.rglob("*.pdf"))
    assert len(names) == 9 and not [n for n in names if n.startswith(("tema-08", "introduktion"))], names


def test_a_correction_for_the_introduction_in_another_series_is_a_warning_not_a_traceback(sandbox: Project, cli):
    """The introduction moved to the public series; corrections.yaml still names it in privat@2."""
    from test_check import _line_of

    intro = sandbox.data / "introduction.yaml"
    intro.write_text(intro.read_text(encoding="utf-8").replace("\nseries: privat\n", "\nseries: offentlig\n", 1), encoding="utf-8")
    result = cli("check", "--project", str(sandbox.root))
    assert "Traceback" not in result.output and result.exit_code == 0, result.output
    corrections = sandbox.data / "corrections.yaml"
    line = _line_of(corrections, "- theme: introduction")
    assert f"{corrections}:{line + 1}:5: warning: 'privat@2'" in result.stderr, result.stderr  # at its variant:
    assert "the introduction is written for the offentlig series, which has no such variant" in result.stderr, result.stderr


@pytest.mark.parametrize("written, read", [("010", 8), ("0x5", 5), ("0b101", 5), ("1_0", 10), ("1:30", 90)])
def test_a_number_yaml_reads_in_another_base_is_refused_at_its_value(sandbox: Project, cli, written, read):
    """`theme: 010` pointed the reference at theme 8 ("tema 8 om teknologi") without a word."""
    from test_check import _line_of

    path = sandbox.data / "themes" / "01-instruktion-og-oplaering.yaml"
    line = _line_of(path, "    theme: 5")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].replace("theme: 5", f"theme: {written}")
    path.write_text("".join(lines), encoding="utf-8")
    result = cli("check", "--project", str(sandbox.root))
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    errors = [e for e in result.stderr.splitlines() if ": error: " in e]
    assert errors == [f"{path}:{line}:12: error: '{written}' is read by YAML as the number {read}, which is likely not what was meant "
                      "(write a number in plain digits with no leading zero, or put text in quotes)"], result.stderr
    # The theme file's own error is the message: no correction of that theme is said to be stale.
    assert "corrections.yaml" not in result.stderr, result.stderr


def test_plain_numbers_still_read(sandbox: Project, cli):
    path = sandbox.data / "themes" / "01-instruktion-og-oplaering.yaml"
    assert "\nnumber: 1\n" in path.read_text(encoding="utf-8")
    assert cli("check", "--project", str(sandbox.root)).exit_code == 0


def test_an_overlay_mistake_is_found_on_loading_before_anything_is_written(sandbox: Project, cli):
    """An overlay replacing item 4 of three cases was found only while that
    variant was resolved, after other sheets were written: "nothing was
    written", and check hid every other finding."""
    from test_check import _line_of

    path = sandbox.data / "themes" / "04-tidspres.yaml"
    assert "\nvariants:" not in path.read_text(encoding="utf-8")
    with path.open("a", encoding="utf-8") as file:
        file.write('variants:\n  privat@1:\n    cases:\n      4: "Fire."\n')
    salg = sandbox.data / "themes" / "07-salg.yaml"
    salg.write_text(salg.read_text(encoding="utf-8").replace("\ntitle:", "\ntitel:", 1), encoding="utf-8")
    out = sandbox.root / "out"
    built = cli("build", "--theme", "4", "--project", str(sandbox.root), "--out", str(out))
    assert built.exit_code == 1 and "Traceback" not in built.output, built.output
    line = _line_of(path, '4: "Fire."')
    assert f"{path}:{line}:7: error: 'cases' has 3 items in the base; item 4 cannot be replaced" in built.stderr, built.stderr
    assert not out.exists() or not list(out.rglob("*.pdf")), list(out.rglob("*"))
    checked = cli("check", "--project", str(sandbox.root))
    assert f"{salg}:" in checked.stderr and "titel" in checked.stderr, checked.stderr  # the other mistake is still said
    every = cli("build", "--all", "--project", str(sandbox.root), "--out", str(out))
    assert "not built:" in every.stderr and "theme 4" in every.stderr, every.stderr
    assert every.stdout.split() and all("tema-04" not in line for line in every.stdout.split()), every.stdout


def test_yaml_in_a_folder_of_data_is_said_not_read(sandbox: Project, cli):
    """data/README promises every YAML file in data/ is read or reported; one a
    folder down was neither."""
    extra = sandbox.data / "extra" / "deeper"
    extra.mkdir(parents=True)
    (extra.parent / "04-tidspres.yaml").write_text((sandbox.data / "themes" / "04-tidspres.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (extra / "noter.yml").write_text("a: b\n", encoding="utf-8")
    (extra / "noter.txt").write_text("not YAML\n", encoding="utf-8")
    (extra / "gammel.yaml.bak").write_text("a: b\n", encoding="utf-8")
    result = cli("check", "--project", str(sandbox.root))
    assert result.exit_code == 1, result.output
    said = sorted(line.split(": error: ")[0] for line in result.stderr.splitlines() if ": error: not read: data/ holds" in line)
    assert said == [str(extra.parent / "04-tidspres.yaml"), str(extra / "noter.yml")], result.stderr
