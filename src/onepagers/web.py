"""The web profile: every sheet as one accessible HTML page beside its PDFs.

The page is made from the same resolved sheet as the PDF (`variants.resolve`)
and its text goes through the same inline rules (`inline.to_html`: escaped,
only bold and links become markup), so it says the same words in the same
order. Styles are inline and the fonts are copied once into `<out>/fonts/`:
a page reads nothing from outside the output folder and needs no script.

Rendering a page costs milliseconds, so "incremental" is simply: a page whose
bytes would not change is not written again (its time stamp stays).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Callable

from markupsafe import Markup

from . import html
from .build import Job, Result, build_date, output_path
from .diagnostics import ContentError
from .files import write_atomically
from .library import Library
from .project import Project
from .variants import IntroductionSheet, Sheet, resolve, resolve_introduction, title_in

PROFILE = "web"
FONT_FOLDER = "fonts"
# The weights web.css uses, and the licence that must travel with the fonts.
FONT_FILES = ("Lato-Regular.ttf", "Lato-Semibold.ttf", "Lato-Bold.ttf", "Lato-Black.ttf", "OFL.txt")
# The PDFs a page links to, where they have been built: (profile, link text).
PDF_LINKS = (("screen", "PDF til skærm og download"), ("print", "PDF til tryk (PDF/X-4)"))
GALLERY = "index.html"


def document(library: Library, job: Job) -> Sheet | IntroductionSheet:
    if job.number is None:
        return resolve_introduction(library, job.variant)
    tf = library.theme(job.number)
    assert tf is not None  # plan() checked that it exists
    return resolve(library, tf, job.variant)


def render(library: Library, project: Project, job: Job) -> str:
    """The page of one job; links to the sheet's PDFs that exist in the same folder."""
    doc = document(library, job)
    out = job.path.parent.parent
    pdfs = []
    for profile, label in PDF_LINKS:
        pdf = output_path(library, out, job.number, job.variant, profile)
        if pdf.is_file():
            pdfs.append({"href": _relative(pdf, job.path), "label": label})
    # The introduction's list of themes links each theme's page in this variant, where built.
    theme_pages = {}
    if job.number is None:
        for tf in library.themes:
            page = output_path(library, out, tf.theme.number, job.variant, PROFILE)
            if page.is_file():
                theme_pages[title_in(library, tf, job.variant)] = _relative(page, job.path)
    template = html.get_template(project.templates, "web.html.j2")
    css = (project.templates / "web.css").read_text(encoding="utf-8")
    return template.render(
        doc=doc,
        kind="sheet" if isinstance(doc, Sheet) else "introduction",
        lang=doc.variant.language,
        doc_title=html.document_title(doc),
        subject=f"{doc.variant.series_name} ({doc.variant.label})",
        # Our own stylesheet, not data: it must reach the page unescaped.
        css=Markup(css),
        pdfs=pdfs,
        theme_pages=theme_pages,
        gallery=_relative(out / GALLERY, job.path),
        date=build_date(),
    )


def _relative(target: Path, page: Path) -> str:
    return Path(os.path.relpath(target, page.parent)).as_posix()


def copy_fonts(project: Project, out: Path) -> None:
    """Put the fonts the pages use into `<out>/fonts/`, once, and again when they change."""
    for name in FONT_FILES:
        source = project.fonts / name
        target = out / FONT_FOLDER / name
        if not source.is_file():
            continue  # a page then falls back to a system font; the PDF build names the missing file
        if not target.is_file() or target.read_bytes() != source.read_bytes():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def build(
    library: Library,
    project: Project,
    jobs: list[Job],
    on_result: Callable[[Result], None] | None = None,
    *,
    force: bool = False,
) -> list[Result]:
    """Write the page of every job; one that fails does not stop the others."""
    for out in dict.fromkeys(job.path.parent.parent for job in jobs):
        copy_fonts(project, out)
    results = []
    for job in jobs:
        started = time.perf_counter()
        try:
            page = render(library, project, job).encode("utf-8")
        except ContentError as exc:
            result = Result(job, "failed", 0, 0.0, tuple(d.one_line() for d in exc.diagnostics))
        else:
            if not force and job.path.is_file() and job.path.read_bytes() == page:
                result = Result(job, "up to date", 1, 0.0)
            else:
                write_atomically(job.path, page)
                result = Result(job, "built", 1, time.perf_counter() - started)
        if on_result:
            on_result(result)
        results.append(result)
    return results
