"""The `onepagers` command: a thin layer over the library API in `build`.

stdout carries only results (the path of each PDF, one per line) so scripts
can rely on it; progress and messages go to stderr. Exit status: 0 success,
1 a problem in the content (or a sheet that does not fit), 2 a usage error.
"""

from __future__ import annotations

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
# soft_wrap: a message stays on one line, whatever the terminal's width.
err = Console(stderr=True, highlight=False, soft_wrap=True)

ProjectOpt = Annotated[
    Optional[Path],
    typer.Option("--project", help="The project folder (holds data/, templates/, fonts/). Default: found from the current folder."),
]


def _fail_content(exc: ContentError) -> typer.Exit:
    for diagnostic in exc.diagnostics:
        err.print(diagnostic.with_source(), markup=False)
    count = len(exc.diagnostics)
    err.print(f"{count} problem{'s' if count != 1 else ''} in the data; nothing was written.", markup=False)
    return typer.Exit(1)


def _load(project_dir: Optional[Path]):
    from .library import load_library
    from .project import Project

    project = Project.find(project_dir)
    try:
        return project, load_library(project.data)
    except ContentError as exc:
        raise _fail_content(exc) from None


@app.command("list")
def list_themes(project_dir: ProjectOpt = None) -> None:
    """Show every theme with its number and title, and the variants it exists in."""
    from .variants import variants_of

    _, library = _load(project_dir)
    for tf in library.themes:
        typer.echo(f"{tf.theme.number:>2}  {tf.theme.title}  [{', '.join(variants_of(library, tf))}]")


@app.command()
def build(
    theme: Annotated[Optional[list[int]], typer.Option("--theme", "-t", help="Theme number to build; repeat for several.")] = None,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Build every theme and the introduction.")] = False,
    sector: Annotated[Optional[str], typer.Option(help="Sector: privat or offentlig. Default: privat.")] = None,
    edition: Annotated[Optional[int], typer.Option(help="Edition number. Default: the newest.")] = None,
    every_variant: Annotated[bool, typer.Option("--every-variant", help="Build every edition and sector the data defines.")] = False,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("build"),
    project_dir: ProjectOpt = None,
) -> None:
    """Build PDFs and print the path of each on its own line.

    Examples: `onepagers build --theme 6`, `onepagers build --all`,
    `onepagers build --theme 6 --sector offentlig`.
    """
    from .build import SelectionError, build as run, describe, plan

    if not theme and not all_:
        raise typer.BadParameter("say which sheets: --theme N (repeatable) or --all", param_hint="--theme/--all")
    if theme and all_:
        raise typer.BadParameter("give --theme or --all, not both", param_hint="--theme/--all")
    project, library = _load(project_dir)
    try:
        jobs = plan(library, out, themes=theme or (), everything=all_, sector=sector, edition=edition, every_variant=every_variant)
    except SelectionError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None

    def report(result) -> None:
        if result.ok:
            typer.echo(str(result.job.path))
            err.print(f"built {result.job.label}: {result.pages} pages, {result.seconds:.2f} s", markup=False)
        else:
            err.print(f"error: {describe(result)}", markup=False)

    try:
        results = run(library, project, jobs, on_result=report)
    except ContentError as exc:
        raise _fail_content(exc) from None
    failed = [r for r in results if not r.ok]
    if failed:
        err.print(f"{len(failed)} of {len(results)} sheets failed.", markup=False)
        raise typer.Exit(1)


def main() -> None:
    app()
