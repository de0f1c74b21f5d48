"""onepagers serve in a real headless Chromium: the sheet shows, a save updates it
without a reload, a mistake shows at its file and line and goes when fixed."""

from __future__ import annotations

import http.client
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from conftest import copy_project

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extras: pip install -e '.[test]'")
pytestmark = [
    pytest.mark.slow,  # a server process, Chromium, Ctrl-C
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (scripts/system-deps --browser installs it)"),
]

THEME = "data/themes/06-svaere-kald.yaml"
WAIT_MS = 90_000  # the machine may be busy; nothing here is a timing claim


@pytest.fixture
def served(project, tmp_path) -> Iterator[tuple[str, Path, subprocess.Popen]]:
    copy_project(project, tmp_path)
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "onepagers", "serve", "--theme", "6"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=log, text=True,
    )
    try:
        url = process.stdout.readline().strip()  # the first line: the address
        assert url.startswith("http://127.0.0.1:") and url.endswith("/"), url
        yield url, tmp_path, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        # Debian's Chromium: Playwright must not download a browser of its own.
        instance = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield instance
        instance.close()


def _pictures_loaded(page, count: int) -> None:
    page.wait_for_function(
        f"[...document.querySelectorAll('.pages img')].filter(i => i.complete && i.naturalWidth > 0).length === {count}",
        timeout=WAIT_MS,
    )


def _sources(page) -> list[str]:
    return page.eval_on_selector_all(".pages img", "imgs => imgs.map(i => i.getAttribute('src'))")


def test_serve_shows_the_sheet_and_follows_every_save(served, browser):
    url, root, process = served
    theme = root / THEME
    good = theme.read_text(encoding="utf-8")
    # bypass_csp: Playwright evaluates its probes with eval(), which the page's policy forbids.
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url)

    # The sheet, both pages, as pictures wide enough to read.
    _pictures_loaded(page, 2)
    assert "Svære kald og ubehagelige kundeoplevelser" in page.inner_text("main")
    assert page.eval_on_selector(".pages img", "i => i.getBoundingClientRect().width") >= 800
    first = _sources(page)

    # A save changes the pictures, with no reload of the page.
    page.evaluate("window.sameDocument = true")
    theme.write_text(good.replace("Gør det legalt for medarbejderne", "Gør det tilladt for medarbejderne", 1), encoding="utf-8")
    page.wait_for_function(
        "(old) => { const now = [...document.querySelectorAll('.pages img')].map(i => i.getAttribute('src'));"
        " return now.length === 2 && now.every((s, n) => s !== old[n]); }",
        arg=first, timeout=WAIT_MS,
    )
    _pictures_loaded(page, 2)
    assert page.evaluate("window.sameDocument") is True
    edited = _sources(page)

    # A YAML mistake: shown at its file:line:col with the line quoted; the last good pages stay.
    broken = good.replace('lead: "Til jer, der vil forebygge', "lead: Til jer: der vil forebygge", 1)
    theme.write_text(broken, encoding="utf-8")
    page.wait_for_selector(".mistakes", timeout=WAIT_MS)
    message = page.inner_text(".mistakes")
    assert f"{THEME}:7:" in message, message
    assert "lead: Til jer: der vil forebygge" in message  # the line, quoted
    assert _sources(page) == edited
    assert page.evaluate("window.sameDocument") is True

    # A page opened while the mistake stands shows it too, above the last good pages.
    late = browser.new_page(bypass_csp=True)
    late.goto(url)
    assert f"{THEME}:7:" in late.inner_text(".mistakes")
    _pictures_loaded(late, 2)
    late.close()

    # Fixed: the message goes, the pages follow the text again.
    theme.write_text(good, encoding="utf-8")
    page.wait_for_selector(".mistakes", state="detached", timeout=WAIT_MS)
    page.wait_for_function(
        "(old) => [...document.querySelectorAll('.pages img')].every((i, n) => i.getAttribute('src') === old[n])",
        arg=first, timeout=WAIT_MS,
    )  # the same text as at the start: the same pictures
    assert page.evaluate("window.sameDocument") is True
    page.close()

    # Nothing was fetched from anywhere but the server itself.
    assert requested and all(r.startswith(url) for r in requested), [r for r in requested if not r.startswith(url)]


def test_serve_answers_only_to_its_own_address_and_stops_on_ctrl_c(served):
    url, root, process = served
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    assert host == "127.0.0.1"
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", "/", headers={"Host": f"attacker.example:{port}"})  # DNS rebinding
    assert connection.getresponse().status == 403
    connection.close()
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", "/")
    response = connection.getresponse()
    assert response.status == 200
    assert "default-src 'none'" in response.getheader("Content-Security-Policy")
    connection.close()

    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 130  # interrupted, as every command
    log = (root / "serve.log").read_text(encoding="utf-8")
    assert "Traceback" not in log, log


def test_a_port_in_use_is_a_usage_error(project):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "onepagers", "serve", "--theme", "6", "--port", str(port),
                                 "--project", str(project.root)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"127.0.0.1:{port}" in result.stderr and result.stdout == ""
