"""The web profile: one page per sheet and variant, the PDF's words in the PDF's
order, semantic and accessible, nothing loaded from outside the output folder;
and the accessibility report that lists every document with its checks.

The browser checks (axe-core in headless Chromium, requests, 320 px, 200 %
text, keyboard) run once over the whole folder through `onepagers
accessibility`; each check is also shown failing on a page made bad on purpose.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markupsafe import escape

import webtext
from onepagers import inline, web
from onepagers.accessibility import browser_unavailable, check_pages, documents
from onepagers.build import build
from onepagers.plan import Selection, plan, theme_job
from onepagers.project import Project
from onepagers.variants import resolve, resolve_introduction, title_in, variants_of
from test_pdf import prints_series_panel, series_panel_texts
from test_bad_input import run_cli
from test_hostile import HTML_IN_TEXT, _edit_theme

from conftest import copy_project, page_texts


@pytest.fixture(scope="module")
def site(library, project, built, tmp_path_factory) -> Path:
    """The screen PDFs of every sheet (copied from the session's build), TEMA 6's
    print PDF, and the web pages written by the command line, as a user would."""
    out = tmp_path_factory.mktemp("site") / "out"
    shutil.copytree(built[0].job.out, out)
    assert build(project, Selection(themes=(6,), profile="print"), out, library=library).ok
    result = run_cli("build", "--all", "--every-variant", "--profile", "web", "--out", str(out), cwd=project.root)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def web_jobs(library, site):
    return plan(library, site, Selection(everything=True, every_variant=True, profile="web"))


def _squash(text: str) -> str:
    """Letters only, in one case: line breaks, hyphenation and text-transform vary with the medium."""
    return re.sub(r"[\s\-\u2010\u00ad]+", "", text).casefold()


def test_build_profile_web_writes_one_page_per_sheet_and_prints_each_path(site, web_jobs, project):
    result = run_cli("build", "--all", "--every-variant", "--profile", "web", "--out", str(site), cwd=project.root)
    assert result.returncode == 0, result.stderr
    printed = [Path(line) for line in result.stdout.splitlines()]
    assert printed == [j.path for j in web_jobs]
    assert all(p.suffix == ".html" and p.is_file() for p in printed)
    assert "Nothing changed" in result.stderr  # the fixture built them: nothing is written again


def test_selection_options_work_for_the_web_profile(project, tmp_path):
    result = run_cli("build", "--theme", "6", "--sector", "offentlig", "--profile", "web", "--out", str(tmp_path), cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("offentlig-2/tema-06-svaere-kald-offentlig-2.html")
    result = run_cli("build", "--theme", "6", "--edition", "1", "--profile", "web", "--out", str(tmp_path), cwd=project.root)
    assert result.stdout.strip().endswith("privat-1/tema-06-svaere-kald-privat-1.html")


def _pdf_words(library, project, pdf: Path, number: int | None, variant: str) -> str:
    """The PDF's text with what only print repeats or draws taken out: the band
    again at the top of page 2 and page 1's footer line (pagination artifacts
    in the PDF), the pull quotes (a sentence of the cases set large to fill a
    short page; the web page has no page to fill), and the numbers of the
    numbered lists (drawn by the layout, extracted apart from their items; on
    the web an <ol> numbers)."""
    pages = list(page_texts(pdf))
    if number is None:
        intro = resolve_introduction(library, variant)
        markers = [f"{i}." for block in intro.blocks if block.kind == "themes" for i in range(1, len(intro.theme_titles[block.themes]) + 1)]
        band, first, second = "", [], []
    else:
        sheet = resolve(library, library.theme(number), variant)
        markers = [str(i) for i in range(1, len(sheet.actions) + 1)]
        band = _squash(sheet.variant.series_name) + _squash(f"{sheet.number_label} {number}/{sheet.variant.theme_count}")
        first = [inline.to_plain(sheet.footer)]
        second = [inline.to_plain(sheet.quote)] if sheet.quote else []
        if prints_series_panel(sheet, pdf):  # the series panel: print's, for a page 2 with room
            panel = series_panel_texts(sheet, live_links=True)  # the screen PDF's
            second.append("".join(inline.to_plain(t) for t in panel))
            numbers = [f"{i}." for i in range(1, len(sheet.theme_titles[sheet.variant.sector]) + 1)]
            lines_2 = [line.strip() for line in pages[1].split("\n")]
            for number in numbers:
                lines_2.remove(number)
            pages[1] = "\n".join(lines_2)
    lines = [line.strip() for line in pages[0].split("\n")]
    for marker in markers:
        lines.remove(marker)
    page_1 = _squash("\n".join(lines))
    for repeated in map(_squash, first):  # page 1 has no cases: the one occurrence is the repetition
        assert repeated in page_1, repeated
        page_1 = page_1.replace(repeated, "", 1)
    rest = _squash("".join(pages[1:]))
    assert rest.startswith(band), "page 2 does not start with the band"
    rest = rest[len(band):]
    for repeated in map(_squash, second):  # after the cases it repeats
        at = rest.rindex(repeated)
        rest = rest[:at] + rest[at + len(repeated):]
    return page_1 + rest


def test_web_text_is_the_pdf_text_word_for_word(library, project, site, web_jobs):
    for job in web_jobs:
        pdf = job.path.with_suffix(".pdf")
        page = webtext.text(job.path.read_text(encoding="utf-8"))
        assert _squash(page) == _pdf_words(library, project, pdf, job.theme, job.variant), job.name


def test_the_comparison_sees_a_missing_word(library, project, site, web_jobs):
    job = next(j for j in web_jobs if j.theme == 6)
    page = webtext.text(job.path.read_text(encoding="utf-8")).replace("truende", "", 1)
    assert _squash(page) != _pdf_words(library, project, job.path.with_suffix(".pdf"), job.theme, job.variant)


class _Outline(webtext._Blocks):
    """Headings, links and loads of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.links: list[tuple[str, bool]] = []  # href, in the navigation
        self.loads: list[str] = []
        self.items: list[str | None] = []  # the section of each list item
        self.lang: str | None = None
        self._heading: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = []
        if tag == "li":
            self.items.append(self._state()[0])
        if tag == "a":
            self.links.append((a["href"], self._state()[1] or "data-web-only" in a))
        for attr in ("src", "srcset", "data", "poster"):
            if attr in a:
                self.loads.append(a[attr])
        if tag == "link":
            self.loads.append(a.get("href", ""))
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append((int(tag[1]), " ".join("".join(self._heading).split())))
            self._heading = None
        super().handle_endtag(tag)

    def handle_data(self, data):
        if self._heading is not None:
            self._heading.append(data)
        super().handle_data(data)


