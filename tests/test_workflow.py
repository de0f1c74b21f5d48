"""The CI workflow: valid against the workflow schema, clean for zizmor (both
offline), and it rebuilds when any commit of a push touched the text."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "sheets.yml"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.skip(f"{name} is in the test extras: pip install -e '.[test]'")
    return str(path)


def _schema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=120)


def _zizmor(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_tool("zizmor"), "--offline", "--no-progress", str(path)], capture_output=True, text=True, timeout=120)


def test_workflow_is_valid_and_clean():
    schema = _schema(WORKFLOW)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = _zizmor(WORKFLOW)
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_the_checks_fail_on_a_bad_workflow(tmp_path):
    text = WORKFLOW.read_text(encoding="utf-8")
    misspelt = tmp_path / "misspelt.yml"
    misspelt.write_text(text.replace("    runs-on: ubuntu-latest\n", "    runs_on: ubuntu-latest\n", 1), encoding="utf-8")
    assert _schema(misspelt).returncode != 0
    unpinned = tmp_path / "unpinned.yml"
    unpinned.write_text(text.replace("actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0", "actions/checkout@v4", 1), encoding="utf-8")
    audit = _zizmor(unpinned)
    assert audit.returncode != 0 and "unpinned" in audit.stdout + audit.stderr
    injected = tmp_path / "injected.yml"
    # A pull request's title, written by anyone, pasted into a shell script.
    injected.write_text(text.replace('case "$EVENT" in', 'echo "${{ github.event.pull_request.title }}"\n          case "$EVENT" in', 1), encoding="utf-8")
    audit = _zizmor(injected)
    assert audit.returncode != 0 and "template-injection" in audit.stdout + audit.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_any_commit_of_a_push_that_touches_the_text_rebuilds(tmp_path):
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                              check=True, capture_output=True, text=True).stdout.strip()

    def commit(path: str, text: str) -> str:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
        git("add", path)
        git("commit", "-q", "-m", path)
        return git("rev-parse", "HEAD")

    def changed(*args: str) -> str:
        return subprocess.run([str(ROOT / "scripts" / "ci-sheets-changed"), *args], cwd=tmp_path,
                              check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q", "-b", "main")
    start = commit("data/a.yaml", "one")
    text = commit("data/a.yaml", "two")
    readme = commit("README.md", "docs")
    # A push of two commits whose last one does not touch data/: still rebuilt.
    assert changed(start, readme) == "yes"
    assert changed(text, readme) == "no"
    assert changed(start, text) == "yes"
    # A new branch (before = zeros): compared with where it left the default branch.
    git("checkout", "-q", "-b", "topic")
    docs = commit("docs.md", "more")
    assert changed("0" * 40, docs, "main") == "no"
    fonts = commit("fonts/x.txt", "font")
    assert changed("0" * 40, fonts, "main") == "yes"
    # A force push whose old head is gone, or nothing to compare with: build.
    assert changed("1" * 40, docs) == "yes"
    assert changed("0" * 40, docs) == "yes"
