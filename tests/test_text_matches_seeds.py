"""Where the data differs from the published text, `onepagers check` says so.

The comparison (onepagers.published) is a report, not a gate: an editor may
reword a sheet, and `make test` passes; `check` lists each difference that
data/corrections.yaml does not, as a warning at its file and line, and the CI
publishes that list. What these tests hold to: every published sheet is
compared; every difference is in the report, named where the editor wrote it;
a listed correction silences it; a stale one is reported; and the web pages
differ from the published text exactly where the data does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from onepagers.library import load_library
from onepagers.project import Project
from onepagers.published import RULE, Segment, corrections, deviations, sheet_sections, sheet_texts, sources, undo, unmatched
from onepagers.variants import _chain, resolve, resolve_introduction

import webtext
from conftest import copy_project
from onepagers.html import shown_url
from seedtext import SEED_FILES, seed
from test_pdf import reference_words

# Which published text holds which sheet, written out here apart from
# tests/seeds/sources.yaml, so that a sheet left out of that list is noticed.
SHEETS = [("001", "privat@1", n) for n in range(1, 11)] + [
    ("000", "privat@2", 1),
    ("002", "privat@2", 6),
    ("004", "offentlig@2", 6),
]


def test_every_published_sheet_is_compared(project):
    listed = {(s.path.name, s.variant, n) for s in sources(project) for n in sheet_texts(s)}
    assert listed == {(SEED_FILES[k], v, n) for k, v, n in SHEETS}
    assert [(s.path.name, s.variant) for s in sources(project) if s.introduction] == [(SEED_FILES["003"], "privat@2")]


def test_the_shipped_data_matches_or_check_says_where(library, project):
    """Each sheet compared item by item here; whatever differs, `check` names
    (on the shipped data nothing does, which the planted tests below make up for)."""
    _, listed = corrections(project, library)
    reported = deviations(library, project)
    texts = {(s.path.name, n): t for s in sources(project) for n, t in sheet_texts(s).items()}
    for key, variant, number in SHEETS:
        sheet = resolve(library, library.theme(number), variant)
        sections, wording = sheet_sections(sheet)
        chain = _chain(library, variant)
        missing = unmatched(Segment(texts[SEED_FILES[key], number]), sections, wording, lambda t: undo(t, number, chain, listed))
        subject = f"{sheet.number_label} {number} ({variant})"
        for section, index, _ in missing:
            assert any(d.subject == subject and d.message.startswith(f"{section}[{index}] ") for d in reported), (subject, section, index)
    assert all(d.rule == RULE and d.severity == "warning" for d in reported)


# An editor's change ------------------------------------------------------------


@pytest.fixture
def editable(project, tmp_path) -> Project:
    """The data with the published texts beside it, to edit."""
    copy_project(project, tmp_path, ("data", "fonts"))
    shutil.copytree(project.root / "tests" / "seeds", tmp_path / "tests" / "seeds")
    return Project(tmp_path)


def _edit(path: Path, old: str, new: str) -> int:
    """Replace `old` (once) and return the line it was on."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def _published_text(sandbox: Project) -> list:
    return [d for d in deviations(load_library(sandbox.data), sandbox) if d.rule == RULE]


def _new(before: list, after: list) -> list:
    """What `after` reports that `before` did not: the tests edit a copy of the
    data as it stands, which may carry an editor's changes of its own."""
    seen = {(d.path, d.subject, d.message) for d in before}
    return [d for d in after if (d.path, d.subject, d.message) not in seen]


