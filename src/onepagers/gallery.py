"""A static index.html in the output folder: every PDF there, with a thumbnail,
its title, theme number and variant, and a link to it, grouped by series.

It describes the folder as it is: every command that writes a PDF there
writes it again, and it lists every `<out>/<folder>/*.pdf` (any variant,
profile, the booklets, and files it does not know, by their names). Titles
carry soft hyphens from the sheets' own Danish hyphenation, so a narrow card
breaks a long word at a syllable, with a hyphen, in any browser. Relative
links only, so it works offline, from a file share or as a CI artifact.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from jinja2 import TemplateError

from . import html, hyphenation, inline, preview
from .files import record_gallery, write_atomically
from .library import Library
from .plan import output_path, sheet_job
from .profiles import PROFILES, WEB, Profile
from .project import Project
from .variants import introduction_variants, resolve, resolve_introduction, variant, variants_of

TEMPLATE = "gallery.html.j2"
# Words this long get soft hyphens; shorter ones fit any card.
HYPHENATE_FROM = 8


@dataclass(frozen=True)
class Card:
    kind: str  # "sheet", "introduction", "booklet" or "file" (a PDF the data does not name)
    number: str  # "TEMA 6/10", or ""
    title: str  # with soft hyphens
    profile: Profile | None  # None: a file the data does not name
    pdf: str  # relative to index.html
    thumbnail: str
    web: str | None = None  # the sheet's web page, where it has been built


@dataclass(frozen=True)
class Group:
    heading: str  # the variant's label, for people
    cards: tuple[Card, ...]


@dataclass(frozen=True)
class Series:
    name: str
    groups: tuple[Group, ...]


def _card_thumbnail(pdf: Path) -> Path | None:
    try:
        return preview.thumbnail(pdf)
    except preview.DamagedPdf as exc:
        # Not linked from the page: the next build replaces it (its bytes are not the recorded ones).
        print(f"notice: {exc}; left out of the gallery", file=sys.stderr)
        return None


def soft_hyphens(text: str, hyphenator) -> str:
    return re.sub(
        rf"\w{{{HYPHENATE_FROM},}}",
        lambda m: hyphenator.inserted(m[0], hyphen="\u00ad"),
        text,
    )


def series_of(library: Library, project: Project, out: Path) -> list[Series]:
    """Every PDF in `out`'s variant folders, by series, then variant, in the data's order."""
    hyphenator = hyphenation.install(project.templates / "hyphenation.txt", library.series.language)
    known: dict[Path, tuple[str, str, str, str, str, Profile | None]] = {}  # path -> series, label, kind, number, title, profile
    for name in library.series.variants:
        v = variant(library, name)
        entries: list[tuple[int | None, str, str, str]] = []
        if name in introduction_variants(library):
            entries.append((None, "introduction", "", inline.to_plain(resolve_introduction(library, name).title)))
        for tf in library.themes:
            if name in variants_of(library, tf):
                sheet = resolve(library, tf, name)
                entries.append((tf.theme.number, "sheet", f"{sheet.number_label} {sheet.number}/{v.theme_count}", inline.to_plain(sheet.title)))
        for profile in PROFILES.values():
            for number, kind, label, title in entries:
                known[sheet_job(library, out, number, name, profile).path] = (v.series_name, v.label, kind, label, title, profile)
            booklet = output_path(out, library.series.file_names.booklet, name, profile)
            known[booklet] = (v.series_name, v.label, "booklet", "", v.series_name, profile)
    order = {path: i for i, path in enumerate(known)}
    found = sorted((p for p in out.glob("*/*.pdf") if p.is_file()), key=lambda p: (order.get(p, len(order)), str(p)))

    grouped: dict[str, dict[str, list[Card]]] = {info.name: {} for info in library.series.series.values()}
    for pdf in found:
        # A file the data does not name (a theme since removed, a copy): by its folder and name.
        series, label, kind, number, title, profile = known.get(pdf, ("", pdf.parent.name, "file", "", pdf.stem, None))
        page = web_page(pdf, profile)
        web = _href(page, out) if page is not None else None
        if (thumb := _card_thumbnail(pdf)) is None:
            continue
        card = Card(kind, number, soft_hyphens(title, hyphenator), profile, _href(pdf, out), _href(thumb, out), web)
        grouped.setdefault(series, {}).setdefault(label, []).append(card)
    return [
        Series(name, tuple(Group(label, tuple(cards)) for label, cards in groups.items()))
        for name, groups in grouped.items()
        if groups
    ]


def _href(path: Path, out: Path) -> str:
    """A file's link from index.html, percent-encoded: its name comes from a
    theme file's, which may hold a space, "å", "#" or "?"."""
    return quote(Path(os.path.relpath(path, out)).as_posix(), safe="/")


def web_page(pdf: Path, profile: Profile | None) -> Path | None:
    """The web page of the sheet a PDF holds (same name, the web profile's ending), where it has been built."""
    if profile is None:
        return None
    stem = pdf.name[: len(pdf.name) - len(profile.suffix + profile.extension)]
    page = pdf.with_name(stem + WEB.suffix + WEB.extension)
    return page if page.is_file() else None


def prepare(project: Project) -> None:
    """Load what `write_gallery` needs (its modules, its template) ahead of it,
    while a build waits for its workers."""
    from . import accessibility  # noqa: F401

    try:
        html.environment(project.templates).get_template(TEMPLATE)
    except (TemplateError, OSError):
        pass  # said by write_gallery, in its place


def write_gallery(library: Library, project: Project, out: Path, report: bool | None = None) -> Path:
    """`report`: link the accessibility report (None: if it is there)."""
    from .accessibility import REPORT_MD

    template = html.environment(project.templates).get_template(TEMPLATE)
    everything = series_of(library, project, out)
    count = sum(len(g.cards) for s in everything for g in s.groups)
    names = [info.name for info in library.series.series.values()]
    if report is None:
        report = (out / REPORT_MD).is_file()
    page = template.render(series=everything, count=count, names=names, lang=library.series.language, report=REPORT_MD if report else None)
    path = out / "index.html"
    write_atomically(path, page.encode("utf-8"), inside=out)
    record_gallery(out)
    return path

