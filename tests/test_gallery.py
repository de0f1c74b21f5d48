"""The gallery, in a real headless Chromium: every link resolves, every thumbnail loads."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from onepagers.gallery import write_gallery

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
