"""A static index.html in the output folder: every sheet built there, with a
thumbnail, its title, theme number and variant, and a link to its PDF.
Relative links only, so it works offline, from a file share or as a CI artifact."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from . import html, inline, preview
from .files import write_atomically
from .library import Library
from .plan import sheet_job
from .profiles import PROFILES, Profile
from .project import Project
from .variants import introduction_variants, resolve, resolve_introduction, variant, variants_of

THUMB_DPI = 40


@dataclass(frozen=True)
class Card:
    number: str  # "TEMA 6/10", or "" for the introduction
    title: str
    label: str  # the variant, for people
    profile: Profile
    pdf: str  # relative to index.html
    thumbnail: str


def thumbnail(pdf: Path) -> Path:
    """`<variant>/thumbs/<name>.png`, made again only when the PDF is newer.
    Raises preview.DamagedPdf for a PDF that cannot be read."""
    thumb = pdf.parent / "thumbs" / f"{pdf.stem}.png"
    if not thumb.is_file() or thumb.stat().st_mtime < pdf.stat().st_mtime:
        write_atomically(thumb, preview.png_bytes(preview.pages(pdf, THUMB_DPI, first=1)[0], optimize=False), inside=pdf.parent)
    return thumb


def _card_thumbnail(pdf: Path) -> Path | None:
    try:
        return thumbnail(pdf)
    except preview.DamagedPdf as exc:
        # Not linked from the page: the next build replaces it (its bytes are not the recorded ones).
        print(f"notice: {exc}; left out of the gallery", file=sys.stderr)
        return None


def cards(library: Library, out: Path) -> list[Card]:
    """Every sheet of every variant and profile that exists in `out`, in series order."""
    found = []
    for name in library.series.variants:
        v = variant(library, name)
        entries: list[tuple[int | None, str, str]] = []
        if name in introduction_variants(library):
            entries.append((None, "", inline.to_plain(resolve_introduction(library, name).title)))
        for tf in library.themes:
            if name in variants_of(library, tf):
                sheet = resolve(library, tf, name)
                entries.append((tf.theme.number, f"{sheet.number_label} {sheet.number}/{v.theme_count}", inline.to_plain(sheet.title)))
        for profile in PROFILES.values():
            for number, label, title in entries:
                pdf = sheet_job(library, out, number, name, profile).path
                if pdf.is_file() and (thumb := _card_thumbnail(pdf)) is not None:
                    found.append(Card(label, title, v.label, profile, os.path.relpath(pdf, out), os.path.relpath(thumb, out)))
    return found


def write_gallery(library: Library, project: Project, out: Path) -> Path:
    template = html.environment(project.templates).get_template("gallery.html.j2")
    series = {v.name: v.series_name for v in (variant(library, n) for n in library.series.variants)}
    page = template.render(cards=cards(library, out), series=series, title=library.series.series[variant(library, next(iter(library.series.variants))).sector].name)
    path = out / "index.html"
    write_atomically(path, page.encode("utf-8"), inside=out)
    return path
