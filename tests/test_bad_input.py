"""Bad input: exit status 1, a one-line message naming file, line and field, no traceback,
no PDF of the sheet the file is for (the other sheets still build).

Each file in tests/bad/ says in its first comment lines where it goes in a
copy of the project (`# target:`), what the message must say (`# expect:`) and
what it must not (`# absent:`, e.g. a second message about the same mistake).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_in_process

BAD = Path(__file__).parent / "bad"
CASES = sorted(BAD.glob("*.yaml"))


def _header(path: Path) -> tuple[str, list[str], list[str]]:
    target, expects, absent = "", [], []
    for line in path.read_bytes().decode("utf-8", "replace").splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].strip().partition(": ")
        if key == "target":
            target = value
        elif key == "expect":
            expects.append(value)
        elif key == "absent":
            absent.append(value)
    return target, expects, absent


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command line, in this process (see conftest.run_in_process)."""
    return run_in_process(*args, cwd=cwd)


def run_cli_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command line as its own process: for tests about the process itself."""
    return subprocess.run(
        [sys.executable, "-m", "onepagers", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def project_copy(sandbox) -> Path:
    return sandbox.root


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_input_is_reported_at_file_and_line(project_copy, case):
    target, expects, absent = _header(case)
    assert target and expects, f"{case.name} needs '# target:' and '# expect:' lines"
    shutil.copyfile(case, project_copy / "data" / target)

    result = run_cli("build", "--theme", "4", "--out", "out", cwd=project_copy)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    sheet = "tema-" + Path(target).stem
    written = [p.name for p in (project_copy / "out").rglob("*.pdf")]
    assert not [name for name in written if name.startswith(sheet)], f"{sheet} may not be written"
    assert result.stdout.split() == [str(p.relative_to(project_copy)) for p in (project_copy / "out").rglob("*.pdf")]
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"data/{target}:"), first
    for expect in expects:
        assert expect in result.stderr, f"expected {expect!r} in:\n{result.stderr}"
    for unwanted in absent:
        assert unwanted not in result.stderr, f"did not expect {unwanted!r} in:\n{result.stderr}"
