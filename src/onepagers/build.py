"""Build sheets: the library call behind `build`, `--watch`, `serve` and the gallery.

`build(project, selection, out)` plans the jobs, renders every one whose inputs
changed (in worker processes forked from a server that imports WeasyPrint
while this process reads the data; with a given renderer, in this process),
checks each against the acceptance rules of `verify`, writes those that
pass, and returns a `Report`.
A sheet that fails does not stop the others; nothing about a failed sheet is
written.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from . import fingerprint, profiles
from .diagnostics import ContentError, Diagnostic
from .files import gallery_current
from .plan import Job, Selection, check_output_folder, collisions, plan
from .project import Project

# The data layer, the templates, WeasyPrint and multiprocessing are imported
# where they are used: a build with nothing to do answers from the manifest
# without them.
if TYPE_CHECKING:
    from concurrent.futures import Future
    from multiprocessing.context import BaseContext

    from .library import Library
    from .pdf import Renderer
    from .profiles import Profile
    from .verify import Sources

class Status(str, Enum):
    BUILT = "built"
    UP_TO_DATE = "up to date"
    FAILED = "failed"


@dataclass(frozen=True)
class Result:
    job: Job
    status: Status
    pages: int = 0
    seconds: float = 0.0
    problems: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status is not Status.FAILED


@dataclass
class Report:
    """What a build did: one result per job, and the problems that stopped it
    before any sheet was rendered (text that does not load, or that the fonts lack)."""

    results: list[Result] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    gallery: Path | None = None
    # Files that did not load: their sheets (and those that name them) are not
    # built, the others are (see `load_library(partial=True)`).
    skipped: list[Diagnostic] = field(default_factory=list)
    waiting: tuple[str, ...] = ()  # the sheets those files cost (Library.waiting)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.skipped and all(r.ok for r in self.results)

    def count(self, status: Status) -> int:
        return sum(r.status is status for r in self.results)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [*self.problems, *self.skipped, *(d for r in self.results for d in r.problems)]



# What the fork server imports once, so that no worker pays it before its
# first sheet: WeasyPrint, and the templates and the sheet model, which a
# worker needs to set its sheet again at another step of the copyfitting
# (compose.fitted).
WORKER_PRELOAD = ("onepagers.pdf", "onepagers.html")

def build(
    project: Project,
    selection: Selection,
    out: Path,
    *,
    library: Library | None = None,
    workers: int | None = None,
    force: bool = False,
    renderer: Renderer | None = None,
    on_result: Callable[[Result], None] | None = None,
    gallery: bool = True,
    while_rendering: Callable[[], None] | None = None,
) -> Report:
    """Plan `selection` into `out` and build every job whose inputs changed (all with `force`).

    `while_rendering` is called once the workers have their sheets, while
    this process only waits for them: a caller makes ready there what it
    will do after them. Raises `SelectionError` if the selection names
    something that does not exist; every other problem is in the report.
    """
    check_output_folder(project, out)
    # A web page also depends on which PDFs are beside it (it links those): never
    # answered from the record, and cheap to make anyway.
    remembered = profiles.get(selection.profile).pdf_variant is not None
    in_workers = renderer is None and remembered  # PDFs, rendered by the fork server's workers
    if in_workers and force:
        start_workers()  # nothing to look up first: WeasyPrint's import starts now
    whole = fingerprint.selection_digest(project, selection, out)
    if not force and gallery and remembered and (known := fingerprint.unchanged(out, whole)) is not None and gallery_current(out):
        from .files import sweep

        sweep(out)  # what a killed build left behind goes, even when nothing is built
        report = Report([Result(job, Status.UP_TO_DATE, pages) for job, pages in known])
        for result in report.results:
            if on_result:
                on_result(result)
        return report

    if in_workers:
        start_workers()  # WeasyPrint's import, beside the data's loading
    from .library import load_library

    try:
        library = library or load_library(project.data, partial=True)
    except ContentError as exc:
        return Report(problems=exc.diagnostics)
    if library.broken:  # a sheet whose file did not load is said once, by that file
        selection = replace(selection, themes=tuple(n for n in selection.themes if n not in library.broken))
    def prepare() -> None:
        if gallery:
            from .gallery import prepare as prepare_gallery

            prepare_gallery(project)
        if while_rendering is not None:
            while_rendering()

    jobs = plan(library, out, selection)
    # Every output of the run has a file of its own, or nothing is written.
    if clashes := collisions(library, out, [job.path for job in jobs]):
        return Report(problems=clashes, skipped=list(library.problems), waiting=library.waiting())
    report = build_jobs(library, project, jobs, workers=workers, force=force, renderer=renderer,
                        on_result=on_result, while_rendering=prepare)
    report.skipped, report.waiting = list(library.problems), library.waiting()
    wrote = report.count(Status.BUILT)
    # The gallery describes the folder as it is, also after a build that was
    # stopped between writing a sheet and writing the gallery.
    stale = (report.count(Status.UP_TO_DATE) or (out / "index.html").exists()) and not gallery_current(out)
    if gallery and not report.problems and (wrote or stale):
        from .gallery import write_gallery

        report.gallery = write_gallery(library, project, out)
    if gallery and report.ok and report.results:
        fingerprint.remember(out, whole, [(r.job, r.pages) for r in report.results])
    return report


def build_jobs(
    library: Library,
    project: Project,
    jobs: list[Job],
    *,
    workers: int | None = None,
    force: bool = False,
    renderer: Renderer | None = None,
    on_result: Callable[[Result], None] | None = None,
    while_rendering: Callable[[], None] | None = None,
) -> Report:
    """Build planned jobs; see `build`."""
    from . import verify
    from .html import html_for

    if problems := verify.characters(library, project):
        return Report(problems=problems)

    def done(result: Result) -> Result:
        if on_result:
            on_result(result)
        return result

    if jobs and jobs[0].profile.pdf_variant is None:  # web pages, not PDFs
        return _write_pages(library, project, jobs, force, done)

    inputs = fingerprint.inputs_digest(project)
    manifests: dict[Path, dict] = {}
    results: list[Result] = []
    todo: list[Todo] = []
    for job in jobs:
        manifest = manifests.setdefault(job.out, fingerprint.read(job.out))
        try:
            page_html = html_for(library, project, job)
        except ContentError as exc:
            results.append(done(Result(job, Status.FAILED, problems=tuple(exc.diagnostics))))
            continue
        digest = fingerprint.sheet_digest(page_html, job.profile.name, inputs)
        pages = fingerprint.current(job.out, job.path, digest, manifest)
        if pages is not None and not force:
            results.append(done(Result(job, Status.UP_TO_DATE, pages)))
        else:
            todo.append(Todo(job, page_html, digest, verify.section_sources(library, job)))

    count = max(1, min(workers or default_workers(), len(todo)))
    built = _render(project, library.series.language, todo, count, renderer, done, while_rendering) if todo else []
    for out in manifests:
        fingerprint.record(out, {r.job.path: (d, r.pages) for r, d in built if r.ok and r.job.out == out})
    results += [r for r, _ in built]
    order = {job: i for i, job in enumerate(jobs)}
    return Report(sorted(results, key=lambda r: order[r.job]))


def default_workers() -> int:
    """One worker per core this process may run on: its CPU affinity (taskset,
    a container's cpuset, a CI runner's share), not every core of the machine."""
    counted = getattr(os, "process_cpu_count", None)  # Python 3.13: affinity, and PYTHON_CPU_COUNT
    if counted is not None:
        return counted() or 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # macOS, Windows: no affinity to ask
        return os.cpu_count() or 1


def _write_pages(library: Library, project: Project, jobs: list[Job], force: bool, done: Callable[[Result], Result]) -> Report:
    """The web profile: a page per job (see `web`), in milliseconds, so in this process."""
    from . import web

    for out in dict.fromkeys(job.out for job in jobs):
        web.copy_fonts(project, out)
    failed: dict[Job, tuple] = {}
    took: dict[Job, float] = {}
    # A page links its siblings' pages where they are built: twice over, so
    # that a page written before a sibling links it too. The second pass
    # writes only the pages whose links changed, and where the first wrote
    # none no link can have.
    for again in (False, True):
        if again and not took:
            break
        for job in (j for j in jobs if j not in failed):
            started = time.perf_counter()
            try:
                if web.write(library, project, job, force=force and not again):
                    took[job] = took.get(job, 0.0) + time.perf_counter() - started
            except ContentError as exc:
                failed[job] = tuple(exc.diagnostics)
    return Report([
        done(Result(job, Status.FAILED, problems=failed[job]) if job in failed
             else Result(job, Status.BUILT, 1, took[job]) if job in took else Result(job, Status.UP_TO_DATE, 1))
        for job in jobs
    ])


@dataclass(frozen=True)
class Todo:
    """A job to render, with all a worker needs: no library crosses to a worker."""

    job: Job
    html: str
    digest: str
    sources: Sources


def _render(
    project: Project,
    language: str,
    todo: list[Todo],
    count: int,
    renderer: Renderer | None,
    done: Callable[[Result], Result],
    while_rendering: Callable[[], None] | None = None,
) -> list[tuple[Result, str]]:
    """Render the sheets in `count` workers (or with `renderer`, in this process).

    The workers are forked from a server process that has imported WeasyPrint
    (see `start_workers`), and each takes the next sheet from one queue as it
    finishes one: no core waits while there is work. This process only waits.
    """
    # The introduction is set in balanced columns, which WeasyPrint lays out
    # several times over: it takes two or three times a theme's time, and
    # started last it is what the other cores end up waiting for.
    todo = sorted(todo, key=lambda item: item.job.theme is not None)
    if renderer is not None:
        if while_rendering is not None:  # no worker to wait for: the caller's work comes first
            while_rendering()
        return [(done(render_job(renderer, project, item)), item.digest) for item in todo]
    from concurrent.futures import ProcessPoolExecutor, as_completed

    start_workers()
    pool = ProcessPoolExecutor(count, mp_context=_context(), initializer=_start_worker, initargs=(os.getpid(), project.root, todo[0].job.profile, language))
    try:
        with _interrupts_ignored():  # forked now, by the server, which ignores them
            futures = {pool.submit(_work, item): item for item in todo}
        if while_rendering is not None:
            # The server is likely still importing WeasyPrint on another core:
            # what this process does after the sheets costs nothing now.
            while_rendering()
        return [(done(_outcome(future, futures[future])), futures[future].digest) for future in as_completed(futures)]
    finally:
        # After Ctrl-C or a failure, the sheets not yet started are dropped;
        # those being rendered finish, so no worker is cut off mid-write.
        pool.shutdown(wait=True, cancel_futures=True)


def _outcome(future: Future[Result], item: Todo) -> Result:
    """A worker's result; its failure (a worker that could not start, one
    killed by the system for its memory) the sheet's failure, said as such."""
    try:
        return future.result()
    except Exception as exc:
        return failed(item, exc)