def _outline(path: Path) -> _Outline:
    parser = _Outline()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_pages_are_semantic(library, site, web_jobs):
    for job in web_jobs:
        page = _outline(job.path)
        assert page.lang == library.series.language, job.name
        levels = [level for level, _ in page.headings]
        assert levels.count(1) == 1 and levels[0] == 1, f"{job.name}: one h1, first"
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), f"{job.name}: a heading level skipped: {levels}"
        if job.theme is None:
            continue
        sheet = resolve(library, library.theme(job.theme), job.variant)
        h = sheet.headings
        expected = [h.actions, h.questions, h.findings, h.cases] + ([h.references] if sheet.references else [])
        # Then the series' sheets (the navigation after the content), where it has others.
        navigation = [SERIES_HEADING] if _series_navigation(job.path) else []
        assert page.headings == [(1, inline.to_plain(sheet.title))] + [(2, t) for t in [*expected, *navigation]], job.name
        items = {section: page.items.count(section) for section in ("actions", "questions", "findings", "references")}
        assert items == {s: len(getattr(sheet, s)) for s in items}, f"{job.name}: every item a list item"


def test_links_are_live_with_their_addresses_and_nothing_loads_from_outside(library, site, web_jobs):
    for job in web_jobs:
        page = _outline(job.path)
        content = {href for href, nav in page.links if not nav}
        local = {h for h in content if not urlsplit(h).scheme}
        assert all(urlsplit(h).scheme in inline.LINK_SCHEMES for h in content - local), job.name
        assert all((job.path.parent / unquote(h)).is_file() for h in local), f"{job.name}: dead link in {local}"
        if job.theme is None:  # the list of themes links each theme's page
            themes = [j for j in web_jobs if j.variant == job.variant and j.theme is not None]
            assert local == {j.path.name for j in themes}, job.name
        else:
            assert not local, job.name
        if job.theme is not None:
            sheet = resolve(library, library.theme(job.theme), job.variant)
            assert {r.url for r in sheet.references if r.url} <= content, job.name
        for href, nav in page.links:
            if nav and not href.startswith("#"):
                assert not urlsplit(href).scheme, f"{job.name}: navigation leaves the folder: {href}"
                assert (job.path.parent / unquote(href)).resolve().is_file(), f"{job.name}: dead link {href}"
        assert page.loads == [], f"{job.name}: loads {page.loads}"
        css_urls = re.findall(r"url\(\"?([^\")]+)", job.path.read_text(encoding="utf-8"))
        for url in css_urls:
            target = (job.path.parent / url).resolve()
            assert target.is_file() and site.resolve() in target.parents, f"{job.name}: {url}"


