"""The print shop's preflight (preflight.print_preflight) passes every print PDF
of every variant, and fails each of its rules on a file made bad on purpose."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pypdf
import pytest
from badpdf import edit

from onepagers import finish, preflight
from onepagers.build import build
from onepagers.plan import Selection

MM = 72 / 25.4


@pytest.fixture(scope="module")
def print_pdfs(print_built) -> list[Path]:
    """Every print PDF of every variant: the session's build (conftest.print_built)."""
    return [r.job.path for r in print_built]


@pytest.fixture(scope="module")
def good(print_pdfs) -> bytes:
    """TEMA 6's print PDF, the file the bad ones are made from."""
    (path,) = [p for p in print_pdfs if "tema-06" in p.name and p.parent.name == "privat-2"]
    return path.read_bytes()


def test_every_print_pdf_of_every_variant_passes(library, print_pdfs):
    variants = {path.parent.name for path in print_pdfs}
    assert variants == {name.replace("@", "-") for name in library.series.variants}
    failed = {path.name: [f.one_line() for f in preflight.print_preflight(path).findings] for path in print_pdfs}
    assert {name: lines for name, lines in failed.items() if lines} == {}


def test_the_boxes_are_trim_bleed_and_slug(good):
    for page in pypdf.PdfReader(io.BytesIO(good)).pages:
        trim, bleed, media = ([float(v) for v in page[name]] for name in ("/TrimBox", "/BleedBox", "/MediaBox"))
        assert trim == pytest.approx([0, 0, 210 * MM, 297 * MM], abs=0.01)
        assert bleed == pytest.approx([trim[0] - 3 * MM, trim[1] - 3 * MM, trim[2] + 3 * MM, trim[3] + 3 * MM], abs=0.01)
        slug = (3 + finish.SLUG_MM) * MM
        assert media == pytest.approx([trim[0] - slug, trim[1] - slug, trim[2] + slug, trim[3] + slug], abs=0.01)


def test_print_nomarks_has_no_marks_and_no_slug(library, project, tmp_path):
    (result,) = build(project, Selection(themes=(6,), profile="print-nomarks"), tmp_path, library=library, gallery=False).results
    assert result.job.path.name.endswith("-print-nomarks.pdf")
    assert preflight.print_preflight(result.job.path, marks=False).passed
    for page in pypdf.PdfReader(result.job.path).pages:
        assert [float(v) for v in page["/MediaBox"]] == pytest.approx([float(v) for v in page["/BleedBox"]])
    asked_for_marks = {f.rule for f in preflight.print_preflight(result.job.path, marks=True).findings}
    assert asked_for_marks == {"marks", "page-boxes"}


# Files made bad on purpose, one rule each ------------------------------------


def _draw(pdf: pikepdf.Pdf, content: bytes, page: int = -1) -> None:
    pdf.pages[page].contents_add(pdf.make_stream(content), prepend=False)


def _font(pdf: pikepdf.Pdf, page: int = -1) -> str:
    return str(next(iter(pdf.pages[page].Resources.Font.keys())))


def _rules(pdf: bytes, **options: bool) -> set[str]:
    return {f.rule for f in preflight.print_preflight(pdf, **options).findings}


def test_the_good_file_passes(good):
    assert _rules(good) == set()


