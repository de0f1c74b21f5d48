from __future__ import annotations

import contextlib
import functools
import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import yaml

from onepagers.library import Library, load_library
from onepagers.project import Project

ROOT = Path(__file__).resolve().parent.parent


# The test files that read every sheet's laid-out boxes (`laid_out`,
# `print_laid_out`): boxes cannot pass between processes, so each worker that
# runs one of these lays all 46 sheets out again (about 20 s). They go to one
# worker together.
LAID_OUT_FILES = frozenset({"test_hyphenation.py", "test_composition.py", "test_layout_measures.py", "test_layout_cache.py"})


# The units of work that take longest (`pytest --durations`, two workers),
# longest first. xdist hands out the files with most tests first and gives a
# worker more whenever it has two tests or fewer left, so the long files of
# one or two tests came last and piled up behind each other on one worker:
# `make test-slow` ran 427 s, its other worker idle from 162 s. These go
# first, each to the worker that asks; the order only changes the time.
LONGEST_FIRST = (
    "tests/test_workflow.py",  # slow: 140 s
    "laid-out sheets",  # 125 s
    "tests/test_layout_apart.py",  # slow: 105 s
    "tests/test_web.py",  # slow: 75 s (axe on every page)
    "tests/test_print_preflight.py",  # 50 s
    "tests/test_hostile.py",  # slow: 50 s
    "tests/test_property.py",  # slow: 45 s
    "tests/test_accessibility_pdf.py",  # 37 s
    "tests/test_incremental.py",  # 36 s
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """--dist loadfile, with the files of LAID_OUT_FILES one unit of work, and
    the units of LONGEST_FIRST handed out before the others."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedLayouts(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return "laid-out sheets" if Path(file).name in LAID_OUT_FILES else file

        def _assign_work_unit(self, node) -> None:
            longest = next((unit for unit in LONGEST_FIRST if unit in self.workqueue), None)
            if longest is not None:
                self.workqueue.move_to_end(longest, last=False)
            super()._assign_work_unit(node)

    return SharedLayouts(config, log)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """Says which sheets layouts.lock does not hold as the project stands: the
    run searched for each of them (a couple of seconds a sheet, more than
    once where tests copy the project), until `make layouts`. A report, not
    a test: an editor's change leaves the lock stale and must still pass."""
    if hasattr(config, "workerinput"):
        return
    from onepagers.diagnostics import ContentError
    from onepagers.layouts import unlocked

    here = Project(ROOT)
    if not here.layouts_lock.exists():
        terminalreporter.write_line("There is no layouts.lock: every test run searches for every sheet's layout; `make layouts` writes it.")
        return
    try:
        missing = unlocked(here, load_library(here.data))
    except ContentError:  # the data's own tests say what is wrong
        return
    if missing:
        terminalreporter.write_line(f"layouts.lock does not hold {len(missing)} sheets as they stand ({', '.join(missing[:4])}"
                                    f"{', …' if len(missing) > 4 else ''}): every test run searches for their layouts again; `make layouts` records them.")


@pytest.fixture(scope="session", autouse=True)
def own_cache_folder(tmp_path_factory, request):
    """The tests' cache folder (font metrics, chosen layouts), not the user's
    ~/.cache; the command lines the tests start inherit it. Under xdist the
    workers share one: what is kept there is keyed by content and written
    atomically."""
    import os

    before = os.environ.get("XDG_CACHE_HOME")
    if hasattr(request.config, "workerinput"):
        shared = tmp_path_factory.getbasetemp().parent / "cache"
        shared.mkdir(exist_ok=True)
        os.environ["XDG_CACHE_HOME"] = str(shared)
    else:
        os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(autouse=True)
def few_sheets_render_here(request, monkeypatch):
    """A build of one to three sheets renders them in the test's own process,
    as `watch` and `serve` do, not in workers forked for it: a worker's start
    (its fork, its fonts and C types loaded anew) cost 0.3 s of a core, and the
    tests make a hundred such builds. Larger builds (the shared sets, every
    sheet), tests marked `workers`, and the slow tests (the command started as
    a user starts it) go through the workers."""
    if request.node.get_closest_marker("workers"):
        return
    from onepagers import build as building
    from onepagers.pdf import Renderer

    real = building._render

    def render(project, language, todo, count, renderer, done, while_rendering=None):
        if renderer is not None or len(todo) > 3:
            return real(project, language, todo, count, renderer, done, while_rendering)
        here = Renderer(project, todo[0].job.profile, language)
        try:
            return real(project, language, todo, count, here, done, while_rendering)
        finally:
            here.close()

    monkeypatch.setattr(building, "_render", render)


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


@pytest.fixture(scope="session")
def library(project: Project) -> Library:
    return load_library(project.data)


@pytest.fixture(scope="session")
def corrections(project: Project) -> list[dict]:
    return yaml.safe_load((project.data / "corrections.yaml").read_text(encoding="utf-8"))["corrections"]


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run the command line in this process, through its error boundary, as a user would."""
    from onepagers.cli import run

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


def run_in_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`onepagers ARGS` run from `cwd` in this process, through the command line's
    error boundary, answered as `subprocess.run` would: starting Python and the
    fork server again for every command cost most of a second each.

    Tests about the process itself (signals, pipes, what a fresh process
    imports, its environment) start one instead, and are marked slow."""
    from onepagers.cli import run

    stdout, stderr = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = run(list(args))
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(["onepagers", *args], code, stdout.getvalue(), stderr.getvalue())


def page_texts(pdf: Path) -> tuple[str, ...]:
    """Each page's text as pypdf extracts it. Read once per file as it stands:
    the shared builds' PDFs are read by a dozen tests, and extracting the
    text is most of the time pypdf takes."""
    info = Path(pdf).stat()
    return _page_texts(Path(pdf), info.st_ino, info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _page_texts(pdf: Path, inode: int, size: int, mtime_ns: int) -> tuple[str, ...]:
    import pypdf

    return tuple(page.extract_text() for page in pypdf.PdfReader(pdf).pages)


def copy_project(source: Project, root: Path, parts: tuple[str, ...] = ("data", "templates", "fonts", "layouts.lock")) -> Project:
    """A copy of the project's data, templates, fonts and layouts.lock (or just
    `parts`) under `root`, to edit freely. Without the lock, every sheet of
    the copy would be searched for: the real project's builds read their
    layouts from the lock and leave none in the cache folder."""
    for part in parts:
        if (source.root / part).is_dir():
            shutil.copytree(source.root / part, root / part)
        elif (source.root / part).is_file():
            root.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source.root / part, root / part)
    return Project(root)


@pytest.fixture
def sandbox(project: Project, tmp_path: Path) -> Project:
    """A fresh copy of the project for one test."""
    return copy_project(project, tmp_path)


def built_once(name: str, selection, project: Project, library: Library, request: pytest.FixtureRequest) -> list:
    """Build `selection` once for the whole run, and answer its results.

    Under pytest-xdist each worker process has its own session: the first to
    ask builds, under a lock in the folder the workers share, and leaves the
    results there for the others (they only read the files)."""
    import fcntl
    import pickle

    from onepagers.build import build

    def make(out: Path) -> list:
        report = build(project, selection, out, library=library)
        assert report.ok, [d.one_line() for d in report.diagnostics]
        return report.results

    tmp_path_factory = request.getfixturevalue("tmp_path_factory")
    if not hasattr(request.config, "workerinput"):  # not under xdist
        return make(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent
    record = shared / f"{name}.pickle"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            record.write_bytes(pickle.dumps(make(shared / name)))
    return pickle.loads(record.read_bytes())


@pytest.fixture(scope="session")
def built(library, project, request):
    """Every sheet in every variant, built once for the whole run."""
    from onepagers.plan import Selection

    return built_once("build", Selection(everything=True, every_variant=True), project, library, request)


@pytest.fixture(scope="session")
def print_built(library, project, request):
    """Every sheet in every variant in the print profile, built once for the
    whole run: the tests that only read print PDFs share it."""
    from onepagers.plan import Selection

    return built_once("print", Selection(everything=True, every_variant=True, profile="print"), project, library, request)


def _lay_out_every_sheet(library, project, tmp_path_factory, profile: str = "screen") -> list:
    from onepagers.html import html_for
    from onepagers.pdf import Renderer
    from onepagers.plan import Selection, plan

    jobs = plan(library, tmp_path_factory.mktemp("laid-out"), Selection(everything=True, every_variant=True, profile=profile))
    renderer = Renderer(project, jobs[0].profile, library.series.language)
    try:
        return [(job, renderer.layout(html_for(library, project, job))[0].pages) for job in jobs]
    finally:
        renderer.close()


@pytest.fixture(scope="session")
def laid_out(library, project, tmp_path_factory, built):
    """Every sheet of every variant laid out (boxes, no PDF): (job, pages).
    After the shared build (`built`), so that each worker lays every sheet
    out once, at the layout the build chose, instead of searching again."""
    return _lay_out_every_sheet(library, project, tmp_path_factory)


@pytest.fixture(scope="session")
def print_laid_out(library, project, tmp_path_factory, print_built):
    """The same in the print profile, whose references carry their addresses
    (a taller foot on page 2): its layouts are chosen on their own."""
    return _lay_out_every_sheet(library, project, tmp_path_factory, "print")


@pytest.fixture(scope="session")
def every_laid_out(laid_out, print_laid_out):
    """Every sheet of every variant laid out, on screen and in print: the
    pages a print shop and a reader each get are held to one set of rules."""
    return [*laid_out, *print_laid_out]


@pytest.fixture
def unreadable_folder(monkeypatch):
    """Make listing one folder fail as it would without read permission (the
    tests may run as root, whom permissions do not stop)."""

    def make(folder: Path) -> None:
        real = Path.iterdir

        def iterdir(self: Path):
            if self == folder:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "iterdir", iterdir)

    return make
