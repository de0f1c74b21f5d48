"""Each checker of preflight.py shown failing on each kind of defect planted
in a good file (tests/badpdf.py), and passing the good file it was made from;
and every PDF that cannot be read ends in one clear message, never a traceback."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

import pikepdf
import pytest
from badpdf import edit

import badpdf
from onepagers import preflight
from onepagers.build import build
from onepagers.diagnostics import ContentError
from onepagers.plan import Selection


@pytest.fixture(scope="module")
def sheets(library, project, tmp_path_factory) -> dict[str, bytes]:
    """TEMA 6, built once with the print profile and once for the screen."""
    out = tmp_path_factory.mktemp("planted")
    found = {}
    for profile in ("print", "screen"):
        report = build(project, Selection(themes=(6,), profile=profile), out / profile, library=library, gallery=False)
        assert report.ok, [d.one_line() for d in report.diagnostics]
        (result,) = report.results
        found[profile] = result.job.path.read_bytes()
    return found


@pytest.fixture(scope="module")
def good_print(sheets) -> bytes:
    return sheets["print"]


@pytest.fixture(scope="module")
def good_screen(sheets) -> bytes:
    return sheets["screen"]


def _print(pdf: bytes) -> list[preflight.Finding]:
    return list(preflight.print_preflight(pdf).findings)


def _rules(findings: list[preflight.Finding]) -> set[str]:
    return {f.rule for f in findings}


def test_the_good_files_pass(good_print, good_screen):
    assert _print(good_print) == []
    assert list(preflight.screen_audit(good_screen).findings) == []


# RGB wherever a colour space can be ------------------------------------------------


RGB_PLANTS: dict[str, tuple[Callable[[pikepdf.Pdf], None], str]] = {
    # the planted defect, and a word the finding must say of where it is
    "shading painted by sh": (badpdf.rgb_shading_painted, "shading /ShRGB"),
    "shading pattern, ICC-based RGB": (badpdf.rgb_shading_pattern, "ICCBased with 3 components"),
    "tiling pattern's own CalRGB": (badpdf.rgb_tiling_pattern, "CalRGB"),
    "inline image in /RGB": (badpdf.rgb_inline_image, "inline image"),
    "indexed image on RGB": (badpdf.rgb_indexed_image, "Indexed on DeviceRGB"),
    "separation with an RGB alternate": (badpdf.rgb_separation, "Separation"),
    "page transparency group": (badpdf.rgb_page_group, "transparency group"),
    "form transparency group": (badpdf.rgb_form_group, "transparency group"),
    "soft mask's group": (badpdf.rgb_soft_mask_group, "soft mask"),
    "form three deep": (badpdf.rgb_nested_form, "DeviceRGB colour (rg)"),
    "annotation appearance": (badpdf.rgb_annotation_appearance, "annotation"),
    "shading held but not painted": (badpdf.rgb_unused_shading, "shading /Idle"),
}


@pytest.mark.parametrize("plant", RGB_PLANTS.values(), ids=list(RGB_PLANTS))
def test_rgb_is_found_wherever_it_is_planted(good_print, plant):
    change, where = plant
    findings = _print(edit(good_print, change))
    rgb = [f for f in findings if f.rule == "device-rgb"]
    assert rgb, [f.one_line() for f in findings]
    assert any(where in f.message for f in rgb), [f.one_line() for f in rgb]
    assert 2 in {f.page for f in rgb}  # planted on the last page (whose resources page 1 may share)
    # nothing else fires, but the annotation's own rule
    assert _rules(findings) - {"device-rgb"} <= ({"annotations"} if change is badpdf.rgb_annotation_appearance else set())


# Hostile structure: bounded, and said -----------------------------------------------


def test_a_form_that_draws_itself_ends(good_print):
    assert _print(edit(good_print, badpdf.form_that_draws_itself)) == []


def test_forms_nested_too_deep_are_a_finding_not_a_crash(good_print):
    findings = _print(edit(good_print, badpdf.forms_nested_deep))
    assert _rules(findings) == {"not-checked"}, [f.one_line() for f in findings]
    assert all("nested more than" in f.message for f in findings)


def test_forms_drawn_exponentially_stop_at_the_budget(good_print):
    findings = _print(edit(good_print, badpdf.forms_drawn_exponentially))
    assert _rules(findings) == {"not-checked"}, [f.one_line() for f in findings]
    assert any("drawing operations" in f.message for f in findings)


# Crop marks ---------------------------------------------------------------------


@pytest.mark.parametrize("plant", [badpdf.mark_into_bleed, badpdf.filled_mark_into_bleed], ids=["stroked", "filled"])
def test_a_mark_reaching_into_the_bleed_fails(good_print, plant):
    findings = _print(edit(good_print, plant))
    assert _rules(findings) == {"marks-in-bleed"}, [f.one_line() for f in findings]
    assert findings[0].page == 2


def test_the_same_mark_in_the_slug_passes(good_print):
    assert _print(edit(good_print, badpdf.mark_outside_bleed)) == []


# The screen audit's claims --------------------------------------------------------


def test_a_running_header_tagged_as_content_fails(good_screen):
    findings = list(preflight.screen_audit(edit(good_screen, badpdf.running_header_as_content)).findings)
    assert _rules(findings) == {"running-header"}, [f.one_line() for f in findings]
    assert findings[0].page == 2 and "/Artifact" in findings[0].message


def test_hyphens_that_copy_as_u2010_fail(good_screen):
    findings = list(preflight.screen_audit(edit(good_screen, badpdf.hyphen_extracts_as_u2010)).findings)
    assert _rules(findings) == {"hyphens"}, [f.one_line() for f in findings]
    assert "U+2010" in findings[0].message


# PDFs that cannot be read -------------------------------------------------------


def _encrypted(good: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(good)) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(owner="owner", user="user"))
    return out.getvalue()


UNREADABLE: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "zero bytes": (lambda good: b"", "empty"),
    "not a PDF": (lambda good: b"<html><body>not a pdf</body></html>\n" * 10, "not a PDF"),
    "truncated": (lambda good: good[: len(good) // 3], "damaged"),
    "header and garbage": (lambda good: b"%PDF-1.7\n" + bytes(range(256)) * 40, "damaged"),
    "encrypted": (_encrypted, "encrypted"),
}


@pytest.mark.parametrize("breakage", UNREADABLE.values(), ids=list(UNREADABLE))
def test_an_unreadable_pdf_is_one_clear_message(good_print, good_screen, tmp_path, cli, breakage):
    make, says = breakage
    bad = tmp_path / "bad-print.pdf"
    bad.write_bytes(make(good_print))
    with pytest.raises(ContentError) as raised:
        preflight.print_preflight(bad)
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.path == bad and says in diagnostic.message
    with pytest.raises(ContentError):
        preflight.screen_audit(bad.read_bytes())
    good = tmp_path / "good.pdf"
    good.write_bytes(good_screen)
    result = cli("audit", str(bad), str(good))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"bad-print.pdf: error: " in result.stderr and says in result.stderr
    assert f"{good}: screen (PDF/UA-1 structure): passed" in result.stdout  # the others are still audited


def test_a_folder_named_pdf_is_one_clear_message(tmp_path, cli):
    folder = tmp_path / "sheet.pdf"
    folder.mkdir()
    result = cli("audit", str(folder))
    assert result.exit_code == 1 and "sheet.pdf: error: is a folder" in result.stderr and "Traceback" not in result.output


def test_a_pdf_without_read_permission_is_one_clear_message(good_print, tmp_path, cli, monkeypatch):
    bad = tmp_path / "locked.pdf"
    bad.write_bytes(good_print)
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:  # the tests may run as root, whom permissions do not stop
        if self == bad:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = cli("audit", str(bad))
    assert result.exit_code == 1 and "locked.pdf: error: cannot be read (Permission denied)" in result.stderr


def test_accessibility_fails_a_damaged_pdf_and_checks_the_rest(library, project, good_screen, tmp_path):
    from onepagers import accessibility

    bad = tmp_path / "privat-2" / "damaged.pdf"
    bad.parent.mkdir()
    bad.write_bytes(good_screen[:1000])
    (check,) = accessibility.pdf_checks(bad, project)
    assert check.result == accessibility.FAILED and "damaged" in check.details[0]
