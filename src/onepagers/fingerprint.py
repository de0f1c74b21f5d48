"""What an output was made from, so a rebuild can skip what has not changed.

A sheet's fingerprint is a hash of its HTML (which holds the resolved text of
its variant), of every file under templates/ and fonts/, of the profile and
of onepagers' code and WeasyPrint's version. The fingerprints of the outputs
of a folder are kept in `<out>/.onepagers/manifest.json`.

A whole build is fingerprinted too, by every file it reads: the same build
again, with nothing changed, is answered from the manifest (each output's
bytes checked) without loading the data or laying out anything.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Iterator

from . import __version__, profiles
from .diagnostics import SelectionError
from .plan import Job
from .project import Project

MANIFEST = Path(".onepagers") / "manifest.json"
KEEP_BUILDS = 8


def _files_digest(folders: tuple[Path, ...]) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder.parent)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@lru_cache(maxsize=4)
def _weasyprint_version() -> str:
    try:
        return version("weasyprint")  # read from metadata: importing WeasyPrint costs half a second
    except PackageNotFoundError:
        return "?"


def _tool_digest() -> str:
    """onepagers' own code and WeasyPrint's version: a changed tool may make other bytes."""
    return hashlib.sha256(
        f"{_files_digest((Path(__file__).parent,))} onepagers {__version__} weasyprint {_weasyprint_version()}".encode()
    ).hexdigest()


def inputs_digest(project: Project) -> str:
    """Everything shared by all sheets: templates, stylesheets, fonts, the tool."""
    return hashlib.sha256(f"{_files_digest((project.templates, project.fonts))} {_tool_digest()}".encode()).hexdigest()


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
        entry = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("builds", {}).get(digest)
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
        document = _document(out)
        # One record per selection is enough; keep the few most recent.
        builds = {k: v for k, v in document.get("builds", {}).items() if k != digest}
        document["builds"] = {**dict(list(builds.items())[-(KEEP_BUILDS - 1):]), digest: entry}
        write_atomically(manifest, json.dumps(document, indent=1).encode())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _document(out: Path) -> dict:
    try:
        document = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return document if isinstance(document, dict) else {}
    except (OSError, ValueError):
        return {}


def sheet_digest(html: str, profile: str, inputs: str) -> str:
    return hashlib.sha256(f"{inputs}\0{profile}\0".encode() + html.encode("utf-8")).hexdigest()


@contextmanager
def _locked(out: Path) -> Iterator[Path]:
    folder = out / MANIFEST.parent
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two builds into one folder take turns here
        yield out / MANIFEST


def read(out: Path) -> dict[str, dict]:
    outputs = _document(out).get("outputs", {})
    return outputs if isinstance(outputs, dict) else {}


def record(out: Path, digests: dict[Path, tuple[str, int]]) -> None:
    """Add (or replace) the fingerprints (and page counts) of the outputs just written."""
    if not digests:
        return
    from .files import write_atomically

    with _locked(out) as manifest:
        document = _document(out)
        outputs = read(out)
        outputs.update({os.path.relpath(path, out): {"digest": d, "pages": n} for path, (d, n) in digests.items()})
        document["outputs"] = dict(sorted(outputs.items()))
        data = json.dumps(document, indent=1).encode()
        write_atomically(manifest, data)


def current(out: Path, path: Path, digest: str, manifest: dict[str, dict]) -> int | None:
    """The page count of `path` if it exists and was made from exactly these inputs, else None."""
    entry = manifest.get(os.path.relpath(path, out))
    if path.is_file() and isinstance(entry, dict) and entry.get("digest") == digest:
        return int(entry.get("pages", 0))
    return None
