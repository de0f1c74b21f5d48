"""Build sheets: the library API behind `onepagers build`.

`plan` decides which sheets in which variants go where; `build` renders them.
Paths depend only on the sheet and the variant, never on the time, so an open
PDF viewer reloads the same file after a rebuild.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from . import fonts, html
from .diagnostics import ContentError, display_path
from .library import Library
from .project import Project
from .variants import (
    default_variant,
    has_text,
    introduction_variants,
    resolve,
    resolve_introduction,
    variant,
    variants_of,
)

if TYPE_CHECKING:
    from .pdf import Rendered

SHEET_PAGES = 2
# No publication dates are known for the editions: a fixed, obviously
# conventional date (as reproducible-builds use) unless SOURCE_DATE_EPOCH says.
DEFAULT_DATE = datetime(1980, 1, 1, tzinfo=timezone.utc)
A4_MM = (210.0, 297.0)


class SelectionError(Exception):
    """The sheets asked for do not exist (a theme, a variant, a combination)."""


@dataclass(frozen=True)
class Job:
    number: int | None  # None: the introduction
    variant: str
    path: Path

    @property
    def label(self) -> str:
        what = "introduktion" if self.number is None else f"tema {self.number}"
        return f"{what} ({self.variant})"


@dataclass(frozen=True)
class Result:
    job: Job
    ok: bool
    pages: int
    seconds: float
    problems: tuple[str, ...] = ()


def output_path(library: Library, out: Path, number: int | None, variant_name: str, profile: str = "screen") -> Path:
    """`build/privat-2/tema-06-svaere-kald-privat-2.pdf`: folder and name both say the variant
    (and `-print` the print profile)."""
    v = variant(library, variant_name)
    if number is None:
        key = "introduktion"
    else:
        tf = library.theme(number)
        assert tf is not None
        key = f"tema-{tf.slug}"
    suffix = "" if profile == "screen" else f"-{profile}"
    return out / v.slug / f"{key}-{v.slug}{suffix}.pdf"


def pick_variant(library: Library, sector: str | None, edition: int | None) -> str:
    specs = library.series.variants
    default = specs[default_variant(library)]
    sector = sector or default.series
    candidates = [(s.edition, n) for n, s in specs.items() if s.series == sector and (edition is None or s.edition == edition)]
    if not candidates:
        defined = ", ".join(specs)
        raise SelectionError(f"no variant for sector '{sector}'" + (f" and edition {edition}" if edition else "") + f"; defined: {defined}")
    return max(candidates)[1]


def plan(
    library: Library,
    out: Path,
    *,
    themes: Iterable[int] = (),
    everything: bool = False,
    sector: str | None = None,
    edition: int | None = None,
    every_variant: bool = False,
    profile: str = "screen",
) -> list[Job]:
    numbers = [tf.theme.number for tf in library.themes] if everything else list(dict.fromkeys(themes))
    for number in numbers:
        if library.theme(number) is None:
            have = ", ".join(str(t.theme.number) for t in library.themes)
            raise SelectionError(f"there is no theme {number}; themes: {have}")
    jobs: list[Job] = []
    if every_variant:
        for number in numbers:
            tf = library.theme(number)
            assert tf is not None
            jobs += [Job(number, v, output_path(library, out, number, v, profile)) for v in variants_of(library, tf)]
        if everything:
            jobs += [Job(None, v, output_path(library, out, None, v, profile)) for v in introduction_variants(library)]
        return jobs

    name = pick_variant(library, sector, edition)
    for number in numbers:
        tf = library.theme(number)
        assert tf is not None
        if not has_text(library, tf, name):
            raise SelectionError(
                f"theme {number} has no text in variant {name}; it exists in: {', '.join(variants_of(library, tf))}"
            )
        jobs.append(Job(number, name, output_path(library, out, number, name, profile)))
    if everything and name in introduction_variants(library):
        jobs.append(Job(None, name, output_path(library, out, None, name, profile)))
    return jobs


def build_date() -> str:
    """The date written into every PDF: SOURCE_DATE_EPOCH's, else a fixed one,
    never the clock, so that the same input gives the same bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch.isdigit() else DEFAULT_DATE
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def html_for(library: Library, project: Project, job: Job, profile: str = "screen") -> str:
    document = (
        resolve_introduction(library, job.variant)
        if job.number is None
        else resolve(library, library.theme(job.number), job.variant)  # type: ignore[arg-type]
    )
    return html.render(document, project.templates, profile=profile, date=build_date())


def build(
    library: Library,
    project: Project,
    jobs: list[Job],
    on_result: Callable[[Result], None] | None = None,
    profile: str = "screen",
) -> list[Result]:
    """Render every job; a sheet that fails does not stop the others."""
    from .pdf import Renderer, write_atomically  # WeasyPrint loads only when rendering

    check_characters(library, project)
    renderer = Renderer(project, profile)
    results = []
    for job in jobs:
        started = time.perf_counter()
        try:
            rendered = renderer.render(html_for(library, project, job, profile))
        except ContentError as exc:
            problems = [d.one_line() for d in exc.diagnostics]
            pages = 0
        else:
            problems = check_rendered(job, rendered, project)
            pages = rendered.pages
            if not problems:
                write_atomically(job.path, rendered.pdf)
        result = Result(job, not problems, pages, time.perf_counter() - started, tuple(problems))
        results.append(result)
        if on_result:
            on_result(result)
    return results


def check_characters(library: Library, project: Project) -> None:
    """Refuse text that the fonts cannot show, before WeasyPrint swaps in a system font."""
    covered = fonts.coverage(project.fonts)
    sources = [library.series_source, *(tf.source for tf in library.themes)]
    if library.introduction_source is not None:
        sources.append(library.introduction_source)
    problems = [d for source in sources for d in fonts.uncovered(source, covered)]
    if problems:
        raise ContentError(problems)


def check_rendered(job: Job, rendered: Rendered, project: Project) -> list[str]:
    """Why this rendering must not be written, if anything."""
    problems = [f"{_referenced_at(project, path)}: file not found: {display_path(path)}" for path in rendered.missing]
    problems += [f"refused to fetch {url} (only templates/ and fonts/ are read)" for url in rendered.refused]
    problems += [o.describe() for o in rendered.overflows]
    expected = (1, SHEET_PAGES) if job.number is None else (SHEET_PAGES, SHEET_PAGES)
    if not expected[0] <= rendered.pages <= expected[1] and not rendered.overflows:
        problems.append(f"has {rendered.pages} pages, expected {SHEET_PAGES}")
    for i, (w, h) in enumerate(rendered.page_sizes_mm, start=1):
        if abs(w - A4_MM[0]) > 0.5 or abs(h - A4_MM[1]) > 0.5:
            problems.append(f"page {i} is {w:.1f} x {h:.1f} mm, not A4")
    if not rendered.missing:  # a missing font file shows up here too; said better above
        problems += [f"uses a font that is not in fonts/: {name}" for name in fonts.foreign_fonts(rendered.pdf, project.fonts)]
    return problems


def _referenced_at(project: Project, path: Path) -> str:
    """`templates/sheet.css:12`: where a template names the missing file."""
    for template in sorted(project.templates.glob("*")):
        if not template.is_file() or template.suffix not in (".css", ".j2", ".html"):
            continue
        for number, line in enumerate(template.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if path.name in line:
                return f"{display_path(template)}:{number}"
    return display_path(project.templates)


def describe(result: Result) -> str:
    where = display_path(result.job.path)
    return f"{result.job.label}: " + "; ".join(result.problems) + f" [{where} not written]"
