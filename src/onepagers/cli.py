"""The `onepagers` command: a thin layer over the library API in `build`.

stdout carries only results (the path of each PDF, one per line) so scripts
can rely on it; progress and messages go to stderr. Exit status: 0 success,
1 a problem in the content (or a sheet that does not fit), 2 a usage error.

A path is printed as it is, or, if its name holds a newline, a tab or
another character a line cannot show, quoted as a shell quotes it
(`$'a\\nb'`): one path is always one line. Text the terminal's encoding
cannot show is printed as escapes (`\\u2013`), never a crash. A reader that
goes away (`onepagers list | head -1`) is no error: the rest of the output is
dropped and the command ends as it would have, with its own exit status.
Output that cannot be written (a full disk, a closed stdout) is an error:
one message on stderr, exit status 1.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from contextlib import nullcontext
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, Sequence

import typer

from . import profiles
from .diagnostics import ContentError, Diagnostic, SelectionError, printable

if TYPE_CHECKING:
    from rich.console import Console

    from .project import Project

app = typer.Typer(
    help=(
        "Turn the text of the theme sheets (YAML under data/) into print-ready "
        "two-page A4 PDFs.\n\n"
        "Examples:\n\n"
        "  onepagers list                       the introduction, the themes and their variants\n\n"
        "  onepagers serve --theme 6            see a sheet in the browser as you edit it\n\n"
        "  onepagers build --theme 6            one sheet, newest edition\n\n"
        "  onepagers build --theme 1 --edition 1   the first edition\n\n"
        "  onepagers build --all --every-variant   everything, with build/index.html\n\n"
        "  onepagers build --all --profile print   every sheet for the print shop\n\n"
        "  onepagers check                      preflight the text\n\n"
        "  onepagers diff --since HEAD~1 --html d.html   what the text changed, side by side\n\n"
        "  onepagers booklet --edition 1        the introduction and all themes in one PDF\n\n"
        "Exit status: 0 done, 1 a problem in the text or a sheet that does not fit, "
        "2 a command typed wrong or a selection that does not exist, 130 interrupted."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    # A traceback is for a bug in onepagers, never for a user's mistake: those
    # reach `main` as ContentError or SelectionError and are printed plainly.
    pretty_exceptions_enable=False,
)


@lru_cache(maxsize=1)
def stderr_console() -> Console:
    """rich on stderr, for the progress bar and the tables; plain lines go out
    by `say`, so a command that only answers (no-op, list) never imports rich.
    soft_wrap: a line stays one line, whatever the terminal's width;
    emoji=False: ":smile:" quoted from the data stays as typed."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

