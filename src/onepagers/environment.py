"""What the process takes from its surroundings: the build date from the
environment, the system's shared libraries, and worker processes tied to the
life of the build."""

from __future__ import annotations

import os
import re
import select
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


def die_with(build: int, cleanup: Callable[[], None]) -> None:
    """Call first thing in a worker: when the build process `build` ends (even by
    SIGKILL, with no chance to stop its pool), the worker calls `cleanup` and
    ends too, rather than go on writing PDFs nobody waits for.

    Workers are forked by multiprocessing's fork server, not by the build, so
    the build is watched by its pid: through a pidfd on Linux (readable the
    moment the process ends, and never another process's), else by polling."""
    try:
        handle = os.pidfd_open(build)
    except (AttributeError, OSError):  # not Linux 5.3+, or already gone
        handle = None
        if not _alive(build):
            os._exit(1)
    threading.Thread(target=_watch, args=(build, handle, cleanup), daemon=True, name="build-watch").start()


def _watch(build: int, handle: int | None, cleanup: Callable[[], None]) -> None:
    if handle is not None:
        select.select([handle], [], [])
    else:
        while _alive(build):
            time.sleep(0.5)
    try:
        cleanup()
    finally:
        os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's: not ours to watch, but alive
        pass
    return True


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
