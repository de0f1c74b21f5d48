"""build --watch: rebuild the affected sheets whenever data, templates or fonts change.

One warm renderer is kept between rebuilds (WeasyPrint imported once, its
fonts and stylesheets loaded once), and the incremental build decides what
is affected. A file that does not load (a YAML error mid-edit) is reported,
the sheets that do load are built, and the watch goes on: whatever a save
did (a file moved away, a NUL in it, a folder in its place), a rebuild is one
line and never the end of the watch. Nor is a watched folder deleted, moved
away or replaced (`changes`, which `serve` watches with too).
"""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

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
    stop_event: threading.Event | None = None,
) -> None:
    from .library import load_library
    from .pdf import Renderer

    profile = profiles.get(selection.profile)
    renderer: Renderer | None = None
    # Where it is now: a working folder deleted and made again (the project's
    # own, checked out afresh) is no longer the one a relative path means.
    out = Path(os.path.abspath(out))

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
        for count, paths in enumerate(changes(project, say, stop_event, debounce=200, step=50)):
            if renderer is not None and touches(paths, project.fonts, project.templates):
                renderer.close()  # fonts and stylesheets are loaded once per renderer
                renderer = None
            say((stamp() if count else "") + rebuild())
    finally:
        if renderer is not None:
            renderer.close()


def stamp() -> str:
    return time.strftime("%H:%M:%S ")


def touches(paths: set[str], *folders: Path) -> bool:
    """Whether a change is in (or is) one of `folders`."""
    return any(Path(p) == folder or folder in Path(p).parents for p in paths for folder in folders)


# How often, while nothing changes, the watch looks whether its folders are the
# ones it watches; and, while one is gone, whether it is back.
LOOK_MS = 500


def changes(
    project: Project,
    say: Callable[[str], None],
    stop_event: threading.Event | None = None,
    debounce: int = 200,
    step: int = 50,
) -> Iterator[set[str]]:
    """The paths each save changed under data/, templates/ and fonts/, batch by
    batch, until `stop_event` (or Ctrl-C). The first batch is empty, once the
    watch is set: build then, and no save made while building is missed.

    A folder deleted and made again, moved away and another moved in (a `git
    checkout`, `rm -rf data && cp -r backup data`, an editor that saves a
    folder by replacing it) does not end the watch. The operating system's
    watch goes with the folder it was set on, so a folder named in a batch as
    deleted, or no longer the one on disk (device and inode, looked at between
    batches), is watched afresh: one gone is said once and waited for, nothing
    rebuilt meanwhile; one back, replaced or new is watched again, and a batch
    naming it follows, so that what changed while it was away is built.
    """
    import watchfiles

    roots = (project.data, project.templates, project.fonts)
    # data/themes/ too: inside data/, but without it there is no sheet to build.
    folders = (*roots, project.data / "themes")
    expected = {folder for folder in folders if _identity(folder) is not None}  # a folder never there is not waited for
    pending: set[str] = set()  # changed while the watch was not set: told with its first batch
    first = True
    failure = ""
    while not _stopped(stop_event):
        gone = [f for f in folders if f in expected and _identity(f) is None]
        if gone:
            outermost = [project.root] if _identity(project.root) is None else [f for f in gone if f.parent not in gone]
            say(f"{stamp()}{_named(outermost)} {'is' if len(outermost) == 1 else 'are'} gone; waiting for {'it' if len(outermost) == 1 else 'them'} to come back")
            while any(_identity(f) is None for f in gone):
                if _wait(stop_event, LOOK_MS / 1000):
                    return
            say(f"{stamp()}{_named(outermost)} {'is' if len(outermost) == 1 else 'are'} back")
            pending |= {str(f) for f in gone}
        watched = {folder: _identity(folder) for folder in folders}
        expected |= {folder for folder, identity in watched.items() if identity is not None}
        present = [str(folder) for folder in roots if watched[folder] is not None]
        if not present:
            _wait(stop_event, LOOK_MS / 1000)
            continue
        try:
            # The watch is set before the first batch is told, so that a save
            # made while that batch is built is in the next one.
            for batch in watchfiles.watch(*present, stop_event=stop_event, debounce=debounce, step=step, rust_timeout=LOOK_MS, yield_on_timeout=True):
                pending |= {path for _, path in batch}
                # A folder itself deleted or moved: its watch is gone with it,
                # even when a new one in its place has its inode number.
                hit = {Path(path) for change, path in batch if change is not watchfiles.Change.modified}
                moved = [folder for folder in folders if folder in hit or _identity(folder) != watched[folder]]
                if moved:
                    replaced = [f for f in moved if _identity(f) is not None and watched[f] is not None and f.parent not in moved]
                    if replaced:
                        say(f"{stamp()}{_named(replaced)} {'was' if len(replaced) == 1 else 'were'} replaced; watching {'it' if len(replaced) == 1 else 'them'} again")
                    pending |= {str(folder) for folder in moved}
                    break  # and watch again what is there now (or wait for what is gone)
                if pending or first:
                    yield pending
                    pending, first = set(), False
                failure = ""
            else:
                return  # stop_event
        except (OSError, RuntimeError) as exc:
            # A folder gone between the look and the watch (looked at again
            # next), or the system's limit on watches: said once, tried again.
            if str(exc) != failure:
                failure = str(exc)
                say(f"{stamp()}error: {exc}; still watching")
            _wait(stop_event, 1.0)


def _identity(folder: Path) -> tuple[int, int] | None:
    """What a folder is on disk; None if it is not there, or is not a folder."""
    try:
        found = folder.stat()
    except (OSError, ValueError):
        return None
    return (found.st_dev, found.st_ino) if stat.S_ISDIR(found.st_mode) else None


def _named(folders: list[Path]) -> str:
    return " and ".join(display_path(folder) + "/" for folder in folders)


def _stopped(stop_event: threading.Event | None) -> bool:
    return stop_event is not None and stop_event.is_set()


def _wait(stop_event: threading.Event | None, seconds: float) -> bool:
    """Sleep, or less if stopped; whether stopped."""
    if stop_event is None:
        time.sleep(seconds)
        return False
    return stop_event.wait(seconds)
