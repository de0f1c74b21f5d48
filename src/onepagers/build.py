"""Build sheets: the library API behind `onepagers build`.

`plan` decides which sheets in which variants go where; `build` renders them.
Paths depend only on the sheet and the variant, never on the time, so an open
PDF viewer reloads the same file after a rebuild.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

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

SHEET_PAGES = 2
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


def output_path(library: Library, out: Path, number: int | None, variant_name: str) -> Path:
    """`build/privat-2/tema-06-svaere-kald-privat-2.pdf`: folder and name both say the variant."""
    v = variant(library, variant_name)
    if number is None:
        key = "introduktion"
    else:
        tf = library.theme(number)
        assert tf is not None
        key = f"tema-{tf.slug}"
    return out / v.slug / f"{key}-{v.slug}.pdf"


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
            jobs += [Job(number, v, output_path(library, out, number, v)) for v in variants_of(library, tf)]
        if everything:
            jobs += [Job(None, v, output_path(library, out, None, v)) for v in introduction_variants(library)]
        return jobs

    name = pick_variant(library, sector, edition)
    for number in numbers:
        tf = library.theme(number)
        assert tf is not None
        if not has_text(library, tf, name):
            raise SelectionError(
                f"theme {number} has no text in variant {name}; it exists in: {', '.join(variants_of(library, tf))}"
            )
        jobs.append(Job(number, name, output_path(library, out, number, name)))
    if everything and name in introduction_variants(library):
        jobs.append(Job(None, name, output_path(library, out, None, name)))
    return jobs


def html_for(library: Library, project: Project, job: Job) -> str:
    if job.number is None:
        return html.render_introduction(resolve_introduction(library, job.variant), project.templates)
    tf = library.theme(job.number)
    assert tf is not None
    return html.render_sheet(resolve(library, tf, job.variant), project.templates)


def build(
    library: Library,
    project: Project,
    jobs: list[Job],
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Render every job; a sheet that fails does not stop the others."""
    from .pdf import Renderer, write_atomically  # WeasyPrint loads only when rendering

    check_characters(library, project)
    renderer = Renderer(project)
    results = []
    for job in jobs:
        started = time.perf_counter()
        rendered = renderer.render(html_for(library, project, job))
        problems = check_rendered(job, rendered.pages, rendered.page_sizes_mm, rendered.overflows, rendered.refused)
        problems += [f"uses a font that is not in fonts/: {name}" for name in fonts.foreign_fonts(rendered.pdf, project.fonts)]
        if not problems:
            write_atomically(job.path, rendered.pdf)
        result = Result(job, not problems, rendered.pages, time.perf_counter() - started, tuple(problems))
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


def check_rendered(job: Job, pages: int, sizes: list[tuple[float, float]], overflows: list, refused: list[str]) -> list[str]:
    problems = [f"refused to fetch {url}" for url in refused]
    problems += [o.describe() for o in overflows]
    expected = (1, SHEET_PAGES) if job.number is None else (SHEET_PAGES, SHEET_PAGES)
    if not expected[0] <= pages <= expected[1]:
        problems.append(f"has {pages} pages, expected {SHEET_PAGES}")
    for i, (w, h) in enumerate(sizes, start=1):
        if abs(w - A4_MM[0]) > 0.5 or abs(h - A4_MM[1]) > 0.5:
            problems.append(f"page {i} is {w:.1f} x {h:.1f} mm, not A4")
    return problems


def describe(result: Result) -> str:
    where = display_path(result.job.path)
    return f"{result.job.label}: " + "; ".join(result.problems) + f" [{where} not written]"
