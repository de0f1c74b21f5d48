"""A word-level diff of one theme in two variants, section by section.

For an editor reviewing what an overlay changes: every section of the sheet
(and the series wording it carries) is compared as words, items separated by
a bullet, so a changed item, an added one and a changed word all show.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from html import escape

from . import inline
from .variants import Sheet

ITEM_BREAK = "•"


@dataclass(frozen=True)
class Piece:
    op: str  # "equal", "delete", "insert"
    text: str


@dataclass(frozen=True)
class SectionDiff:
    name: str
    pieces: tuple[Piece, ...]

    @property
    def changed(self) -> bool:
        return any(p.op != "equal" for p in self.pieces)


def sections(sheet: Sheet) -> list[tuple[str, list[str]]]:
    """Everything the sheet says, in reading order, as (heading, items)."""
    h = sheet.headings
    plain = inline.to_plain
    return [
        ("Serie", [sheet.variant.series_name, f"{sheet.number_label} {sheet.number}/{sheet.variant.theme_count}"]),
        ("Titel", [plain(sheet.title)]),
        ("Indledning", [plain(sheet.lead)]),
        (h.actions, [plain(t) for t in sheet.actions]),
        (h.questions, [plain(t) for t in sheet.questions]),
        (h.findings, [plain(t) for t in sheet.findings]),
        (h.cases, [plain(t) for t in sheet.cases]),
        (h.references, [plain(r.text) + (f" {r.url}" if r.url else "") for r in sheet.references]),
        ("Overskrifter", [h.actions, h.questions, h.findings, h.cases, h.references]),
        ("Fod", [plain(sheet.footer), plain(sheet.partnership)]),
    ]


def _words(items: list[str]) -> list[str]:
    words: list[str] = []
    for index, item in enumerate(items):
        if index:
            words.append(ITEM_BREAK)
        words += re.findall(r"\S+", item)
    return words


def diff_sheets(a: Sheet, b: Sheet) -> list[SectionDiff]:
    out = []
    for (name_a, items_a), (name_b, items_b) in zip(sections(a), sections(b)):
        name = name_a if name_a == name_b else f"{name_a} / {name_b}"
        wa, wb = _words(items_a), _words(items_b)
        pieces: list[Piece] = []
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=wa, b=wb, autojunk=False).get_opcodes():
            if op == "equal":
                pieces.append(Piece("equal", " ".join(wa[i1:i2])))
            else:
                if i2 > i1:
                    pieces.append(Piece("delete", " ".join(wa[i1:i2])))
                if j2 > j1:
                    pieces.append(Piece("insert", " ".join(wb[j1:j2])))
        out.append(SectionDiff(name, tuple(pieces)))
    return out


def replacements(diffs: list[SectionDiff]) -> list[tuple[str, str]]:
    """(old words, new words) for every change: what a reviewer reads as "X -> Y"."""
    found = []
    for section in diffs:
        pieces = list(section.pieces)
        for i, piece in enumerate(pieces):
            if piece.op == "delete":
                new = pieces[i + 1].text if i + 1 < len(pieces) and pieces[i + 1].op == "insert" else ""
                found.append((piece.text, new))
            elif piece.op == "insert" and (i == 0 or pieces[i - 1].op != "delete"):
                found.append(("", piece.text))
    return found


def to_rich(diffs: list[SectionDiff], label_a: str, label_b: str):
    from rich.text import Text

    text = Text()
    text.append(f"--- {label_a}\n", style="red")
    text.append(f"+++ {label_b}\n", style="green")
    for section in diffs:
        if not section.changed:
            continue
        text.append(f"\n{section.name}\n", style="bold")
        for piece in section.pieces:
            style = {"equal": "", "delete": "red strike", "insert": "green underline"}[piece.op]
            marker = {"equal": "", "delete": "[-", "insert": "{+"}[piece.op]
            closer = {"equal": "", "delete": "-]", "insert": "+}"}[piece.op]
            text.append(marker + piece.text.replace(ITEM_BREAK, f"\n{ITEM_BREAK}") + closer, style=style)
            text.append(" ")
        text.append("\n")
    unchanged = [s.name for s in diffs if not s.changed]
    if unchanged:
        text.append("\nUnchanged: " + ", ".join(unchanged) + "\n", style="dim")
    return text


def to_html(diffs: list[SectionDiff], title: str, label_a: str, label_b: str) -> str:
    """A self-contained page (no external files) to review and send around."""
    rows = []
    for section in diffs:
        body = []
        for piece in section.pieces:
            words = escape(piece.text).replace(ITEM_BREAK, f"<br>{ITEM_BREAK}")
            tag = {"equal": "span", "delete": "del", "insert": "ins"}[piece.op]
            body.append(f"<{tag}>{words}</{tag}>")
        state = "changed" if section.changed else "same"
        note = "" if section.changed else ' <small>(uændret)</small>'
        rows.append(f'<section class="{state}"><h2>{escape(section.name)}{note}</h2><p>{" ".join(body)}</p></section>')
    return f"""<!DOCTYPE html>
<html lang="da"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1f2a30; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.05rem; margin: 1.6rem 0 .3rem; color: #0b4f6c; }}
del {{ background: #fde2e1; color: #8a1c14; }} ins {{ background: #dcf5df; color: #14532d; text-decoration: none; }}
.same p {{ color: #6b7b83; }} .legend del, .legend ins {{ padding: 0 .3em; }}
</style></head><body>
<h1>{escape(title)}</h1>
<p class="legend"><del>{escape(label_a)}</del> → <ins>{escape(label_b)}</ins></p>
{"".join(rows)}
</body></html>
"""