ProfileName = typer.Option(
    "--profile",
    metavar="NAME",
    help="; ".join(f"{p.name}: {p.help}" for p in profiles.PROFILES.values()) + f". Default: {profiles.DEFAULT.name}.",
)
SectorOpt = Annotated[Optional[str], typer.Option(metavar="NAME", help="Sector: privat or offentlig. Default: privat.")]
EditionOpt = Annotated[Optional[int], typer.Option(metavar="N", help="Edition number. Default: the newest of the sector.")]
ThemeOpt = Annotated[int, typer.Option("--theme", "-t", metavar="N", help="Theme number.")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Output folder.")]
ProjectOpt = Annotated[
    Optional[Path],
    typer.Option("--project", metavar="DIR", help="The project folder (holds data/, templates/, fonts/). Default: found from the current folder."),
]


def say(line: str) -> None:
    # sys.stderr looked up now: under a progress bar it is rich's, which keeps the bar below.
    print(line, file=sys.stderr)


def echo_path(path: Path) -> None:
    """A result on stdout: one path, one line, whatever its name holds."""
    typer.echo(printable(str(path)))


def print_diagnostics(diagnostics: list[Diagnostic], quote: bool = True) -> None:
    for diagnostic in diagnostics:
        say(diagnostic.with_source() if quote else diagnostic.one_line())


def _load(project_dir: Optional[Path], partial: bool = False):
    """With `partial`, a file that does not load is reported and the rest goes
    on (the command then exits 1 at its end); without, nothing goes on."""
    from .library import load_library
    from .project import Project

    project = Project.find(project_dir)
    library = load_library(project.data, partial=partial)
    report_skipped(library.problems, library.waiting())
    return project, library


def report_skipped(problems: Sequence[Diagnostic], waiting: Sequence[str]) -> None:
    """The files that did not load, and the sheets that therefore wait."""
    if not problems:
        return
    print_diagnostics(list(problems))
    count = len(problems)
    sheets = ", ".join(waiting)
    say(f"{count} problem{'s' if count != 1 else ''} in the data" + (f"; not built: {sheets}." if sheets else "."))


def _not_among_inputs(project: Project, path: Path, option: str, example: str) -> None:
    """A report or page goes nowhere among the files of the project worked on,
    nor of the project the current folder is in (a relative path is read from
    there)."""
    from .plan import check_output_file
    from .project import Project

    for one in (project, Project.find()):
        check_output_file(one, path, option, example)


def _output_folder(out: Path, option: str = "--out") -> Path:
    """An output folder, existing or to be made; anything else there is refused, never replaced."""
    from .files import OutputError, first_file

    try:
        a_file = out.exists() and not out.is_dir()
    except OSError as exc:  # a folder on the way that may not be entered
        raise OutputError(f"{option} {printable(str(out))}: cannot look at it: {exc.strerror or exc}") from None
    if a_file:
        raise SelectionError(f"{option} {printable(str(out))} is a file, not a folder: name a folder (it is made if missing)")
    if (blocking := first_file(out)) != out:
        raise SelectionError(f"{option} {printable(str(out))} cannot be made: {printable(str(blocking))} is a file, not a folder")
    return out


@app.command("list")
def list_themes(project_dir: ProjectOpt = None) -> None:
    """Show the introduction and every theme with its number and title, and the variants each exists in."""
    from . import inline
    from .variants import introduction_variants, variants_of

    _, library = _load(project_dir, partial=True)
    if library.introduction is not None:
        typer.echo(f"{'':>2}  {inline.to_plain(library.introduction.title)}  [{', '.join(introduction_variants(library))}]")
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
    out: OutOpt = Path("build"),
    profile: Annotated[str, ProfileName] = profiles.DEFAULT.name,
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
    from .plan import Selection, check_output_folder
    from .project import Project

    if not theme and not all_:
        raise typer.BadParameter("say which sheets: --theme N (repeatable) or --all", param_hint="--theme/--all")
    if theme and all_:
        raise typer.BadParameter("give --theme or --all, not both", param_hint="--theme/--all")
    profiles.get(profile)
    selection = Selection(tuple(theme or ()), all_, sector, edition, every_variant, profile)
    project = Project.find(project_dir)
    out = _output_folder(out)
    check_output_folder(project, out)  # before --watch's first build, not in each
    if watch:
        from .watch import watch as run_watch

        say(f"watching {project.data}, {project.templates} and {project.fonts}; Ctrl-C stops")
        run_watch(project, selection, out, say)
        return
    report = _run_build(project, selection, out, workers, force)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def serve(
    theme: Annotated[Optional[list[int]], typer.Option("--theme", "-t", metavar="N", help="Theme number to show; repeat for several.")] = None,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Show every theme and the introduction.")] = False,
    sector: SectorOpt = None,
    edition: EditionOpt = None,
    every_variant: Annotated[bool, typer.Option("--every-variant", help="Show every edition and sector the data defines.")] = False,
    port: Annotated[int, typer.Option(min=0, max=65535, metavar="PORT", help="Port on 127.0.0.1. Default: a free one.")] = 0,
    profile: Annotated[str, ProfileName] = profiles.DEFAULT.name,
    project_dir: ProjectOpt = None,
) -> None:
    """Show sheets in the browser, page by page, updated on every save (Ctrl-C stops).

    Prints the address (http://127.0.0.1:PORT/) as the first line on stdout;
    open it in a browser. Each save under data/, templates/ or fonts/ updates
    the page by itself; a mistake shows there with its file and line, above
    the last pages that rendered. Nothing is written to disk.

    Example: `onepagers serve --theme 6`.
    """
    from .plan import Selection, plan
    from .serve import serve as run_serve

    if not theme and not all_:
        raise typer.BadParameter("say which sheets: --theme N (repeatable) or --all", param_hint="--theme/--all")
    profiles.get(profile)
    selection = Selection(tuple(theme or ()), all_, sector, edition, every_variant, profile)
    project, library = _load(project_dir)
    plan(library, project.root, selection)  # a selection that does not exist: exit 2 before listening

    def ready(url: str) -> None:
        typer.echo(url)
        say(f"showing at {url}; watching {project.data}, {project.templates} and {project.fonts}; Ctrl-C stops")

    try:
        run_serve(project, selection, port, ready, say)
    except OSError as exc:  # the port is taken: a usage error, like any option that cannot be
        raise typer.BadParameter(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); leave --port out for a free one", param_hint="--port") from None


@app.command()
def booklet(
    sector: SectorOpt = None,
    edition: EditionOpt = None,
    out: OutOpt = Path("build"),
    profile: Annotated[str, ProfileName] = profiles.DEFAULT.name,
    project_dir: ProjectOpt = None,
) -> None:
    """Build one PDF of a whole variant: the introduction and every theme in order,
    with a bookmark per sheet. Prints its path.

    Example: `onepagers booklet --edition 1`.
    """
    from .booklet import make_booklet
    from .plan import pick_variant

    if profiles.get(profile).pdf_variant is None:
        raise SelectionError(f"a booklet is a PDF: --profile {profile} makes web pages", choices=tuple(n for n, p in profiles.PROFILES.items() if p.pdf_variant))
    project, library = _load(project_dir)
    name = pick_variant(library, sector, edition)
    result = make_booklet(library, project, _output_folder(out), name, profile)
    if not result.ok:
        print_diagnostics(list(result.problems))
        say(f"{result.job.name}: not written")
        raise typer.Exit(1)
    echo_path(result.job.path)
    blanks = getattr(result, "blank_pages", 0)
    say(f"booklet {name}: {result.pages} pages" + (f" ({blanks} blank at the end, for a multiple of 4)" if blanks else ""))
    from .gallery import write_gallery

    say(f"gallery: {printable(str(write_gallery(library, project, out)))}")  # it lists every PDF in the folder


@app.command()
def layouts(
    workers: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, metavar="N", help="Render in N processes. Default: one per core.")] = None,
    project_dir: ProjectOpt = None,
) -> None:
    """Write layouts.lock anew: the layout chosen for every theme sheet, every
    variant and PDF profile, shipped so that a fresh machine lays each sheet
    out once instead of searching. Prints its path.

    A record the text or the look no longer matches is never used, so a
    stale lock only costs time: run this (`make layouts`) after a change and
    commit the file with it.
    """
    from .layouts import lock

    project, library = _load(project_dir)
    done = lock(project, library, workers)
    if done.problems:
        print_diagnostics(done.problems)
        count = len(done.problems)
        say(f"{count} problem{'s' if count != 1 else ''}: layouts.lock was not written (it still serves the sheets it holds)")
        raise typer.Exit(1)
    echo_path(project.layouts_lock)
    say(f"{done.sheets} sheets' layouts locked; {len(done.searched)} searched for now, {done.dropped} no longer used dropped")