def test_a_reworded_item_is_reported_at_its_line_and_passes(editable, cli):
    theme = next((editable.data / "themes").glob("06-*.yaml"))
    before = _published_text(editable)
    line = _edit(theme, "Har I kortlagt, hvor meget svære kald", "Har I kortlagt, hvor meget svære opkald")
    found = _new(before, _published_text(editable))
    at_line = [d for d in found if d.path == theme and d.line == line]
    assert len(at_line) == 1 and "privat@2" in at_line[0].subject and "questions[1]" in at_line[0].message, [d.one_line() for d in found]
    assert "svære opkald" in at_line[0].message and "corrections.yaml" in at_line[0].suggestion
    # The published wording, now unused, is reported too; nothing else.
    rest = [d for d in found if d not in at_line]
    assert len(rest) == 1 and "svære kald" in rest[0].message and rest[0].path == theme, [d.one_line() for d in found]
    result = cli("check", "--project", str(editable.root))
    assert result.exit_code == 0, result.output
    assert f"06-svaere-kald.yaml:{line}:" in result.output and f"[{RULE}]" in result.output
    assert cli("check", "--strict", "--project", str(editable.root)).exit_code == 1


def test_a_reworded_overlay_is_reported_at_the_overlay(editable):
    theme = next((editable.data / "themes").glob("06-*.yaml"))
    before = _published_text(editable)
    line = _edit(theme, "i YouSee Kundecenter. Og når", "i YouSee Kundecentret. Og når")
    found = _new(before, _published_text(editable))
    assert [d.line for d in found if "cases[1]" in d.message] == [line] and all("privat@1" in d.subject for d in found), [d.one_line() for d in found]


def test_a_dropped_item_is_reported(editable):
    theme = next((editable.data / "themes").glob("06-*.yaml"))
    question = "Sørger I for at klæde ledere på til at tale med medarbejderne om ubehagelige oplevelser?"
    before = _published_text(editable)
    _edit(theme, f'  - "{question}"\n', "")
    (found,) = _new(before, _published_text(editable))
    assert "says what the data does not" in found.message and "Sørger I for at klæde ledere på" in found.message


def test_a_listed_correction_silences_the_report(editable):
    theme = next((editable.data / "themes").glob("06-*.yaml"))
    before = _published_text(editable)
    _edit(theme, "Har I kortlagt, hvor meget svære kald", "Har I kortlagt, hvor meget svære opkald")
    assert _new(before, _published_text(editable))
    with (editable.data / "corrections.yaml").open("a", encoding="utf-8") as listed:
        listed.write(
            "  - theme: 6\n    variant: privat@2\n    field: questions[1]\n"
            '    published: "hvor meget svære kald"\n    data: "hvor meget svære opkald"\n'
            "    reason: the editor's wording\n"
        )
    load_library(editable.data)  # still valid
    assert _new(before, _published_text(editable)) == []


def test_a_stale_correction_is_reported_at_its_entry(editable):
    """TEMA 1's reference to TEMA 5 reworded: the correction of its misspelling
    ("perfomancekrav") no longer finds its text."""
    theme = next((editable.data / "themes").glob("01-*.yaml"))
    before = _published_text(editable)
    _edit(theme, '"Se tema {number} om {title_lower}"\n    theme: 5', '"Læs tema {number} om {title_lower}"\n    theme: 5')
    listed = editable.data / "corrections.yaml"
    data_line = listed.read_text(encoding="utf-8").splitlines().index('    data: "Se tema 5 om målinger og performancekrav"') + 1
    found = [d for d in _new(before, _published_text(editable)) if d.path == listed]
    assert len(found) == 1 and data_line - 5 <= found[0].line < data_line and "no longer in the data" in found[0].message, [d.one_line() for d in found]


# The web pages ------------------------------------------------------------------


@pytest.fixture(scope="module")
def web_pages(library, project, tmp_path_factory) -> dict[tuple[int | None, str], str]:
    """Every web page of every variant, by (theme number or None, variant)."""
    from onepagers.build import build
    from onepagers.plan import Selection

    report = build(project, Selection(everything=True, every_variant=True, profile="web"), tmp_path_factory.mktemp("web"), library=library)
    assert report.ok, [d.one_line() for d in report.diagnostics]
    return {(r.job.theme, r.job.variant): r.job.path.read_text(encoding="utf-8") for r in report.results}


def _segment(key: str, number: int) -> Segment:
    (source,) = [s for s in sources(Project(Path(__file__).resolve().parent.parent)) if s.path.name == SEED_FILES[key] and number in s.themes]
    return Segment(sheet_texts(source)[number])


