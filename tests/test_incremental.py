"""Incremental and parallel builds: only what changed is rendered, on every core."""

from __future__ import annotations

from pathlib import Path

import pytest

from onepagers import fingerprint
from test_bad_input import run_cli
from test_hostile import _pdf_text


@pytest.fixture
def copy(sandbox) -> Path:
    return sandbox.root


@pytest.fixture
def built_copy(copy, built) -> Path:
    """The copy with out/ as the run's shared build of every sheet in every
    variant left it: up to date, as a build's record holds no absolute path."""
    import shutil

    shutil.copytree(built[0].job.out, copy / "out", symlinks=True)
    return copy


def test_second_build_renders_nothing_and_still_prints_every_path(copy):
    first = run_cli("build", "--all", "--jobs", "2", "--out", "out", cwd=copy)
    assert first.returncode == 0, first.stderr
    second = run_cli("build", "--all", "--out", "out", cwd=copy)
    assert second.returncode == 0
    assert "Nothing changed: 11 sheets up to date." in second.stderr
    assert second.stdout == first.stdout and len(second.stdout.split()) == 11


def test_editing_one_theme_rebuilds_only_its_sheets(built_copy):
    copy = built_copy
    before = run_cli("build", "--all", "--every-variant", "--out", "out", cwd=copy)
    assert "Nothing changed: 23 sheets up to date." in before.stderr, before.stderr
    # TEMA 10: its sheets' layouts are searched anew after the edit, in three
    # layouts each (TEMA 6, in three variants, took 25).
    path = copy / "data" / "themes" / "10-fysiske-rammer.yaml"
    # The lead: no overlay words it differently, so every variant of TEMA 10 prints it.
    text = path.read_text(encoding="utf-8")
    assert text.count("Til jer, der vil sikre gode") == 1
    path.write_text(text.replace("Til jer, der vil sikre gode", "Til jer, der gerne vil sikre gode"), encoding="utf-8")
    result = run_cli("build", "--all", "--every-variant", "--out", "out", cwd=copy)
    assert result.returncode == 0, result.stderr
    rebuilt = {line.split()[1] + " " + line.split()[2] for line in result.stderr.splitlines() if line.startswith("TEMA") and " built " in line}
    assert rebuilt == {"10 privat@1", "10 privat@2"}, result.stderr
    assert len(result.stdout.split()) == 23


def test_the_first_wording_in_a_theme_file_is_what_build_prints(copy):
    """An editor changes the sentence they meet first; the default build prints the change."""
    path = copy / "data" / "themes" / "06-svaere-kald.yaml"
    sentence = "Gør det legalt for medarbejderne at lægge på"
    text = path.read_text(encoding="utf-8")
    assert text.count(sentence) > 1  # the first edition words it again in its overlay
    first = run_cli("build", "--theme", "6", "--out", "out", cwd=copy)
    assert first.returncode == 0, first.stderr
    path.write_text(text.replace(sentence, "Gør det tilladt for medarbejderne at lægge på", 1), encoding="utf-8")
    second = run_cli("build", "--theme", "6", "--out", "out", cwd=copy)
    assert second.returncode == 0, second.stderr
    assert "1 built" in second.stderr, second.stderr
    printed = _pdf_text(copy / second.stdout.strip())
    assert "tilladt for medarbejderne" in printed and "legalt for medarbejderne" not in printed


def test_changing_the_stylesheet_rebuilds_the_sheets_it_styles(built_copy):
    """Every sheet of the shared build is up to date, until a stylesheet
    changes. Two themes in both editions stand for all: every sheet is judged
    by the same digest of the looks, and a changed look searches for each
    sheet's layout again (two seconds a sheet)."""
    copy = built_copy
    asked = ["--theme", "5", "--theme", "10", "--every-variant", "--out", "out"]
    assert "Nothing changed: 4 sheets up to date." in run_cli("build", *asked, cwd=copy).stderr
    css = copy / "templates" / "sheet.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* a change */\n", encoding="utf-8")
    result = run_cli("build", *asked, cwd=copy)
    assert "4 built, 0 up to date." in result.stderr, result.stderr


def test_force_rebuilds_everything(copy):
    assert run_cli("build", "--theme", "3", "--out", "out", cwd=copy).returncode == 0
    result = run_cli("build", "--theme", "3", "--force", "--out", "out", cwd=copy)
    assert "1 built, 0 up to date." in result.stderr


def test_a_deleted_output_is_rebuilt(copy):
    first = run_cli("build", "--theme", "3", "--out", "out", cwd=copy)
    Path(copy, first.stdout.strip()).unlink()
    result = run_cli("build", "--theme", "3", "--out", "out", cwd=copy)
    assert "1 built" in result.stderr and Path(copy, result.stdout.strip()).is_file()


@pytest.mark.slow
def test_no_weasyprint_font_folders_are_left_in_tmp(copy, tmp_path_factory, monkeypatch):
    import subprocess
    import sys

    tmp = tmp_path_factory.mktemp("tmpdir")
    result = subprocess.run(
        [sys.executable, "-m", "onepagers", "build", "--all", "--force", "--jobs", "2", "--out", "out"],
        cwd=copy, capture_output=True, text=True, env={**__import__("os").environ, "TMPDIR": str(tmp)},
    )
    assert result.returncode == 0, result.stderr
    assert list(tmp.iterdir()) == []


def test_weasyprints_version_is_read_from_its_metadata_where_no_dist_info_folder_is_beside_it(monkeypatch):
    """The fingerprint names WeasyPrint's version: an install laid out otherwise
    (an egg, a source tree) must still give one, not stop every build."""
    import importlib.metadata
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    fingerprint._weasyprint_version.cache_clear()
    try:
        assert fingerprint._weasyprint_version() == importlib.metadata.version("weasyprint")
    finally:
        fingerprint._weasyprint_version.cache_clear()


def test_bytecode_python_writes_on_first_import_does_not_change_the_tools_fingerprint(tmp_path):
    """On a fresh install, __pycache__ fills as modules are first imported: a
    build after that must still find the first build's outputs up to date
    (CI rebuilt all 23 sheets when the fingerprint hashed the bytecode too)."""
    import py_compile
    import shutil

    package = tmp_path / "onepagers"
    shutil.copytree(Path(fingerprint.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = fingerprint.code_digest(package)
    py_compile.compile(str(package / "plan.py"), doraise=True)
    assert any((package / "__pycache__").iterdir())
    assert fingerprint.code_digest(package) == before
    (package / "plan.py").write_text((package / "plan.py").read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert fingerprint.code_digest(package) != before


def test_a_title_edited_rebuilds_the_sheets_whose_series_panel_lists_it(built_copy):
    """TEMA 5's page 2 carries the series panel, which lists every title: a
    title edited in TEMA 3's file is news to TEMA 5's sheet too, though not
    to the HTML it starts from."""
    copy = built_copy
    path = copy / "data" / "themes" / "03-udviklingsmuligheder.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('title: "Udviklingsmuligheder"', 'title: "Udvikling og muligheder"', 1), encoding="utf-8")
    result = run_cli("build", "--theme", "5", "--out", "out", cwd=copy)
    assert result.returncode == 0, result.stderr
    assert "1 built, 0 up to date" in result.stderr, result.stderr
    assert "Udvikling og muligheder" in _pdf_text(copy / result.stdout.strip())
