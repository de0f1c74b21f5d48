"""Every screen PDF passes the PDF/UA-1 checker (outloud) and our own structure
audit, reads as the data says when copied, and keeps text at WCAG AA contrast;
each check is shown failing on a file made bad on purpose."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import outloud
import pikepdf
import pypdf
import pytest
from badpdf import edit

from onepagers import contrast, finish, inline, preflight, profiles
from onepagers.html import html_for
from onepagers.pdf import Renderer
from onepagers.plan import Selection, plan
from onepagers.variants import resolve, resolve_introduction
from test_pdf import _sheet_texts, prints_series_panel


def test_every_screen_pdf_passes_the_structure_audit_and_outloud(built):
    """Judged as `audit` and `accessibility` judge it (preflight.gates): no
    finding of our structure audit, no outloud error, no warning, and none
    that needed a review."""
    gates = {r.job.path.name: preflight.gates(r.job.path) for r in built}
    failed = {name: [f.one_line() for g in found for f in (*g.findings, *g.reviewed)] for name, found in gates.items()}
    assert {name: lines for name, lines in failed.items() if lines} == {}
    # Both ran: the structure audit, then outloud.
    assert all([g.name for g in found] == ["screen (PDF/UA-1 structure)", "screen (PDF/UA-1, outloud)"] for found in gates.values())


@pytest.fixture(scope="module")
def screen_booklet(library, project, tmp_path_factory) -> Path:
    from onepagers.booklet import make_booklet

    booklet = make_booklet(library, project, tmp_path_factory.mktemp("booklet"), "privat@1", "screen")
    assert booklet.ok, booklet.problems
    return booklet.job.path


def _only(line: str, headings: set[str]) -> bool:
    """Is the line made of section headings only? Two columns' headings side by
    side read as one line."""
    for heading in sorted(headings, key=len, reverse=True):
        line = line.replace(heading, " ")
    return not line.replace("…", "").strip()


def test_the_screen_booklet_passes_both(library, screen_booklet):
    """A booklet repeats the colophon on every sheet: after the first, it is a
    running footer. outloud's PAG-001 (a heuristic, a warning) still names
    what every sheet repeats at its top: the band that opens each sheet and a
    heading near the top of page 2. That is content, reviewed in
    preflight.REVIEWED: the gates pass, and say so."""
    gates = preflight.gates(screen_booklet)
    assert all(g.passed for g in gates), [f.one_line() for g in gates for f in g.findings]
    reviewed = [f for g in gates for f in g.reviewed]
    assert {f.rule for f in reviewed} <= {"PAG-001"}
    # What it names is the band and the section headings, nothing else.
    band = resolve(library, library.theme(1), "privat@1").variant.series_name.upper()
    headings = {h for tf in library.themes for h in resolve(library, tf, "privat@1").headings.model_dump().values()}
    for finding in reviewed:
        named = re.search(r"pages \((.*)\); reviewed", finding.message)[1].split("; ")
        assert all(n.rstrip("…").strip() and (band.startswith(n.rstrip("…")) or n.startswith(band) or _only(n, headings)) for n in named), named
    # The footer's words before its link: the link (the address) stays content wherever it is.
    footer = inline.parse(resolve_introduction(library, "privat@1").footer)[0].text.strip()
    texts = preflight.marked_texts(pypdf.PdfReader(screen_booklet))
    as_content = [page for (page, key), text in texts.items() if isinstance(key, int) and footer in text]
    as_artifact = [page for (page, key), text in texts.items() if key == "artifact:/Pagination" and footer in text]
    # Each theme's colophon after the first sheet's, and each theme's page-1 footer line.
    assert as_content == [0] and len(as_artifact) == 2 * len(library.themes)


def test_audit_accessibility_and_the_tests_judge_alike(project, screen_booklet, good, tmp_path, cli):
    """One rule set: the booklet passes `audit` and the accessibility report's
    checks; a sheet made bad (no language) fails both, and the gates."""
    from onepagers.accessibility import FAILED, pdf_checks

    bad = tmp_path / "bad.pdf"
    bad.write_bytes(edit(good, _no_lang))
    for path, ok in ((screen_booklet, True), (bad, False)):
        audit = cli("audit", str(path))
        assert (audit.exit_code == 0) is ok, audit.output
        report = [c for c in pdf_checks(path, project) if c.result == FAILED]
        assert (report == []) is ok, report
        if not ok:  # the booklet's gates: test_the_screen_booklet_passes_both
            assert not all(g.passed for g in preflight.gates(path))
        if ok:
            assert "reviewed: PAG-001" in audit.stderr


def test_only_the_reviewed_form_of_a_warning_passes(tmp_path, monkeypatch):
    """PAG-001 about running lines is reviewed; PAG-001 about page numbers, an
    error, or any other warning still fails."""
    from outloud.findings import Finding, Result

    def checked(*found: tuple[str, str, str]) -> preflight.Gate:
        monkeypatch.setattr(outloud, "check", lambda path: Result(path, [Finding(r, s, m) for r, s, m in found]))
        return preflight._outloud(tmp_path / "x.pdf")

    running = "2 running header or footer line(s) are tagged as content on 3 or more pages"
    assert checked(("PAG-001", "warning", running)).passed
    assert not checked(("PAG-001", "warning", "page numbers are tagged as content on 9 of 21 pages")).passed
    assert not checked(("PAG-001", "error", running)).passed
    assert not checked(("ORD-001", "warning", "page paints content in a different order")).passed


# Known-bad files -----------------------------------------------------------------


@pytest.fixture(scope="module")
def good(built) -> bytes:
    (result,) = [r for r in built if r.job.theme == 6 and r.job.variant == "privat@2"]
    return result.job.path.read_bytes()


def _no_lang(pdf: pikepdf.Pdf) -> None:
    del pdf.Root["/Lang"]


def _untagged(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        data = b"\n".join(page.Contents[i].read_bytes() for i in range(len(page.Contents))) if isinstance(page.Contents, pikepdf.Array) else page.Contents.read_bytes()
        data = re.sub(rb"/\w+\s*<<.*?>>\s*BDC|/\w+\s*BMC|EMC", b"", data, flags=re.S)
        page.Contents = pdf.make_stream(data)


def _elements(pdf: pikepdf.Pdf, role: str) -> list[pikepdf.Dictionary]:
    """The file's structure elements of one role ("/L", "/Lbl", "/H2"): a
    list, so that an edit may change them as it goes."""
    return [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/S") == role]


def _heading_skips_a_level(pdf: pikepdf.Pdf) -> None:
    for obj in _elements(pdf, "/H2"):
        obj.S = pikepdf.Name.H5


def _font_not_embedded(pdf: pikepdf.Pdf) -> None:
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
            del obj["/FontFile2"]


def _no_pdfua_identification(pdf: pikepdf.Pdf) -> None:
    xmp = pdf.Root.Metadata.read_bytes().replace(b' pdfuaid:part="1"', b"")
    pdf.Root.Metadata = pdf.make_stream(xmp, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)


@pytest.mark.parametrize(
    "breakage, rule",
    [
        (_no_lang, "DOC-013"),
        (_untagged, "TAG-001"),
        (_heading_skips_a_level, "HDG-001"),
        (_font_not_embedded, "TXT-001"),
        (_no_pdfua_identification, "DOC-012"),
    ],
)
def test_outloud_fails_a_file_made_bad(good, tmp_path, breakage, rule):
    path = tmp_path / "bad.pdf"
    path.write_bytes(edit(good, breakage))
    result = outloud.check(str(path))
    assert result.errors >= 1 and rule in {f.rule for f in result.findings}, [f.rule for f in result.findings]


def test_the_structure_audit_fails_without_a_file_id(good):
    # Blank the /ID in place (same length, so the cross-reference offsets stay right).
    bad = re.sub(rb"/ID \[<[0-9a-fA-F]+> ?<[0-9a-fA-F]+>\]|/ID \[\([^)]*\) ?\([^)]*\)\]", lambda m: b" " * len(m.group()), good)
    assert bad != good
    assert {f.rule for f in preflight.screen_audit(bad).findings} == {"file-id"}


def test_the_structure_audit_fails_on_an_empty_element(good):
    def add_empty(pdf: pikepdf.Pdf) -> None:
        document = pdf.Root.StructTreeRoot.K[0]
        empty = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.NonStruct, P=document, K=pikepdf.Array()))
        document.K.append(empty)

    assert {f.rule for f in preflight.screen_audit(edit(good, add_empty)).findings} == {"empty-elements"}


def test_the_structure_audit_fails_on_a_number_in_the_list_body(good):
    """How WeasyPrint tagged the actions' numbers: LI > LBody > [number, text]."""

    def number_into_body(pdf: pikepdf.Pdf) -> None:
        for obj in _elements(pdf, "/Lbl"):
            item = obj.P
            body = [k for k in item.K if k.get("/S") == "/LBody"][0]
            item.K = pikepdf.Array([k for k in item.K if k.objgen != obj.objgen])
            obj.S, obj.P = pikepdf.Name.NonStruct, body
            body.K.insert(0, obj)

    with pikepdf.open(io.BytesIO(good)) as pdf:
        labels = _elements(pdf, "/Lbl")
        # The three actions, and the series panel's list of themes where the sheet carries it.
        assert len(labels) >= 3
    findings = preflight.screen_audit(edit(good, number_into_body)).findings
    assert {f.rule for f in findings} == {"list-labels"} and len(findings) == len(labels)


