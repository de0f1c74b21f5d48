"""Output profiles: print (PDF/X-4, bleed, crop marks, CMYK) and screen (tagged PDF/UA-1);
both reproducible to the byte."""

from __future__ import annotations

import hashlib

import pypdf
import pytest

from onepagers import colours, finish
from onepagers.build import build, build_jobs
from onepagers.plan import Selection, plan
from onepagers.profiles import PROFILES

MM = 72 / 25.4
A4 = (210 * MM, 297 * MM)


@pytest.fixture(scope="module")
def sheets(library, project, tmp_path_factory):
    """TEMA 6 and the introduction in screen and print, each built twice into
    different folders, and once in the other profiles (every sheet of every
    variant in screen and print: conftest's session builds)."""
    out = {}
    for profile in ("screen", "print"):
        for run in (1, 2):
            folder = tmp_path_factory.mktemp(f"{profile}{run}")
            jobs = [job for job in plan(library, folder, Selection(everything=True, profile=profile)) if job.theme in (6, None)]
            report = build_jobs(library, project, jobs)
            assert report.ok, [d.one_line() for d in report.diagnostics]
            out[profile, run] = [r.job.path for r in report.results]
    for profile in PROFILES.keys() - {"screen", "print"}:
        # TEMA 6 and the introduction: print-nomarks lays each sheet out
        # anew (its own layout key), 1 s a sheet, and only marks differ from print.
        jobs = [job for job in plan(library, tmp_path_factory.mktemp(profile), Selection(everything=True, profile=profile)) if job.theme in (6, None)]
        report = build_jobs(library, project, jobs)
        assert report.ok, [d.one_line() for d in report.diagnostics]
    return out


def _box(page, name):
    return [float(v) for v in page[name]]


def test_print_profile_has_bleed_trim_and_output_intent(sheets):
    """The boxes, marks and the intent's identification: tests/test_print_preflight.py."""
    for path in sheets["print", 1]:
        reader = pypdf.PdfReader(path)
        for page in reader.pages:
            trim, bleed = _box(page, "/TrimBox"), _box(page, "/BleedBox")
            assert trim == pytest.approx([0, 0, *A4], abs=0.05)
            assert bleed == pytest.approx([-3 * MM, -3 * MM, A4[0] + 3 * MM, A4[1] + 3 * MM], abs=0.05)
        intents = reader.trailer["/Root"]["/OutputIntents"]
        assert intents[0]["/S"] == "/GTS_PDFX" and "/DestOutputProfile" in intents[0]
        assert "PDF/X-4" in reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8", "replace")


def test_print_backgrounds_reach_the_edge_of_the_bleed(sheets):
    """No white gap between the header band and the paper's edge (a body margin would leave one)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(sheets["print", 1][0]))
    image = pdf[0].render(scale=1).to_pil().convert("RGB")  # 72 dpi: one pixel a point
    width, _ = image.size
    slug = round(finish.SLUG_MM * MM)  # the marks' margin outside the bleed
    band_row = slug + int(8 * MM)  # inside the band, 5 mm below the trim
    for x in (slug, slug + 1, width - slug - 2, width - slug - 1):
        red, green, blue = image.getpixel((x, band_row))
        assert red + green + blue < 300, f"pixel {x},{band_row} at the edge of the bleed is {red, green, blue}, not the band"
    top = image.getpixel((width // 2, slug))
    assert sum(top) < 300, f"the band does not run into the top bleed: {top}"


def test_screen_profile_is_tagged_with_language_and_title(sheets):
    for path in sheets["screen", 1]:
        root = pypdf.PdfReader(path).trailer["/Root"]
        assert root["/Lang"] == "da"
        assert bool(root["/MarkInfo"]["/Marked"])
        assert "/StructTreeRoot" in root
        assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])


def test_both_profiles_carry_metadata_and_section_bookmarks(sheets):
    for profile in ("screen", "print"):
        reader = pypdf.PdfReader(sheets[profile, 1][0])
        meta = reader.metadata
        assert meta.title.startswith("TEMA 6/10") and meta.author and meta.subject and meta.creator == "onepagers"
        keywords = reader.metadata["/Keywords"]
        assert "2. udgave" in keywords and "@" not in keywords, keywords
        titles = [o["/Title"] for o in _flatten(reader.outline)]
        assert titles[:2] == ["Svære kald og ubehagelige kundeoplevelser", "Hvad kan I gøre?"]
        assert "Henvisninger" in titles


def _flatten(outline):
    for item in outline:
        if isinstance(item, list):
            yield from _flatten(item)
        else:
            yield item


@pytest.mark.parametrize("profile", ["screen", "print"])
def test_the_same_input_gives_the_same_bytes(sheets, profile):
    digests = [[hashlib.sha256(p.read_bytes()).hexdigest() for p in sheets[profile, run]] for run in (1, 2)]
    assert digests[0] == digests[1]


def test_a_sheet_is_the_same_bytes_whatever_was_built_before_it(library, project, tmp_path):
    """TEMA 6 alone, and after TEMA 5 in the same renderer: WeasyPrint's copy
    of the ICC profile changed once a render had read the profile's name."""
    for profile in ("screen", "print"):
        made = {}
        for numbers in ((6,), (5, 6)):
            jobs = sorted(plan(library, tmp_path / f"{profile}{len(numbers)}", Selection(themes=numbers, profile=profile)), key=lambda j: j.theme != 5)
            report = build_jobs(library, project, jobs)
            assert report.ok, [d.one_line() for d in report.diagnostics]
            made[numbers] = jobs[-1].path.read_bytes()
        assert made[6,] == made[5, 6], profile


def test_the_output_intent_embeds_the_profile_file_as_shipped(sheets, project):
    shipped = (project.templates / colours.PROFILE).read_bytes()
    for path in sheets["print", 1]:
        intent = pypdf.PdfReader(path).trailer["/Root"]["/OutputIntents"][0]
        assert intent["/DestOutputProfile"].get_object().get_data() == shipped, path.name


def test_source_date_epoch_sets_the_dates(library, project, tmp_path, monkeypatch):
    """Also when the workers were started by an earlier build without it: the
    layouts a worker sets again (compose.fitted) keep the build's date."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    build(project, Selection(themes=(6,), profile="print"), tmp_path / "before", library=library)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    (result,) = build(project, Selection(themes=(6,), profile="print"), tmp_path, library=library).results
    assert pypdf.PdfReader(result.job.path).metadata["/CreationDate"].startswith("D:20231114")


def test_screen_links_are_annotations_and_print_has_none(sheets):
    screen = pypdf.PdfReader(sheets["screen", 1][0])
    links = [a.get_object()["/A"]["/URI"] for p in screen.pages for a in (p.get("/Annots") or [])]
    assert "https://bfakontor.dk/vejledninger/konflikthaandtering" in links
    for path in sheets["print", 1]:
        assert all(not p.get("/Annots") for p in pypdf.PdfReader(path).pages)
