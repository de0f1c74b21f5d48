"""What the process takes from its surroundings: the build date from the
environment, the system's shared libraries, and worker processes tied to the
life of their parent."""

from __future__ import annotations

import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator


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


@contextmanager
def shared_libraries_from_ldconfig() -> Iterator[None]:
    """Around `import weasyprint`: find shared libraries from one read of ldconfig's cache.

    WeasyPrint opens GObject, Pango, HarfBuzz and Fontconfig by trying up to six
    names each (the spellings of Linux, macOS and Windows). On Linux, every name
    the system does not use costs `ctypes.util.find_library` three programs
    (ldconfig, gcc, ld): about 0.2 s, a third of the import, in every process
    that renders. Here a name is looked up as ctypes looks it up first, in
    ldconfig's cache (read once), then in LD_LIBRARY_PATH's folders; elsewhere
    than Linux, or without ldconfig, nothing changes.
    """
    import ctypes.util

    cache = _ldconfig_cache() if sys.platform.startswith("linux") else None
    if cache is None:
        yield
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = _find_library_in(cache)
    try:
        yield
    finally:
        ctypes.util.find_library = original


def _ldconfig_cache() -> bytes | None:
    try:
        done = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, env={"LC_ALL": "C", "LANG": "C"}, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 and done.stdout else None


def _find_library_in(cache: bytes) -> Callable[[str], str | None]:
    # ctypes' own pattern and ABI name (ctypes.util._findSoname_ldconfig).
    machine = os.uname().machine + ("-64" if sys.maxsize > 2**32 else "-32")
    abi = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
           "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}.get(machine, "libc6")
    folders = [Path(p) for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]

    def find_library(name: str) -> str | None:
        found = re.search(os.fsencode(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({abi}"), cache)
        if found:
            return os.fsdecode(found.group(1))
        for folder in folders:
            for path in sorted(folder.glob(f"lib{name}.so*")):
                return str(path)
        return None

    return find_library
