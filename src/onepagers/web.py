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
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup

from . import html, profiles
from .files import write_atomically
from .library import Library
from .plan import Job, sheet_job, theme_job
from .project import Project
from .variants import IntroductionSheet, Sheet, has_text, introduction_variants, resolve, resolve_introduction, title_in

FONT_FOLDER = "fonts"
# The weights web.css uses, and the licence that must travel with the fonts.
FONT_FILES = ("Lato-Regular.ttf", "Lato-Semibold.ttf", "Lato-Bold.ttf", "Lato-Black.ttf", "OFL.txt")
# The PDFs a page links to, where they have been built: (profile, link text).
PDF_LINKS = ((profiles.SCREEN, "PDF til skærm og download"), (profiles.PRINT, "PDF til tryk (PDF/X-4)"))
GALLERY = "index.html"


def document(library: Library, job: Job) -> Sheet | IntroductionSheet:
    if job.theme is None:
        return resolve_introduction(library, job.variant)
    tf = library.theme(job.theme)
    assert tf is not None  # plan() checked that it exists
    return resolve(library, tf, job.variant)


def render(library: Library, project: Project, job: Job) -> str:
    """The page of one job; links to the sheet's PDFs that exist in the same folder."""
    doc = document(library, job)
    pdfs = []
    for profile, label in PDF_LINKS:
        pdf = sheet_job(library, job.out, job.theme, job.variant, profile).path
        if pdf.is_file():
            pdfs.append({"href": _relative(pdf, job.path), "label": label})
    series = _series_pages(library, job)
    # The introduction's list of themes links each theme's page in this variant, where built.
    theme_pages = {theme["title"]: theme["href"] for theme in series["themes"] if theme["href"]} if job.theme is None else {}
    template = html.get_template(project.templates, "web.html.j2")
    css = "\n".join((project.templates / name).read_text(encoding="utf-8") for name in job.profile.stylesheets)
    return template.render(
        doc=doc,
        kind="sheet" if isinstance(doc, Sheet) else "introduction",
        lang=library.series.language,
        doc_title=html.document_title(doc),
        subject=f"{doc.variant.series_name} ({doc.variant.label})",
        # Our own stylesheets, not data: they must reach the page unescaped.
        css=Markup(css),
        pdfs=pdfs,
        theme_pages=theme_pages,
        # A theme's page lists its series; the introduction's text does.
        series=series if job.theme is not None else None,
        gallery=_relative(job.out / GALLERY, job.path),
        date=html.document_date(),
    )


def _series_pages(library: Library, job: Job) -> dict:
    """The sheets of the page's variant, as a reader moves between them on the
    web (the PDF's series panel lists their titles; a page links them): the
    introduction, where the variant has one, and each theme in series order,
    with its number, its title, its page's href where built, and whether it
    is this page."""

    def href(page: Path) -> str | None:
        return _relative(page, job.path) if page.is_file() else None

    introduction = None
    if job.variant in introduction_variants(library):
        introduction = {"title": resolve_introduction(library, job.variant).title,
                        "href": href(sheet_job(library, job.out, None, job.variant, job.profile).path)}
    themes = [
        {"number": tf.theme.number, "title": title_in(library, tf, job.variant), "current": tf.theme.number == job.theme,
         "href": href(theme_job(library, job.out, tf.theme.number, job.variant, job.profile).path)}
        for tf in library.themes
        if has_text(library, tf, job.variant)
    ]
    return {"introduction": introduction, "themes": themes}


def _relative(target: Path, page: Path) -> str:
    """The href of a file beside the page: its path percent-encoded, so that a
    name with a space, "å", "#", "?", "%" or a quote (a theme file's name
    makes the sheet's) still points at that file; the link's text is the
    data's own words."""
    return quote(Path(os.path.relpath(target, page.parent)).as_posix(), safe="/")


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


def write(library: Library, project: Project, job: Job, *, force: bool = False) -> bool:
    """Write the page of `job`; False if the file already held exactly this page
    (then it is not written again, and keeps its time)."""
    page = render(library, project, job).encode("utf-8")
    if not force and job.path.is_file() and job.path.read_bytes() == page:
        return False
    write_atomically(job.path, page)
    return True
