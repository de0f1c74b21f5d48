"""`check --hyphenation`: every sheet laid out, and each break at a line end
listed at the data line it came from.

Apart from breaks.py because it lays sheets out: the layout itself (compose)
asks breaks.py about line ends, so breaks.py must not import the renderer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .breaks import Located, line_breaks, locate, names, rule_problems, sources


def listing(library: Any, project: Any, jobs: list[Any]) -> list[Located]:
    """Lay out every job's sheet and list its breaks with file:line."""
    from .html import html_for
    from .pdf import Renderer

    renderers: dict[str, Any] = {}
    found: list[Located] = []
    try:
        for job in jobs:
            renderer = renderers.get(job.profile.name) or renderers.setdefault(job.profile.name, Renderer(project, job.profile, library.series.language))
            document, _ = renderer.layout(html_for(library, project, job))
            found += locate(line_breaks(document.pages), sources(library, job.theme, job.variant), job.name)
    finally:
        for renderer in renderers.values():
            renderer.close()
    return found


def report(library: Any, project: Any, themes: list[int] | None = None) -> tuple[list[str], int]:
    """The lines of `check --hyphenation`, one per break of every sheet of every
    variant (`file:line: sheet, page: kunde-kald`), rule breaches marked
    `error:`; and how many breaches."""
    from .plan import Selection, plan

    jobs = plan(library, Path("."), Selection(themes=tuple(themes or ()), everything=themes is None, every_variant=True))
    name_list = names(project.templates / "hyphenation.txt")
    out, errors = [], 0
    for located in listing(library, project, jobs):
        where = f"{located.where}:{located.line}" if located.line else located.where
        problems = rule_problems([located.found], name_list)
        errors += len(problems)
        head = f"{where}: {located.sheet}, page {located.found.page}: {located.found.shown()}"
        out.append(head if not problems else f"{head}: error: " + "; ".join(problems))
    return out, errors
