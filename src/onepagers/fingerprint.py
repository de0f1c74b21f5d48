"""What an output was made from, so a rebuild can skip what has not changed.

A sheet's fingerprint is a hash of its HTML (which holds the resolved text of
its variant), of every file under templates/ and fonts/, of the profile and
of the versions of onepagers and WeasyPrint. The fingerprints of the outputs
of a folder are kept in `<out>/.onepagers/manifest.json`, with the hash of
each PDF's bytes: the manifest is proof, not trust. A PDF that was damaged,
emptied or swapped since is built again; a manifest that is not one this
tool wrote is set aside with a notice.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import stat
import sys
from contextlib import contextmanager
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Iterator

from . import __version__
from .diagnostics import ContentError, Diagnostic, display_path
from .files import sweep
from .project import Project

MANIFEST = Path(".onepagers") / "manifest.json"


def _files_digest(folders: tuple[Path, ...], inside: Path) -> str:
    """Every file under `folders`, hashed; a file that cannot be read, or that
    is a link to outside the project, is refused here, before anything renders."""
    digest = hashlib.sha256()
    problems = []
    for folder in folders:
        for path in sorted(input_files(folder, inside, problems)):
            try:
                content = path.read_bytes()
            except OSError as exc:
                problems.append(Diagnostic(path, 0, 0, f"cannot read file: {exc.strerror or exc}"))
                continue
            if path.suffix in TEXT_SUFFIXES and (problem := _not_utf8(path, content)) is not None:
                problems.append(problem)
            digest.update(str(path.relative_to(folder.parent)).encode() + b"\0")
            digest.update(hashlib.sha256(content).digest())
    if problems:
        raise ContentError(problems)
    return digest.hexdigest()


# The text files of templates/: read as UTF-8 by Jinja, WeasyPrint and the
# hyphenation list, checked here once, before any worker meets them.
TEXT_SUFFIXES = (".j2", ".html", ".css", ".txt")


def _not_utf8(path: Path, content: bytes) -> Diagnostic | None:
    from .source import line_column

    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Diagnostic(path, *line_column(content, exc.start), "file is not UTF-8 text: save it as UTF-8")
    return None


def input_files(folder: Path, inside: Path, problems: list[Diagnostic]) -> list[Path]:
    """The regular files under `folder`. What is not one, or cannot be read,
    or leads outside `inside` through a link, is added to `problems`."""
    from .source import inside_folder

    found: list[Path] = []
    if not folder.exists() and not folder.is_symlink():
        return found  # a missing templates/ is said by the template that is not found
    if not inside_folder(folder, inside):
        problems.append(Diagnostic(folder, 0, 0, "is a link to a folder outside the project; it is not read"))
        return found
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            entries = sorted(current.iterdir())
        except OSError as exc:
            problems.append(Diagnostic(current, 0, 0, f"cannot read folder: {exc.strerror or exc}"))
            continue
        for path in entries:
            if not inside_folder(path, inside):
                problems.append(Diagnostic(path, 0, 0, "is a link to outside the project; it is not read",
                                           suggestion="copy the file into the project instead of linking to it"))
                continue
            try:
                mode = path.stat().st_mode
            except OSError as exc:
                problems.append(Diagnostic(path, 0, 0, f"cannot read: {exc.strerror or exc}"))
                continue
            if stat.S_ISDIR(mode):
                if not path.is_symlink():  # a link inside the project is read where it points
                    pending.append(path)
            elif stat.S_ISREG(mode):
                found.append(path)
            else:
                problems.append(Diagnostic(path, 0, 0, "is not a regular file (a pipe, socket or device); it is not read"))
    return found


@lru_cache(maxsize=4)
def _weasyprint_version() -> str:
    try:
        return version("weasyprint")  # read from metadata: importing WeasyPrint costs half a second
    except PackageNotFoundError:
        return "?"


def inputs_digest(project: Project) -> str:
    """Everything shared by all sheets: templates, stylesheets, fonts, tool versions."""
    return hashlib.sha256(
        f"{_files_digest((project.templates, project.fonts), project.root)} onepagers {__version__} weasyprint {_weasyprint_version()}".encode()
    ).hexdigest()


def sheet_digest(html: str, profile: str, inputs: str) -> str:
    return hashlib.sha256(f"{inputs}\0{profile}\0".encode() + html.encode("utf-8")).hexdigest()


@contextmanager
def _locked(out: Path) -> Iterator[Path]:
    from .files import OutputError

    folder = out / MANIFEST.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not Path(os.path.realpath(folder)).is_relative_to(os.path.realpath(out)):
            raise OutputError(f"{folder}: is a link to outside the output folder; not used")
        # Not followed if a link, not waited on if a pipe: only a regular file is a lock.
        fd = os.open(folder / "lock", os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:
        raise OutputError(f"{folder / 'lock'}: cannot write it: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w") as lock:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OutputError(f"{folder / 'lock'}: exists and is not a regular file; refusing to use it")
        fcntl.flock(lock, fcntl.LOCK_EX)  # two builds into one folder take turns here
        yield out / MANIFEST


def read(out: Path, quiet: bool = False) -> dict[str, dict]:
    """The outputs recorded for `out`, or none if the manifest does not hold
    what this tool writes (then with a notice: every sheet is built again).
    Temporary files of interrupted builds are swept on the way."""
    sweep(out)
    path = out / MANIFEST
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return _discard(path, "is not a regular file", quiet)
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        return _discard(path, f"cannot be read ({exc.strerror or exc})", quiet)
    try:
        outputs = json.loads(raw.decode("utf-8"))["outputs"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return _discard(path, "is not a manifest this tool wrote", quiet)
    if not isinstance(outputs, dict) or not all(_valid(name, entry) for name, entry in outputs.items()):
        return _discard(path, "is not a manifest this tool wrote", quiet)
    return outputs


def _valid(name: object, entry: object) -> bool:
    return (
        isinstance(name, str)
        and isinstance(entry, dict)
        and isinstance(entry.get("digest"), str)
        and isinstance(entry.get("sha256", ""), str)  # absent in older manifests: rebuilt, no notice
        and type(entry.get("pages")) is int
        and 0 < entry["pages"] < 1000
    )


def _discard(path: Path, why: str, quiet: bool) -> dict[str, dict]:
    if quiet:
        return {}
    notice = Diagnostic(path, 0, 0, f"{why}; it is set aside and every sheet in {display_path(path.parent.parent)} is built again", severity="notice")
    print(notice.one_line(), file=sys.stderr)
    return {}


def record(out: Path, digests: dict[Path, tuple[str, int]]) -> None:
    """Add (or replace) the fingerprints (and page counts) of the outputs just
    written, with the hash of each file's bytes as written."""
    if not digests:
        return
    from .files import write_atomically

    with _locked(out) as manifest:
        outputs = read(out, quiet=True)
        for path, (digest, pages) in digests.items():
            try:
                outputs[os.path.relpath(path, out)] = {"digest": digest, "pages": pages, "sha256": _file_hash(path)}
            except OSError:
                outputs.pop(os.path.relpath(path, out), None)  # gone already: nothing to vouch for
        data = json.dumps({"outputs": dict(sorted(outputs.items()))}, indent=1).encode()
        write_atomically(manifest, data, inside=out)


def current(out: Path, path: Path, digest: str, manifest: dict[str, dict]) -> int | None:
    """The page count of `path` if it was made from exactly these inputs and
    its bytes are still the ones written then, else None."""
    entry = manifest.get(os.path.relpath(path, out))
    if not isinstance(entry, dict) or entry.get("digest") != digest:
        return None
    try:
        if not stat.S_ISREG(path.lstat().st_mode) or _file_hash(path) != entry.get("sha256"):
            return None
    except OSError:
        return None
    return int(entry["pages"])


def _file_hash(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