@app.command()
def preview(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="The folder of built PDFs; the PNGs go beside them.")] = Path("build"),
    to: Annotated[Optional[Path], typer.Option("--to", metavar="DIR", help="Write the PNGs here instead, all in one folder.")] = None,
    dpi: Annotated[float, typer.Option(min=10, max=600, help="Resolution: 110 reads well on a screen; 36 makes thumbnails.")] = 110,
) -> None:
    """Write a PNG of every page of every PDF under --out, and print each path.

    Example: `onepagers build --all && onepagers preview`.
    """
    from . import preview as previews

    pdfs = sorted(p for p in out.rglob("*.pdf") if p.is_file())
    if not pdfs:
        raise SelectionError(f"no PDFs under {out}; run `onepagers build` first")
    if to is not None:
        to = _output_folder(to, "--to")
        from .plan import check_output_folder
        from .project import Project

        # The project the current folder is in, if any: its data/ is no place for pictures.
        check_output_folder(Project.find(), to, "--to")
    previews.check_targets(out, to, pdfs)
    damaged = 0
    for pdf in pdfs:
        try:
            for path in previews.write(pdf, to or pdf.parent, dpi):
                echo_path(path)
        except previews.DamagedPdf as exc:  # the others still get their pictures
            say(f"error: {exc}")
            damaged += 1
    if damaged:
        raise typer.Exit(1)


