"""Writing output files so that a reader never sees half of one, and nothing
but a regular file is ever replaced."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import stat
import time
from pathlib import Path

# A temporary file is locked (flock) by its writer from its creation until it
# is renamed into place: a later build removes only the unlocked ones, so a
# live writer's file is never touched, whatever its process id means to the
# sweeper (another container's pid namespace, a pid since reused). Its name
# also says which process writes it and when that process started (its start
# time in clock ticks since boot, from /proc/<pid>/stat), so that the moment
# between its creation and its lock is covered too; a pid alone is reused.
PART = re.compile(r"^\..+\.(?P<pid>\d+)(?:-(?P<started>\d+))?\.[0-9a-f]+\.part$")
# A temporary file of no form this tool writes is stale after this long.
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
        raise OutputError(f"{path}: cannot write it: {first_file(path.parent)} is a file, not a folder") from None
    except OSError as exc:
        raise _error(path, exc) from None
    if inside is not None and not Path(os.path.realpath(path.parent)).is_relative_to(os.path.realpath(inside)):
        raise OutputError(f"{path}: not written: {path.parent} is a link to outside the output folder {inside}")
    tmp = path.parent / f".{path.name}.{_writer()}.{secrets.token_hex(4)}.part"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "wb") as out:
            _lock(fd)  # held until the file is renamed into place: it is live until then
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
            os.chmod(tmp, 0o644)
            _refuse_to_replace(path)  # it may have appeared meanwhile
            os.replace(tmp, path)
    except BaseException as exc:
        # On a read-only file system even removing what was never made fails.
        with contextlib.suppress(OSError):
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


def first_file(folder: Path) -> Path:
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
            if match is None:
                if now - part.lstat().st_mtime > STALE_SECONDS and not part.is_dir():
                    part.unlink()
                    removed.append(part)
                continue
            if match["started"] is not None and _running(int(match["pid"]), int(match["started"])):
                continue  # its writer is still there (perhaps between creating and locking it)
            if _remove_unlocked(part):
                removed.append(part)
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


def _remove_unlocked(part: Path) -> bool:
    """Remove `part` unless a writer holds its lock; locked while removed, so
    that no writer can be in the middle of it."""
    try:
        fd = os.open(part, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False  # a link, or gone: not a file this tool writes
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        if not _lock(fd, wait=False):
            return False  # a live writer's
        part.unlink()
        return True
    finally:
        os.close(fd)


def _lock(fd: int, wait: bool = True) -> bool:
    """An exclusive flock on `fd`; False if another open file holds one (without `wait`)."""
    try:
        import fcntl
    except ImportError:  # Windows: the writer's name and start time are all there is
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _writer() -> str:
    """`<pid>-<start time>` of this process, or `<pid>` where the start time cannot be read."""
    started = _start_time(os.getpid())
    return f"{os.getpid()}-{started}" if started is not None else str(os.getpid())


def _start_time(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since boot (field 22 of
    /proc/<pid>/stat); None where there is no /proc or no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat_line = handle.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces or ')'.
    fields = stat_line[stat_line.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def _running(pid: int, started: int) -> bool:
    """Is the process that was `pid` when it started at `started` still running?
    A pid reused by another process has another start time."""
    return _start_time(pid) == started


# What the output folder held when its index.html was last written (see `gallery_current`).
GALLERY_RECORD = Path(".onepagers") / "gallery.json"


def _folder_state(out: Path) -> str:
    """A digest of what index.html describes and is: the PDFs, web pages and
    thumbnails of `out`'s variant folders (name, size, time of change), the
    reports beside it, and index.html's own bytes; "" when there is no index.html."""
    digest = hashlib.sha256()
    for pattern in ("*/*.pdf", "*/*.html", "*/thumbs/*.png"):
        for path in sorted(out.glob(pattern)):
            try:
                info = path.stat()
            except OSError:
                continue
            digest.update(f"{path.relative_to(out)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    # A report beside it is linked or not; what it says is not the gallery's.
    digest.update("\0".join(sorted(path.name for path in out.glob("*.md"))).encode())
    try:
        digest.update(hashlib.sha256((out / "index.html").read_bytes()).digest())
    except OSError:
        return ""
    return digest.hexdigest()


def record_gallery(out: Path) -> None:
    """Note what `out` holds now that its index.html has been written."""
    write_atomically(out / GALLERY_RECORD, json.dumps({"folder": _folder_state(out)}).encode(), inside=out)


def gallery_current(out: Path) -> bool:
    """Does index.html still describe the folder as it is? Not after a build
    was stopped between writing a sheet and writing the gallery (Ctrl-C,
    SIGKILL, a power cut), nor after a PDF was added, removed or replaced
    by hand, nor after index.html itself was changed or removed."""
    try:
        recorded = json.loads((out / GALLERY_RECORD).read_bytes()).get("folder")
    except (OSError, ValueError, AttributeError):
        return False
    return bool(recorded) and recorded == _folder_state(out)
