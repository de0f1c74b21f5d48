"""Build sheets: the library API behind `onepagers build`.

`plan` decides which sheets in which variants go where; `build` renders them.
Paths depend only on the sheet and the variant, never on the time, so an open
PDF viewer reloads the same file after a rebuild.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from . import fingerprint, fonts, html
from .diagnostics import ContentError, display_path
from .library import Library
from .project import Project
from .variants import (
    default_variant,
    has_text,
    introduction_variants,
    resolve,
    resolve_introduction,
    variants_of,
)

if TYPE_CHECKING:
    from .pdf import Rendered, Renderer

SHEET_PAGES = 2
# A worker process costs about 0.5 s to start (Python, WeasyPrint, fonts),
# four sheets' rendering: below this many sheets one process is faster.
POOL_MIN_SHEETS = 5
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
    status: str  # "built", "up to date" or "failed"
    pages: int
    seconds: float
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def output_path(library: Library, out: Path, number: int | None, variant_name: str, profile: str = "screen") -> Path:
    """`build/privat-2/tema-06-svaere-kald-privat-2.pdf`: folder and name both say the variant
    (and `-print` the print profile)."""
    if number is None:
        key = "introduktion"
    else:
        tf = library.theme(number)
        assert tf is not None
        key = f"tema-{tf.slug}"
    return pdf_path(out, key, variant_name, profile)


def pdf_path(out: Path, key: str, variant_name: str, profile: str = "screen") -> Path:
    """`<out>/<variant>/<key>-<variant>[-<profile>].pdf`, for sheets and booklets alike."""
    slug = variant_name.replace("@", "-")
    suffix = "" if profile == "screen" else f"-{profile}"
    return out / slug / f"{key}-{slug}{suffix}.pdf"


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
    from .environment import source_date

    return source_date(DEFAULT_DATE).strftime("%Y-%m-%dT%H:%M:%S+00:00")


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
    *,
    workers: int | None = None,
    force: bool = False,
    renderer: "Renderer | None" = None,
    thumbnails: bool = False,
) -> list[Result]:
    """Render every job that changed, across processes; a sheet that fails does not stop the others.

    A job whose output exists and was made from the same inputs (see
    `fingerprint`) is not rendered again unless `force`.
    """
    check_characters(library, project)
    inputs = fingerprint.inputs_digest(project)
    manifests: dict[Path, dict] = {}
    results: list[Result] = []
    todo: list[tuple[Job, str, str]] = []
    for job in jobs:
        out = job.path.parent.parent
        manifest = manifests.setdefault(out, fingerprint.read(out))
        try:
            page_html = html_for(library, project, job, profile)
        except ContentError as exc:
            results.append(_report(Result(job, "failed", 0, 0.0, tuple(d.one_line() for d in exc.diagnostics)), on_result))
            continue
        digest = fingerprint.sheet_digest(page_html, profile, inputs)
        current = fingerprint.current(out, job.path, digest, manifest)
        if current is not None and not force:
            results.append(_report(Result(job, "up to date", current, 0.0), on_result))
        else:
            todo.append((job, page_html, digest))

    count = min(workers or os.cpu_count() or 1, len(todo))
    if renderer is not None or (workers is None and len(todo) < POOL_MIN_SHEETS):
        count = 1
    if count > 1:
        built = _render_in_pool(project, profile, todo, count, on_result, thumbnails)
    else:
        built = _render_here(project, profile, todo, on_result, renderer, thumbnails)
    for out in manifests:
        fingerprint.record(out, {r.job.path: (digest, r.pages) for r, digest in built if r.ok and r.job.path.parent.parent == out})
    results += [r for r, _ in built]
    order = {job: i for i, job in enumerate(jobs)}
    return sorted(results, key=lambda r: order[r.job])


def _report(result: Result, on_result: Callable[[Result], None] | None) -> Result:
    if on_result:
        on_result(result)
    return result


def _render_here(project: Project, profile: str, todo: list[tuple[Job, str, str]], on_result, renderer: "Renderer | None" = None, thumbnails: bool = False) -> list[tuple[Result, str]]:
    """In this process: for one sheet (a worker pool costs more than it saves) or
    with the warm renderer that `--watch` keeps between rebuilds."""
    if not todo:
        return []
    from .pdf import Renderer  # WeasyPrint loads only when something is rendered

    own = renderer is None
    renderer = renderer or Renderer(project, profile)
    try:
        return [(_report(render_job(renderer, project, job, page_html, thumbnails), on_result), digest) for job, page_html, digest in todo]
    finally:
        if own:
            renderer.close()


def _render_in_pool(project: Project, profile: str, todo: list[tuple[Job, str, str]], count: int, on_result, thumbnails: bool = False) -> list[tuple[Result, str]]:
    # spawn, not fork: forked workers share the parent's pages copy-on-write
    # and paid four times the page faults; spawn was about 20 % faster.
    context = multiprocessing.get_context("spawn")
    done: list[tuple[Result, str]] = []
    with ProcessPoolExecutor(count, mp_context=context, initializer=_start_worker, initargs=(project.root, profile)) as pool:
        futures = {pool.submit(_work, job, page_html, thumbnails): digest for job, page_html, digest in todo}
        try:
            for future in as_completed(futures):
                done.append((_report(future.result(), on_result), futures[future]))
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return done


_worker_renderer = None


def _start_worker(root: Path, profile: str) -> None:
    from multiprocessing.util import Finalize

    from .environment import die_with_parent
    from .pdf import Renderer

    die_with_parent()

    global _worker_renderer
    _worker_renderer = Renderer(Project(root), profile)
    # Workers leave through multiprocessing's exit, which skips atexit: this
    # is what removes the worker's /tmp/weasyprint-* font folder.
    Finalize(None, _worker_renderer.close, exitpriority=10)


def _work(job: Job, page_html: str, thumbnails: bool) -> Result:
    assert _worker_renderer is not None
    return render_job(_worker_renderer, _worker_renderer.project, job, page_html, thumbnails)


def render_job(renderer: "Renderer", project: Project, job: Job, page_html: str, thumbnail: bool = False) -> Result:
    """Render one sheet, check it, and write it (and its gallery thumbnail) if it passes."""
    from .files import OutputError, write_atomically

    started = time.perf_counter()
    rendered = renderer.render(page_html)
    problems = check_layout(job, rendered, project)
    if not rendered.missing:  # a missing font file also brings a fallback font; said better above
        problems += check_fonts(rendered.pdf, project)
    if not problems:
        try:
            write_atomically(job.path, rendered.pdf, inside=job.path.parent.parent)
            if thumbnail:
                from .gallery import thumbnail as make_thumbnail

                make_thumbnail(job.path)
        except OutputError as exc:  # a full disk fails this sheet; the next may still fit
            problems.append(str(exc))
    return Result(job, "failed" if problems else "built", rendered.pages, time.perf_counter() - started, tuple(problems))


def check_characters(library: Library, project: Project) -> None:
    """Refuse text that the fonts cannot show, before WeasyPrint swaps in a system font."""
    covered = fonts.coverage(project.fonts)
    sources = [library.series_source, *(tf.source for tf in library.themes)]
    if library.introduction_source is not None:
        sources.append(library.introduction_source)
    problems = [d for source in sources for d in fonts.uncovered(source, covered)]
    if problems:
        raise ContentError(problems)


def check_layout(job: Job, rendered: Rendered, project: Project) -> list[str]:
    """Why this laid-out sheet must not be written, if anything: files it could not
    read, overflowing text, the wrong number or size of pages."""
    problems = [f"{_referenced_at(project, path)}: file not found: {display_path(path)}" for path in rendered.missing]
    problems += [f"refused to fetch {url} (only templates/ and fonts/ are read)" for url in rendered.refused]
    problems += [o.describe() for o in rendered.overflows]
    if rendered.lost_letters and not rendered.overflows:
        problems.append(f"{rendered.lost_letters} letters of the text were not laid out (lost without an overflow to show where)")
    expected = (1, SHEET_PAGES) if job.number is None else (SHEET_PAGES, SHEET_PAGES)
    if not expected[0] <= rendered.pages <= expected[1] and not rendered.overflows:
        problems.append(f"has {rendered.pages} pages, expected {SHEET_PAGES}")
    for i, (w, h) in enumerate(rendered.page_sizes_mm, start=1):
        if abs(w - A4_MM[0]) > 0.5 or abs(h - A4_MM[1]) > 0.5:
            problems.append(f"page {i} is {w:.1f} x {h:.1f} mm, not A4")
    return problems


def check_fonts(pdf: bytes, project: Project) -> list[str]:
    return [f"uses a font that is not in fonts/: {name}" for name in fonts.foreign_fonts(pdf, project.fonts)]


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