@app.command()
def check(
    theme: Annotated[Optional[list[int]], typer.Option("--theme", "-t", metavar="N", help="Check only this theme; repeat for several.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON on stdout.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    hyphenation: Annotated[bool, typer.Option("--hyphenation", help="Lay out every sheet of every variant and list each word broken at a line's end, with the file:line of its text.")] = False,
    report: Annotated[Optional[Path], typer.Option("--report", metavar="FILE", help="Also write the findings to FILE, one a line (the CI publishes it).")] = None,
    project_dir: ProjectOpt = None,
) -> None:
    """Preflight the text without rendering: what build checks, and slips such as
    repeated words, retyped titles, a pasted block or a bullet split in two.

    Each finding names file:line, the rule and a suggestion. Exit 1 on errors
    (and on warnings with --strict). Where the data differs from the published
    text and data/corrections.yaml does not list it, a warning [published-text]
    says so: to review, or to list there with the reason. With --hyphenation it lays the sheets out
    and lists every hyphenated line end instead; a broken name, a paragraph
    ending on half a word or a third hyphenated line in a row is an error,
    fixed by listing the word in templates/hyphenation.txt.
    """
    import json

    from .check import preflight

    from .library import load_library
    from .project import Project

    # A file that does not load is a finding like any other (in --json too);
    # the files that load are still checked.
    project = Project.find(project_dir)
    if report is not None:
        _not_among_inputs(project, report, "--report", "build/check.txt")
    if hyphenation:
        _check_hyphenation(project, load_library(project.data), theme or None)
        return
    try:
        library = load_library(project.data, partial=True)
        # A theme whose file did not load is not missing: that file's problems,
        # among the findings, are the answer, not "there is no theme N".
        themes = [n for n in theme if n not in library.broken] if theme else None
        findings = [*library.problems, *preflight(library, project, themes)]
    except ContentError as exc:
        findings = list(exc.diagnostics)
    if as_json:
        typer.echo(json.dumps([d.as_dict() for d in findings], ensure_ascii=False, indent=2))
    else:
        print_diagnostics(findings, quote=False)
    errors = sum(d.severity == "error" for d in findings)
    warnings = len(findings) - errors
    summary = f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}."
    if report is not None:
        from .files import write_atomically

        write_atomically(report, "".join(f"{d.one_line()}\n" for d in findings).encode("utf-8") + f"{summary}\n".encode("utf-8"))
    say(summary)
    if errors or (strict and warnings):
        raise typer.Exit(1)


def _check_hyphenation(project, library, themes) -> None:
    from . import breaks_report

    lines, errors = breaks_report.report(library, project, themes)
    for line in lines:
        typer.echo(line)
    say(f"{len(lines)} break{'s' if len(lines) != 1 else ''}, {errors} error{'s' if errors != 1 else ''}.")
    if errors:
        raise typer.Exit(1)


@app.command()
def accessibility(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="The output folder to check.")] = Path("build"),
    project_dir: ProjectOpt = None,
) -> None:
    """Check every document in the output folder (web pages, the gallery, screen
    PDFs, booklets) and write accessibility.md and accessibility.json beside the
    gallery; print their paths. Exit 1 if a check failed.

    Example: `onepagers build --all --profile web && onepagers accessibility`.
    """
    from .accessibility import FAILED, write_report
    from .gallery import write_gallery

    project, library = _load(project_dir)
    if not out.is_dir():
        raise SelectionError(f"no folder {out}; run `onepagers build` first")
    # The gallery first, linking the report, so that it is checked as it will stay.
    write_gallery(library, project, out, report=True)
    md, js, docs = write_report(project, out, library.series.file_names.booklet)
    echo_path(md)
    echo_path(js)
    failed = [d for d in docs if d.result == FAILED]
    say(f"{len(docs)} documents checked, {len(failed)} with a failed check.")
    for doc in failed:
        say(f"error: {printable(str(doc.path))}: " + "; ".join(c.name for c in doc.checks if c.result == FAILED))
    if failed:
        raise typer.Exit(1)


