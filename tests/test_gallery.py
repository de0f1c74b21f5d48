"""The gallery, in a real headless Chromium: every link resolves, every thumbnail loads."""

from __future__ import annotations

import re
import shutil
from contextlib import contextmanager
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from onepagers.gallery import write_gallery

from conftest import copy_project

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--virtual-time-budget=5000",
]


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self.links.append(attrs["href"])
        elif tag == "img":
            self.images.append(attrs["src"])


@pytest.fixture(scope="module")
def gallery(library, project, built) -> Path:
    out = built[0].job.path.parent.parent
    return write_gallery(library, project, out)


def test_every_link_and_thumbnail_of_the_gallery_is_a_file(gallery, built):
    refs = _Refs()
    refs.feed(gallery.read_text(encoding="utf-8"))
    assert len(refs.links) == len(built) == len(refs.images)
    for ref in refs.links + refs.images:
        assert not re.match(r"^[a-z]+:", ref), f"not a relative link: {ref}"
        assert (gallery.parent / unquote(ref)).is_file(), ref
    assert {gallery.parent / unquote(link) for link in refs.links} == {r.job.path for r in built}


def _chromium(*args: str, user_data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={user_data}", *args],
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_gallery_in_headless_chromium(gallery, tmp_path):
    # A copy that reports, once loaded, how many of its images the browser could show.
    probe = gallery.with_name("index-probe.html")
    script = (
        "<script>window.addEventListener('load', () => {"
        "const imgs = [...document.images]; imgs.forEach(i => i.loading = 'eager');"
        "setTimeout(() => { const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;"
        "document.title = 'images ' + ok + '/' + imgs.length; }, 500); });</script></body>"
    )
    probe.write_text(gallery.read_text(encoding="utf-8").replace("loading=\"lazy\"", "").replace("</body>", script), encoding="utf-8")
    try:
        dom = _chromium("--dump-dom", probe.as_uri(), user_data=tmp_path / "profile1")
    finally:
        probe.unlink()
    match = re.search(r"<title>images (\d+)/(\d+)</title>", dom.stdout)
    assert match, f"Chromium did not report: {dom.stderr[-500:]}"
    assert match[1] == match[2] and int(match[2]) > 0, f"only {match[1]} of {match[2]} thumbnails loaded"

    shot = tmp_path / "gallery-phone.png"
    _chromium(f"--screenshot={shot}", "--window-size=390,844", gallery.as_uri(), user_data=tmp_path / "profile2")
    assert shot.is_file() and shot.stat().st_size > 10_000


AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


def _playwright():
    return pytest.importorskip("playwright.sync_api", reason="playwright is in the test extras: pip install -e '.[test]'")


@contextmanager
def _page(page_file: Path, width: int, height: int):
    """The page in Debian's Chromium, driven by Playwright."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (scripts/system-deps --browser installs it)")
    with _playwright().sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(page_file.as_uri())
            yield page
        finally:
            browser.close()


def _axe_violations(page_file: Path) -> list[dict]:
    """axe-core's violations of a page, as run in Chromium."""
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: `npm ci` (make test does it)")
    with _page(page_file, 1280, 900) as page:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "nodes": [n["html"][:120] for n in v["nodes"]]} for v in result["violations"]]


@pytest.mark.slow
def test_gallery_has_no_axe_core_violations(gallery):
    assert _axe_violations(gallery) == []


@pytest.mark.slow
def test_axe_core_finds_a_contrast_failure_made_on_purpose(gallery, tmp_path):
    """The check above can fail: the theme numbers in the accent orange of the sheets fail contrast."""
    bad = gallery.with_name("index-low-contrast.html")
    bad.write_text(gallery.read_text(encoding="utf-8").replace("--number: #8a4a00", "--number: #e8912d"), encoding="utf-8")
    try:
        violations = _axe_violations(bad)
    finally:
        bad.unlink()
    assert [v["id"] for v in violations] == ["color-contrast"], violations


@pytest.mark.slow
def test_gallery_titles_break_only_with_a_hyphen(gallery):
    """Long words carry soft hyphens; the browser may break a title nowhere else."""
    page_text = gallery.read_text(encoding="utf-8")
    soft = re.findall(r"p\w*(?:\u00ad\w+)*\u00adkrav", page_text)
    assert soft and all(w.replace("\u00ad", "") == "performancekrav" for w in soft), soft
    with _page(gallery, 390, 844) as page:
        styles = page.eval_on_selector_all(
            ".title",
            "els => els.map(e => { const s = getComputedStyle(e);"
            " return [s.overflowWrap, s.wordBreak, s.hyphens, e.scrollWidth <= e.clientWidth + 1]; })",
        )
    assert styles and all(s == ["normal", "normal", "manual", True] for s in styles), styles


def test_every_command_that_writes_pdfs_rewrites_the_gallery(project, tmp_path):
    from test_bad_input import run_cli

    copy_project(project, tmp_path)

    def listed() -> set[str]:
        refs = _Refs()
        refs.feed((tmp_path / "out" / "index.html").read_text(encoding="utf-8"))
        assert all((tmp_path / "out" / unquote(r)).is_file() for r in refs.images)
        return {unquote(link) for link in refs.links}

    first = run_cli("build", "--theme", "1", "--edition", "1", "--out", "out", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert listed() == {"privat-1/tema-01-instruktion-og-oplaering-privat-1.pdf"}

    public = run_cli("build", "--theme", "6", "--sector", "offentlig", "--profile", "print", "--out", "out", cwd=tmp_path)
    assert public.returncode == 0, public.stderr
    booklet = run_cli("booklet", "--edition", "1", "--out", "out", cwd=tmp_path)
    assert booklet.returncode == 0, booklet.stderr
    assert listed() == {
        "privat-1/tema-01-instruktion-og-oplaering-privat-1.pdf",
        "offentlig-2/tema-06-svaere-kald-offentlig-2-print.pdf",
        "privat-1/haefte-privat-1.pdf",
    }
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    # Grouped by series: each series' name heads its own section.
    series = yaml.safe_load((tmp_path / "data" / "series.yaml").read_text(encoding="utf-8"))["series"]
    headings = re.findall(r"<h2[^>]*>([^<]*)</h2>", page)
    assert headings == [series["privat"]["name"], series["offentlig"]["name"]]
