"""Hostile and broken input: text stays text, nothing is fetched, nothing is lost."""

from __future__ import annotations

import re

import http.server
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pypdf
import pytest
import yaml

from test_bad_input import run_cli

HTML_IN_TEXT = [
    "<script>alert('x')</script>",
    '<img src="https://example.invalid/x.png">',
    "<style>body { display: none }</style>",
    '<a href="javascript:alert(1)">klik</a>',
]


@pytest.fixture
def copy(sandbox) -> Path:
    return sandbox.root


def _edit_theme(root: Path, number: int, **changes) -> None:
    path = next((root / "data" / "themes").glob(f"{number:02d}-*.yaml"))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _pdf_text(path: Path) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(path).pages)


def test_html_in_the_data_is_refused_never_printed_or_interpreted(copy):
    # Printed, its tags would stand on the sheet as characters: each is refused at its line.
    _edit_theme(copy, 4, cases=HTML_IN_TEXT)
    result = run_cli("build", "--theme", "4", "--out", "out", cwd=copy)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    for number in range(1, len(HTML_IN_TEXT) + 1):
        assert f"'cases[{number}]': HTML" in result.stderr, result.stderr
    assert not (copy / "out").exists()


class _Counter(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback_server():
    _Counter.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Counter.requests
    server.shutdown()


def test_nothing_is_fetched_from_the_network_or_outside_the_project(copy, loopback_server):
    base, requests = loopback_server
    # In the data: links (only annotations); an image tag is refused before any layout.
    _edit_theme(
        copy, 4,
        references=[{"text": "Se her", "url": f"{base}/data-link"}],
        cases=[f'Et billede og [et link]({base}/inline-link)'],
    )
    # In a template override: an image, a stylesheet background, a local file.
    sheet = copy / "templates" / "sheet.html.j2"
    sheet.write_text(
        sheet.read_text(encoding="utf-8").replace(
            "{% block pages %}",
            f'{{% block pages %}}<img src="{base}/template-img.png"><img src="file:///etc/passwd">',
        ),
        encoding="utf-8",
    )
    css = copy / "templates" / "sheet.css"
    css.write_text(css.read_text(encoding="utf-8") + f"\nbody {{ background: url({base}/css-bg.png); }}\n", encoding="utf-8")

    result = run_cli("build", "--theme", "4", "--out", "out", cwd=copy)

    assert requests == [], f"the server was asked for {requests}"
    assert result.returncode == 1
    assert f"refused to fetch {base}/template-img.png" in result.stderr
    assert f"refused to fetch {base}/css-bg.png" in result.stderr
    assert "refused to fetch file:///etc/passwd" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (copy / "out").exists()


def _line_naming(path: Path, name: str) -> int:
    return next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if name in text)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("fonts/Lato-Black.ttf", lambda copy: f"templates/sheet.css:{_line_naming(copy / 'templates/sheet.css', 'Lato-Black.ttf')}:"),
        ("templates/sheet.html.j2", lambda copy: "templates/sheet.html.j2: error: template file not found"),
    ],
    ids=["font", "template"],
)
def test_a_missing_font_or_template_is_named(copy, missing, message):
    expected = message(copy)
    (copy / missing).unlink()
    result = run_cli("build", "--theme", "4", "--out", "out", cwd=copy)
    assert result.returncode == 1
    assert expected in result.stderr
    assert f"file not found: {missing}" in result.stderr or missing.endswith(".j2")
    assert "Traceback" not in result.stderr
    assert not (copy / "out").exists()


def test_a_failing_sheet_does_not_stop_the_others(copy):
    _edit_theme(copy, 4, findings=[("Et fund, der er alt for langt. " * 45).strip()] * 4)
    result = run_cli("build", "--all", "--out", "out", cwd=copy)
    assert result.returncode == 1
    written = result.stdout.split()
    assert len(written) == 10  # nine themes and the introduction
    assert not any("tema-04" in path for path in written)
    # Named by the text that pushes past the page: the columns' findings, or
    # the cases they push down (never the references under them).
    assert "TEMA 4 (privat@2)" in result.stderr and re.search(r"\((findings|cases)\) runs", result.stderr), result.stderr
    assert "1 of 11 sheets failed" in result.stderr


def _onepagers(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "onepagers", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _assert_complete_pdfs(out: Path) -> list[Path]:
    pdfs = sorted(out.rglob("*.pdf"))
    for pdf in pdfs:
        assert len(pypdf.PdfReader(pdf).pages) in (1, 2), pdf
    leftovers = [p for p in out.rglob("*.part")]
    assert leftovers == [], leftovers
    return pdfs


@pytest.mark.slow
def test_concurrent_builds_into_one_folder_both_succeed(copy):
    args = ("build", "--all", "--force", "--out", "out")
    first, second = _onepagers(*args, cwd=copy), _onepagers(*args, cwd=copy)
    for proc in (first, second):
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
    assert len(_assert_complete_pdfs(copy / "out")) == 11


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_build_leaves_old_or_new_complete_files(copy, signum):
    assert run_cli("build", "--all", "--out", "out", cwd=copy).returncode == 0
    old = {p: p.read_bytes() for p in (copy / "out").rglob("*.pdf")}
    _edit_theme(copy, 4, title="Tidspres (ny)")
    _edit_theme(copy, 9, title="Ledelse (ny)")
    proc = _onepagers("build", "--all", "--force", "--jobs", "1", "--out", "out", cwd=copy)
    time.sleep(random.uniform(0.8, 2.0))
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    assert "Traceback" not in stderr
    pdfs = _assert_complete_pdfs(copy / "out")
    assert set(pdfs) == set(old)