@pytest.mark.parametrize(("key", "variant", "number"), SHEETS, ids=[f"web-{k}-{v}-tema{n}" for k, v, n in SHEETS])
def test_web_page_differs_from_the_published_text_where_the_data_does(library, project, web_pages, key, variant, number):
    """The web page's own text, not the data it was made from: what a reader of
    the page gets is the data's text, deviations and all."""
    _, listed = corrections(project, library)
    chain = _chain(library, variant)
    published = lambda t: undo(t, number, chain, listed)  # noqa: E731
    sections: dict[str, list[str]] = {}
    wording = []
    sheet = resolve(library, library.theme(number), variant)
    # A reference's words are its link, without the colon that announced the
    # address (written out from the data in test_pdf.reference_words); its
    # address is the link's title. Both read back as the data writes them.
    references = {reference_words(r, live_links=True)[0]: r.text for r in sheet.references}
    addresses = {shown_url(r.url): r.url for r in sheet.references if r.url}
    # Bold written back as **…**, as the data and the Markdown seed 004 write it.
    for section, text in webtext.blocks(web_pages[number, variant], bold="**", titles=True):
        assert section is not None, f"text outside every section of the sheet: {text!r}"
        if section == "wording":
            wording.append(text)
        else:
            text = references.get(text, text) if section == "references" else addresses.get(text, text) if section == "reference urls" else text
            sections.setdefault(section, []).append(text)
    # The band's series name is set in capitals by the stylesheet, as in print.
    wording = [w.upper() if i == 0 else w for i, w in enumerate(wording)]
    # "TEMA:" above the title repeats the band's "TEMA 6/10": the page, like
    # the PDF, leaves it out then (macros.html.j2); the data still says it.
    if sheet.theme_label.rstrip(":").strip() == sheet.number_label:
        assert sheet.theme_label not in wording
        wording.append(sheet.theme_label)
    assert set(sections) <= {"title", "lead", "actions", "questions", "cases", "findings", "references", "reference urls"}
    page = _segment(key, number)
    on_page = unmatched(page, sections, wording, published)
    data = _segment(key, number)
    in_data = unmatched(data, *sheet_sections(sheet), published)
    assert sorted(m[:2] for m in on_page) == sorted(m[:2] for m in in_data)
    assert page.residue(ignore="•\u2022-") == data.residue(ignore="•\u2022-")


def test_web_introduction_differs_where_the_data_does(library, project, web_pages):
    page = webtext.blocks(web_pages[None, "privat@2"], titles=True)
    intro = resolve_introduction(library, "privat@2")
    # A reference's words are its link (without a colon that announced the
    # address: test_pdf.reference_words); the link's title says the address,
    # its percent-escapes decoded (html.shown_url), as in the PDF's /Contents;
    # the link, and the data, keep it as published.
    refs = [r for block in intro.blocks if block.kind == "references" for r in block.references]
    addresses = {shown_url(r.url): r.url for r in refs if r.url}
    words = {reference_words(r, live_links=True)[0]: r.text for r in refs}
    texts = [addresses.get(t, t) if section == "reference urls" else words.get(t, t) for section, t in page if section in (None, "reference urls")]
    _, listed = corrections(project, library)
    published = lambda t: undo(t, "introduction", ["privat@2"], listed)  # noqa: E731
    segment = Segment(seed("003"))
    missing = unmatched(segment, {"text": texts}, [t for section, t in page if section == "wording"], published)
    in_data = [d for d in deviations(library, project) if d.path == library.introduction_source.path]
    assert len(missing) + len(segment.fragments(ignore="-")) == len(in_data), ([m[2] for m in missing], [d.one_line() for d in in_data])


def test_a_published_text_that_is_missing_is_one_clear_error(editable, cli):
    (editable.root / "tests" / "seeds" / SEED_FILES["002"]).unlink()
    result = cli("check", "--project", str(editable.root))
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = [line for line in result.output.splitlines() if "sources.yaml" in line]
    assert f"no published text {SEED_FILES['002']}" in line and ": error: " in line, result.output