def test_a_page_links_the_gallery_and_the_pdfs_of_its_sheet_where_built(site):
    page = site / "privat-2" / "tema-06-svaere-kald-privat-2.html"
    navigation = [href for href, nav in _outline(page).links if nav]
    assert navigation[:5] == ["#indhold", "../index.html", "tema-06-svaere-kald-privat-2.pdf", "tema-06-svaere-kald-privat-2-print.pdf",
                              "introduktion-privat-2.html"]  # then the series (test_a_theme_page_links_every_sheet_of_its_series)
    other = [href for href, nav in _outline(site / "privat-1" / "tema-06-svaere-kald-privat-1.html").links if nav]
    assert other[:4] == ["#indhold", "../index.html", "tema-06-svaere-kald-privat-1.pdf", "introduktion-privat-1.html"], "no print PDF was built for privat@1"


SERIES_HEADING = "Alle ark i serien"


def _series_navigation(page: Path) -> list[tuple[str, str, str | None, bool]]:
    """The series navigation of a page: (number, words, href, this page) of each entry."""
    nav = re.search(r'<nav class="series".*?</nav>', page.read_text(encoding="utf-8"), re.S)
    if not nav:
        return []
    entries = re.findall(r'<(li value="(\d+)"|p)>(.*?)</(?:li|p)>', nav[0], re.S)
    found = []
    for _, number, inner in entries:
        link = re.search(r'<a href="([^"]+)"( aria-current="page")?>(.*?)</a>', inner, re.S)
        words = webtext.text(inner).strip()
        found.append((number, words, link[1] if link else None, bool(link and link[2])))
    return found


