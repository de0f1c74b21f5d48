"""The data says what the published sheets say, word for word, except where listed.

Each sheet's resolved text is looked up in its seed (the published text), in
order, with every correction from data/corrections.yaml reversed; then the
series wording is looked up too, and nothing of the seed may be left over.
"""

from __future__ import annotations

import pytest

from onepagers.html import shown_url
from onepagers.variants import _chain, resolve, resolve_introduction

import webtext
from seedtext import Segment, seed, theme_segments

SHEETS = [("001", "privat@1", n) for n in range(1, 11)] + [
    ("000", "privat@2", 1),
    ("002", "privat@2", 6),
    ("004", "offentlig@2", 6),
]


def _published(text: str, number: int, chain: list[str], corrections: list[dict]) -> str:
    for c in corrections:
        mine = c["variant"] == chain[-1] if c.get("only") else c["variant"] in chain
        if c["theme"] in (number, None) and mine and c["data"]:  # None: the series' wording
            text = text.replace(c["data"], c["published"])
    return text


def _segment(key: str, number: int) -> Segment:
    text = seed(key)
    return Segment(theme_segments(text)[number - 1] if key == "001" else text)


def _unmatched(segment: Segment, sections: dict[str, list[str]], wording: list[str], published) -> list[str]:
    """Take each section's items from the seed in order, then the wording in any
    order; what of `sections` the seed lacks (or has out of order)."""
    missing = []
    for section, items in sections.items():
        position = 0
        for index, item in enumerate(items, start=1):
            found = segment.take(published(item), position)
            if found is None:
                missing.append(f"{section}[{index}]: {item}")
            else:
                position = found
    # What every sheet of the variant says: absent from the Markdown draft 004,
    # but where the seed has it, it must be this variant's wording.
    for text in wording:
        while segment.take(published(text)) is not None:  # TEMA 10 of 001 has a second, pasted "Hvad kan I gøre?"
            pass
    return missing


def _check_sheet(library, corrections, key: str, variant: str, number: int, sections: dict[str, list[str]], wording: list[str]) -> None:
    chain = _chain(library, variant)
    segment = _segment(key, number)
    missing = _unmatched(segment, sections, wording, lambda item: _published(item, number, chain, corrections))
    assert not missing, "not in the seed (or out of order):\n" + "\n".join(missing)
    for c in corrections:
        if c["theme"] == number and c["variant"] in chain and not c["data"]:
            assert segment.take(c["published"]) is not None, f"listed omission not in the seed: {c['published']}"
    assert segment.residue(ignore="•-") == "", "in the seed but not in the data"


@pytest.mark.parametrize(("key", "variant", "number"), SHEETS, ids=[f"{k}-{v}-tema{n}" for k, v, n in SHEETS])
def test_sheet_text_is_the_published_text(library, corrections, key, variant, number):
    sheet = resolve(library, library.theme(number), variant)
    sections = {
        "title": [sheet.title],
        "lead": [sheet.lead],
        "actions": sheet.actions,
        "questions": sheet.questions,
        "cases": sheet.cases,
        "findings": sheet.findings,
        "references": [r.text for r in sheet.references],
        # Some seeds list the addresses after all the texts: a sequence of their own.
        "reference urls": [r.url for r in sheet.references if r.url],
    }
    wording = [
        sheet.variant.series_name.upper(),
        f"{sheet.number_label} {number}/{sheet.variant.theme_count}",
        sheet.theme_label,
        *sheet.headings.model_dump().values(),
        sheet.footer,
        sheet.partnership,
    ]
    _check_sheet(library, corrections, key, variant, number, sections, wording)


@pytest.fixture(scope="module")
def web_pages(library, project, tmp_path_factory) -> dict[tuple[int | None, str], str]:
    """Every web page of every variant, by (theme number or None, variant)."""
    from onepagers.build import build
    from onepagers.plan import Selection

    report = build(project, Selection(everything=True, every_variant=True, profile="web"), tmp_path_factory.mktemp("web"), library=library)
    assert report.ok, [d.one_line() for d in report.diagnostics]
    return {(r.job.theme, r.job.variant): r.job.path.read_text(encoding="utf-8") for r in report.results}