@app.command()
def audit(
    files: Annotated[list[Path], typer.Argument(metavar="PDF...", exists=True, readable=False, help="PDFs to audit.")],
) -> None:
    """Say which gates each PDF passes: the print shop's PDF/X-4 preflight for
    print files, the PDF/UA-1 structure audit and checker for screen files.
    Exit 1 if any file fails one, or cannot be read. A checker's warning
    reviewed as not applying to these files (listed with why in
    preflight.REVIEWED) is shown, not failed: the accessibility report and the
    tests judge by the same rules.

    Example: `onepagers audit build/privat-2/*.pdf`.
    """
    from .preflight import gates, said

    failed = False
    for path in files:
        try:  # a file that cannot be read is named, and the others are still audited
            found = gates(path)
        except ContentError as exc:
            print_diagnostics(exc.diagnostics)
            failed = True
            continue
        for gate in found:
            failed = failed or not gate.passed
            typer.echo(f"{printable(str(path))}: {gate.name}: {'passed' if gate.passed else 'FAILED'}")
            for line in said(gate.findings):
                say(f"  {line}")
            for line in said(gate.reviewed):
                say(f"  reviewed: {line}")
    if failed:
        raise typer.Exit(1)


def _variant_of(library, spec: str) -> str:
    """`privat@1`, `offentlig@2`, or just `offentlig` (its newest edition)."""
    from .plan import pick_variant

    sector, _, edition = spec.partition("@")
    if edition and not edition.isdigit():
        raise SelectionError(f"'{spec}' is not a variant: write sector@edition, e.g. privat@2")
    return pick_variant(library, sector or None, int(edition) if edition else None)


def _resolved(library, number: int, name: str):
    from .plan import theme_file
    from .variants import has_text, resolve, variants_of

    tf = theme_file(library, number)
    if not has_text(library, tf, name):
        raise SelectionError(f"theme {number} has no text in variant {name}", choices=tuple(variants_of(library, tf)))
    return resolve(library, tf, name)


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

    from .plan import pick_variant

    _, library = _load(project_dir)
    sheet = _resolved(library, theme, pick_variant(library, sector, edition))
    typer.echo(yaml.safe_dump(sheet.as_data(), allow_unicode=True, sort_keys=False, width=10_000), nl=False)


@app.command()
def diff(
    a: Annotated[Optional[str], typer.Argument(metavar="A", help="A variant: privat@1, privat@2, offentlig@2, or just a sector. With --since: the variant to compare (default: every variant).")] = None,
    b: Annotated[Optional[str], typer.Argument(metavar="B", help="The variant to compare A with (not with --since).")] = None,
    theme: Annotated[Optional[int], typer.Option("--theme", "-t", metavar="N", help="Theme number (with --since: default every theme).")] = None,
    since: Annotated[Optional[str], typer.Option("--since", metavar="REV", help="Compare the text now with the text at this git revision of data/ (HEAD~3, main, a commit).")] = None,
    html_file: Annotated[Optional[Path], typer.Option("--html", metavar="FILE", help="Also write the diff as a self-contained HTML page, the two texts side by side.")] = None,
    project_dir: ProjectOpt = None,
) -> None:
    """Show, section by section and item by item, how a theme's text differs between
    two variants, or since a git revision.

    Examples: `onepagers diff --theme 6 privat@2 offentlig@2 --html d.html`,
    `onepagers diff --since HEAD~3`.
    """
    from rich.console import Console

    from . import diff as worddiff
    from . import inline
    from .files import write_atomically

    project, library = _load(project_dir)
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    if since is None:
        if a is None or b is None or theme is None:
            raise typer.BadParameter("give --theme N and two variants A B, or --since REV", param_hint="A B / --since")
        name_a, name_b = _variant_of(library, a), _variant_of(library, b)
        sheet_a, sheet_b = _resolved(library, theme, name_a), _resolved(library, theme, name_b)
        title = f"{sheet_b.number_label} {theme}: {name_a} → {name_b}"
        heading = f"{sheet_b.number_label} {theme}: {inline.to_plain(sheet_b.title)}"
        comparisons = [worddiff.Comparison(heading, name_a, name_b, tuple(worddiff.diff_sheets(sheet_a, sheet_b)))]
        console.print(worddiff.to_rich(list(comparisons[0].sections), name_a, name_b))
    else:
        if b is not None:
            raise typer.BadParameter("with --since, give at most one variant", param_hint="B")
        from .library import load_library

        name = _variant_of(library, a) if a is not None else None
        if theme is not None:
            from .plan import theme_file

            theme_file(library, theme)  # a theme that exists now
        try:
            folder = worddiff.data_at(project.root, since)
        except LookupError as exc:
            raise typer.BadParameter(str(exc), param_hint="--since") from None
        with folder:
            try:
                before = load_library(Path(folder.name) / "data")
            except ContentError as exc:
                # Named as git names a file at a revision, not by the temporary folder.
                first = exc.diagnostics[0].one_line().replace(str(Path(folder.name)) + "/", f"{since}:")
                raise SelectionError(f"the data at {since} does not load, so it cannot be compared: {first}") from None
            comparisons, notes = worddiff.since(before, library, since, theme, name)
        for note in notes:
            say(note)
        for comparison in comparisons:
            console.print(worddiff.to_rich(list(comparison.sections), comparison.label_a, comparison.label_b, heading=comparison.title))
        if not comparisons:
            say(f"No text changed since {since}.")
        title = ""
    if html_file is not None:
        _not_among_inputs(project, html_file, "--html", "build/diff.html")
        write_atomically(html_file, worddiff.to_html(comparisons, title, project.templates, since or "").encode("utf-8"))
        say(f"wrote {printable(str(html_file))}")


