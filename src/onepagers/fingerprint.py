"""What an output was made from, so a rebuild can skip what has not changed.

A sheet's fingerprint is a hash of its HTML (which holds the resolved text of
its variant), of every file under templates/ and fonts/, of the profile and
of the versions of onepagers and WeasyPrint. The fingerprints of the outputs
of a folder are kept in `<out>/.onepagers/manifest.json`.
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

from . import __version__
from .project import Project

MANIFEST = Path(".onepagers") / "manifest.json"


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


def inputs_digest(project: Project) -> str:
    """Everything shared by all sheets: templates, stylesheets, fonts, tool versions."""
    return hashlib.sha256(
        f"{_files_digest((project.templates, project.fonts))} onepagers {__version__} weasyprint {_weasyprint_version()}".encode()
    ).hexdigest()


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
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("outputs", {})
    except (OSError, ValueError):
        return {}


def record(out: Path, digests: dict[Path, tuple[str, int]]) -> None:
    """Add (or replace) the fingerprints (and page counts) of the outputs just written."""
    if not digests:
        return
    from .files import write_atomically

    with _locked(out) as manifest:
        outputs = read(out)
        outputs.update({os.path.relpath(path, out): {"digest": d, "pages": n} for path, (d, n) in digests.items()})
        data = json.dumps({"outputs": dict(sorted(outputs.items()))}, indent=1).encode()
        write_atomically(manifest, data)


def current(out: Path, path: Path, digest: str, manifest: dict[str, dict]) -> int | None:
    """The page count of `path` if it exists and was made from exactly these inputs, else None."""
    entry = manifest.get(os.path.relpath(path, out))
    if path.is_file() and isinstance(entry, dict) and entry.get("digest") == digest:
        return int(entry.get("pages", 0))
    return None