def failed(item: Todo, exc: BaseException) -> Result:
    """A sheet whose rendering raised: one Diagnostic at its data file, naming
    the sheet and what went wrong, instead of a traceback that ends the build."""
    from concurrent.futures.process import BrokenProcessPool

    path, line, column, _ = item.sources[""]
    if isinstance(exc, BrokenProcessPool):
        what = "its worker process ended abruptly (killed, perhaps for lack of memory)"
    elif isinstance(exc, MemoryError):
        what = "it took more memory than there is"
    else:
        what = f"{type(exc).__name__}: {exc}".rstrip(": ")
    message = f"could not be rendered: {what}; the other sheets are built"
    return Result(item.job, Status.FAILED, problems=(Diagnostic(path, line, column, message, subject=item.job.name,
                  suggestion="if the text looks right, this is a bug in onepagers, WeasyPrint or a template: please report it"),))


def _context() -> BaseContext:
    # forkserver where there is one (Linux, macOS); Windows has only spawn.
    import multiprocessing

    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def start_workers() -> None:
    """Start the process that render workers are forked from, importing WeasyPrint.

    Called as soon as a build knows it will render, it imports WeasyPrint
    (half a second) on another core while this process reads the data and
    makes the HTML; this process never imports it. Every worker forked from
    it starts with WeasyPrint loaded (a server already running is kept).
    Started while Ctrl-C is ignored, the server and its workers keep
    ignoring it: the build alone decides what stops, and no worker prints a
    traceback of its own.
    """
    context = _context()
    if context.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    context.set_forkserver_preload(list(WORKER_PRELOAD))
    with _interrupts_ignored():
        forkserver.ensure_running()
    atexit.unregister(_stop_server)  # once, however often this is called
    atexit.register(_stop_server)


