"""build --watch rebuilds what changed, one line per rebuild, and survives a YAML error."""

from __future__ import annotations

import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest


@pytest.fixture
def copy(project, tmp_path) -> Path:
    for part in ("data", "templates", "fonts"):
        shutil.copytree(project.root / part, tmp_path / part)
    return tmp_path


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
        assert "rebuilt tema 3 (privat@2)" in _next(lines)

        time.sleep(0.5)
        theme.write_text(good.replace("YouSee’s kundeservicecenter", "YouSee’s nye kundeservicecenter"), encoding="utf-8")
        assert "rebuilt tema 3 (privat@2)" in _next(lines)

        theme.write_text(good + "number: [\n", encoding="utf-8")
        line = _next(lines)
        assert "03-udviklingsmuligheder.yaml:" in line and "still watching" in line and "Traceback" not in line

        theme.write_text(good, encoding="utf-8")
        assert "rebuilt tema 3 (privat@2)" in _next(lines)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert (copy / "out" / "privat-2" / "tema-03-udviklingsmuligheder-privat-2.pdf").is_file()


def test_watch_survives_every_kind_of_bad_save(copy):
    """A theme file moved away and back, saved with a NUL, replaced by a folder,
    by a link out of the project: each is one line, and the watch goes on."""
    theme = copy / "data" / "themes" / "03-udviklingsmuligheder.yaml"
    good = theme.read_text(encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "onepagers", "build", "--watch", "--theme", "3", "--out", "out"],
        cwd=copy, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    lines = _lines(proc.stderr)
    try:
        assert _next(lines).startswith("watching ")
        assert "rebuilt tema 3 (privat@2)" in _next(lines)

        saves = [
            lambda: theme.rename(copy / "03-away.yaml"),
            lambda: (copy / "03-away.yaml").rename(theme),
            lambda: theme.write_bytes(good.encode("utf-8").replace(b"number: 3", b"number: 3\0")),
            lambda: (theme.unlink(), theme.mkdir()),
            lambda: (theme.rmdir(), theme.symlink_to("/etc/hostname")),
            lambda: (theme.unlink(), theme.write_text(good.replace("YouSee’s kundeservicecenter", "YouSee’s gamle kundeservicecenter"), encoding="utf-8")),
        ]
        for save in saves:
            time.sleep(0.5)
            save()
            line = _next(lines)
            assert "Traceback" not in line and proc.poll() is None, line
        while "rebuilt tema 3 (privat@2)" not in line:  # a save may come as two events
            line = _next(lines)
            assert "Traceback" not in line, line
    finally:
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=30)
    assert "Traceback" not in rest
