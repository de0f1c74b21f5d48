"""What an output was made from, so a rebuild can skip what has not changed.

A sheet's fingerprint is a hash of its HTML (which holds the resolved text of
its variant), of every file under templates/ and fonts/, of the profile and
of onepagers' code and WeasyPrint's version. The fingerprints of the outputs
of a folder are kept in `<out>/.onepagers/manifest.json`.

A whole build is fingerprinted too, by every file it reads: the same build
again, with nothing changed, is answered from the manifest (each output's
bytes checked) without loading the data or laying out anything.

The manifest is proof, not trust: it holds the hash of each output's bytes,
and a PDF damaged, emptied or swapped since is built again; a manifest that
is not one this tool wrote is set aside with a notice.
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
from pathlib import Path
from typing import Iterator

from . import __version__, profiles
from .diagnostics import ContentError, Diagnostic, SelectionError, display_path
from .files import inside_folder, sweep
from .plan import Job
from .project import Project

MANIFEST = Path(".onepagers") / "manifest.json"
KEEP_BUILDS = 8


def _files_digest(folders: tuple[Path, ...], inside: Path | None = None) -> str:
    """Every file under `folders`, hashed. With `inside` (the project), a file
    that cannot be read, is not a regular file, leads out of the project
    through a link, or (a template) is not UTF-8, is refused here by name,
    before anything renders. Without, such files are only left out: the data's
    are named by the loader, in their place."""
    digest = hashlib.sha256()
    problems: list[Diagnostic] = []
    for folder in folders:
        found = input_files(folder, inside or folder.parent, problems)
        for path in sorted(found):
            try:
                content = path.read_bytes()
            except OSError as exc:
                problems.append(Diagnostic(path, 0, 0, f"cannot read file: {exc.strerror or exc}"))
                continue
            if path.suffix in TEXT_SUFFIXES and (problem := _not_utf8(path, content)) is not None:
                problems.append(problem)
            digest.update(str(path.relative_to(folder.parent)).encode() + b"\0")
            digest.update(hashlib.sha256(content).digest())
    if problems and inside is not None:
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
    """Read beside the package, not by importing it (half a second), and first
    from its dist-info folder's name: importlib.metadata's own import (email
    parsing and all) was a tenth of a no-op build."""
    from importlib.util import find_spec

    spec = find_spec("weasyprint")
    if spec is not None and spec.origin:
        for info in Path(spec.origin).parent.parent.glob("weasyprint-*.dist-info"):
            return info.name.removeprefix("weasyprint-").removesuffix(".dist-info")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("weasyprint")
    except PackageNotFoundError:
        return "?"


def code_digest(package: Path) -> str:
    """The Python source under `package`, and nothing else: the bytecode
    Python writes into __pycache__ as modules are first imported would make
    a fresh install's second build differ from its first."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _tool_digest() -> str:
    """onepagers' own code and WeasyPrint's version: a changed tool may make other bytes."""
    return hashlib.sha256(
        f"{code_digest(Path(__file__).parent)} onepagers {__version__} weasyprint {_weasyprint_version()}".encode()
    ).hexdigest()


def inputs_digest(project: Project) -> str:
    """Everything shared by all sheets: templates, stylesheets, fonts, the tool."""
    return hashlib.sha256(f"{_files_digest((project.templates, project.fonts), project.root)} {_tool_digest()}".encode()).hexdigest()


def selection_digest(project: Project, selection: object, out: Path) -> str:
    """Everything a whole build reads: every input file, the selection, the
    output folder, the tool, and the date it writes into the documents."""
    files = _files_digest((project.data, project.templates, project.fonts))
    date = os.environ.get("SOURCE_DATE_EPOCH", "")
    return hashlib.sha256(f"{files}\0{_tool_digest()}\0{selection!r}\0{out.resolve()}\0{date}".encode()).hexdigest()


def unchanged(out: Path, digest: str) -> list[tuple[Job, int]] | None:
    """The jobs (and page counts) of the last complete build of exactly these
    inputs into `out`, if every output it wrote is still there, byte for byte;
    else None, and the build must look sheet by sheet."""
    try:
        # Quietly: if the manifest is not one this tool wrote, the build that
        # follows reads it again and says so.
        entry = _document(out, quiet=True).get("builds", {}).get(digest)
        if not isinstance(entry, list) or not (out / "index.html").is_file():
            return None
        known = []
        for item in entry:
            job = Job(item["theme"], item["variant"], profiles.get(item["profile"]), out, item["key"], item["label"])
            if _sha256(job.path) != item["sha256"]:
                return None
            known.append((job, int(item["pages"])))
        return known
    except (OSError, ValueError, KeyError, TypeError, AttributeError, SelectionError):
        return None  # no record, or one of another shape: look sheet by sheet


