"""Turn a resolved sheet into HTML with the project's Jinja2 templates.

Autoescaping is on and the only markup that reaches the HTML is what
`inline.to_html` makes of `**bold**` and links.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Sequence, TypeVar

import jinja2

from . import inline
from .variants import IntroductionSheet, Sheet

T = TypeVar("T")


def balance(items: Sequence[str], columns: int = 2) -> list[list[str]]:
    """Split paragraphs into `columns` runs of about equal length, keeping order."""
    if columns != 2 or len(items) < 2:
        return [list(items)] + [[] for _ in range(columns - 1)]
    lengths = [len(i) + 60 for i in items]  # a paragraph's gap is worth about a line
    total = sum(lengths)
    best, best_diff, running = 1, total, 0
    for split in range(1, len(items)):
        running += lengths[split - 1]
        diff = abs(total - 2 * running)
        if diff < best_diff:
            best, best_diff = split, diff
    return [list(items[:best]), list(items[best:])]


@lru_cache(maxsize=8)
def environment(templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["md"] = inline.to_html
    env.filters["balance"] = balance
    return env


def document_title(sheet: Sheet | IntroductionSheet) -> str:
    """Names the variant too: the print shop must never mistake one version for another."""
    if isinstance(sheet, Sheet):
        name = f"{sheet.number_label} {sheet.number}/{sheet.variant.theme_count}: {inline.to_plain(sheet.title)}"
    else:
        name = inline.to_plain(sheet.title)
    return f"{name} ({sheet.variant.label})"


def render_sheet(sheet: Sheet, templates: Path) -> str:
    return environment(templates).get_template("sheet.html.j2").render(
        sheet=sheet,
        body_class="sheet",
        doc_title=document_title(sheet),
        author=sheet.author,
        subject=f"{sheet.variant.series_name} ({sheet.variant.label})",
        keywords=[inline.to_plain(sheet.title), sheet.variant.series_name, sheet.variant.name],
    )


def render_introduction(intro: IntroductionSheet, templates: Path) -> str:
    return environment(templates).get_template("introduction.html.j2").render(
        intro=intro,
        body_class="introduction",
        doc_title=document_title(intro),
        author=intro.author,
        subject=f"{intro.variant.series_name} ({intro.variant.label})",
        keywords=[intro.variant.series_name, intro.variant.name],
    )