def test_a_theme_page_links_every_sheet_of_its_series(library, site, web_jobs):
    """A reader of one sheet's page reaches the others, as the PDF's series
    panel names them: the introduction, then each theme of the variant by
    its number and title, linked where its page is built (also those written
    after the page), this page marked as the current one. A variant of one
    sheet and no introduction has nothing to list."""
    for job in (j for j in web_jobs if j.theme is not None):
        entries = _series_navigation(job.path)
        themes = [tf for tf in library.themes if job.variant in variants_of(library, tf)]
        intro = [j for j in web_jobs if j.theme is None and j.variant == job.variant]
        if not intro and len(themes) == 1:
            assert entries == [], f"{job.name}: a navigation to itself only"
            continue
        title = resolve_introduction(library, job.variant).title if intro else ""
        expected = [("", inline.to_plain(title), os.path.relpath(intro[0].path, job.path.parent), False)] if intro else []
        for tf in themes:
            current = tf.theme.number == job.theme
            page = theme_job(library, site, tf.theme.number, job.variant, job.profile).path
            expected.append((str(tf.theme.number), inline.to_plain(title_in(library, tf, job.variant)), "#indhold" if current else os.path.relpath(page, job.path.parent), current))
        assert entries == expected, job.name
    # The public series: one sheet, no introduction, no navigation to itself.
    public = site / "offentlig-2" / "tema-06-svaere-kald-offentlig-2.html"
    assert public.is_file() and _series_navigation(public) == [] and SERIES_HEADING not in public.read_text(encoding="utf-8")


def test_the_series_navigation_names_a_sheet_not_built_without_a_link(library, project, tmp_path):
    """Where a sibling's page is not in the folder, its title stands unlinked: no dead link."""
    assert build(project, Selection(themes=(6,), profile="web"), tmp_path, library=library).ok
    entries = _series_navigation(tmp_path / "privat-2" / "tema-06-svaere-kald-privat-2.html")
    assert [(number, href) for number, _, href, _ in entries if href] == [("6", "#indhold")]
    assert len(entries) == 11  # the introduction and the ten themes, named


def test_the_fonts_travel_with_the_pages(project, site):
    for name in web.FONT_FILES:
        assert (site / web.FONT_FOLDER / name).read_bytes() == (project.fonts / name).read_bytes()


