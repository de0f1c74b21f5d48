"""What the PDFs say and are: two A4 pages, every word of the data in order, only our fonts."""

from __future__ import annotations

import re

import pypdf
import pytest

from onepagers import fonts, inline
from onepagers.html import shown_url
from onepagers.variants import resolve, resolve_introduction

from conftest import page_texts

A4_PT = (595.28, 841.89)


def _squash(text: str) -> str:
    """Compare letters only: line breaks, hyphenation (- or U+2010) and spacing vary with layout."""
    return re.sub(r"[\s\-\u2010\u00ad]+", "", text)


# The scheme a reader does not type, and the colon at the end of a reference's
# words that announced its address: written out here from the data's shape,
# apart from the templates' rules (macros.html.j2), so that the tests check them.
_TYPED_SCHEME = re.compile(r"^(?:https?://|mailto:)", re.I)
_ANNOUNCING_COLON = re.compile(r"\s*:(\**)\s*$")


def reference_words(ref, live_links: bool) -> list[str]:
    """What a reference says on the page, from the data: its words (without a
    colon at their end when an address follows them: the link, or the address
    under them, does) and, on paper, the address as a reader types it (no
    scheme, no trailing slash). Where links are live the words are the link,
    and the address is the link's, not the page's text."""
    if not ref.url:
        return [ref.text]
    words = _ANNOUNCING_COLON.sub(r"\1", ref.text)
    if live_links and "](" not in ref.text:
        return [words]
    return [words, _TYPED_SCHEME.sub("", shown_url(ref.url)).rstrip("/")]


def _sheet_texts(library, result) -> list[str]:
    job = result.job
    live = job.profile.live_links
    if job.theme is None:
        intro = resolve_introduction(library, job.variant)
        return [intro.title, *_block_texts(intro.blocks, intro.theme_titles, live), intro.footer, intro.partnership]
    s = resolve(library, library.theme(job.theme), job.variant)
    h = s.headings
    # "TEMA:" above the title is left out where the band already says "TEMA n/N".
    label = [s.theme_label] if s.theme_label.rstrip(":").strip() != s.number_label else []
    return [
        *label, s.title, s.lead,
        h.actions, *s.actions,
        h.questions, *s.questions,
        h.findings, *s.findings,
        h.cases, *s.cases,
        *([h.references] if s.references else []),
        *(p for r in s.references for p in reference_words(r, live)),
        *(series_panel_texts(s, live) if prints_series_panel(s, job.path) else []),
        s.footer, s.partnership,
    ]


def _block_texts(blocks, theme_titles, live_links: bool) -> list[str]:
    """What blocks of the introduction say on the page, from the data, in order."""
    texts: list[str] = []
    for block in blocks:
        if block.kind == "themes":
            texts += theme_titles[block.themes]
        elif block.kind == "list":
            texts += block.list
        elif block.kind == "references":
            texts += [p for r in block.references for p in reference_words(r, live_links)]
        else:
            texts.append(getattr(block, block.kind))
    return texts


def series_panel_texts(sheet, live_links: bool) -> list[str]:
    """What the series panel (the introduction's section on a sheet's page 2,
    or the series' own list of themes, where it has room) says, from the
    data, in order."""
    return _block_texts(sheet.series_panel, sheet.theme_titles, live_links)


def prints_series_panel(sheet, pdf) -> bool:
    """Whether page 2 carries the series panel: its heading is there. The
    panel is then held to every word (the text tests), and a sheet without it
    to the room it left (test_layout_measures). The band at the page's top,
    which names the series, is not read: a series' own panel is headed by
    that name too."""
    if not sheet.series_panel:
        return False
    page_2 = _squash(page_texts(pdf)[-1])
    band = _squash(sheet.variant.series_name)
    assert page_2.casefold().startswith(band.casefold()), f"page 2 does not begin with its band: {page_2[:80]!r}"
    return _squash(inline.to_plain(sheet.series_panel[0].heading)) in page_2[len(band):]


