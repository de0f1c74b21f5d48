"""The CI workflow: valid against the workflow schema, clean for zizmor (both
offline), it rebuilds when any commit of a push touched the text, and its
`sheets` job, run step by step on a fresh copy, exits 0 and publishes every
document (slow: run in CI)."""

from __future__ import annotations

import json
import os
import re
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


# The build step, run as GitHub runs it --------------------------------------------

# What the workflow's ${{ … }} expressions stand for in a push of one commit.
def _github(before: str, after: str) -> dict[str, str]:
    return {
        "github.event_name": "push",
        "github.event.before": before,
        "github.sha": after,
        "github.event.pull_request.base.sha": "",
        "github.event.repository.default_branch": "main",
    }


def _expression(text: str, context: dict[str, str]) -> str:
    """`${{ name }}` filled in from `context`; a name the test does not know fails it."""

    def value(match: re.Match[str]) -> str:
        name = match[1].strip()
        assert name in context, f"the workflow uses ${{{{ {name} }}}}: teach this test what it stands for"
        return context[name]

    return re.sub(r"\$\{\{(.*?)\}\}", value, str(text))


def _condition(text: str | None, context: dict[str, str]) -> bool:
    """The `if:` forms the workflow uses: terms `a == 'x'` / `a != 'x'` joined by &&."""
    if text is None:
        return True
    result = True
    for term in str(text).split("&&"):
        match = re.fullmatch(r"\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*", term)
        assert match and match[1] in context, f"the workflow's if: {text!r}: teach this test to read it"
        result = result and ((context[match[1]] == match[3]) == (match[2] == "=="))
    return result


