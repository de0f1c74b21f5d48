"""One PDF of a whole variant: the introduction and every theme in order,
with a bookmark per sheet (each sheet's title) and its sections below it."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from . import profiles, verify
from .build import Result, Status
from .diagnostics import ContentError, Diagnostic, SelectionError
from .html import document_date, html_for
from .library import Library
from .plan import Job, Selection, check_output_folder, collisions, plan
from .project import Project
from .variants import has_text


@dataclass(frozen=True)
class BookletResult(Result):
    blank_pages: int = 0  # added at the end of a print booklet to make its pages a multiple of 4


# A stitched booklet is folded sheets of four pages. The introduction is page 1
# (a right-hand page), so each theme's two pages already face each other; the
# blanks go at the end. The renderer adds the profile's stylesheets.
PAGES_PER_SHEET_OF_PAPER = 4
BLANK_PAGE = '<!DOCTYPE html><html lang="da"><body><section class="page"></section></body></html>'


def make_booklet(library: Library, project: Project, out: Path, variant: str, profile: str = profiles.DEFAULT.name) -> Result:
    """Lay out every sheet of `variant`, check each as `build` would, and write
    them as one PDF; a `Result` for the booklet, failed with every problem found."""
    from .files import write_atomically
    from .pdf import Renderer

    check_output_folder(project, out)
    spec = library.series.variants[variant]
    count = library.series.series[spec.series].themes
    have = [tf.theme.number for tf in library.themes if has_text(library, tf, variant)]
    if len(have) < count:
        raise SelectionError(
            f"{variant} has text for {len(have)} of its {count} themes ({', '.join(map(str, have))}); "
            "a booklet holds the whole series: build single sheets with `onepagers build --sector …`"
        )
    selection = Selection(everything=True, sector=spec.series, edition=spec.edition, profile=profile)
    jobs = plan(library, out, selection)
    sheets = [j for j in jobs if j.theme is None] + [j for j in jobs if j.theme is not None]  # the introduction first
    whole_job = Job(None, variant, jobs[0].profile, out, library.series.file_names.booklet, library.series.series[spec.series].name)
    started = time.perf_counter()
    # The booklet's name is series.yaml's to choose: one that is also a sheet's
    # (the introduction's, in some variant or profile) would replace that sheet.
    problems: list[Diagnostic] = collisions(library, out, [whole_job.path]) or verify.characters(library, project)
    if problems:
        return Result(whole_job, Status.FAILED, problems=tuple(problems))
    renderer = Renderer(project, whole_job.profile, library.series.language)
    documents, digest = [], hashlib.sha256(document_date().encode())
    try:
        for job in sheets:
            try:
                page_html = html_for(library, project, job)
            except ContentError as exc:
                problems += exc.diagnostics
                continue
            document, rendered = renderer.layout(page_html)
            problems += verify.layout(project, job, rendered, verify.section_sources(library, job))
            documents.append(document)
            digest.update(page_html.encode("utf-8"))
        if problems:
            return Result(whole_job, Status.FAILED, problems=tuple(problems))
        pages = [page for document in documents for page in document.pages]
        # Only what goes to a press (PDF/X) is stitched; a screen booklet keeps its pages.
        for_press = (whole_job.profile.pdf_variant or "").startswith("pdf/x")
        blanks = (-len(pages)) % PAGES_PER_SHEET_OF_PAPER if for_press else 0
        if blanks:
            blank, _ = renderer.layout(BLANK_PAGE)
            pages += blank.pages * blanks
        whole = documents[0].copy(pages)
        whole.metadata.title = f"{whole_job.label} ({spec.label})"
        data, used = renderer.write(whole, digest.hexdigest())
        problems += verify.embedded_fonts(used, project, whole_job.name)
        if problems:
            return Result(whole_job, Status.FAILED, problems=tuple(problems))
    finally:
        renderer.close()
    write_atomically(whole_job.path, data, inside=out)
    return BookletResult(whole_job, Status.BUILT, len(whole.pages), time.perf_counter() - started, blank_pages=blanks)