def test_rgb_in_a_form_xobject_fails(good):
    """What WeasyPrint's own crop marks did: `0 0 0 rg` in a form."""

    def add_rgb_form(pdf: pikepdf.Pdf) -> None:
        form = pdf.make_stream(b"0 0 0 rg 0 0 0 RG 0 0 5 5 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 5, 5])
        page = pdf.pages[-1]
        page.Resources.XObject = pikepdf.Dictionary(Marks=form)
        _draw(pdf, b"q /Marks Do Q")

    assert _rules(edit(good, add_rgb_form)) == {"device-rgb"}


def test_rgb_in_page_content_fails(good):
    assert _rules(edit(good, lambda pdf: _draw(pdf, b"q 1 0 0 rg 10 10 5 5 re f Q"))) == {"device-rgb"}


def test_ink_over_300_percent_fails(good):
    assert _rules(edit(good, lambda pdf: _draw(pdf, b"q 0.9 0.9 0.9 0.5 k 10 10 5 5 re f Q"))) == {"ink-limit"}


def test_dark_small_text_in_four_inks_fails(good):
    """The old body colour, 35/12/0/81, at 10 pt."""
    text = lambda pdf: _draw(pdf, f"q BT /{_font(pdf)[1:]} 10 Tf 0.35 0.12 0 0.81 k 1 0 0 1 100 100 Tm <0001> Tj ET Q".encode())  # noqa: E731
    assert _rules(edit(good, text)) == {"small-text-inks"}


def test_coloured_small_text_in_three_inks_fails_and_large_text_may(good):
    def text(size: float):  # type: ignore[no-untyped-def]
        return lambda pdf: _draw(pdf, f"q BT /{_font(pdf)[1:]} {size} Tf 0.9 0.28 0 0.3 k 1 0 0 1 100 100 Tm <0001> Tj ET Q".encode())

    assert _rules(edit(good, text(8))) == {"small-text-inks"}
    assert _rules(edit(good, text(14))) == set()


def test_text_scaled_below_12_pt_counts_as_small(good):
    """24 pt type under a one-third scale is 8 pt on paper."""
    text = lambda pdf: _draw(pdf, f"q 0.33 0 0 0.33 0 0 cm BT /{_font(pdf)[1:]} 24 Tf 0.9 0.28 0 0.3 k 1 0 0 1 100 100 Tm <0001> Tj ET Q".encode())  # noqa: E731
    assert _rules(edit(good, text)) == {"small-text-inks"}


def test_a_trim_box_that_is_not_a4_fails(good):
    def shrink(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].TrimBox = [0, 0, 200 * MM, 297 * MM]

    assert "page-boxes" in _rules(edit(good, shrink))


def test_a_bleed_box_equal_to_the_media_box_fails(good):
    def no_slug(pdf: pikepdf.Pdf) -> None:
        for page in pdf.pages:
            page.BleedBox = page.MediaBox

    assert "page-boxes" in _rules(edit(good, no_slug))


def test_an_output_intent_without_the_registered_identification_fails(good):
    def custom(pdf: pikepdf.Pdf) -> None:
        intent = pdf.Root.OutputIntents[0]
        intent.OutputConditionIdentifier = pikepdf.String("FOGRA39 coated (onepagers)")
        del intent["/RegistryName"]

    findings = preflight.print_preflight(edit(good, custom)).findings
    assert {f.rule for f in findings} == {"output-intent"} and len(findings) == 2


def test_a_font_not_embedded_fails(good):
    def unembed(pdf: pikepdf.Pdf) -> None:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                del obj["/FontFile2"]

    assert _rules(edit(good, unembed)) == {"fonts"}


def test_an_annotation_fails(good):
    def link(pdf: pikepdf.Pdf) -> None:
        annotation = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10]))
        pdf.pages[0].Annots = pdf.make_indirect([annotation])

    assert _rules(edit(good, link)) == {"annotations"}


def test_a_mark_painted_over_fails_naming_its_corner(good):
    """What the footer band did to the last page's bottom marks: paint over one corner's slug."""
    cover = lambda pdf: _draw(pdf, b"q 0 0 0 0 k -40 -40 42 42 re f Q")  # noqa: E731
    findings = preflight.print_preflight(edit(good, cover)).findings
    assert [f.rule for f in findings] == ["marks"]
    assert findings[0].page == 2 and "bottom left" in findings[0].message and "top" not in findings[0].message


def test_audit_says_which_gates_each_file_passed(good, tmp_path, cli):
    passing, failing = tmp_path / "good-print.pdf", tmp_path / "rgb-print.pdf"
    passing.write_bytes(good)
    failing.write_bytes(edit(good, lambda pdf: _draw(pdf, b"q 1 0 0 rg 10 10 5 5 re f Q")))
    result = cli("audit", str(passing), str(failing))
    assert result.exit_code == 1
    assert f"{passing}: print (PDF/X-4 preflight): passed" in result.stdout
    assert f"{failing}: print (PDF/X-4 preflight): FAILED" in result.stdout
    assert "device-rgb: page 2: DeviceRGB colour (rg)" in result.stderr
    assert cli("audit", str(passing)).exit_code == 0


def test_audit_says_a_finding_on_every_page_once_naming_the_pages(good, tmp_path, cli):
    """The same problem on both pages (no TrimBox, as an imposition tool
    that drops boxes leaves the file) is one line naming pages 1 and 2;
    a problem on one page names that page."""
    def no_boxes(pdf: pikepdf.Pdf) -> None:
        for page in pdf.pages:
            del page.obj["/TrimBox"]
        _draw(pdf, b"q 1 0 0 rg 10 10 5 5 re f Q")  # and DeviceRGB on page 2 only

    bad = tmp_path / "no-boxes-print.pdf"
    bad.write_bytes(edit(good, no_boxes))
    assert len([f for f in preflight.print_preflight(bad).findings if f.rule == "page-boxes"]) == 2
    result = cli("audit", str(bad))
    assert result.exit_code == 1
    lines = [line.strip() for line in result.stderr.splitlines()]
    assert "page-boxes: pages 1, 2: TrimBox, BleedBox and MediaBox are all required" in lines, result.stderr
    assert sum("page-boxes" in line for line in lines) == 1, result.stderr
    assert "device-rgb: page 2: DeviceRGB colour (rg) in page" in lines, result.stderr


# The file's identification, and what PDF/X forbids ----------------------------------


def _messages(pdf: bytes, rule: str) -> list[str]:
    return [f.message for f in preflight.print_preflight(pdf).findings if f.rule == rule]