def test_html_in_the_data_is_text_on_the_web_page(project, tmp_path):
    copy_project(project, tmp_path)
    # HTML itself is refused at its line (test_hostile); what the inline rules
    # make of a text with < & > is still escaped text.
    _edit_theme(tmp_path, 4, cases=["Under 5 < 7 & over 9 > 3"], lead="Til jer, der vil **se fed tekst** og [et link](https://example.invalid/x)")
    result = run_cli("build", "--theme", "4", "--profile", "web", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = Path(tmp_path, result.stdout.strip()).read_text(encoding="utf-8")
    assert "Under 5 < 7 & over 9 > 3" in webtext.text(page) and "Under 5 &lt; 7 &amp; over 9 &gt; 3" in page
    for snippet in HTML_IN_TEXT:
        assert str(inline.to_html(snippet)) == str(escape(snippet)), snippet
    tags = webtext.tags(page)
    assert "script" not in tags and "img" not in tags and tags.count("style") == 1
    # A link in running text is its words; its title says where it goes.
    assert "<strong>se fed tekst</strong>" in page and '<a href="https://example.invalid/x" title="https://example.invalid/x">et link</a>' in page


def test_language_comes_from_the_data(project, tmp_path):
    copy_project(project, tmp_path)
    series = tmp_path / "data" / "series.yaml"
    series.write_text(series.read_text(encoding="utf-8").replace("language: da", "language: nb"), encoding="utf-8")
    result = run_cli("build", "--theme", "6", "--profile", "web", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '<html lang="nb">' in Path(tmp_path, result.stdout.strip()).read_text(encoding="utf-8")


def test_a_booklet_cannot_be_a_web_page(project, tmp_path):
    result = run_cli("booklet", "--profile", "web", "--out", str(tmp_path), cwd=project.root)
    assert result.returncode == 2 and "booklet is a PDF" in result.stderr


# ------------------------------------------------------------ in the browser

ROOT = Path(__file__).resolve().parent.parent
needs_browser = pytest.mark.skipif(
    browser_unavailable(Project(ROOT)) is not None,
    reason=f"the browser checks need Playwright, Chromium and axe-core: {browser_unavailable(Project(ROOT))}",
)


@pytest.fixture(scope="module")
def report(site, project) -> dict:
    """`onepagers accessibility` over the whole site: every browser check, once."""
    result = subprocess.run(
        [sys.executable, "-m", "onepagers", "accessibility", "--out", str(site)],
        cwd=project.root, capture_output=True, text=True, timeout=900,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
    )
    report = json.loads((site / "accessibility.json").read_text(encoding="utf-8"))
    # Exit 1 exactly when a document failed a check (a PDF, say, whose checker is stricter than its build).
    assert result.returncode == (1 if report["summary"]["failed"] else 0), result.stderr
    assert result.stdout.splitlines() == [str(site / "accessibility.md"), str(site / "accessibility.json")]
    return report


@pytest.mark.slow
@needs_browser
def test_axe_finds_no_violation_on_any_web_page_or_the_gallery(report, web_jobs, site):
    checked = {d["path"]: d for d in report["documents"] if d["kind"] in ("web page", "gallery")}
    assert set(checked) == {"index.html", *(j.path.relative_to(site).as_posix() for j in web_jobs)}
    for path, doc in checked.items():
        axe = next(c for c in doc["checks"] if c["name"].startswith("axe-core"))
        assert axe["result"] == "passed" and axe["details"][0].startswith("0 violations"), (path, axe)
        assert "WCAG 2.0 and 2.1, levels A and AA" in axe["name"]


@pytest.mark.slow
@needs_browser
def test_no_request_leaves_file_urls_and_pages_reflow_at_320_px_and_200_percent_text(report):
    for doc in report["documents"]:
        if doc["kind"] not in ("web page", "gallery"):
            continue
        failed = [c for c in doc["checks"] if c["result"] != "passed"]
        assert not failed, (doc["path"], failed)
        names = " ".join(c["name"] for c in doc["checks"])
        assert "outside the output folder" in names and "320 px" in names and "200 %" in names
        if doc["kind"] == "web page":
            assert "skip link" in names


@pytest.mark.slow
@needs_browser
def test_the_report_lists_every_document_with_its_checks(report, site, library):
    listed = [d["path"] for d in report["documents"]]
    assert listed == [p.relative_to(site).as_posix() for p, _ in documents(site, library.series.file_names.booklet)]
    on_disk = {p.relative_to(site).as_posix() for p in [*site.glob("*/*.pdf"), *site.glob("*/*.html"), site / "index.html"]}
    assert set(listed) == on_disk
    kinds = {d["kind"] for d in report["documents"]}
    assert kinds == {"gallery", "web page", "screen PDF", "print PDF"}
    for doc in report["documents"]:
        assert doc["exceptions"], doc["path"]
        if doc["kind"] in ("screen PDF",):
            names = [c["name"] for c in doc["checks"]]
            assert any("PDF/UA-1 basics" in n for n in names) and any("outloud" in n for n in names)
    assert report["date"].startswith("2023-11-14")  # SOURCE_DATE_EPOCH 1700000000
    md = (site / "accessibility.md").read_text(encoding="utf-8")
    assert "2023-11-14" in md and all(f"[{path}]({path})" in md for path in listed)
    assert 'href="accessibility.md"' in (site / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
@needs_browser
def test_the_browser_checks_fail_on_pages_made_bad_on_purpose(project, tmp_path):
    pages = {
        # no lang, an image without text, a link without text
        "axe": "<!DOCTYPE html><html><head><title>x</title></head><body><main><h1>x</h1><img src='a.png'><a href='#x'></a></main></body></html>",
        "outside": "<!DOCTYPE html><html lang='da'><head><title>x</title><link rel='stylesheet' href='https://example.invalid/x.css'></head><body><main><h1>x</h1></main></body></html>",
        "wide": "<!DOCTYPE html><html lang='da'><head><title>x</title></head><body><main><h1>x</h1><div style='width: 600px'>bred</div></main></body></html>",
        "clipped": "<!DOCTYPE html><html lang='da'><head><title>x</title></head><body><main><h1>x</h1><p style='height: 26px; overflow: hidden; width: 300px'>"
        + "ord " * 6 + "</p></main></body></html>",
        "no-skip": "<!DOCTYPE html><html lang='da'><head><title>x</title><style>a:focus { outline: none }</style></head><body><main><h1>x</h1><a href='#'>et link</a></main></body></html>",
    }
    paths = {}
    for name, page in pages.items():
        paths[name] = tmp_path / f"{name}.html"
        paths[name].write_text(page, encoding="utf-8")
    found = check_pages(paths.values(), project, keyboard=[paths["no-skip"]])
    assert {"html-has-lang", "image-alt", "link-name"} <= {v["id"] for v in found[paths["axe"]].violations}
    assert found[paths["outside"]].outside == ["https://example.invalid/x.css"]
    assert found[paths["wide"]].overflow_narrow > 0
    assert found[paths["clipped"]].clipped_large_text and not found[paths["clipped"]].overflow_narrow
    assert len(found[paths["no-skip"]].keyboard) == 2
    for name in ("outside", "wide", "clipped", "no-skip"):
        assert found[paths[name]].violations == [], name


def test_documents_are_told_apart_by_name_and_place(tmp_path):
    from onepagers.accessibility import kind_of

    out = tmp_path
    assert kind_of(out / "index.html", out, "haefte") == "gallery"
    assert kind_of(out / "privat-2" / "tema-06-x-privat-2.html", out, "haefte") == "web page"
    assert kind_of(out / "privat-2" / "tema-06-x-privat-2.pdf", out, "haefte") == "screen PDF"
    assert kind_of(out / "privat-2" / "tema-06-x-privat-2-print.pdf", out, "haefte") == "print PDF"
    assert kind_of(out / "privat-2" / "haefte-privat-2.pdf", out, "haefte") == "booklet"
    assert kind_of(out / "privat-2" / "haefte-privat-2-print.pdf", out, "haefte") == "print PDF"
    assert kind_of(out / "privat-2" / "tema-06-x-privat-2-print-nomarks.pdf", out, "haefte") == "print PDF"
    assert kind_of(out / "privat-2" / "thumbs" / "x.html", out, "haefte") is None
    assert kind_of(out / "accessibility.md", out, "haefte") is None


def test_a_check_that_cannot_run_says_not_run_and_why(tmp_path):
    """A project without node_modules/ (no axe-core): the report must not pass the page."""
    from onepagers.accessibility import NOT_RUN, inspect

    (tmp_path / "out" / "privat-2").mkdir(parents=True)
    (tmp_path / "out" / "privat-2" / "a-privat-2.html").write_text("<!DOCTYPE html><html lang='da'><title>x</title><h1>x</h1></html>", encoding="utf-8")
    (doc,) = inspect(tmp_path / "out", Project(tmp_path), "haefte")
    assert doc.result == NOT_RUN and doc.checks[0].result == NOT_RUN
    assert doc.checks[0].details and "not installed" in doc.checks[0].details[0]


def test_a_page_links_a_pdf_built_after_it(project, library, tmp_path):
    """The links follow what is in the folder, even when nothing in the text changed."""
    web_only = Selection(themes=(6,), profile="web")
    assert build(project, web_only, tmp_path, library=library).ok
    page = tmp_path / "privat-2" / "tema-06-svaere-kald-privat-2.html"
    assert "tema-06-svaere-kald-privat-2.pdf" not in page.read_text(encoding="utf-8")
    assert build(project, Selection(themes=(6,)), tmp_path, library=library).ok
    report = build(project, web_only, tmp_path, library=library)
    assert [r.status.value for r in report.results] == ["built"]
    assert 'href="tema-06-svaere-kald-privat-2.pdf"' in page.read_text(encoding="utf-8")
