"""The `onepagers` command: a thin layer over the library API in `build`.

stdout carries only results (the path of each PDF, one per line) so scripts
can rely on it; progress and messages go to stderr. Exit status: 0 success,
1 a problem in the content (or a sheet that does not fit), 2 a usage error.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from .diagnostics import ContentError

app = typer.Typer(
    help=(
        "Turn the text of the theme sheets (YAML under data/) into print-ready "
        "two-page A4 PDFs.\n\n"
        "Start with `onepagers list` to see the themes, then "
        "`onepagers build --theme 6` or `onepagers build --all`."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
# soft_wrap: a message stays on one line, whatever the terminal's width;
# emoji=False: ":smile:" quoted from the data stays as typed.
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

class Profile(str, Enum):
    screen = "screen"
    print = "print"


SectorOpt = Annotated[Optional[str], typer.Option(metavar="NAME", help="Sector: privat or offentlig. Default: privat.")]
EditionOpt = Annotated[Optional[int], typer.Option(metavar="N", help="Edition number. Default: the newest of the sector.")]
ThemeOpt = Annotated[int, typer.Option("--theme", "-t", metavar="N", help="Theme number.")]
ProjectOpt = Annotated[
    Optional[Path],
    typer.Option("--project", metavar="DIR", help="The project folder (holds data/, templates/, fonts/). Default: found from the current folder."),
]


def _fail(problem: object) -> typer.Exit:
    """A selection that does not exist (theme, variant): said on stderr, exit 1."""
    err.print(f"error: {problem}", markup=False)
    return typer.Exit(1)


def _fail_content(exc: ContentError) -> typer.Exit:
    for diagnostic in exc.diagnostics:
        err.print(diagnostic.with_source(), markup=False)
    count = len(exc.diagnostics)
    err.print(f"{count} problem{'s' if count != 1 else ''} in the data; nothing was written.", markup=False)
    return typer.Exit(1)


def _load(project_dir: Optional[Path], partial: bool = False):
    """With `partial`, a file that does not load is reported and the rest goes on
    (the command exits 1 at its end); without, nothing goes on."""
    from .library import load_library
    from .project import Project

    project = Project.find(project_dir)
    try:
        library = load_library(project.data, partial=partial)
    except ContentError as exc:
        raise _fail_content(exc) from None
    for diagnostic in library.problems:
        err.print(diagnostic.with_source(), markup=False)
    if library.problems:
        count = len(library.problems)
        waiting = ", ".join(f"tema {n}" for n in sorted(library.broken))
        err.print(f"{count} problem{'s' if count != 1 else ''} in the data" + (f"; not built: {waiting}." if waiting else "."), markup=False)
    return project, library


@app.command("list")
def list_themes(project_dir: ProjectOpt = None) -> None:
    """Show every theme with its number and title, and the variants it exists in."""
    from .variants import variants_of

    _, library = _load(project_dir, partial=True)
    for tf in library.themes:
        typer.echo(f"{tf.theme.number:>2}  {tf.theme.title}  [{', '.join(variants_of(library, tf))}]")
    if library.problems:
        raise typer.Exit(1)


@app.command()
def build(
    theme: Annotated[Optional[list[int]], typer.Option("--theme", "-t", metavar="N", help="Theme number to build; repeat for several.")] = None,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Build every theme and the introduction.")] = False,
    sector: SectorOpt = None,
    edition: EditionOpt = None,
    every_variant: Annotated[bool, typer.Option("--every-variant", help="Build every edition and sector the data defines.")] = False,
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Output folder.")] = Path("build"),
    profile: Annotated[Profile, typer.Option(help="screen: tagged, accessible PDF/UA-1. print: PDF/X-4 with 3 mm bleed and crop marks, for the print shop.")] = Profile.screen,
    workers: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, metavar="N", help="Render in N processes. Default: one per core.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Render every sheet, even those whose inputs have not changed.")] = False,
    watch: Annotated[bool, typer.Option("--watch", "-w", help="Keep running: rebuild the affected sheets whenever a file under data/, templates/ or fonts/ changes (Ctrl-C stops).")] = False,
    project_dir: ProjectOpt = None,
) -> None:
    """Build PDFs and print the path of each on its own line, rebuilt or already up to date.

    Only sheets whose text, templates, stylesheets or fonts changed are
    rendered again; --force renders all.

    Examples: `onepagers build --theme 6`, `onepagers build --all`,
    `onepagers build --theme 6 --sector offentlig`.
    """
    from .build import SelectionError, plan

    if not theme and not all_:
        raise typer.BadParameter("say which sheets: --theme N (repeatable) or --all", param_hint="--theme/--all")
    if theme and all_:
        raise typer.BadParameter("give --theme or --all, not both", param_hint="--theme/--all")
    project, library = _load(project_dir, partial=True)
    if theme and not all_ and not watch and set(theme) <= library.broken:
        raise typer.Exit(1)  # each sheet asked for waits for a file reported above

    def plan_jobs(library):
        # A theme whose file did not load was reported; asking for it is no second mistake.
        wanted = [n for n in theme or () if n not in library.broken]
        return plan(library, out, themes=wanted, everything=all_, sector=sector, edition=edition, every_variant=every_variant, profile=profile.value)

    try:
        jobs = plan_jobs(library)
    except SelectionError as exc:
        raise _fail(exc) from None
    if watch:
        from .watch import watch as run_watch

        err.print(f"watching {project.data}, {project.templates} and {project.fonts}; Ctrl-C stops", markup=False)
        try:
            run_watch(project, plan_jobs, profile.value, lambda line: err.print(line, markup=False))
        except KeyboardInterrupt:
            pass
        return

    try:
        results = _run_build(library, project, jobs, profile.value, workers, force, thumbnails=all_)
    except ContentError as exc:
        raise _fail_content(exc) from None
    if all_ and (any(r.status == "built" for r in results) or not (out / "index.html").exists()):
        from .gallery import write_gallery

        err.print(f"gallery: {write_gallery(library, project, out)}", markup=False)
    if any(not r.ok for r in results) or library.problems:
        raise typer.Exit(1)


@app.command()
def booklet(
    sector: SectorOpt = None,
    edition: EditionOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Output folder.")] = Path("build"),
    profile: Annotated[Profile, typer.Option(help="screen (download) or print (PDF/X-4 for the print shop).")] = Profile.screen,
    project_dir: ProjectOpt = None,
) -> None:
    """Build one PDF of a whole variant: the introduction and every theme in order,
    with a bookmark per sheet. Prints its path.

    Example: `onepagers booklet --edition 1`.
    """
    from .booklet import make_booklet
    from .build import SelectionError

    project, library = _load(project_dir)
    name = _variant_of(library, f"{sector or ''}@{edition or ''}")
    try:
        result = make_booklet(library, project, out, name, profile.value)
    except ContentError as exc:
        raise _fail_content(exc) from None
    except SelectionError as exc:
        raise _fail(exc) from None
    if result.path is None:
        for problem in result.problems:
            err.print(f"error: {problem}", markup=False)
        raise typer.Exit(1)
    typer.echo(str(result.path))
    err.print(f"booklet {name}: {result.pages} pages", markup=False)


@app.command()
def preview(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="The folder of built PDFs; the PNGs go beside them.")] = Path("build"),
    to: Annotated[Optional[Path], typer.Option("--to", metavar="DIR", help="Write the PNGs here instead, all in one folder.")] = None,
    dpi: Annotated[float, typer.Option(min=10, max=600, help="Resolution; 36 makes thumbnails.")] = 36,
) -> None:
    """Write a PNG of every page of every PDF under --out, and print each path.

    Example: `onepagers build --all && onepagers preview`.
    """
    from . import preview as previews

    pdfs = sorted(p for p in out.rglob("*.pdf") if p.is_file())
    if not pdfs:
        raise _fail(f"no PDFs under {out}; run `onepagers build` first")
    damaged = 0
    for pdf in pdfs:
        try:
            for path in previews.write(pdf, to or pdf.parent, dpi):
                typer.echo(str(path))
        except previews.DamagedPdf as exc:  # the others still get their pictures
            err.print(f"error: {exc}", markup=False)
            damaged += 1
    if damaged:
        raise typer.Exit(1)


@app.command()
def check(
    theme: Annotated[Optional[list[int]], typer.Option("--theme", "-t", metavar="N", help="Check only this theme; repeat for several.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON on stdout.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    project_dir: ProjectOpt = None,
) -> None:
    """Preflight the text without rendering: what build checks, and slips such as
    repeated words, retyped titles, a pasted block or a bullet split in two.

    Each finding names file:line, the rule and a suggestion. Exit 1 on errors
    (and on warnings with --strict).
    """
    import json

    from .check import preflight

    from .library import load_library
    from .project import Project

    # A file that does not load is a finding like any other (in --json too);
    # the files that load are still checked.
    project = Project.find(project_dir)
    try:
        library = load_library(project.data, partial=True)
        findings = [*library.problems, *preflight(library, project, theme or None)]
    except ContentError as exc:
        findings = list(exc.diagnostics)
    if as_json:
        typer.echo(json.dumps([
            {"file": d.location().split(":")[0], "line": d.line, "column": d.column, "severity": d.severity,
             "rule": d.rule, "message": d.message, "suggestion": d.suggestion}
            for d in findings
        ], ensure_ascii=False, indent=2))
    else:
        for d in findings:
            err.print(d.one_line(), markup=False)
    errors = sum(d.severity == "error" for d in findings)
    warnings = len(findings) - errors
    err.print(f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}.", markup=False)
    if errors or (strict and warnings):
        raise typer.Exit(1)


def _variant_of(library, spec: str) -> str:
    """`privat@1`, `offentlig@2`, or just `offentlig` (its newest edition)."""
    from .build import SelectionError, pick_variant

    sector, _, edition = spec.partition("@")
    try:
        return pick_variant(library, sector, int(edition) if edition.isdigit() else None)
    except SelectionError as exc:
        raise _fail(exc) from None


def _resolved(library, number: int, name: str):
    from .variants import resolve

    tf = library.theme(number)
    if tf is None:
        raise _fail(f"there is no theme {number}; themes: {', '.join(str(t.theme.number) for t in library.themes)}")
    try:
        return resolve(library, tf, name)
    except LookupError as exc:
        raise _fail(exc) from None
    except ContentError as exc:
        raise _fail_content(exc) from None


@app.command()
def show(
    theme: ThemeOpt,
    sector: SectorOpt = None,
    edition: EditionOpt = None,
    project_dir: ProjectOpt = None,
) -> None:
    """Print a theme's text in one variant, with every overlay applied, as YAML.

    Example: `onepagers show --theme 6 --sector offentlig`.
    """
    import yaml

    from .model import TEXT_SECTIONS

    _, library = _load(project_dir)
    name = _variant_of(library, f"{sector or ''}@{edition or ''}")
    sheet = _resolved(library, theme, name)
    data = {
        "variant": sheet.variant.name,
        "series": sheet.variant.series_name,
        "number": f"{sheet.number}/{sheet.variant.theme_count}",
        "title": sheet.title,
        "lead": sheet.lead,
        **{section: list(getattr(sheet, section)) for section in TEXT_SECTIONS},
        "references": [r.model_dump(exclude_none=True) for r in sheet.references],
        "headings": sheet.headings.model_dump(),
        "footer": sheet.footer,
        "partnership": sheet.partnership,
    }
    typer.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000), nl=False)


@app.command()
def diff(
    a: Annotated[str, typer.Argument(metavar="A", help="A variant: privat@1, privat@2, offentlig@2, or just a sector.")],
    b: Annotated[str, typer.Argument(metavar="B", help="The variant to compare A with.")],
    theme: ThemeOpt,
    html_file: Annotated[Optional[Path], typer.Option("--html", metavar="FILE", help="Also write the diff as a self-contained HTML page.")] = None,
    project_dir: ProjectOpt = None,
) -> None:
    """Show, word by word and section by section, how a theme differs between two variants.

    Example: `onepagers diff --theme 6 privat@2 offentlig@2 --html d.html`.
    """
    from . import diff as worddiff
    from .files import write_atomically

    _, library = _load(project_dir)
    name_a, name_b = _variant_of(library, a), _variant_of(library, b)
    sheet_a, sheet_b = _resolved(library, theme, name_a), _resolved(library, theme, name_b)
    diffs = worddiff.diff_sheets(sheet_a, sheet_b)
    Console(highlight=False, soft_wrap=True, emoji=False).print(worddiff.to_rich(diffs, name_a, name_b))
    if html_file is not None:
        title = f"TEMA {theme}: {name_a} → {name_b}"
        write_atomically(html_file, worddiff.to_html(diffs, title, name_a, name_b).encode("utf-8"))
        err.print(f"wrote {html_file}", markup=False)


def _run_build(library, project, jobs, profile: str, workers, force: bool, thumbnails: bool = False):
    """Build with a progress bar (on a terminal) and a summary table, both on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from .build import build as run, describe

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True, disable=not err.is_terminal)

    def report(result) -> None:
        progress.advance(task)
        if result.status == "failed":
            progress.console.print(f"error: {describe(result)}", markup=False)

    with progress:
        task = progress.add_task("building", total=len(jobs))
        results = run(library, project, jobs, on_result=report, profile=profile, workers=workers, force=force, thumbnails=thumbnails)
    for result in results:
        if result.ok:
            typer.echo(str(result.job.path))

    built = [r for r in results if r.status == "built"]
    failed = [r for r in results if r.status == "failed"]
    if not built and not failed:
        err.print(f"Nothing changed: {len(results)} sheet{'s' if len(results) != 1 else ''} up to date.", markup=False)
        return results
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("sheet", "variant", "pages", "status", "time"):
        table.add_column(column, justify="right" if column in ("pages", "time") else "left")
    for r in results:
        name = "introduktion" if r.job.number is None else f"tema {r.job.number}"
        style = {"failed": "red", "built": "", "up to date": "dim"}[r.status]
        table.add_row(name, r.job.variant, str(r.pages or ""), r.status, f"{r.seconds:.2f} s" if r.seconds else "", style=style)
    err.print(table)
    err.print(
        f"{len(built)} built, {len(results) - len(built) - len(failed)} up to date"
        + (f", {len(failed)} of {len(results)} sheets failed." if failed else "."),
        markup=False,
    )
    return results


def _interrupt(signum: int, frame: object) -> None:
    # SIGTERM (CI cancelling a job) unwinds like Ctrl-C, so that a half-written
    # temporary file is removed; every output path keeps its old or new file.
    raise KeyboardInterrupt


def main() -> None:
    import signal

    from .environment import EnvironmentProblem
    from .files import OutputError

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        app()
    except (OutputError, EnvironmentProblem) as exc:
        # Not the text's fault, nor a command typed wrong: one line saying what to change.
        err.print(f"error: {exc}", markup=False)
        raise SystemExit(1) from None
