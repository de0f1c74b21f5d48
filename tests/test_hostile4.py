"""Hostile input, fourth round: what a review of every command with bad data
found crashing or misreported. Each mistake is said once, at its file and
line, with exit status 1, no traceback and nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from onepagers.project import Project


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if text in line)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("length", [200, 3000])
def test_a_web_pages_address_too_long_for_a_qr_code_is_said_in_series_yaml(sandbox: Project, cli, length):
    """3000 characters crashed the QR code encoder; 200 made a code too big for
    its place, reported as 'the layout came apart' in the theme file."""
    series = sandbox.data / "series.yaml"
    _replace(series, "# web_pages: https://…/", f'web_pages: "https://example.com/{"a" * length}/"')
    result = cli("build", "--theme", "4", "--project", str(sandbox.root), "--out", str(sandbox.root / "out"))
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert result.stderr.startswith(f"{series}:{_line_of(series, 'web_pages:')}:"), result.stderr
    assert "'web_pages'" in result.stderr and "QR" in result.stderr, result.stderr
    assert not list((sandbox.root / "out").rglob("*.pdf"))