@pytest.mark.parametrize(("key", "variant", "number"), SHEETS, ids=[f"web-{k}-{v}-tema{n}" for k, v, n in SHEETS])
def test_web_page_text_is_the_published_text(library, corrections, web_pages, key, variant, number):
    """The web page's own text, not the data it was made from: what a reader of
    the page gets is the published text, with the same listed corrections."""
    sections: dict[str, list[str]] = {}
    wording = []
    # Bold written back as **…**, as the data and the Markdown seed 004 write it.
    for section, text in webtext.blocks(web_pages[number, variant], bold="**"):
        assert section is not None, f"text outside every section of the sheet: {text!r}"
        if section == "wording":
            wording.append(text)
        else:
            sections.setdefault(section, []).append(text)
    # The band's series name is set in capitals by the stylesheet, as in print.
    wording = [w.upper() if i == 0 else w for i, w in enumerate(wording)]
    if number is not None:
        # "TEMA:" above the title repeats the band's "TEMA 6/10": the page, like
        # the PDF, leaves it out then (macros.html.j2); the data still says it.
        sheet = resolve(library, library.theme(number), variant)
        if sheet.theme_label.rstrip(":").strip() == sheet.number_label:
            assert sheet.theme_label not in wording
            wording.append(sheet.theme_label)
    assert set(sections) <= {"title", "lead", "actions", "questions", "cases", "findings", "references", "reference urls"}
    _check_sheet(library, corrections, key, variant, number, sections, wording)


def _check_introduction(texts: list[str], wording: list[str] = (), corrections: list[dict] = ()) -> None:
    segment = Segment(seed("003"))
    missing = _unmatched(segment, {"text": texts}, wording, lambda text: _published(text, "introduction", ["privat@2"], list(corrections)))
    assert not missing, missing
    assert segment.residue(ignore="-") == ""


def test_introduction_is_the_published_text(library, corrections):
    intro = resolve_introduction(library, "privat@2")
    texts = [intro.title]
    for block in intro.blocks:
        if block.kind == "themes":
            texts += intro.theme_titles[block.themes]
        elif block.kind in ("list",):
            texts += block.list
        elif block.kind == "references":
            texts += [part for r in block.references for part in (r.text, r.url) if part]
        else:
            texts.append(getattr(block, block.kind))
    _check_introduction(texts, corrections=corrections)


def test_web_introduction_is_the_published_text(library, web_pages, corrections):
    page = webtext.blocks(web_pages[None, "privat@2"])
    # An address is shown with its percent-escapes decoded (html.shown_url), as
    # in the PDF; the link, and the data, keep it as published.
    intro = resolve_introduction(library, "privat@2")
    addresses = {shown_url(r.url): r.url for block in intro.blocks if block.kind == "references" for r in block.references if r.url}
    texts = [addresses.get(t, t) if section == "reference urls" else t for section, t in page if section in (None, "reference urls")]
    _check_introduction(texts, [t for section, t in page if section == "wording"], corrections)


def test_every_correction_is_applied_somewhere(library, corrections):
    """A listed correction whose `data` the data no longer says is stale."""
    for c in corrections:
        if not c["data"]:
            continue
        if c["theme"] == "introduction":
            intro = resolve_introduction(library, c["variant"])
            assert any(c["data"] in str(getattr(block, block.kind)) for block in intro.blocks), c
            continue
        numbers = [c["theme"]] if c["theme"] is not None else [tf.theme.number for tf in library.themes]
        sheets = [resolve(library, library.theme(n), c["variant"]) for n in numbers]
        everything = " ".join(
            text
            for sheet in sheets
            for text in [sheet.lead, *sheet.actions, *sheet.questions, *sheet.cases, *sheet.findings, *(r.text for r in sheet.references), *sheet.headings.model_dump().values()]
        )
        assert c["data"] in everything, c
