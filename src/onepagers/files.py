"""Writing output files so that a reader never sees half of one, and nothing
but a regular file is ever replaced."""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import time
from pathlib import Path

# A temporary file's name says which process writes it, so that a later build
# can tell one abandoned by a killed process from one still being written.
PART = re.compile(r"^\..+\.(?P<pid>\d+)\.[0-9a-f]+\.part$")
# A temporary file in the old form (no process id) is stale after this long.
STALE_SECONDS = 600

_HINTS = {
    errno.ENOSPC: "the disk is full: make room, then build again",
    errno.EDQUOT: "the disk quota is used up: make room, then build again",
    errno.EROFS: "the disk is read-only: choose another --out",
    errno.EACCES: "no permission to write there: choose another --out",
    errno.EPERM: "no permission to write there: choose another --out",
}


def inside_folder(path: Path, folder: Path) -> bool:
    """Is `path`, with every link on the way followed, inside `folder`?"""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


class OutputError(Exception):
    """An output that cannot be written, or may not be: said in one line, with the way out."""


def write_atomically(path: Path, data: bytes, inside: Path | None = None) -> None:
    """Write beside the target, then rename: a reader sees the old file or the new one, never half.

    An existing target that is not a regular file (a folder, a device, a
    pipe) is refused, never replaced: `/dev/null` given as an output stays a
    device. With `inside` (the output folder), a target whose folder leads
    elsewhere through a link is refused: nothing is written outside it.
    """
    _refuse_to_replace(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(f"{path}: cannot write it: {_first_file(path.parent)} is a file, not a folder") from None
    except OSError as exc:
        raise _error(path, exc) from None
    if inside is not None and not Path(os.path.realpath(path.parent)).is_relative_to(os.path.realpath(inside)):
        raise OutputError(f"{path}: not written: {path.parent} is a link to outside the output folder {inside}")
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        _refuse_to_replace(path)  # it may have appeared meanwhile
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _error(path, exc) from None
        raise


def _refuse_to_replace(path: Path) -> None:
    try:
        mode = path.lstat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing to replace; making the folder says what is in the way
    except OSError as exc:
        raise _error(path, exc) from None
    if stat.S_ISDIR(mode):
        raise OutputError(f"{path}: is a folder; a file cannot be written there (remove or rename the folder)")
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise OutputError(f"{path}: exists and is not a regular file (a device, pipe or socket); refusing to replace it")


def _first_file(folder: Path) -> Path:
    """The part of `folder`'s path that exists and is not a folder."""
    for part in reversed((folder, *folder.parents)):
        if part.exists() and not part.is_dir():
            return part
    return folder


def _error(path: Path, exc: OSError) -> OutputError:
    hint = _HINTS.get(exc.errno or 0, "")
    return OutputError(f"{path}: cannot write it: {exc.strerror or exc}" + (f" ({hint})" if hint else ""))


def sweep(folder: Path) -> list[Path]:
    """Remove the temporary files that interrupted writers (a build killed by
    SIGKILL, a power cut) left under `folder`; those of running writers stay."""
    removed = []
    try:
        candidates = list(folder.rglob(".*.part"))
    except OSError:
        return removed
    now = time.time()
    for part in candidates:
        match = PART.match(part.name)
        try:
            stale = not _alive(int(match["pid"])) if match else now - part.lstat().st_mtime > STALE_SECONDS
            if stale and not part.is_dir():
                part.unlink()
                removed.append(part)
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OverflowError:
        return False
    return True
