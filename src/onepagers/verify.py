"""The acceptance rules a sheet must pass before it is written, each problem a `Diagnostic`.

A problem only the layout reveals (a section too long for its page) is placed
at the data that causes it: the section's line in the theme file (in the
variant's overlay where it has one), with the sheet named as its subject.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from . import fonts
from .diagnostics import Diagnostic
from .plan import Job
from .project import Project

if TYPE_CHECKING:
    from .fit import Apart, Overflow
    from .library import Library
    from .pdf import Rendered

A4_MM = (210.0, 297.0)
SHEET_PAGES = 2


def characters(library: Library, project: Project) -> list[Diagnostic]:
    """Text that the fonts cannot show, found before WeasyPrint swaps in a system font."""
    covered = fonts.coverage(project.fonts)
    sources = [library.series_source, *(tf.source for tf in library.themes)]
    if library.introduction_source is not None:
        sources.append(library.introduction_source)
    return [d for source in sources for d in fonts.uncovered(source, covered)]


# Where each section of a sheet is written in the data ("" for the sheet as a
# whole): the file, line and column, and the field there ("" where the section
# is the field); a plain mapping, so that it crosses to a worker process cheaply.
Sources = dict[str, tuple[Path, int, int, str]]


def layout(project: Project, job: Job, rendered: Rendered, sources: Sources) -> list[Diagnostic]:
    """Files the templates name but could not be read, text that overflows or was
    lost, the wrong number or size of pages."""
    def sheet(message: str, section: str = "") -> Diagnostic:
        path, line, column, field = sources.get(section) or sources[""]
        return Diagnostic(path, line, column, f"{field}: {message}" if field else message, subject=job.name)

    problems = [
        Diagnostic(*template_line(project, path), f"file not found: {_in_project(project, path)}", subject=job.name)
        for path in rendered.missing
    ]
    problems += [Diagnostic(*template_line(project, url), f"refused to fetch {url} (only templates/ and fonts/ are read)", subject=job.name)
                 for url in rendered.refused]
    if problems:
        # Such a sheet is not searched for (pdf.Renderer.layout): what its first
        # guess at a layout overflows says nothing of the layout it will have.
        return problems
    problems += [sheet(o.describe(), o.section) for o in _one_per_cause(rendered.overflows, sources)]
    if rendered.lost_letters and not rendered.overflows:
        problems.append(sheet(f"{rendered.lost_letters} letters of the text were not laid out (lost without an overflow to show where)"))
    expected = (1, SHEET_PAGES) if job.theme is None else (SHEET_PAGES, SHEET_PAGES)
    if not expected[0] <= rendered.pages <= expected[1] and not rendered.overflows:
        problems.append(sheet(f"has {rendered.pages} pages, expected {SHEET_PAGES}"))
    for i, (w, h) in enumerate(rendered.page_sizes_mm, start=1):
        if abs(w - A4_MM[0]) > 0.5 or abs(h - A4_MM[1]) > 0.5:
            problems.append(Diagnostic(None, 0, 0, f"page {i} is {w:.1f} x {h:.1f} mm, not A4", subject=job.name))
    return problems


def _one_per_cause(found: list[Overflow | Apart], sources: Sources) -> list[Overflow | Apart]:
    """One finding per place in the data and kind of overflow: a section is
    measured once per column and once more on a tall page, and text that runs
    out of its place also leaves the layout of its items broken there. The
    first finding of each kind stays (the largest, when amounts differ); a
    section that overflows has its items' broken layout said by that alone."""
    from .fit import Apart

    def place(finding: Overflow | Apart) -> tuple[object, ...]:
        return sources.get(finding.section) or sources[""]

    overflowing = {place(f) for f in found if not isinstance(f, Apart)}
    kept: dict[tuple[object, ...], Overflow | Apart] = {}
    for finding in found:
        if isinstance(finding, Apart):
            if place(finding) in overflowing:
                continue
            key = (place(finding), "apart", finding.what, finding.text)
        else:
            key = (place(finding), finding.direction)
        if key not in kept or (not isinstance(finding, Apart) and finding.mm > kept[key].mm):  # type: ignore[union-attr]
            kept[key] = finding
    return list(kept.values())


def embedded_fonts(used: dict[str, str], project: Project, subject: str) -> list[Diagnostic]:
    """Fonts the PDF embeds (name: sha256 of the file each came from) that are not files of fonts/."""
    ours = fonts.file_digests(project.fonts)
    return [
        Diagnostic(project.fonts, 0, 0, f"uses a font that is not in fonts/: {name}", subject=subject)
        for name, digest in sorted(used.items())
        if digest not in ours
    ]


def section_sources(library: Library, job: Job) -> Sources:
    """Where the text of each section of the job's sheet is written: the
    variant's overlay if it words that section, else the theme's own text;
    series-wide wording (the footer) in series.yaml."""
    wording = _wording_sources(library, job.variant)
    if job.theme is None:
        source = library.introduction_source or library.series_source
        found = {"": (source.path, 0, 0, ""), **wording}
        # The introduction's sections: its title, and its text (the blocks).
        for section, key in (("title", "title"), ("text", "blocks")):
            if (key,) in source.positions:
                found[section] = (source.path, *source.positions[(key,)], "")
        return found
    tf = library.theme(job.theme)
    assert tf is not None  # planned jobs name existing themes
    found: Sources = {"": (tf.source.path, 0, 0, ""), **wording}
    overlay = ("variants", job.variant)
    for loc, position in tf.source.positions.items():
        if len(loc) == 1 and isinstance(loc[0], str) and loc[0] != "variants":
            found.setdefault(loc[0], (tf.source.path, *position, ""))
        elif len(loc) == 3 and loc[:2] == overlay and isinstance(loc[2], str):
            found[loc[2]] = (tf.source.path, *position, "")  # the overlay's wording wins
    return found


# The series wording a sheet's footer prints: a footer too long is put down to its field.
FOOTER_WORDING = ("footer", "partnership")


def _wording_sources(library: Library, variant: str) -> Sources:
    """Where series.yaml words each footer field for `variant`: the nearest
    variant on its way to the root that words it, else the series' own wording."""
    from .variants import _chain

    series = library.series_source
    found: Sources = {}
    for name in FOOTER_WORDING:
        for loc in [("variants", step, "wording", name) for step in reversed(_chain(library, variant))] + [("wording", name)]:
            if loc in series.positions:
                found[name] = (series.path, *series.positions[loc], ".".join(loc))
                break
    return found


def template_line(project: Project, named: Path | str) -> tuple[Path, int, int]:
    """`templates/sheet.css:12`: where a template names a file that is missing,
    or an address it may not fetch (by its file's name, or the whole address)."""
    # An address as resolved may differ from how it is written (../x.png): its last part then finds it.
    wanted = [named.name] if isinstance(named, Path) else [named, named.rstrip("/").rsplit("/", 1)[-1]]
    templates = [(t, t.read_text(encoding="utf-8", errors="replace").splitlines())
                 for t in sorted(project.templates.glob("*")) if t.is_file() and t.suffix in (".css", ".j2", ".html")]
    for word in filter(None, wanted):
        for template, lines in templates:
            for number, line in enumerate(lines, start=1):
                if word in line:
                    return template, number, line.index(word) + 1
    return project.templates, 0, 0


def _in_project(project: Project, path: Path) -> str:
    """`fonts/Lato-Black.ttf`: as the templates name it, from the project's folder."""
    try:
        return str(path.relative_to(project.root.resolve()))
    except ValueError:
        return str(path)
