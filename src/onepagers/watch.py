"""build --watch: rebuild the affected sheets whenever data, templates or fonts change.

One warm renderer is kept between rebuilds (WeasyPrint imported once, its
fonts and stylesheets loaded once), and the incremental build decides what
is affected. A file that does not load (a YAML error mid-edit) is reported,
the sheets that do load are built, and the watch goes on: whatever a save
did (a file moved away, a NUL in it, a folder in its place), a rebuild is one
line and never the end of the watch.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from . import profiles
from .build import Report, Status, build
from .diagnostics import ContentError, SelectionError, display_path
from .environment import EnvironmentProblem
from .files import OutputError
from .plan import Selection
from .project import Project


def summary(report: Report, seconds: float) -> str:
    """A rebuild told in one line."""
    built = [r.job for r in report.results if r.status is Status.BUILT]
    if not report.ok:
        # One line a rebuild, so that the watch's output stays a log of saves:
        # the first problem, as `build` words it, and how many more there are.
        first, *more = report.diagnostics
        also = f"; rebuilt {', '.join(j.name for j in built)}" if built else ""
        return first.one_line() + (f" (and {len(more)} more)" if more else "") + also + "; still watching"
    if not built:
        return f"nothing changed ({len(report.results)} up to date, {seconds:.2f} s)"
    # The paths too: an editor needs to know which file to look at.
    return f"rebuilt {', '.join(j.name for j in built)} in {seconds:.2f} s: " + ", ".join(display_path(j.path) for j in built)


def watch(
    project: Project,
    selection: Selection,
    out: Path,
    say: Callable[[str], None],
    stop_event=None,
) -> None:
    import watchfiles

    from .library import load_library
    from .pdf import Renderer

    profile = profiles.get(selection.profile)
    renderer: Renderer | None = None

    def rebuild() -> str:
        nonlocal renderer
        started = time.perf_counter()
        try:
            library = load_library(project.data, partial=True)
            if renderer is None or renderer.language != library.series.language:
                if renderer is not None:
                    renderer.close()
                    renderer = None
                renderer = Renderer(project, profile, library.series.language)
            report = build(project, selection, out, library=library, renderer=renderer)
        except ContentError as exc:
            return summary(Report(problems=exc.diagnostics), 0.0)
        except (SelectionError, OutputError, EnvironmentProblem, OSError) as exc:  # a theme watched for was removed or renumbered, a disk full
            return f"error: {exc}; still watching"
        except Exception as exc:  # noqa: BLE001 - a watch outlives any one save
            return f"error: {type(exc).__name__}: {exc}; still watching"
        return summary(report, time.perf_counter() - started)

    try:
        say(rebuild())
        while not (stop_event is not None and stop_event.is_set()):
            folders = [str(p) for p in (project.data, project.templates, project.fonts) if p.is_dir()]
            if not folders:
                time.sleep(1)
                continue
            try:
                for changes in watchfiles.watch(*folders, stop_event=stop_event, debounce=200, step=50):
                    if renderer is not None and any(str(project.fonts) in path or str(project.templates) in path for _, path in changes):
                        renderer.close()  # fonts and stylesheets are loaded once per renderer
                        renderer = None
                    say(time.strftime("%H:%M:%S ") + rebuild())
                return
            except (OSError, RuntimeError) as exc:
                # A watched folder moved away or replaced: watch what is there again.
                say(f"{time.strftime('%H:%M:%S ')}error: {exc}; still watching")
                time.sleep(1)
    finally:
        if renderer is not None:
            renderer.close()
