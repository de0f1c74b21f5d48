"""Hostile input, third round (issue 22), around the build: outputs that would
be one file, an output folder among the inputs, the gallery after an
interrupted build, temporary files of reused process ids, the CPU affinity,
a renderer that raises in a worker, one overflow said twice, a footer too long."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml

from onepagers import build as build_module
from onepagers import files
from onepagers.build import Status, Todo, _render, build
from onepagers.html import html_for
from onepagers.library import load_library
from onepagers.plan import Selection, plan
from onepagers.project import Project


def _edit_series(sandbox: Project, old: str, new: str) -> None:
    path = sandbox.data / "series.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _edit_theme(sandbox: Project, number: int, **changes) -> Path:
    path = next((sandbox.data / "themes").glob(f"{number:02d}-*.yaml"))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _line_of(path: Path, pattern: str) -> int:
    """The 1-based number of the first line of `path` matching `pattern`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.search(pattern, line):
            return number
    raise AssertionError(f"no line of {path} matches {pattern}")


def _written(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file()) if out.exists() else []


# Outputs that would be one file.


@pytest.mark.parametrize(
    ("old", "new", "command"),
    [
        ("booklet: haefte", "booklet: introduktion", ("booklet", "--edition", "2")),
        ("booklet: haefte", "booklet: introduktion", ("build", "--all")),
        ("introduction: introduktion", "introduction: tema-06-svaere-kald", ("build", "--all")),
    ],
    ids=["booklet-as-introduction", "introduction-as-booklet", "introduction-as-theme"],
)
def test_two_outputs_named_alike_are_refused_before_anything_is_written(sandbox, cli, tmp_path, old, new, command):
    _edit_series(sandbox, old, new)
    out = tmp_path / "out"
    result = cli(*command, "--out", str(out), "--project", str(sandbox.root))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    named = [line for line in result.output.splitlines() if "would be written to the same file" in line]
    assert named, result.output
    # Both outputs named, at the line of series.yaml that makes the name.
    field = new.split(":")[0]
    assert any(f"series.yaml:{_line_of(sandbox.data / 'series.yaml', '^  ' + field + ':')}:" in line for line in named), named
    assert any("introduction" in line and ("booklet" in line or "TEMA 6" in line) for line in named), named
    assert not any(p.suffix == ".pdf" for p in _written(out)), _written(out)


@pytest.mark.parametrize(
    "spelling",
    [
        lambda stem: stem.upper(),  # one file where case is not told apart (macOS, Windows)
        lambda stem: unicodedata.normalize("NFD", stem),  # one file where NFD å is NFC å (macOS)
    ],
    ids=["case", "unicode-normalisation"],
)
def test_theme_files_named_alike_but_for_case_or_normalisation_are_refused(sandbox, cli, tmp_path, spelling):
    themes = sandbox.data / "themes"
    six, seven = next(themes.glob("06-*.yaml")), next(themes.glob("07-*.yaml"))
    stem = unicodedata.normalize("NFC", "06-svære-kåld")
    six.rename(themes / f"{stem}.yaml")
    seven.rename(themes / f"{spelling(stem)}.yaml")  # still theme 7 inside
    assert len(list(themes.glob("06-*.yaml"))) == 2  # two files on this file system
    out = tmp_path / "out"
    result = cli("build", "--theme", "6", "--theme", "7", "--out", str(out), "--project", str(sandbox.root))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert re.search(r"TEMA [67] \(privat@2, screen\) and TEMA [67] \(privat@2, screen\) would be written to one file", result.output), result.output
    assert _written(out) == []


@pytest.fixture(scope="module")
def one_sheet(project, tmp_path_factory) -> Path:
    """An output folder holding theme 6, built once for the preview tests."""
    out = tmp_path_factory.mktemp("one-sheet") / "out"
    assert build(project, Selection(themes=(6,)), out, workers=1).ok
    return out


