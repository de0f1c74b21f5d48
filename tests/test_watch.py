"""build --watch rebuilds what changed, one line per rebuild, and survives a YAML error."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest


@pytest.fixture
def copy(sandbox) -> Path:
    return sandbox.root


def _lines(stream) -> queue.Queue:
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    return lines


def _next(lines: queue.Queue, timeout: float = 60) -> str:
    return lines.get(timeout=timeout).rstrip("\n")


def test_watch_rebuilds_on_change_and_survives_a_yaml_error(copy):
    theme = copy / "data" / "themes" / "03-udviklingsmuligheder.yaml"
    good = theme.read_text(encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "onepagers", "build", "--watch", "--theme", "3", "--out", "out"],
        cwd=copy, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    lines = _lines(proc.stderr)
    try:
        assert _next(lines).startswith("watching ")
        first = _next(lines)
        assert "rebuilt TEMA 3 (privat@2)" in first and first.endswith("out/privat-2/tema-03-udviklingsmuligheder-privat-2.pdf")

        time.sleep(0.5)
        theme.write_text(good.replace("YouSee’s kundeservicecenter", "YouSee’s nye kundeservicecenter"), encoding="utf-8")
        assert "rebuilt TEMA 3 (privat@2)" in _next(lines)

        theme.write_text(good + "number: [\n", encoding="utf-8")
        line = _next(lines)
        assert "03-udviklingsmuligheder.yaml:" in line and "still watching" in line and "Traceback" not in line

        theme.write_text(good, encoding="utf-8")
        assert "rebuilt TEMA 3 (privat@2)" in _next(lines)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert (copy / "out" / "privat-2" / "tema-03-udviklingsmuligheder-privat-2.pdf").is_file()
    # Each rebuild rewrote the gallery, which lists what the watch built.
    assert "privat-2/tema-03-udviklingsmuligheder-privat-2.pdf" in (copy / "out" / "index.html").read_text(encoding="utf-8")
