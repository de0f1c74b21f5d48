"""One PDF of a whole variant: the introduction and every theme in order,
with a bookmark per sheet (each sheet's title) and its sections below it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .build import SelectionError, build_date, pdf_path, check_characters, check_fonts, check_layout, html_for, plan
from .library import Library
from .project import Project
from .variants import has_text


@dataclass(frozen=True)
class Booklet:
    path: Path | None
    pages: int
    problems: tuple[str, ...]
    blank_pages: int = 0  # added at the end of a print booklet to make its pages a multiple of 4


# A stitched booklet is folded sheets of four pages. The introduction is page 1
# (a right-hand page), so each theme's two pages already face each other; the
# blanks go at the end.
PAGES_PER_SHEET_OF_PAPER = 4
BLANK_PAGE = (
    '<!DOCTYPE html><html lang="da"><head><meta charset="utf-8">'
    '<link rel="stylesheet" href="sheet.css"><link rel="stylesheet" href="print.css">'
    '</head><body><section class="page"></section></body></html>'
)


def make_booklet(library: Library, project: Project, out: Path, variant: str, profile: str = "screen") -> Booklet:
    from .files import write_atomically
    from .pdf import Renderer

    check_characters(library, project)
    spec = library.series.variants[variant]
    count = library.series.series[spec.series].themes
    have = [tf.theme.number for tf in library.themes if has_text(library, tf, variant)]
    if len(have) < count:
        raise SelectionError(
            f"{variant} has text for {len(have)} of its {count} themes ({', '.join(map(str, have))}); "
            "a booklet holds the whole series: build single sheets with `onepagers build --sector …`"
        )
    jobs = plan(library, out, everything=True, sector=spec.series, edition=spec.edition, profile=profile)
    intro = [j for j in jobs if j.number is None]
    sheets = intro + [j for j in jobs if j.number is not None]  # the introduction first
    renderer = Renderer(project, profile)
    documents, problems, digest = [], [], hashlib.sha256(build_date().encode())
    try:
        for job in sheets:
            page_html = html_for(library, project, job, profile)
            document, rendered = renderer.layout(page_html)
            problems += [f"{job.label}: {p}" for p in check_layout(job, rendered, project)]
            documents.append(document)
            digest.update(page_html.encode("utf-8"))
        if problems:
            return Booklet(None, 0, tuple(problems))
        pages = [page for document in documents for page in document.pages]
        blanks = (-len(pages)) % PAGES_PER_SHEET_OF_PAPER if profile != "screen" else 0
        if blanks:
            blank, _ = renderer.layout(BLANK_PAGE)
            pages += blank.pages * blanks
        whole = documents[0].copy(pages)
        info = library.series.series[spec.series]
        whole.metadata.title = f"{info.name} ({spec.label})"
        data = renderer.write(whole, digest.hexdigest())
        problems += check_fonts(data, project)
        if problems:
            return Booklet(None, 0, tuple(problems))
    finally:
        renderer.close()
    path = pdf_path(out, "haefte", variant, profile)
    write_atomically(path, data)
    return Booklet(path, len(whole.pages), (), blanks)
