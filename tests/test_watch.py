"""build --watch rebuilds what changed, one line per rebuild, and survives a YAML error."""

from __future__ import annotations

import queue
import re
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


@pytest.mark.slow
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


def _until(lines: queue.Queue, wanted: str) -> str:
    """The next line that says `wanted`; every line on the way is one whole line, no traceback."""
    while True:
        line = _next(lines)
        assert re.match(r"\d\d:\d\d:\d\d ", line) and "Traceback" not in line, line
        if wanted in line:
            return line


@pytest.mark.slow
def test_watch_survives_every_kind_of_bad_save(copy, library):
    """A theme file moved away and back, saved with a NUL, replaced by a folder,
    by a link out of the project: each is one line, and the watch goes on."""
    referenced = {r.theme for tf in library.themes for r in tf.theme.references}
    number = next(tf.theme.number for tf in library.themes if tf.theme.number not in referenced)
    theme = library.theme(number).source.path
    theme = copy / "data" / "themes" / theme.name
    good = theme.read_text(encoding="utf-8")
    away = copy / "away.yaml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "onepagers", "build", "--watch", "--theme", str(number), "--out", "out"],
        cwd=copy, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    lines = _lines(proc.stderr)
    label = f"TEMA {number} (privat@2)"
    try:
        assert _next(lines).startswith("watching ")
        assert f"rebuilt {label}" in _next(lines)
        saves = [
            (lambda: theme.rename(away), f"no file holds theme {number} of the"),
            (lambda: away.rename(theme), "nothing changed"),
            (lambda: theme.write_bytes(good.encode("utf-8").replace(b"\ntitle:", b"\ntitle:\0")), "U+0000"),
            (lambda: (theme.unlink(), theme.mkdir()), "a folder inside data/themes is not read"),
            (lambda: (theme.rmdir(), theme.symlink_to("/etc/hostname")), "outside the project"),
            (lambda: (theme.unlink(), theme.write_text(good.replace('\ntitle: "', '\ntitle: "Nyt om ', 1), encoding="utf-8")), f"rebuilt {label}"),
        ]
        for save, wanted in saves:
            time.sleep(0.5)
            save()
            _until(lines, wanted)
            assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=30)
    assert "Traceback" not in rest