def test_preview_to_the_output_folder_itself_is_refused(one_sheet, cli):
    before = _written(one_sheet)
    result = cli("preview", "--out", str(one_sheet), "--to", str(one_sheet), "--dpi", "10")
    assert result.exit_code == 2, result.output
    assert "--to" in result.output and "Traceback" not in result.output
    assert _written(one_sheet) == before


def test_preview_to_the_gallery_thumbnails_is_refused(one_sheet, cli):
    (thumbs,) = one_sheet.glob("*/thumbs")
    before = _written(one_sheet)
    result = cli("preview", "--out", str(one_sheet), "--to", str(thumbs), "--dpi", "10")
    assert result.exit_code == 2, result.output
    assert _written(one_sheet) == before


def test_preview_of_pdfs_whose_pictures_would_be_one_file_is_refused(one_sheet, cli, tmp_path):
    (pdf,) = one_sheet.glob("*/*.pdf")
    folder = tmp_path / "pdfs"
    for sub, name in (("a", "Tema.pdf"), ("b", "tema.pdf")):
        (folder / sub).mkdir(parents=True)
        shutil.copyfile(pdf, folder / sub / name)
    pictures = tmp_path / "pictures"
    result = cli("preview", "--out", str(folder), "--to", str(pictures), "--dpi", "10")
    assert result.exit_code == 2, result.output
    assert "Tema.pdf" in result.output and "tema.pdf" in result.output
    assert _written(pictures) == []


# An output folder among the inputs.


@pytest.mark.parametrize(
    "where",
    ["data/build", "templates", "fonts/out", ".", "..", "link-to-data/build"],
)
def test_an_output_folder_among_the_project_inputs_is_refused(sandbox, cli, tmp_path, where):
    (sandbox.root / "link-to-data").symlink_to(sandbox.data, target_is_directory=True)
    before = _written(sandbox.root)
    out = sandbox.root / where
    result = cli("build", "--theme", "6", "--out", str(out), "--project", str(sandbox.root))
    assert result.exit_code == 2, result.output
    assert "--out" in result.output and "Traceback" not in result.output
    assert _written(sandbox.root) == before
    assert not (sandbox.data / "build").exists()


