"""The sheet's fonts: which characters they can show, and whether a PDF uses only them.

WeasyPrint quietly substitutes a system font for a character the stylesheet's
fonts lack (DejaVu, typically), and the print shop then gets a font nobody
chose. Both ends are checked: the text before rendering (a clear message at
file:line), and the fonts embedded in the PDF after: by the build from the
files WeasyPrint took them from (`file_digests`), and in any PDF file, by
their outlines (`foreign_fonts`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from .diagnostics import ContentError, Diagnostic

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

    from .source import SourceFile


FONT_SUFFIXES = (".ttf", ".otf")
T = TypeVar("T")


def _font_files(fonts_dir: Path) -> list[Path]:
    """The font files of `fonts_dir`; a folder that cannot be read, a link out of
    the project or a folder without fonts is one message, not hundreds of
    letters reported missing later."""
    from .fingerprint import input_files

    problems: list[Diagnostic] = []
    if not fonts_dir.is_dir():
        raise ContentError([Diagnostic(fonts_dir, 0, 0, "the fonts folder is missing or not a folder")])
    paths = sorted(p for p in input_files(fonts_dir, fonts_dir.parent, problems) if p.suffix.lower() in FONT_SUFFIXES)
    if not problems and not paths:
        problems.append(Diagnostic(fonts_dir, 0, 0, "no font files (*.ttf, *.otf) in the fonts folder"))
    if problems:
        raise ContentError(problems)
    return paths


def _state(fonts_dir: Path) -> tuple:
    """What the caches below are keyed by: `serve` and `--watch` live through a
    designer's change of a font file."""
    try:
        return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(fonts_dir)))
    except OSError:
        return ()


def _read(path: Path, lazy: bool) -> TTFont:
    import logging

    from fontTools.ttLib import TTFont

    # fontTools warns about the Lato files' old 'created' timestamps: noise to an editor.
    logging.getLogger("fontTools").setLevel(logging.ERROR)

    try:
        font = TTFont(path, lazy=lazy)
        font.getBestCmap()
        return font
    except Exception as exc:  # fontTools raises many kinds on a damaged file
        raise ContentError([Diagnostic(path, 0, 0, f"not a font that can be read ({type(exc).__name__}: {exc})"[:200])]) from None


def _each(fonts_dir: Path, read: Callable[[Path], T]) -> list[T]:
    """`read` of every font file; a damaged one is named, every one of them at once."""
    found, problems = [], []
    for path in _font_files(fonts_dir):
        try:
            found.append(read(path))
        except ContentError as exc:
            problems += exc.diagnostics
    if problems:
        raise ContentError(problems)
    return found


@lru_cache(maxsize=4)
def _fonts(fonts_dir: Path, state: tuple = ()) -> tuple[TTFont, ...]:
    """The font files of `fonts_dir`, read in full (outlines compared below)."""
    return tuple(_each(fonts_dir, lambda path: _read(path, lazy=False)))


def coverage(fonts_dir: Path) -> frozenset[int]:
    """Characters that every font file can show (a heading's weight must cover what the body's does)."""
    return _coverage(fonts_dir, _state(fonts_dir))


@lru_cache(maxsize=4)
def _coverage(fonts_dir: Path, state: tuple) -> frozenset[int]:
    maps = _each(fonts_dir, lambda path: set(metrics(path).advances))
    return frozenset(set.intersection(*maps)) if maps else frozenset()


@dataclass(frozen=True)
class Metrics:
    """What the text's checks and the pull quotes' estimate need of a font file:
    each character it has, with its advance width in ems."""

    advances: dict[int, float]


METRICS_FORMAT = 1


def metrics(path: Path) -> Metrics:
    """The metrics of a font file, from a cache keyed by the file's bytes.

    Reading them with fontTools (its import, the character map, the widths)
    took a fifth of a second before every build, check and preview began; as
    matplotlib does with its font list, they are kept in the user's cache
    folder (~/.cache/onepagers), by the sha256 of the file, so a changed font
    is read again. A cache that cannot be read or written is only not used.
    A file that is not a readable font is a ContentError naming it."""
    digest = _digest(path)
    # Kept by the bytes alone: the same file in another folder (a copy of the
    # project) is not read again.
    if digest not in _METRICS:
        _METRICS[digest] = _metrics(path, digest)
    return _METRICS[digest]


_METRICS: dict[str, Metrics] = {}