def _run_build(project, selection, out: Path, workers: Optional[int], force: bool):
    """Build with a progress bar (on a terminal) and a summary table, both on
    stderr; the path of every PDF that is there and current on stdout."""
    from .build import Status, build as run

    progress = _progress_bar()

    def report_one(result) -> None:
        if progress is not None:
            progress.advance(progress.task_ids[0])
        if not result.ok:
            print_diagnostics(list(result.problems))
            say(f"{result.job.name}: not written")

    with progress or nullcontext():
        report = run(project, selection, out, workers=workers, force=force, on_result=report_one, while_rendering=_summary_ready)
    if report.problems:
        print_diagnostics(report.problems)
        count = len(report.problems)
        say(f"{count} problem{'s' if count != 1 else ''} in the data; nothing was written.")
        return report
    report_skipped(report.skipped, report.waiting)
    for result in report.results:
        if result.ok:
            echo_path(result.job.path)

    built, failed = report.count(Status.BUILT), report.count(Status.FAILED)
    total = len(report.results)
    if report.gallery is not None:
        say(f"gallery: {printable(str(report.gallery))}")
    if not built and not failed:
        if total or not report.skipped:  # with none asked for but the ones that wait, said above
            say(f"Nothing changed: {total} sheet{'s' if total != 1 else ''} up to date.")
        return report
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("sheet", "variant", "pages", "status", "time"):
        table.add_column(column, justify="right" if column in ("pages", "time") else "left")
    styles = {Status.FAILED: "red", Status.BUILT: "", Status.UP_TO_DATE: "dim"}
    for r in report.results:
        table.add_row(r.job.label, r.job.variant, str(r.pages or ""), r.status.value, f"{r.seconds:.2f} s" if r.seconds else "", style=styles[r.status])
    stderr_console().print(table)
    say(f"{built} built, {total - built - failed} up to date" + (f", {failed} of {total} sheets failed." if failed else "."))
    return report


def _summary_ready() -> None:
    """rich's table and console (0.05 s of imports), for the summary after a
    build, imported while the workers render instead of after them."""
    from rich.table import Table  # noqa: F401

    stderr_console()


def _progress_bar():
    """rich's progress bar on a terminal; elsewhere (CI, a pipe) None, and
    rich's progress module (a few hundredths of a second) is not imported."""
    if not sys.stderr.isatty():
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=stderr_console(), transient=True)
    bar.add_task("building", total=None)
    return bar


def _interrupt(signum: int, frame: object) -> None:
    # SIGTERM (CI cancelling a job) unwinds like Ctrl-C, so that a half-written
    # temporary file is removed; every output path keeps its old or new file.
    raise KeyboardInterrupt