def test_the_structure_audit_fails_on_a_numbered_list_that_does_not_say_so(good):
    """Without /ListNumbering a reader announces the actions as a bulleted list."""

    def forget_numbering(pdf: pikepdf.Pdf) -> None:
        for obj in _elements(pdf, "/L"):
            if "/A" in obj:
                del obj["/A"]

    with pikepdf.open(io.BytesIO(good)) as pdf:
        numbered = [o for o in _elements(pdf, "/L") if "/A" in o]
    findings = preflight.screen_audit(edit(good, forget_numbering)).findings
    assert numbered and [f.rule for f in findings] == ["list-numbering"] * len(numbered), findings
    assert any("labelled 1, 2, 3 does" in f.message for f in findings), findings


def test_only_the_numbered_lists_say_they_are_numbered(library, built):
    for result in built:
        with pikepdf.open(result.job.path) as pdf:
            lists = _elements(pdf, "/L")
            numbered = [o for o in lists if "/A" in o and o.A.get("/ListNumbering") == "/Decimal"]
        # A sheet's actions, and the list of the themes in its series panel
        # where it has one; the introduction's list of the themes.
        job = result.job
        panel = job.theme is not None and prints_series_panel(resolve(library, library.theme(job.theme), job.variant), job.path)
        assert len(numbered) == 1 + panel, job.path.name
        assert len(lists) > len(numbered)


