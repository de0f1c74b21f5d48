"""A reference reads as a designer sets it: where links are live (screen PDF,
web page) its words are the link and the link says where it goes (/Contents,
title); on paper (print) the address follows the words as a reader types it.

The expectations come from the data (tests/test_pdf.py's `reference_words`
writes the rules out apart from the templates), never from the output."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pymupdf
import pytest

import webtext
from onepagers import html, inline
from onepagers.build import build
from onepagers.html import html_for
from onepagers.plan import Selection, plan
from onepagers.variants import resolve, resolve_introduction
from test_hostile import _edit_theme
from test_pdf import _squash, reference_words


def _references(library, job) -> list:
    if job.theme is None:
        intro = resolve_introduction(library, job.variant)
        return [r for block in intro.blocks if block.kind == "references" for r in block.references]
    return list(resolve(library, library.theme(job.theme), job.variant).references)


def _linked(library, job) -> list:
    """The references whose words can be their link: an address, and no link of their own."""
    return [r for r in _references(library, job) if r.url and "](" not in r.text]


def _links(path: Path) -> list[tuple[int, pymupdf.Rect, str, str]]:
    """(page, rectangle, URI, /Contents) of every link annotation."""
    found = []
    with pymupdf.open(path) as document:
        for number, page in enumerate(document):
            for link in page.get_links():
                kind, contents = document.xref_get_key(link["xref"], "Contents")
                found.append((number, link["from"], link.get("uri", ""), contents if kind == "string" else ""))
    return found


def _text_under(path: Path, page: int, rectangles: list[pymupdf.Rect]) -> str:
    """The words the rectangles cover; one inside another (WeasyPrint gives a
    box inside a link an annotation of its own) counted once."""
    outer = [r for r in rectangles if not any(o != r and o.contains(r) for o in rectangles)]
    with pymupdf.open(path) as document:
        return " ".join(document[page].get_textbox(r) for r in outer)


@pytest.fixture(scope="module")
def print_sheets(print_built) -> list:
    """Every sheet of every variant in print (conftest's session build)."""
    return print_built


@pytest.fixture(scope="module")
def web_pages(library, project, tmp_path_factory) -> list:
    report = build(project, Selection(everything=True, every_variant=True, profile="web"), tmp_path_factory.mktemp("web"), library=library)
    assert report.ok, [d.one_line() for d in report.diagnostics]
    return report.results


# Screen PDF -----------------------------------------------------------------------


def test_in_the_screen_pdf_a_reference_s_words_are_its_link_and_contents_says_the_address(library, built):
    checked = 0
    for result in built:
        path, links = result.job.path, _links(result.job.path)
        for ref in _linked(library, result.job):
            mine = [(page, rect, contents) for page, rect, uri, contents in links if uri == inline.href(ref.url)]
            assert mine, f"{path.name}: no link to {ref.url}"
            (words,) = reference_words(ref, live_links=True)
            pages = {page for page, _, _ in mine}
            under = "".join(_text_under(path, page, [r for p, r, _ in mine if p == page]) for page in sorted(pages))
            assert _squash(under) == _squash(inline.to_plain(words)), (path.name, under, words)
            # Where it goes, as a reader reads it: the address, its escaped letters decoded.
            assert {contents for _, _, contents in mine} == {unquote(ref.url)}, (path.name, ref.url)
            checked += 1
    assert checked >= 10  # the data's references with addresses, in every variant


def test_the_screen_pdf_holds_every_address_of_the_data_and_shows_none_as_text(library, built):
    for result in built:
        addresses = {contents for _, _, _, contents in _links(result.job.path)}
        with pymupdf.open(result.job.path) as document:
            text = _squash(" ".join(page.get_text() for page in document))
        for ref in _linked(library, result.job):
            assert unquote(ref.url) in addresses, (result.job.path.name, ref.url)
            host = re.sub(r"^https?://", "", ref.url).split("/")[0]
            assert _squash(host + "/") not in text, (result.job.path.name, host)


def test_the_introduction_s_reference_reads_its_escaped_letters_in_contents(built):
    (intro,) = [r for r in built if r.job.theme is None and r.job.variant == "privat@2"]
    (contents,) = {c for _, _, uri, c in _links(intro.job.path) if "portalfiles" in uri}
    assert "Sådan+gik+det.pdf" in contents and "%C3%A5" not in contents and contents.startswith("https://")


# Print ----------------------------------------------------------------------------


def test_in_print_the_address_follows_the_words_as_a_reader_types_it(library, print_sheets):
    checked = 0
    for result in print_sheets:
        with pymupdf.open(result.job.path) as document:
            assert all(not list(page.get_links()) for page in document)  # paper: nothing to click
            text = " ".join(page.get_text() for page in document)
        assert "https://" not in text and "http://" not in text, result.job.path.name
        squashed = _squash(text)
        for ref in [r for r in _references(library, result.job) if r.url]:
            words, address = reference_words(ref, live_links=False)
            # Right after the words, with no "https://" and no "/" at its end.
            assert _squash(inline.to_plain(words)) + _squash(address) in squashed, (result.job.path.name, words, address)
            assert not address.endswith("/") and "://" not in address
            checked += 1
    assert checked >= 8


# Web page -------------------------------------------------------------------------


class _Anchors(webtext._Blocks):
    """Every link of a page: (href, title, its text)."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[tuple[str, str | None, str]] = []
        self._open: list[list] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            a = dict(attrs)
            self._open.append([a.get("href", ""), a.get("title"), []])
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "a" and self._open:
            href, title, text = self._open.pop()
            self.anchors.append((href, title, " ".join("".join(text).split())))
        super().handle_endtag(tag)

    def handle_data(self, data):
        for anchor in self._open:
            anchor[2].append(data)
        super().handle_data(data)


def test_on_the_web_page_the_link_s_text_is_the_reference_s_words_and_its_title_the_address(library, web_pages):
    checked = 0
    for result in web_pages:
        parser = _Anchors()
        parser.feed(result.job.path.read_text(encoding="utf-8"))
        parser.close()
        for ref in _linked(library, result.job):
            (words,) = reference_words(ref, live_links=True)
            mine = [(title, text) for href, title, text in parser.anchors if href == inline.href(ref.url)]
            assert mine == [(unquote(ref.url), " ".join(inline.to_plain(words).split()))], (result.job.path.name, mine)
            checked += 1
    assert checked >= 10


# The rules, on data made for them ---------------------------------------------------


@pytest.mark.parametrize(
    ("url", "typed"),
    [
        ("https://sammenomtrivsel.nu/temaer/indflydelse-pa-arbejdet2/", "sammenomtrivsel.nu/temaer/indflydelse-pa-arbejdet2"),
        ("http://www.kropogkontor.dk/", "www.kropogkontor.dk"),
        ("HTTPS://bfakontor.dk/vejledninger/stress?side=2#tips", "bfakontor.dk/vejledninger/stress?side=2#tips"),
        ("mailto:info@bfakontor.dk", "info@bfakontor.dk"),
        ("https://x.dk/S%C3%A5dan+gik+det.pdf", "x.dk/Sådan+gik+det.pdf"),
        ("https://x.dk/%E2%80%AEfdp.pdf", "x.dk/%E2%80%AEfdp.pdf"),  # a bidi character stays encoded
    ],
)
def test_an_address_on_paper_has_no_scheme_and_no_trailing_slash(url, typed):
    assert inline.on_paper(url) == typed


@pytest.mark.parametrize(
    ("text", "url", "shown"),
    [
        ("Indflydelse:", "https://x.dk", "Indflydelse"),
        ("BFA Kontor vejledning: Konflikthåndtering:", "https://x.dk", "BFA Kontor vejledning: Konflikthåndtering"),
        ("**Indflydelse:**", "https://x.dk", "**Indflydelse**"),
        ("Indflydelse :", "https://x.dk", "Indflydelse"),
        ("Konflikter med kunder:", None, "Konflikter med kunder:"),  # no address follows: the data's words
        (":", "https://x.dk", ":"),  # never emptied
        ("Tag hånd om stressen", "https://x.dk", "Tag hånd om stressen"),
    ],
)
def test_only_the_colon_that_announced_an_address_goes(text, url, shown):
    assert html.reference_title(text, url) == shown


def test_a_link_in_running_text_says_its_address_on_paper_once(sandbox, tmp_path):
    wiki = "https://da.wikipedia.org/wiki/Stress_(psykologi)"
    _edit_theme(
        sandbox.root, 4,
        cases=[f"Læs om [stress]({wiki}) og se [kropogkontor.dk](https://www.kropogkontor.dk/) for mere."],
        references=[{"text": "Se [vejledningen](https://bfakontor.dk/vejledninger/stress) her:", "url": "https://bfakontor.dk/"}],
    )
    from onepagers.library import load_library

    edited = load_library(sandbox.data)
    screen, printed = (plan(edited, tmp_path, Selection(themes=(4,), profile=p))[0] for p in ("screen", "print"))
    on_paper = webtext.text(html_for(edited, sandbox, printed))
    assert "Læs om stress (da.wikipedia.org/wiki/Stress_(psykologi)) og se kropogkontor.dk for mere." in on_paper
    # A reference whose words hold a link keeps it; its address follows, as typed.
    assert "Se vejledningen (bfakontor.dk/vejledninger/stress) her" in on_paper and "\nbfakontor.dk\n" in on_paper + "\n"
    live = html_for(edited, sandbox, screen)
    assert f'<a href="{wiki}" title="{wiki}">stress</a>' in live
    assert "(da.wikipedia.org" not in live
    assert not re.search(r"<a [^>]*>[^<]*<a ", live)  # no link inside a link
    assert html.has_links("Se [x](https://x.dk)") and not html.has_links("Se x")