def _xmp(change):  # type: ignore[no-untyped-def]
    def plant(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Metadata.write(change(pdf.Root.Metadata.read_bytes()))

    return plant


def test_a_header_newer_than_pdf_1_6_fails(good):
    assert good.startswith(b"%PDF-1.6")
    assert _messages(b"%PDF-1.7" + good[8:], "identification") == ["the header says '%PDF-1.7': a PDF/X-4 file is PDF 1.6 at most"]


def test_an_xmp_that_names_another_pdfx_version_fails(good):
    """The old check only looked for the bytes PDF/X-4 anywhere in the XMP: here
    they still are (in pdfx:GTS_PDFXVersion), but the identifying property says X-1a."""
    bad = edit(good, _xmp(lambda x: x.replace(b"<pdfxid:GTS_PDFXVersion>PDF/X-4", b"<pdfxid:GTS_PDFXVersion>PDF/X-1a:2001")))
    assert b"PDF/X-4" in bad
    assert _messages(bad, "identification") == ["the XMP's pdfxid:GTS_PDFXVersion is 'PDF/X-1a:2001', not 'PDF/X-4'"]


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda info: info.__setitem__("/Title", pikepdf.String("Another title")), "Info's /Title 'Another title' is not the XMP's dc:title"),
        (lambda info: info.__delitem__("/Trapped"), "Info's /Trapped is None: it must say /True or /False"),
        (lambda info: info.__setitem__("/Trapped", pikepdf.Name("/True")), "Info's /Trapped /True is not the XMP's pdf:Trapped 'False'"),
        (lambda info: info.__setitem__("/ModDate", pikepdf.String("D:20240301120000+01'00")), "Info's /ModDate"),
    ],
    ids=["title", "no-trapped", "trapped-differs", "moddate-differs"],
)
def test_info_and_xmp_that_disagree_fail(good, change, expected):
    messages = _messages(edit(good, lambda pdf: change(pdf.docinfo)), "identification")
    assert len(messages) == 1 and messages[0].startswith(expected), messages


def test_the_same_moment_written_two_ways_is_one_date(good):
    """1980-01-01 00:00 UTC is 01:00 in Copenhagen."""
    assert _messages(edit(good, lambda pdf: pdf.docinfo.__setitem__("/CreationDate", pikepdf.String("D:19800101010000+01'00"))), "identification") == []


def test_a_profile_that_is_not_an_output_profile_fails(good):
    def monitor(pdf: pikepdf.Pdf) -> None:
        profile = pdf.Root.OutputIntents[0].DestOutputProfile
        data = bytearray(profile.read_bytes())
        data[12:16] = b"mntr"
        profile.write(bytes(data))

    assert _messages(edit(good, monitor), "output-intent") == ["the embedded profile is a b'mntr' b'CMYK' profile, not an output (prtr) CMYK one"]


@pytest.mark.parametrize(
    "plant, expected",
    [
        (lambda pdf: setattr(pdf.Root, "OpenAction", pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))), "the catalog has /OpenAction"),
        (lambda pdf: setattr(pdf.Root, "AcroForm", pikepdf.Dictionary(Fields=pikepdf.Array())), "the catalog has /AcroForm"),
        (lambda pdf: setattr(pdf.Root, "Names", pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=pikepdf.Array()))), "the catalog names JavaScript"),
        (lambda pdf: setattr(pdf.pages[1].obj, "AA", pikepdf.Dictionary()), "page 2: the page has additional actions (/AA)"),
        (lambda pdf: badpdf_resource(pdf, "/ExtGState", "/tr", pikepdf.Dictionary(TR=pikepdf.Name.Identity)), "page 2: graphics state /tr sets a transfer function (/TR)"),
        (lambda pdf: badpdf_resource(pdf, "/ExtGState", "/ht", pikepdf.Dictionary(HT=pikepdf.Dictionary(HalftoneType=1, Frequency=60, Angle=45, SpotFunction=pikepdf.Name.Round))), "page 2: graphics state /ht sets a halftone"),
        (lambda pdf: badpdf_resource(pdf, "/XObject", "/ps", pdf.make_stream(b"", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.PS)), "page 2: XObject /ps is PostScript"),
        (lambda pdf: badpdf_resource(pdf, "/XObject", "/opi", pdf.make_stream(b"", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 1, 1], OPI=pikepdf.Dictionary())), "page 2: XObject /opi has OPI comments"),
    ],
    ids=["open-action", "acroform", "javascript", "page-actions", "transfer", "halftone", "postscript", "opi"],
)
def test_what_pdfx_forbids_fails(good, plant, expected):
    """On the page planted, and on any other sharing its resources."""
    where, _, message = expected.rpartition(": ") if expected.startswith("page ") else ("", "", expected)
    findings = preflight.print_preflight(edit(good, plant)).findings
    assert {f.rule for f in findings} == {"forbidden"} and {f.message for f in findings} == {message}
    assert not where or where in {f"page {f.page}" for f in findings}


def badpdf_resource(pdf: pikepdf.Pdf, category: str, name: str, value: pikepdf.Object) -> None:
    import badpdf

    badpdf._resource(pdf, category, name, value)
