"""What the process takes from its surroundings: the build date from the
environment, and worker processes tied to the life of their parent."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from datetime import datetime, timezone


class EnvironmentProblem(Exception):
    """A setting outside the data that cannot be used; the message says how to fix it."""


# datetime's own range, and the PDF date format's four-digit year.
_LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)


def source_date(default: datetime) -> datetime:
    """SOURCE_DATE_EPOCH (reproducible-builds.org) if set, else `default`."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit():
        raise EnvironmentProblem(f"SOURCE_DATE_EPOCH={raw[:40]!r} is not a number of seconds since 1970 (e.g. $(git log -1 --format=%ct))")
    if len(raw) > 12 or int(raw) > _LATEST.timestamp():
        raise EnvironmentProblem(f"SOURCE_DATE_EPOCH={raw[:40]} is after the year 9999; give seconds since 1970, not milliseconds")
    return datetime.fromtimestamp(int(raw), timezone.utc)


_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Call first thing in a worker: when the process that started it dies (even
    by SIGKILL, with no chance to stop its pool), the worker dies too, rather
    than go on writing PDFs nobody waits for."""
    import multiprocessing

    # The pid the parent recorded when it started this process: if it died
    # before this line, getppid() already names the orphan's new parent.
    starter = multiprocessing.parent_process()
    parent = starter.pid if starter is not None and starter.pid else os.getppid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    # prctl follows the parent thread, not the process, and exists only on
    # Linux: a watcher notices a new parent (the orphan's) everywhere.
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watch").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