def test_a_panel_missing_a_word_is_seen(library, built):
    """The panel's heading with a title of its list gone: the text test fails."""
    result = next(r for r in built if r.job.theme and prints_series_panel(resolve(library, library.theme(r.job.theme), r.job.variant), r.job.path))
    texts = _sheet_texts(library, result)
    sheet = resolve(library, library.theme(result.job.theme), result.job.variant)
    assert all(t in texts for t in series_panel_texts(sheet, result.job.profile.live_links))
    text = _squash("".join(page_texts(result.job.path)))
    title = _squash(sheet.theme_titles["privat"][5])
    assert title in text and _in_order(text.replace(title, "", 1), texts) is not None


def test_every_sheet_is_two_a4_pages(built):
    for result in built:
        reader = pypdf.PdfReader(result.job.path)
        expected = (1, 2) if result.job.theme is None else (2, 2)
        assert expected[0] <= len(reader.pages) <= expected[1], result.job.label
        for page in reader.pages:
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            assert abs(width - A4_PT[0]) < 0.5 and abs(height - A4_PT[1]) < 0.5, result.job.label


def _in_order(text: str, items: list[str]) -> str | None:
    """The first item not found in `text` after the one before it; None: all are."""
    position = 0
    for item in items:
        wanted = _squash(inline.to_plain(item))
        found = text.find(wanted, position)
        if found < 0:
            return f"not found after position {position}: {item!r}"
        position = found + len(wanted)
    return None


def test_pdf_text_holds_every_heading_and_item_in_order(library, built):
    for result in built:
        text = _squash("".join(page_texts(result.job.path)))
        missing = _in_order(text, _sheet_texts(library, result))
        assert missing is None, f"{result.job.label}: {missing}"


def test_band_names_series_and_theme_number_out_of_the_series_count(library, built):
    for result in built:
        if result.job.theme is None:
            continue
        sheet = resolve(library, library.theme(result.job.theme), result.job.variant)
        first_page = page_texts(result.job.path)[0]
        assert sheet.variant.series_name.upper() in first_page
        assert f"TEMA {sheet.number}/{sheet.variant.theme_count}" in first_page


def test_every_font_is_embedded_and_one_of_ours(project, built):
    for result in built:
        assert fonts.foreign_fonts(result.job.path.read_bytes(), project.fonts) == [], result.job.label


def test_a_system_fallback_font_is_caught(project):
    """The check above can fail: a PDF set in a system font (DejaVu) is reported."""
    import shutil
    import subprocess

    import weasyprint

    if not shutil.which("fc-list") or "DejaVu" not in subprocess.run(["fc-list"], capture_output=True, text=True).stdout:
        pytest.skip("no DejaVu system font to fall back to on this machine")

    pdf = weasyprint.HTML(string="<p style='font-family: DejaVu Sans'>Hej ☃</p>").write_pdf()
    assert fonts.foreign_fonts(pdf, project.fonts) != []


def test_the_build_refuses_a_sheet_set_in_a_system_font(sandbox, tmp_path):
    """The build's own check (the files WeasyPrint read the fonts from) fails the
    sheet, and writes nothing, when a stylesheet asks for a system font."""
    import shutil
    import subprocess

    from onepagers.build import Status, build
    from onepagers.plan import Selection

    if not shutil.which("fc-list") or "DejaVu" not in subprocess.run(["fc-list"], capture_output=True, text=True).stdout:
        pytest.skip("no DejaVu system font to fall back to on this machine")
    css = sandbox.templates / "sheet.css"
    css.write_text(css.read_text(encoding="utf-8") + "\nh1 { font-family: 'DejaVu Sans' !important; }\n", encoding="utf-8")
    report = build(sandbox, Selection(themes=(10,)), tmp_path / "out")
    [result] = report.results
    assert result.status is Status.FAILED
    assert result.problems and all(d.message.startswith("uses a font that is not in fonts/: ") for d in result.problems)
    assert any("DejaVu" in d.message for d in result.problems), result.problems
    assert not list((tmp_path / "out").rglob("*.pdf"))


