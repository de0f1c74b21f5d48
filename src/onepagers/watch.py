"""build --watch: rebuild the affected sheets whenever data, templates or fonts change.

One warm renderer is kept between rebuilds (WeasyPrint imported once, its
fonts loaded once), and the incremental build decides what is affected. A
file that does not load (a YAML error mid-edit) is reported and the watch
goes on.
"""

from __future__ import annotations

import time
from typing import Callable

from .build import Job, build
from .diagnostics import ContentError
from .library import Library, load_library
from .project import Project


def rebuild_once(project: Project, plan_jobs: Callable[[Library], list[Job]], profile: str, renderer) -> str:
    """One rebuild, told in one line."""
    started = time.perf_counter()
    try:
        library = load_library(project.data)
        results = build(library, project, plan_jobs(library), profile=profile, renderer=renderer)
    except ContentError as exc:
        first = exc.diagnostics[0].one_line()
        more = f" (and {len(exc.diagnostics) - 1} more)" if len(exc.diagnostics) > 1 else ""
        return f"{first}{more}; nothing written, still watching"
    seconds = time.perf_counter() - started
    built = [r for r in results if r.status == "built"]
    failed = [r for r in results if r.status == "failed"]
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

    # The web profile renders no PDF: nothing to keep warm.
    warm = profile != "web"
    renderer = Renderer(project, profile) if warm else None
    try:
        say(rebuild_once(project, plan_jobs, profile, renderer))
        folders = [str(p) for p in (project.data, project.templates, project.fonts) if p.is_dir()]
        for changes in watchfiles.watch(*folders, stop_event=stop_event, debounce=200, step=50):
            if warm and any(str(project.fonts) in path for _, path in changes):
                renderer.close()
                renderer = Renderer(project, profile)  # font files are loaded once per renderer
            say(time.strftime("%H:%M:%S ") + rebuild_once(project, plan_jobs, profile, renderer))
    finally:
        if renderer is not None:
            renderer.close()