# A pull quote: read once, where it stands in the cases ------------------------

QUOTE = "Dermed er virksomheden opmærksom på, at nogle medarbejdere ikke trives med et stort fokus på salg."


def test_a_pull_quote_is_read_once_and_the_sheet_passes_both_gates(sandbox):
    """The quote is a /Layout artifact; outloud's TAG-002 on it is reviewed,
    because the sheet's tagged text says the same words where they stand."""
    import yaml

    from onepagers.build import build

    path = next((sandbox.data / "themes").glob("07-*.yaml"))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["quote"] = QUOTE
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (result,) = build(sandbox, Selection(themes=(7,)), sandbox.root / "out").results
    assert result.ok, [d.one_line() for d in result.problems]
    texts = preflight.marked_texts(pypdf.PdfReader(result.job.path))
    tagged = preflight._letters(" ".join(texts[k] for k in sorted(k for k in texts if isinstance(k[1], int))))
    assert tagged.count(preflight._letters(QUOTE)) == 1  # read once
    assert any(preflight._letters(QUOTE) in preflight._letters(t) for (_, key), t in texts.items() if key == "artifact:/Layout")
    gates = preflight.gates(result.job.path)
    assert all(gate.passed for gate in gates), [(g.name, g.findings) for g in gates]
    assert [f.rule for g in gates for f in g.reviewed] == ["TAG-002"]