def _outputs(path: Path, step: str) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return {f"steps.{step}.outputs.{k}": v for k, _, v in (line.partition("=") for line in lines if "=" in line)}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None or shutil.which("make") is None or shutil.which("bash") is None, reason="needs git, make and bash")
def test_the_sheets_job_on_a_fresh_copy_publishes_everything(tmp_path):
    """Every `run:` of the workflow's `sheets` job, read from sheets.yml and run
    as GitHub runs it (bash -eo pipefail, its `env:` and `if:`, GITHUB_OUTPUT),
    on a fresh copy of the repository (its tracked files) with two commits: all
    of it, then an editor's one-word change in data/, pushed together.

    What is substituted, and only this:
    - actions/checkout: the copy (git init, two commits);
    - actions/setup-python and `make setup`: `.venv/` holds `bin/onepagers`, a
      script running this interpreter on the copy's src/ (PYTHONPATH), and
      `.venv/.installed` newer than pyproject.toml, so `make setup` runs as
      written and finds nothing to do;
    - `npm ci`: an `npm` first on PATH that does nothing, with the copy's
      node_modules/axe-core copied from this checkout's (npm would download it);
    - `./scripts/system-deps --browser` runs as written (a no-op where the
      packages are there; the test is skipped where Chromium is missing);
    - actions/upload-artifact: its `path:` patterns are applied to build/ here.
    Then the artifact must hold every PDF (each sheet in each variant, screen
    and print), web page, booklet (screen and print), the gallery, the
    accessibility report (nothing failed), the text-changes page, and the
    check's findings with the editor's change among them."""
    import yaml

    from onepagers.accessibility import browser_unavailable
    from onepagers.library import load_library
    from onepagers.project import Project
    from onepagers.variants import introduction_variants, variants_of

    if (why := browser_unavailable(Project(ROOT))) is not None:
        pytest.skip(why)
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"], capture_output=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the copy is made of its tracked files")
    clone = tmp_path / "repo"
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink() and not name.startswith("node_modules"):
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    shutil.copytree((ROOT / "node_modules" / "axe-core").resolve(), clone / "node_modules" / "axe-core")

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                              check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "everything")
    before = git("rev-parse", "HEAD")
    theme = next((clone / "data" / "themes").glob("06-*.yaml"))
    text = theme.read_text(encoding="utf-8")
    assert "hvor meget svære kald" in text
    theme.write_text(text.replace("hvor meget svære kald", "hvor meget svære opkald", 1), encoding="utf-8")
    git("commit", "-q", "-am", "an editor's wording")
    after = git("rev-parse", "HEAD")

    venv = clone / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "onepagers").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m onepagers "$@"\n', encoding="utf-8")
    (venv / "onepagers").chmod(0o755)
    (venv / "python").symlink_to(sys.executable)
    (clone / ".venv" / ".installed").touch()
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    (fake / "npm").write_text('#!/bin/sh\n[ "$1" = ci ] && [ -f node_modules/axe-core/axe.min.js ]\n', encoding="utf-8")
    (fake / "npm").chmod(0o755)
    environment = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "PYTHONPATH": str(clone / "src"), "CI": "true"}

    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    context = _github(before, after)
    ran = []
    for number, step in enumerate(workflow["jobs"]["sheets"]["steps"]):
        if not _condition(step.get("if"), context):
            continue
        if "uses" in step:
            assert step["uses"].split("@")[0] in {"actions/checkout", "actions/setup-python", "actions/upload-artifact"}, step["uses"]
            continue
        output = tmp_path / f"output-{number}"
        env = {**environment, **{k: _expression(v, context) for k, v in (step.get("env") or {}).items()}, "GITHUB_OUTPUT": str(output)}
        script = tmp_path / f"step-{number}.sh"
        script.write_text(_expression(step["run"], context), encoding="utf-8")
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=clone, env=env,
                              capture_output=True, text=True, timeout=3600)
        assert done.returncode == 0, f"step {step.get('name')!r} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        context.update(_outputs(output, step.get("id", "")))
        ran.append(step.get("name"))
    assert context.get("steps.changed.outputs.sheets") == "yes" and len(ran) >= 3, ran

    (upload,) = [s for s in workflow["jobs"]["sheets"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    patterns = upload["with"]["path"].split()
    assert patterns[0] == "build/" and all(p.startswith("!build/") for p in patterns[1:]), patterns
    build = clone / "build"
    left_out = [build / p[len("!build/"):] for p in patterns[1:]]
    artifact = {p.relative_to(build).as_posix() for p in build.rglob("*") if p.is_file() and not any(p.is_relative_to(x) for x in left_out)}

    library = load_library(clone / "data")
    names = library.series.file_names
    expected = {"index.html", "accessibility.md", "accessibility.json", "text-changes.html", "check.txt"}
    for tf in library.themes:
        for name in variants_of(library, tf):
            folder, stem = name.replace("@", "-"), f"{names.theme}-{tf.slug}-{name.replace('@', '-')}"
            expected |= {f"{folder}/{stem}.pdf", f"{folder}/{stem}-print.pdf", f"{folder}/{stem}.html"}
    for name in introduction_variants(library):
        folder = name.replace("@", "-")
        expected |= {f"{folder}/{names.introduction}-{folder}{end}" for end in (".pdf", "-print.pdf", ".html")}
        expected |= {f"{folder}/{names.booklet}-{folder}{end}" for end in (".pdf", "-print.pdf")}
    assert sorted(expected - artifact) == []
    assert all((build / p).read_bytes().startswith(b"%PDF-") for p in expected if p.endswith(".pdf"))
    report = json.loads((build / "accessibility.json").read_text(encoding="utf-8"))
    assert report["summary"]["failed"] == 0
    checked = {d["path"] for d in report["documents"]}
    assert {p for p in expected if p.endswith((".html", ".pdf")) and not p.endswith("-print.pdf") and p != "text-changes.html"} <= checked
    changes = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", (build / "text-changes.html").read_text(encoding="utf-8")))
    assert "svære opkald" in changes
    # The editor's change is listed for review, at its line, in the check's report.
    line = next(n for n, text in enumerate(theme.read_text(encoding="utf-8").splitlines(), 1) if "svære opkald" in text)
    assert f"data/themes/{theme.name}:{line}:" in (build / "check.txt").read_text(encoding="utf-8")
