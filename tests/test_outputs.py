"""What is on disk is proven, not trusted; only regular files are written, and
refused rather than replaced; interrupted builds are cleaned up after."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from onepagers import files, fingerprint
from test_bad_input import run_cli

from conftest import copy_project


@pytest.fixture
def copy(project, tmp_path) -> Path:
    copy_project(project, tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def built_here(project, tmp_path_factory) -> tuple[Path, list[str]]:
    """Themes 3 and 4 built once for the module into out/: (project, the paths build printed)."""
    root = tmp_path_factory.mktemp("built-3-4")
    copy_project(project, root)
    result = run_cli("build", "--theme", "3", "--theme", "4", "--out", "out", cwd=root)
    assert result.returncode == 0, result.stderr
    return root, result.stdout.split()


@pytest.fixture
def built(built_here, tmp_path) -> tuple[Path, Path, Path]:
    """A copy of that project and its out/ to damage: (project, sheet 3, sheet 4).
    A build's record holds no absolute path, so the copy is up to date as built."""
    root, printed = built_here
    copy = tmp_path / "project"
    shutil.copytree(root, copy, symlinks=True)
    three, four = (copy / p for p in printed)
    return copy, three, four


@pytest.mark.parametrize("damage", ["truncated", "emptied", "swapped", "replaced by a link"])
def test_a_pdf_whose_bytes_changed_is_built_again(built, damage):
    copy, three, four = built
    good = four.read_bytes()
    if damage == "truncated":
        four.write_bytes(good[: len(good) // 2])
    elif damage == "emptied":
        four.write_bytes(b"")
    elif damage == "swapped":
        four.write_bytes(three.read_bytes())  # a whole, valid PDF: of another sheet
    else:
        four.unlink()
        four.symlink_to(three)
    result = run_cli("build", "--theme", "3", "--theme", "4", "--out", "out", cwd=copy)
    assert result.returncode == 0, result.stderr
    assert "1 built, 1 up to date" in result.stderr
    assert not four.is_symlink() and four.read_bytes() == good


@pytest.mark.parametrize(
    "manifest",
    ["[]", '{"outputs": {"x.pdf": 1}}', '{"outputs": {"a": {"digest": "", "pages": "2", "sha256": ""}}}', "\udcff", "[" * 100_000],
    ids=["list", "entry-int", "pages-text", "not-utf8", "deep"],
)
def test_a_manifest_of_the_wrong_shape_is_set_aside_with_a_notice(built, manifest):
    copy, three, four = built
    path = copy / "out" / fingerprint.MANIFEST
    path.write_bytes(manifest.encode("utf-8", "surrogateescape"))
    result = run_cli("build", "--theme", "3", "--theme", "4", "--out", "out", cwd=copy)
    assert result.returncode == 0, result.stderr
    assert "out/.onepagers/manifest.json: notice: is not a manifest this tool wrote" in result.stderr
    assert "2 built" in result.stderr
    assert "Traceback" not in result.stderr
    assert set(json.loads(path.read_text(encoding="utf-8"))["outputs"]) == {"privat-2/" + three.name, "privat-2/" + four.name}


def test_a_device_or_pipe_given_as_an_output_is_refused_not_replaced(copy, tmp_path):
    fifo = tmp_path / "diff.html"
    os.mkfifo(fifo)
    result = run_cli("diff", "--theme", "6", "privat@1", "privat@2", "--html", str(fifo), cwd=copy)
    assert result.returncode == 1
    assert "exists and is not a regular file" in result.stderr and "Traceback" not in result.stderr
    assert fifo.is_fifo()


def test_dev_null_is_never_replaced(tmp_path):
    with pytest.raises(files.OutputError, match="not a regular file"):
        files.write_atomically(Path("/dev/null"), b"x")
    assert Path("/dev/null").is_char_device()


def test_a_folder_where_a_pdf_goes_fails_that_sheet_only(built):
    copy, three, four = built
    four.unlink()
    four.mkdir()
    result = run_cli("build", "--theme", "3", "--theme", "4", "--out", "out", "--force", cwd=copy)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{four.relative_to(copy)}: is a folder" in result.stderr
    assert result.stdout.split() == [str(three.relative_to(copy))]  # the other sheet is still built


def test_a_write_that_fails_is_one_line_naming_the_file_and_the_way_out(tmp_path, monkeypatch):
    def full(fd):  # where a full disk (or a full NFS server) says so
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    target = tmp_path / "a.pdf"
    with pytest.raises(files.OutputError) as caught:
        files.write_atomically(target, b"%PDF")
    assert str(caught.value) == f"{target}: cannot write it: No space left on device (the disk is full: make room, then build again)"
    assert list(tmp_path.iterdir()) == []


def test_out_under_a_file_is_one_line(copy):
    (copy / "afile").write_text("x", encoding="utf-8")
    result = run_cli("build", "--theme", "4", "--out", "afile/out", cwd=copy)
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr
    assert "afile is a file, not a folder" in result.stderr or "afile" in result.stderr.splitlines()[0]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_temporary_files_of_dead_writers_are_swept_and_of_live_ones_kept(built):
    copy, three, four = built
    folder = four.parent
    dead = folder / f".{four.name}.{_dead_pid()}.0a1b2c3d.part"
    live = folder / f".{four.name}.{os.getpid()}.0a1b2c3d.part"
    old_style = folder / f".{three.name}.k2j4h5g6.part"  # mkstemp's name, before writers said who they are
    for part in (dead, live, old_style):
        part.write_bytes(b"%PDF-half")
    os.utime(old_style, (time.time() - 2 * files.STALE_SECONDS,) * 2)
    with open(live, "rb") as writer:  # a live writer holds its file's lock until it renames it
        fcntl.flock(writer, fcntl.LOCK_EX)
        result = run_cli("build", "--theme", "4", "--out", "out", cwd=copy)
    assert result.returncode == 0, result.stderr
    assert not dead.exists() and not old_style.exists()
    assert live.exists()


@pytest.mark.slow
def test_a_build_killed_outright_is_cleaned_up_by_the_next(copy):
    proc = subprocess.Popen([sys.executable, "-m", "onepagers", "build", "--all", "--force", "--jobs", "1", "--out", "out"],
                            cwd=copy, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()  # one sheet written: the next is being rendered
    # A .part as SIGKILL leaves it mid-write, from this (then dead) process.
    (copy / "out" / "privat-2" / f".tema-xx.pdf.{proc.pid}.00000000.part").write_bytes(b"%PDF-half")
    proc.kill()
    proc.wait()
    result = run_cli("build", "--theme", "4", "--out", "out", cwd=copy)
    assert result.returncode == 0, result.stderr
    assert list((copy / "out").rglob("*.part")) == []


def _children(pid: int) -> set[int]:
    found = set()
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(status.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_workers_die_with_their_parent(copy, tmp_path_factory):
    # A temporary folder of its own: other tests' builds (another xdist worker's) make font folders meanwhile.
    tmp = tmp_path_factory.mktemp("tmpdir")
    proc = subprocess.Popen([sys.executable, "-m", "onepagers", "build", "--all", "--force", "--jobs", "3", "--out", "out"],
                            cwd=copy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(tmp)})
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while len(workers) < 3 and time.monotonic() < deadline and proc.poll() is None:
        # The pool's workers: forked by multiprocessing's fork server, a child of the build.
        servers = {c for c in _children(proc.pid) if b"forkserver" in _cmdline(c)}
        workers = {w for server in servers for w in _children(server)}
        time.sleep(0.1)
    assert len(workers) == 3, "the build should have started three workers"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.2)
    survivors = [w for w in workers if _alive(w)]
    for w in survivors:
        os.kill(w, signal.SIGKILL)
    assert survivors == [], "workers outlived their parent"
    left = list(tmp.glob("weasyprint-*"))
    assert left == [], "a worker ended without removing its copy of the fonts"


@pytest.mark.slow
def test_the_fork_server_ends_with_the_build_even_while_importing():
    """It shares the build's stdout and stderr: left to finish importing WeasyPrint
    after a build that rendered nothing, it would keep their reader waiting."""
    probe = (
        "import atexit, os, signal; from multiprocessing import forkserver; from onepagers import build; "
        "build.start_workers(); build.start_workers(); server = forkserver._forkserver._forkserver_pid; "
        "atexit._run_exitfuncs(); _, status = os.waitpid(server, 0); "
        "print(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM)"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "True", run.stderr


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone meanwhile
        return b""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("value", ["99999999999999", "1e9", "-5", "１２３"])
def test_an_unusable_source_date_epoch_is_one_line(copy, value):
    env = {**os.environ, "SOURCE_DATE_EPOCH": value}
    result = subprocess.run([sys.executable, "-m", "onepagers", "build", "--theme", "4", "--out", "out"],
                            cwd=copy, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("error: SOURCE_DATE_EPOCH=") and len(result.stderr.splitlines()) == 1, result.stderr
    assert not (copy / "out").exists() or not list((copy / "out").rglob("*.pdf"))


def test_a_damaged_pdf_is_named_by_preview_and_left_out_of_the_gallery(built):
    copy, three, four = built
    four.write_bytes(b"%PDF-1.7 not really")
    result = run_cli("preview", "--out", "out", cwd=copy)
    assert result.returncode == 1
    assert f"error: {four.relative_to(copy)}: not a PDF that can be read" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.split() and all("tema-04" not in p for p in result.stdout.split())  # the good one still pictured

    from onepagers.gallery import series_of
    from onepagers.library import load_library
    from onepagers.project import Project

    listed = [c.pdf for series in series_of(load_library(copy / "data"), Project(copy), copy / "out") for g in series.groups for c in g.cards]
    assert listed == [str(three.relative_to(copy / "out"))]



def test_nothing_is_written_through_a_link_out_of_the_output_folder(built, tmp_path_factory):
    copy, three, four = built
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    folder = four.parent
    shutil.rmtree(folder)
    folder.symlink_to(elsewhere)
    result = run_cli("build", "--theme", "3", "--theme", "4", "--out", "out", cwd=copy)
    assert result.returncode == 1
    assert "is a link to outside the output folder" in result.stderr and "Traceback" not in result.stderr
    assert list(elsewhere.iterdir()) == []


@pytest.mark.workers
def test_a_worker_that_cannot_start_raises_its_own_error_in_the_build(library, project, tmp_path):
    """Not 'a process in the pool was terminated abruptly': the error itself
    (here: a language with no hyphenation rules, as a worker's renderer meets it)."""
    from onepagers import verify
    from onepagers.build import Todo, _render
    from onepagers.html import html_for
    from onepagers.plan import Selection, plan

    job = plan(library, tmp_path, Selection(themes=(4,)))[0]
    todo = [Todo(job, html_for(library, project, job), "digest", verify.section_sources(library, job))]
    ((result, _),) = _render(project, "xx-no-such-language", todo, 1, None, lambda result: result)
    (problem,) = result.problems
    assert "KeyError" in problem.message and result.job.theme == 4, problem.one_line()