@pytest.mark.parametrize(
    ("layout", "tagged", "repeats"),
    [
        ("et stort fokus på salg", ["Dermed er virksomheden opmærksom på, at nogle trives med et stort fo\u2010", "kus på salg."], True),
        ("et stort fokus på salg", ["Dermed er virksomheden opmærksom på noget andet."], False),  # prose hidden, said nowhere
        ("", ["Dermed er virksomheden opmærksom."], False),  # no layout artifact on the page
    ],
)
def test_prose_in_an_artifact_passes_only_where_the_tagged_text_says_it(layout, tagged, repeats):
    texts = {(0, mcid): text for mcid, text in enumerate(tagged)} | ({(0, "artifact:/Layout"): layout} if layout else {})
    assert preflight.repeats_tagged_text(texts, 0) is repeats


# What the files say -------------------------------------------------------------


def test_running_header_on_page_2_is_a_pagination_artifact(library, built):
    sheets = [r for r in built if r.job.theme is not None]
    assert sheets
    for result in sheets:
        sheet = resolve(library, library.theme(result.job.theme), result.job.variant)
        band = [sheet.variant.series_name.upper(), f"{sheet.number_label} {sheet.number}/{sheet.variant.theme_count}"]
        texts = preflight.marked_texts(pypdf.PdfReader(result.job.path))
        artifact = texts.get((1, "artifact:/Pagination"), "")
        tagged_on_page_2 = " ".join(text for (page, key), text in texts.items() if page == 1 and isinstance(key, int))
        tagged_on_page_1 = " ".join(text for (page, key), text in texts.items() if page == 0 and isinstance(key, int))
        for words in band:
            assert words in artifact, (result.job.path.name, words)
            assert words not in tagged_on_page_2, (result.job.path.name, words)
            assert words in tagged_on_page_1, (result.job.path.name, words)  # page 1 still says it, as content


def _copied(path: Path) -> tuple[str, str]:
    """The text as it stands in the file (poppler, which reads /ActualText, in
    content order: its default mode drops a real hyphen at a line's end by
    guesswork), and the same with lines joined the way a reader joins them: a
    soft hyphen at a line's end joins a word's halves, a hyphen stays (and
    loses any space after it, see _copy_problems)."""
    raw = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True).stdout
    joined = re.sub("\u00ad\n", "", raw)
    return raw, re.sub(r"-\s+", "-", re.sub(r"\s+", " ", joined))


def _copy_problems(path: Path, data: str) -> list[str]:
    raw, copied = _copied(path)
    raw, copied = raw.lower(), copied.lower()
    data_words = set(re.findall(r"\w+", data))
    # "kunde- og" broken after its hyphen copies as "kunde-" and "og" on the
    # next line, which cannot be told from "plan-" "system": compare without
    # the space after a hyphen.
    data_hyphenated = set(re.findall(r"\w+(?:-\w+)+", re.sub(r"-\s+", "-", data)))
    problems = ["U+2010 in the text"] if "\u2010" in raw else []
    # a word the layout broke, joined again, is a word of the data
    problems += [f"{a}|{b}" for a, b in re.findall(r"(\w+)\u00ad\n(\w+)", raw) if a + b not in data_words]
    # a hyphen in the copy is one in the data, and every one of the data is in the copy
    problems += [f"{w} is not in the data" for w in re.findall(r"\w+(?:-\w+)+", copied) if w not in data_hyphenated and not any(w in h for h in data_hyphenated)]
    problems += [f"{w} is not in the copy" for w in data_hyphenated if w not in copied]
    problems += [f"{u} is not in the copy" for u in re.findall(r"https?://\S+", data) if u.rstrip(".,)") not in re.sub(r"\s", "", raw)]
    return problems