def run(args: list[str] | None = None) -> int:
    """The command line's one error boundary: every user's mistake becomes a
    message and an exit status here (0 done, 1 a problem in the text, 2 a
    usage error, 130 interrupted), and no command catches errors of its own."""
    from .environment import EnvironmentProblem
    from .files import OutputError

    try:
        result = app(args=args, standalone_mode=False, prog_name="onepagers")
        return result if isinstance(result, int) else 0
    except ContentError as exc:
        print_diagnostics(exc.diagnostics)
        count = len(exc.diagnostics)
        say(f"{count} problem{'s' if count != 1 else ''} in the data; nothing was written.")
        return 1
    except SelectionError as exc:
        say(f"error: {exc}")
        return 2
    except (OutputError, EnvironmentProblem) as exc:
        # Not the text's fault, nor a command typed wrong: one line saying what to change.
        say(f"error: {exc}")
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # a command typed wrong: usage and the problem
        show = getattr(exc, "show", None)
        show() if show else say(f"error: {exc.format_message()}")
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return 130
    except OutputLost as exc:
        say(f"error: {exc}")
        return 1


class OutputLost(Exception):
    """stdout could not take what a command printed (a full disk, a closed
    descriptor): its results did not arrive. Not an OSError, which Typer
    would turn into exit status 1 itself, before `run` sees it."""


class _Outlet(io.FileIO):
    """stdout or stderr at the level of the file descriptor, where a write fails.

    A reader that has gone (`| head -1`) is no error: the rest is dropped and
    the command goes on to its own exit status. Any other failure of stdout
    (ENOSPC, a descriptor closed before the start) raises OutputLost once;
    stderr, which has nowhere to say so, drops its messages in silence."""

    def __init__(self, fd: int, closed: bool) -> None:
        super().__init__(fd, "w", closefd=False)
        self.failure = "it is closed" if closed else ""
        self.dropping = False

    def write(self, data: bytes) -> int | None:  # type: ignore[override]
        if self.dropping or not data:
            return len(data)
        try:
            if self.failure:
                raise OSError(errno.EBADF, self.failure)
            return super().write(data)
        except OSError as exc:
            self.dropping = True
            if exc.errno == errno.EPIPE or self.fileno() != 1:
                return len(data)
            raise OutputLost(f"cannot write to standard output: {exc.strerror or exc}") from None


def _attach_outlets() -> None:
    """stdout and stderr as `_Outlet`s, writing escapes for what the locale's
    encoding cannot show (a Latin-1 or ASCII terminal and 'ø', '–', '’')."""
    closed = set()
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            # Closed (`>&-`): /dev/null takes its place, or the next file
            # opened, a PDF being written, would get the number and receive
            # what is printed.
            closed.add(fd)
            if (null := os.open(os.devnull, os.O_RDWR)) != fd:
                os.dup2(null, fd)
                os.close(null)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        before = getattr(sys, name)
        setattr(sys, name, io.TextIOWrapper(
            io.BufferedWriter(_Outlet(fd, closed=fd == 1 and fd in closed)),
            encoding=getattr(before, "encoding", None) or "utf-8",
            errors="backslashreplace",
            # stderr carries progress as it happens (watch, serve): a line at a time, as Python has it.
            line_buffering=name == "stderr" or bool(getattr(before, "line_buffering", False)),
        ))


def main() -> None:
    import signal

    signal.signal(signal.SIGTERM, _interrupt)
    # Ctrl-C stops the command even when it was started from a shell that
    # ignores SIGINT for its background jobs (Python then leaves it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _attach_outlets()
    code = run()
    try:
        sys.stdout.flush()  # the results arrive before the command counts as done
    except OutputLost as exc:
        say(f"error: {exc}")
        code = code or 1
    leave(code)


def leave(code: int) -> None:
    """End the process without Python's teardown of every module and object.

    That teardown does nothing the operating system does not do at once, and
    took 0.05 s after every command and 0.2 s after one that loaded WeasyPrint
    and Pango. What an exit must do still happens: the atexit handlers run
    (multiprocessing's, logging's), and stdout and stderr are flushed.
    """
    import atexit
    import os

    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # not CPython: the usual way out
        sys.exit(code)
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a failure to write was said, or has nowhere to go
            pass
    os._exit(code)
