"""make bench: save-to-updated-page of `onepagers serve` for one sheet, in headless Chromium.

Not a test: no time is asserted. A warm server shows TEMA 6; each run saves
the theme file with another wording and times from just before the write
until the page shows the new pictures, loaded. The result goes to stdout and
replaces the serve section of bench/results.md (bench/run.py writes the rest).
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_SERVE_RUNS", "10"))
TARGET_S = 0.5
BEGIN, END = "<!-- serve: bench/serve.py -->", "<!-- /serve -->"


def main() -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("bench/serve.py needs Chromium (scripts/system-deps --browser)")
    work = Path(tempfile.mkdtemp(prefix="onepagers-bench-serve-"))
    for part in ("data", "templates", "fonts"):
        shutil.copytree(ROOT / part, work / part)
    theme = next((work / "data" / "themes").glob("06-*.yaml"))
    original = theme.read_text(encoding="utf-8")
    server = subprocess.Popen([sys.executable, "-m", "onepagers", "serve", "--theme", "6"], cwd=work,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    seconds: list[float] = []
    try:
        url = server.stdout.readline().strip()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
            page.goto(url)
            loaded = "[...document.querySelectorAll('.pages img')].filter(i => i.complete && i.naturalWidth > 0).length === 2"
            page.wait_for_function(loaded, timeout=120_000)
            for n in range(RUNS + 2):  # the first two warm the server's caches and are not counted
                before = page.eval_on_selector_all(".pages img", "imgs => imgs.map(i => i.getAttribute('src'))")
                wording = "Gør det tilladt for medarbejderne" if n % 2 == 0 else "Gør det legalt for medarbejderne"
                text = original.replace("Gør det legalt for medarbejderne", wording, 1)
                started = time.perf_counter()
                theme.write_text(text, encoding="utf-8")
                page.wait_for_function(
                    "(old) => { const imgs = [...document.querySelectorAll('.pages img')];"
                    " return imgs.length === 2 && imgs.some((i, k) => i.getAttribute('src') !== old[k])"
                    " && imgs.every(i => i.complete && i.naturalWidth > 0); }",
                    arg=before, polling="raf", timeout=120_000,
                )
                if n >= 2:
                    seconds.append(time.perf_counter() - started)
            browser.close()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
        shutil.rmtree(work, ignore_errors=True)

    median = statistics.median(seconds)
    section = "\n".join([
        BEGIN,
        "## serve: save to updated page",
        "",
        f"`onepagers serve --theme 6`, warm, in headless Chromium; {RUNS} saves of theme 6's file, "
        "each timed from just before the write until the page shows the new pictures, loaded.",
        "",
        "| measurement | min | median | max | target |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| save to updated page, one sheet | {min(seconds):.3f} s | {median:.3f} s | {max(seconds):.3f} s | ≤ {TARGET_S} s |",
        END,
    ])
    print(section)
    results = ROOT / "bench" / "results.md"
    text = results.read_text(encoding="utf-8") if results.is_file() else "# Benchmark\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    results.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
