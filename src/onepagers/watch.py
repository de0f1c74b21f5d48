"""build --watch: rebuild the affected sheets whenever data, templates or fonts change.

One warm renderer is kept between rebuilds (WeasyPrint imported once, its
fonts loaded once), and the incremental build decides what is affected. A
file that does not load (a YAML error mid-edit) is reported and the watch
goes on.
"""

from __future__ import annotations

import time
from typing import Callable

from .build import Job, Result, SelectionError, build
from .diagnostics import ContentError, Diagnostic
from .environment import EnvironmentProblem
from .files import OutputError
from .library import Library, load_library
from .project import Project


def rebuild_once(project: Project, plan_jobs: Callable[[Library], list[Job]], profile: str, renderer) -> str:
    """One rebuild, told in one line. Whatever a save did (a file half-written,
    moved away, not YAML, a NUL in it), this returns a line and the watch goes on."""
    started = time.perf_counter()
    problems: tuple[Diagnostic, ...] = ()
    results: list[Result] = []
    unavailable = ""
    try:
        library = load_library(project.data, partial=True)
        problems = library.problems
        try:
            jobs = plan_jobs(library)
        except SelectionError as exc:
            if not problems:
                raise
            jobs, unavailable = [], str(exc)  # most likely the sheet of the broken file: both said below
        if jobs:
            results = build(library, project, jobs, profile=profile, renderer=renderer)
    except ContentError as exc:
        problems = tuple(exc.diagnostics)
    except (SelectionError, OutputError, EnvironmentProblem, OSError) as exc:
        return f"error: {exc}; still watching"
    except Exception as exc:  # noqa: BLE001 - a watch outlives any one save
        return f"error: {type(exc).__name__}: {exc}; still watching"
    seconds = time.perf_counter() - started
    built = [r for r in results if r.status == "built"]
    failed = [r for r in results if r.status == "failed"]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        others = f"; rebuilt {', '.join(r.job.label for r in built)}" if built else f"; {unavailable or 'nothing written'}"
        return f"{problems[0].one_line()}{more}{others}, still watching"
    if failed:
        return f"error: {failed[0].job.label}: {failed[0].problems[0]}" + (f" (and {len(failed) - 1} more sheets)" if len(failed) > 1 else "")
    if not built:
        return f"nothing changed ({len(results)} up to date, {seconds:.2f} s)"
    names = ", ".join(r.job.label for r in built)
    return f"rebuilt {names} in {seconds:.2f} s"


def watch(
    project: Project,
    plan_jobs: Callable[[Library], list[Job]],
    profile: str,
    say: Callable[[str], None],
    stop_event=None,
) -> None:
    import watchfiles

    from .pdf import Renderer

    renderer = Renderer(project, profile)
    try:
        say(rebuild_once(project, plan_jobs, profile, renderer))
        while not (stop_event is not None and stop_event.is_set()):
            folders = [str(p) for p in (project.data, project.templates, project.fonts) if p.is_dir()]
            if not folders:
                time.sleep(1)
                continue
            try:
                for changes in watchfiles.watch(*folders, stop_event=stop_event, debounce=200, step=50):
                    if any(str(project.fonts) in path for _, path in changes):
                        try:
                            fresh = Renderer(project, profile)  # font files are loaded once per renderer
                        except Exception as exc:  # noqa: BLE001 - keep the last renderer that worked
                            say(f"{time.strftime('%H:%M:%S ')}error: fonts: {exc}; still watching")
                        else:
                            renderer.close()
                            renderer = fresh
                    say(time.strftime("%H:%M:%S ") + rebuild_once(project, plan_jobs, profile, renderer))
                return
            except (OSError, RuntimeError) as exc:
                # A watched folder moved away or replaced: watch what is there again.
                say(f"{time.strftime('%H:%M:%S ')}error: {exc}; still watching")
                time.sleep(1)
    finally:
        renderer.close()