def _stop_server() -> None:
    """End the fork server with the build, even in the middle of its import.

    It shares the build's stdout and stderr: a server still importing WeasyPrint
    when a build ends without rendering (nothing changed, a mistake in the
    data) would keep them open half a second longer, and whoever reads them
    (a pipe, CI, a test) would wait for it. Its workers have ended by now.
    """
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)  # no public way to ask
    if pid is not None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


@contextmanager
def _interrupts_ignored() -> Iterator[None]:
    """A process started (or forked) while SIGINT is ignored inherits that."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


_worker_renderer: Renderer | None = None
_worker_starting = threading.Lock()
_worker_failure: Exception | None = None


def _start_worker(build: int, root: Path, profile: Profile, language: str) -> None:
    from multiprocessing.util import Finalize

    from .environment import die_with

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # where it was spawned, not forked
    die_with(build, cleanup=_close_worker)
    global _worker_renderer, _worker_failure
    with _worker_starting:  # the fonts' folder is made in there: _close_worker waits for it
        try:
            from .pdf import Renderer

            _worker_renderer = Renderer(Project(root), profile, language)
        except Exception as exc:  # raised by the first sheet, in the build, not as a broken pool
            _worker_failure = exc
    # Workers leave through multiprocessing's exit, which skips atexit: this
    # is what removes the worker's /tmp/weasyprint-* font folder.
    Finalize(None, _close_worker, exitpriority=10)


def _close_worker() -> None:
    with _worker_starting:
        if _worker_renderer is not None:
            _worker_renderer.close()


def _work(item: Todo) -> Result:
    if _worker_failure is not None:
        return failed(item, _worker_failure)
    assert _worker_renderer is not None
    return render_job(_worker_renderer, _worker_renderer.project, item)


def render_job(renderer: Renderer, project: Project, item: Todo) -> Result:
    """Render one sheet, check it, and write it (and its gallery thumbnail) if it passes."""
    from . import verify
    from .files import OutputError, write_atomically
    from .preview import DamagedPdf, thumbnail

    job = item.job
    started = time.perf_counter()
    try:
        rendered = renderer.render(item.html)
        problems = verify.layout(project, job, rendered, item.sources)
        if not rendered.missing:  # a missing font file also brings a fallback font; said better above
            problems += verify.embedded_fonts(rendered.fonts, project, job.name)
    except Exception as exc:  # WeasyPrint's bug, a font it cannot load, memory: this sheet fails, the others go on
        return failed(item, exc)
    if not problems:
        try:
            write_atomically(job.path, rendered.pdf, inside=job.out)
        except OutputError as exc:  # a full disk fails this sheet; the next may still fit
            problems.append(Diagnostic(None, 0, 0, str(exc), subject=job.name))
        else:
            try:
                thumbnail(job.path)
            except (OutputError, DamagedPdf) as exc:
                # Written, yet unreadable, or its picture did not fit on the
                # disk: the sheet is reported not written, so it is not left there.
                job.path.unlink(missing_ok=True)
                problems.append(Diagnostic(None, 0, 0, str(exc), subject=job.name))
    status = Status.FAILED if problems else Status.BUILT
    return Result(job, status, rendered.pages, time.perf_counter() - started, tuple(problems))