def _data(library, result) -> str:  # type: ignore[no-untyped-def]
    """The sheet's text in the data, with the band's series name; in lower case,
    since the band is set in capitals."""
    job = result.job
    document = resolve_introduction(library, job.variant) if job.theme is None else resolve(library, library.theme(job.theme), job.variant)
    return " ".join(inline.to_plain(t) for t in [document.variant.series_name, *_sheet_texts(library, result)]).lower()


def test_copied_hyphenated_words_and_urls_are_the_data(library, built):
    problems = {r.job.path.name: _copy_problems(r.job.path, _data(library, r)) for r in built}
    assert {label: lines for label, lines in problems.items() if lines} == {}
    breaks = sum(_copied(r.job.path)[0].count("\u00ad\n") for r in built)
    assert breaks > 0  # the layout does hyphenate: the check had something to check


def test_copying_fails_without_the_screen_finisher(library, project, built, monkeypatch, tmp_path):
    """As WeasyPrint leaves it: breaks extract as word halves with a hyphen."""
    monkeypatch.setattr(finish, "for_profile", lambda profile: (lambda document, written: None, {"pdf_variant": "pdf/ua-1"}))
    (result,) = [r for r in built if r.job.theme == 6 and r.job.variant == "privat@2"]
    renderer = Renderer(project, profiles.SCREEN, library.series.language)
    try:
        path = tmp_path / "unfinished.pdf"
        path.write_bytes(renderer.render(html_for(library, project, result.job)).pdf)
    finally:
        renderer.close()
    problems = _copy_problems(path, _data(library, result))
    assert any(p.startswith("undervisnin") or "U+2010" in p for p in problems), problems


# Contrast ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def renderer(project, library):
    renderer = Renderer(project, profiles.SCREEN, library.series.language)
    yield renderer
    renderer.close()


def _layouts(library, project, renderer, tmp_path, css: str = ""):  # type: ignore[no-untyped-def]
    jobs = [j for j in plan(library, tmp_path, Selection(everything=True, every_variant=True)) if j.theme in (None, 6)]
    for job in jobs:
        html = html_for(library, project, job).replace("</head>", f"<style>{css}</style></head>")
        yield job, renderer.layout(html)[0]


def test_all_text_meets_wcag_aa_contrast(library, project, renderer, tmp_path):
    for job, document in _layouts(library, project, renderer, tmp_path):
        pairs = contrast.pairs(document)
        assert len(pairs) >= 5, job.path.name  # text on paper, tint, bands: the walk found them
        assert [p.one_line() for p in pairs if p.ratio < p.required] == [], job.path.name


def test_a_palette_change_that_breaks_contrast_fails(library, project, renderer, tmp_path):
    """Text in the designer's orange, as the TEMA label had it (2.47:1); the label
    is no longer printed where the band says TEMA, so page 1's footer line wears it."""
    job, document = next(_layouts(library, project, renderer, tmp_path, ":root { --accent-text: #e8912d; } .footline { color: var(--accent-text); }"))
    failures = contrast.failures(document)
    footer = inline.to_plain(library.series.wording.footer)
    assert failures and all(p.text.strip() and p.text.strip() in footer for p in failures), [p.text for p in failures]
    assert round(failures[0].ratio, 2) == 2.47


def test_large_text_needs_3_to_1_and_other_text_4_5_to_1():
    """WCAG's own numbers: #767676 on white is 4.54:1, #949494 is 3.03:1."""
    white = (1.0, 1.0, 1.0)
    assert contrast.Pair("x", (0x76 / 255,) * 3, white, 10, False).ratio == pytest.approx(4.54, abs=0.01)
    lighter = (0x94 / 255,) * 3
    assert contrast.Pair("x", lighter, white, 10, False).ratio == pytest.approx(3.03, abs=0.01)
    assert [contrast.Pair("x", lighter, white, size, bold).required for size, bold in ((18, False), (14, True), (14, False), (12, True))] == [3.0, 3.0, 4.5, 4.5]