def _digest(path: Path) -> str:
    """The sha256 of a font file's bytes, read again only when the file changed."""
    try:
        info = path.stat()
        return _digest_of(path, info.st_size, info.st_mtime_ns)
    except OSError as exc:
        raise ContentError([Diagnostic(path, 0, 0, f"cannot read file: {exc.strerror or exc}")]) from None


# The fonts, templates and modules a layout's key hashes (`pdf.looks`), all at once.
@lru_cache(maxsize=256)
def _digest_of(path: Path, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _metrics(path: Path, digest: str) -> Metrics:
    cached = _cache_folder() / f"font-{digest}.json"
    try:
        stored = json.loads(cached.read_text(encoding="utf-8"))
        if stored["format"] == METRICS_FORMAT:
            return Metrics({int(code): float(width) for code, width in stored["advances"]})
    except (OSError, ValueError, KeyError, TypeError):
        pass
    font = _read(path, lazy=True)
    per_em = font["head"].unitsPerEm
    hmtx = font["hmtx"]
    found = Metrics({code: hmtx[name][0] / per_em for code, name in (font.getBestCmap() or {}).items()})
    from .files import OutputError, write_atomically

    record = {"format": METRICS_FORMAT, "file": path.name, "advances": sorted(found.advances.items())}
    try:
        write_atomically(cached, json.dumps(record).encode("utf-8"))
    except (OSError, OutputError):
        pass
    return found


def _cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "onepagers"


def file_digests(fonts_dir: Path) -> frozenset[str]:
    """The sha256 of each font file in `fonts_dir`: what a font WeasyPrint
    embedded must have been read from (see `pdf.Renderer.write`)."""
    return frozenset(_digest(path) for path in _font_files(fonts_dir))


def uncovered(source: SourceFile, covered: frozenset[int]) -> list[Diagnostic]:
    problems = []
    for loc, text in source.strings():
        # Every character but the plain space, in capitals too (headings are
        # set in capitals by the stylesheet): an em space or an ideographic
        # space is white but still needs a glyph, or WeasyPrint borrows one.
        missing = sorted(ch for ch in set(text) - {" "} if not all(ord(c) in covered for c in ch + ch.upper()))
        if missing:
            shown = ", ".join(f"'{ch}' (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')})" for ch in missing[:5])
            problems.append(
                source.error(loc, f"'{source.field(loc)}' has characters the sheet's fonts cannot show: {shown}",
                             suggestion="use another character, or ask the designer for a font that has it")
            )
    return problems


def _outline(font: TTFont, glyph_name: str) -> tuple:
    glyf = font["glyf"]
    coordinates, ends, _ = glyf[glyph_name].getCoordinates(glyf)  # components resolved
    return (tuple(coordinates), tuple(ends))


@lru_cache(maxsize=256)
def is_ours(font_program: bytes, fonts_dir: Path) -> bool:
    """Is this embedded (subset) font program taken from one of the files in fonts/?

    Told by outlines, not by name: WeasyPrint names embedded fonts after the
    CSS family, so a fallback would carry a plausible name. The subset keeps
    its character map, so each character's outline is compared with that
    character's outline in our files (glyph ids are no guide: subsetting
    renumbers the glyphs that accented letters are built of)."""
    from fontTools.ttLib import TTFont

    embedded = TTFont(io.BytesIO(font_program))
    if "glyf" not in embedded or "cmap" not in embedded:
        return False
    cmap = embedded.getBestCmap() or {}
    sample = [(code, name) for code, name in sorted(cmap.items()) if embedded["glyf"][name].numberOfContours != 0][:16]
    if not sample:
        return False
    wanted = {code: _outline(embedded, name) for code, name in sample}
    for font in _fonts(fonts_dir, _state(fonts_dir)):
        ours = font.getBestCmap()
        if all(code in ours and _outline(font, ours[code]) == outline for code, outline in wanted.items()):
            return True
    return False


def foreign_fonts(pdf: bytes, fonts_dir: Path) -> list[str]:
    """Names of the fonts in `pdf` that are not embedded from `fonts_dir`."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    foreign = []
    for page in reader.pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            font = font.get_object()
            name = str(font.get("/BaseFont", "?")).lstrip("/")
            descendants = font.get("/DescendantFonts")
            descriptor = descendants[0].get_object().get("/FontDescriptor") if descendants else font.get("/FontDescriptor")
            program = descriptor.get_object().get("/FontFile2") if descriptor else None
            if program is None or not is_ours(program.get_object().get_data(), fonts_dir):
                foreign.append(name)
    return sorted(set(foreign))
