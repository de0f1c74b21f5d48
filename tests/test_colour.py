"""One colour source: the inks of print.css, and the screen values derived from
them through the FOGRA39 profile (src/onepagers/colours.py, scripts/palette)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from onepagers import colours, preflight
from onepagers.build import build
from onepagers.library import load_library
from onepagers.plan import Selection

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.mark.parametrize(
    "one, other, expected",
    [
        # Sharma, Wu and Dalal (2005), "The CIEDE2000 color-difference formula:
        # implementation notes", table 1: pairs 1, 7, 17, 25 and 31.
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
        ((22.7233, 20.0904, -46.694), (23.0331, 14.973, -42.5619), 2.0373),
    ],
)
def test_delta_e_2000_gives_the_published_values(one, other, expected):
    assert colours.delta_e_2000(one, other) == pytest.approx(expected, abs=1e-4)
    assert colours.delta_e_2000(other, one) == pytest.approx(expected, abs=1e-4)


def test_every_screen_colour_is_within_delta_e_3_of_its_inks():
    assert colours.mismatches(TEMPLATES) == []
    assert len(colours.print_colours((TEMPLATES / "print.css").read_text(encoding="utf-8"))) >= 8


def test_palette_css_is_what_scripts_palette_derives_from_print_css():
    run = subprocess.run([sys.executable, "scripts/palette", "--check"], cwd=TEMPLATES.parent, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert colours.derived_palette(TEMPLATES) == (TEMPLATES / "palette.css").read_text(encoding="utf-8")


def _templates_with(tmp_path: Path, palette: dict[str, str] = {}, inks: dict[str, str] = {}) -> Path:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    for name, value in palette.items():
        path = templates / "palette.css"
        path.write_text(re.sub(rf"({name}:\s*)#[0-9a-f]{{6}}", rf"\g<1>{value}", path.read_text(encoding="utf-8")), encoding="utf-8")
    for name, value in inks.items():
        path = templates / "print.css"
        path.write_text(re.sub(rf"({name}:\s*)device-cmyk\([^)]*\)", rf"\g<1>{value}", path.read_text(encoding="utf-8")), encoding="utf-8")
    return templates


def test_the_screen_colours_the_series_had_fail(tmp_path):
    """The palette before it was derived: petrol and orange picked for screen
    by eye, 7 to 17 apart from what the press prints."""
    templates = _templates_with(tmp_path, palette={"--petrol": "#0b4f6c", "--accent-text": "#b35c00"})
    assert [p.split(":")[0] for p in colours.mismatches(templates)] == ["--accent-text", "--petrol"]


def test_an_ink_the_screen_cannot_show_fails_even_when_derived(tmp_path):
    """Full cyan darkened is outside sRGB: the derived screen value is the
    nearest sRGB colour, still more than 3 away."""
    templates = _templates_with(tmp_path, inks={"--petrol": "device-cmyk(1 0 0 0.55)"})
    (templates / "palette.css").write_text(colours.derived_palette(templates), encoding="utf-8")
    (problem,) = colours.mismatches(templates)
    assert problem.startswith("--petrol:")


def test_a_name_in_one_file_only_fails(tmp_path):
    templates = _templates_with(tmp_path)
    path = templates / "print.css"
    path.write_text(path.read_text(encoding="utf-8").replace("--tint:", "--tone:"), encoding="utf-8")
    assert sorted(colours.mismatches(templates)) == ["--tint is in palette.css only", "--tone is in print.css only"]


def test_small_text_reversed_out_in_a_tint_fails_the_print_preflight(project, tmp_path):
    """What the footer's 8 pt text was: an 8 % cyan screen on the dark band,
    where it should be paper white."""
    for part in ("data", "fonts"):
        shutil.copytree(project.root / part, tmp_path / part)
    _templates_with(tmp_path, inks={"--on-dark": "device-cmyk(0.08 0 0 0)"})
    from onepagers.project import Project

    sandbox = Project(tmp_path)
    report = build(sandbox, Selection(themes=(10,), profile="print"), tmp_path / "out", library=load_library(sandbox.data), gallery=False)
    (result,) = report.results
    rules = {f.rule for f in preflight.print_preflight(result.job.path).findings}
    assert rules == {"small-text-tint"}