def test_every_variant_builds_every_defined_combination_and_nothing_else(library, built):
    names = {(r.job.theme, r.job.variant) for r in built}
    expected = {(n, v) for n in range(1, 11) for v in ("privat@1", "privat@2")}
    expected |= {(6, "offentlig@2"), (None, "privat@1"), (None, "privat@2")}
    assert names == expected
    paths = [r.job.path for r in built]
    assert len(set(paths)) == len(paths)
    for r in built:
        assert r.job.path.parent.name == r.job.variant.replace("@", "-")
        assert r.job.path.stem.endswith(r.job.variant.replace("@", "-"))


def test_pdf_metadata_names_the_variant(library, built):
    for r in built:
        meta = pypdf.PdfReader(r.job.path).metadata
        label = library.series.variants[r.job.variant].label
        assert label in meta.title, meta.title


def test_a_percent_encoded_address_is_shown_decoded(library, built):
    """In the screen PDF the reference's words are the link: its address is
    what the link says (/Contents), decoded; where it goes (/URI) keeps the escape."""
    (intro,) = [r for r in built if r.job.theme is None and r.job.variant == "privat@2"]
    links = [a.get_object() for page in pypdf.PdfReader(intro.job.path).pages for a in page.get("/Annots", [])]
    said = {str(a["/Contents"]) for a in links if "portalfiles" in str(a["/A"]["/URI"])}
    assert said and all("%C3%A5" not in s and "Sådan+gik+det.pdf" in s for s in said), said
    intro_data = resolve_introduction(library, "privat@2")
    written = {r.url for b in intro_data.blocks if b.kind == "references" for r in b.references if r.url and "portalfiles" in r.url}
    assert {str(a["/A"]["/URI"]) for a in links if "portalfiles" in str(a["/A"]["/URI"])} == written


def _renderer_and_sheet(library, project, tmp_path):
    from onepagers.html import html_for
    from onepagers.pdf import Renderer
    from onepagers.plan import Selection, plan

    job = plan(library, tmp_path, Selection(themes=(10,)))[0]
    return Renderer(project, job.profile, library.series.language), job, html_for(library, project, job)


def test_a_renderer_whose_font_copies_were_removed_sets_the_sheet_in_its_fonts_again(library, project, tmp_path):
    """WeasyPrint reads each font from its own copy in /tmp/weasyprint-*, opened
    when a sheet first uses it: copies removed between sheets (a cleaner of /tmp)
    must not give an empty font, nor a TypeError from the fonts' check."""
    import shutil

    from onepagers import verify

    renderer, job, html = _renderer_and_sheet(library, project, tmp_path)
    try:
        shutil.rmtree(renderer.fonts._folder)  # made with the renderer, not yet opened by Pango
        rendered = renderer.render(html)
    finally:
        renderer.close()
    assert verify.layout(project, job, rendered, {"": (project.data, 0, 0)}) == []
    assert rendered.fonts and verify.embedded_fonts(rendered.fonts, project, job.name) == []


def test_a_font_that_cannot_be_read_back_is_one_clear_error(library, project, tmp_path, monkeypatch):
    """Removed while a sheet is laid out (after the renderer looked): the sheet is
    not written and the message names the font and says what to do."""
    import shutil

    from onepagers.environment import EnvironmentProblem

    renderer, job, html = _renderer_and_sheet(library, project, tmp_path)
    monkeypatch.setattr(renderer, "_font_copies_in_place", lambda: True, raising=False)  # gone after it looked
    folder = renderer.fonts._folder
    try:
        shutil.rmtree(folder)
        with pytest.raises(EnvironmentProblem) as caught:
            renderer.render(html)
    finally:
        renderer.close()
    message = str(caught.value)
    assert "\n" not in message and "Onepagers Lato" in message and str(folder) in message and "build again" in message


def test_every_sheet_and_the_introduction_say_who_publishes_them_and_which_edition(built, library):
    """The colophon line: on a theme sheet's page 2 above the band, in the
    introduction's band (its text fills its page)."""
    for result in built:
        text = " ".join(page_texts(result.job.path))
        line = f"{library.series.wording.publisher} · {library.series.variants[result.job.variant].label}"
        assert line in text, (result.job.name, line)