def remember(out: Path, digest: str, outputs: list[tuple[Job, int]]) -> None:
    """Record a complete build of these inputs, so that the same build again is
    answered from here without loading the data."""
    from .files import write_atomically

    entry = [
        {"theme": job.theme, "variant": job.variant, "profile": job.profile.name, "key": job.key,
         "label": job.label, "pages": pages, "sha256": _sha256(job.path)}
        for job, pages in outputs
    ]
    with _locked(out) as manifest:
        document = _document(out, quiet=True)
        # One record per selection is enough; keep the few most recent.
        builds = {k: v for k, v in document.get("builds", {}).items() if k != digest}
        document["builds"] = {**dict(list(builds.items())[-(KEEP_BUILDS - 1):]), digest: entry}
        write_atomically(manifest, json.dumps(document, indent=1).encode(), inside=out)


def _sha256(path: Path) -> str:
    """The hash of a regular file's bytes; anything else (a pipe would block) is refused."""
    if not stat.S_ISREG(path.lstat().st_mode):
        raise OSError(f"{path} is not a regular file")
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _document(out: Path, quiet: bool = False) -> dict:
    """The manifest, or an empty one if there is none or it is not what this
    tool writes (then with a notice: every sheet is built again)."""
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
        document = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return _discard(path, "is not a manifest this tool wrote", quiet)
    outputs = document.get("outputs", {}) if isinstance(document, dict) else None
    builds = document.get("builds", {}) if isinstance(document, dict) else None
    if not isinstance(outputs, dict) or not isinstance(builds, dict) or not all(_valid(k, v) for k, v in outputs.items()):
        return _discard(path, "is not a manifest this tool wrote", quiet)
    return document


def _valid(name: object, entry: object) -> bool:
    return (
        isinstance(name, str)
        and isinstance(entry, dict)
        and isinstance(entry.get("digest"), str)
        and isinstance(entry.get("sha256", ""), str)  # absent in older manifests: rebuilt, no notice
        and type(entry.get("pages")) is int
        and 0 < entry["pages"] < 1000
    )


def _discard(path: Path, why: str, quiet: bool) -> dict:
    if not quiet:
        notice = Diagnostic(path, 0, 0, f"{why}; it is set aside and every sheet in {display_path(path.parent.parent)} is built again", severity="notice")
        print(notice.one_line(), file=sys.stderr)
    return {}


def sheet_digest(html: str, profile: str, inputs: str) -> str:
    """The HTML at its first guess, and (for a theme sheet) everything the
    sheet may print: the series panel that compose adds where page 2 has
    room lists the other themes' titles, which that HTML does not hold."""
    sheet = repr(getattr(html, "sheet", ""))
    return hashlib.sha256(f"{inputs}\0{profile}\0{sheet}\0".encode() + html.encode("utf-8")).hexdigest()


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


def read(out: Path) -> dict[str, dict]:
    """The outputs recorded for `out`. Temporary files of interrupted builds
    are swept on the way: a build reads this before it writes anything."""
    sweep(out)
    return _document(out).get("outputs", {})


def record(out: Path, digests: dict[Path, tuple[str, int]]) -> None:
    """Add (or replace) the fingerprints (and page counts) of the outputs just written."""
    if not digests:
        return
    from .files import write_atomically

    with _locked(out) as manifest:
        document = _document(out, quiet=True)
        outputs = document.get("outputs", {})
        for path, (digest, pages) in digests.items():
            try:
                outputs[os.path.relpath(path, out)] = {"digest": digest, "pages": pages, "sha256": _sha256(path)}
            except OSError:
                outputs.pop(os.path.relpath(path, out), None)  # gone already: nothing to vouch for
        document["outputs"] = dict(sorted(outputs.items()))
        data = json.dumps(document, indent=1).encode()
        write_atomically(manifest, data, inside=out)


def current(out: Path, path: Path, digest: str, manifest: dict[str, dict]) -> int | None:
    """The page count of `path` if it was made from exactly these inputs and
    its bytes are still the ones written then, else None."""
    entry = manifest.get(os.path.relpath(path, out))
    if not isinstance(entry, dict) or entry.get("digest") != digest:
        return None
    try:
        if _sha256(path) != entry.get("sha256"):
            return None
    except OSError:
        return None
    return int(entry["pages"])