def test_watching_into_the_data_folder_is_refused_before_the_first_build(sandbox):
    try:
        result = subprocess.run([sys.executable, "-m", "onepagers", "build", "--theme", "6", "--watch", "--out", "data/build"],
                                cwd=sandbox.root, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("still watching a build into data/")
    assert result.returncode == 2, result.stderr
    assert not (sandbox.data / "build").exists()


def test_a_booklet_into_the_data_folder_is_refused(sandbox, cli):
    result = cli("booklet", "--edition", "1", "--out", str(sandbox.data), "--project", str(sandbox.root))
    assert result.exit_code == 2, result.output
    assert not list(sandbox.data.rglob("*.pdf"))


# The gallery after an interrupted build.


def _listed(out: Path) -> set[str]:
    return set(re.findall(r'href="([^"]+\.pdf)"', (out / "index.html").read_text(encoding="utf-8")))


def test_a_no_op_build_repairs_the_gallery_an_interrupted_build_left(sandbox, tmp_path):
    out = tmp_path / "out"
    selection = Selection(themes=(6,))
    assert build(sandbox, selection, out, workers=1).ok
    (sheet,) = out.glob("*/*.pdf")
    assert _listed(out) == {os.path.relpath(sheet, out)}

    def no_op() -> None:
        report = build(sandbox, selection, out, workers=1)
        assert report.ok and [r.status for r in report.results] == [Status.UP_TO_DATE]

    # A build of theme 7 killed after writing its PDF, before its gallery.
    library = load_library(sandbox.data)
    (seventh,) = plan(library, out, Selection(themes=(7,)))
    shutil.copyfile(sheet, seventh.path)
    no_op()
    assert _listed(out) == {os.path.relpath(sheet, out), os.path.relpath(seventh.path, out)}

    # The PDF removed again: the gallery no longer links it.
    seventh.path.unlink()
    no_op()
    assert _listed(out) == {os.path.relpath(sheet, out)}

    # A gallery cut off while it was written by something else.
    index = out / "index.html"
    index.write_text(index.read_text(encoding="utf-8")[:200], encoding="utf-8")
    no_op()
    assert _listed(out) == {os.path.relpath(sheet, out)}


# Temporary files and process ids.


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def other_process():
    """A live process that writes nothing: its pid is 'reused' by the test's stale files."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process.pid
    process.kill()
    process.wait()


def test_a_stale_part_file_whose_pid_is_now_another_live_process_is_removed(tmp_path, other_process):
    folder = tmp_path / "out" / "privat-2"
    folder.mkdir(parents=True)
    stale = [
        folder / f".tema-06-privat-2.pdf.{other_process}.0badc0de.part",  # the pid alone
        folder / f".tema-06-privat-2.pdf.{other_process}-1.0badc0de.part",  # the pid, and a start time not its own
        folder / f".index.html.{os.getpid()}.0badc0de.part",  # this very process, which writes no such file
    ]
    for part in stale:
        part.write_bytes(b"%PDF-1.7 half")
    assert sorted(files.sweep(tmp_path / "out")) == sorted(stale)
    assert not any(part.exists() for part in stale)


def test_a_live_writers_part_file_is_kept_whatever_its_pid(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    # Written by a process whose pid this sweeper cannot see (another container's
    # pid namespace, say): locked by its writer, so live.
    part = folder / f".tema-06-privat-2.pdf.{_dead_pid()}.0badc0de.part"
    part.write_bytes(b"%PDF-1.7 half")
    with open(part, "rb") as writer:
        fcntl.flock(writer, fcntl.LOCK_EX)
        assert files.sweep(folder) == []
        assert part.exists()
    assert files.sweep(folder) == [part]  # the writer gone without renaming it


def test_a_build_in_the_middle_of_a_write_keeps_the_file_being_written(tmp_path, monkeypatch):
    target = tmp_path / "out" / "privat-2" / "tema-06-svaere-kald-privat-2.pdf"
    swept: list[list[Path]] = []
    real_fsync = os.fsync

    def fsync_while_another_build_sweeps(fd: int) -> None:
        swept.append(files.sweep(tmp_path / "out"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_while_another_build_sweeps)
    files.write_atomically(target, b"%PDF-1.7 whole", inside=tmp_path / "out")
    assert swept == [[]] and target.read_bytes() == b"%PDF-1.7 whole"


def test_a_no_op_build_removes_what_a_killed_build_left(sandbox, tmp_path, other_process):
    out = tmp_path / "out"
    assert build(sandbox, Selection(themes=(6,)), out, workers=1).ok
    (sheet,) = out.glob("*/*.pdf")
    stale = sheet.parent / f".{sheet.name}.{other_process}.0badc0de.part"
    stale.write_bytes(b"%PDF-1.7 half")
    report = build(sandbox, Selection(themes=(6,)), out, workers=1)
    assert [r.status for r in report.results] == [Status.UP_TO_DATE]
    assert not stale.exists()


# The default number of workers.


def test_the_default_workers_are_the_cores_this_process_may_use(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 5, 7}, raising=False)
    if hasattr(os, "process_cpu_count"):  # Python 3.13 asks the affinity itself
        monkeypatch.setattr(os, "process_cpu_count", lambda: 3)
    assert build_module.default_workers() == 3


def test_a_build_starts_no_more_workers_than_the_affinity_allows(sandbox, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {1, 2}, raising=False)
    if hasattr(os, "process_cpu_count"):
        monkeypatch.setattr(os, "process_cpu_count", lambda: 2)
    counts: list[int] = []

    def render(project, language, todo, count, *args, **kwargs):
        counts.append(count)
        return []

    monkeypatch.setattr(build_module, "_render", render)
    build(sandbox, Selection(themes=(1, 2, 3, 4, 5)), tmp_path / "out")
    assert counts == [2]


# A renderer that raises.

# WeasyPrint 70 divides by zero laying out text this large.
POISON = "<p style=\"font-size: 1e30px\">x</p>"


def test_a_sheet_whose_render_raises_in_a_worker_fails_alone(library, project, tmp_path):
    from onepagers import verify

    jobs = plan(library, tmp_path, Selection(themes=(4, 6)))
    todo = []
    for job in jobs:
        page = html_for(library, project, job)
        if job.theme == 6:
            page = page.replace("</body>", POISON + "</body>")
        todo.append(Todo(job, page, "digest", verify.section_sources(library, job)))
    results = {result.job.theme: result for result, _ in _render(project, library.series.language, todo, 1, None, lambda r: r)}
    assert results[4].status is Status.BUILT and results[4].job.path.is_file()
    failed = results[6]
    assert failed.status is Status.FAILED and not failed.job.path.exists()
    (problem,) = failed.problems
    assert problem.subject == "TEMA 6 (privat@2)"
    assert problem.path == library.theme(6).source.path
    assert "ZeroDivisionError" in problem.message


def test_a_render_that_raises_ends_the_build_with_a_diagnostic_not_a_traceback(sandbox, cli, tmp_path):
    sheet_css = sandbox.templates / "sheet.css"
    sheet_css.write_text(sheet_css.read_text(encoding="utf-8") + "\nbody.sheet h1 { font-size: 1e30px; }\n", encoding="utf-8")
    out = tmp_path / "out"
    result = cli("build", "--theme", "6", "--out", str(out), "--project", str(sandbox.root))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert re.search(r"06-svaere-kald\.yaml: error: TEMA 6 \(privat@2\): could not be rendered: ZeroDivisionError", result.output), result.output
    assert not list(out.rglob("*.pdf"))


# One overflow, said once.


@pytest.mark.parametrize(
    "changes",
    [
        lambda theme: {"actions": ["W" * 58, *theme["actions"]]},  # a word wider than its column (and short enough to load)
        lambda theme: {key: [" ".join(["langt ord"] * 140)] * 8 for key in ("actions", "questions", "findings", "cases")},
    ],
    ids=["word-too-wide", "far-too-much-text"],
)
def test_an_overflow_is_reported_once_per_place(sandbox, tmp_path, changes):
    path = next((sandbox.data / "themes").glob("04-*.yaml"))
    _edit_theme(sandbox, 4, **changes(yaml.safe_load(path.read_text(encoding="utf-8"))))
    (result,) = build(sandbox, Selection(themes=(4,)), tmp_path / "out", workers=1).results
    assert not result.ok
    places = [(d.path, d.line, d.rule, d.subject) for d in result.problems]
    assert len(places) == len(set(places)), [d.one_line() for d in result.problems]


# A footer too long.


def test_a_footer_too_long_is_named_by_its_field_in_series_yaml(sandbox, tmp_path):
    words = " ".join(["og mange flere ord her"] * 40)
    footer = 'footer: "Se øvrige temaer på [kropogkontor.dk](https://www.kropogkontor.dk)'
    _edit_series(sandbox, footer, f"{footer} {words}")
    (result,) = build(sandbox, Selection(themes=(10,)), tmp_path / "out", workers=1).results
    assert not result.ok and not result.job.path.exists()
    series = sandbox.data / "series.yaml"
    (problem,) = result.problems
    assert (problem.path, problem.line) == (series, _line_of(series, r"^  footer:")), problem.one_line()
    assert "wording.footer" in problem.message and "footer" in problem.message


def test_a_variants_own_footer_wording_too_long_is_named_there(sandbox, tmp_path):
    old = "      partnership: I branchefællesskabet samarbejder"
    words = " ".join(["og mange flere ord her"] * 40)
    _edit_series(sandbox, old, f"      partnership: {words} I branchefællesskabet samarbejder")
    (result,) = build(sandbox, Selection(themes=(4,), edition=1), tmp_path / "out", workers=1).results
    assert not result.ok
    series = sandbox.data / "series.yaml"
    assert any(
        (d.path, d.line) == (series, _line_of(series, r"^      partnership:")) and "variants.privat@1.wording.partnership" in d.message
        for d in result.problems
    ), [d.one_line() for d in result.problems]
