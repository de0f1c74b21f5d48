"""How a sheet's two pages use the room its text leaves: the designer's rules.

A short theme leaves a page half empty. Rather than stretching the body text
(one size, one measure on every page), the template fills the room with a
pull quote: a sentence of the sheet's own cases, set large. Whether a page
gets one is decided before layout, from an estimate of how tall its text will
be: a greedy line fill with Lato's advance widths, which is within a line or
two per section of what WeasyPrint lays out. The quote block then grows to
fill exactly the room that is left (sheet.css), so the estimate only has to
say whether there is room for a quote at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from . import inline


PT_MM = 25.4 / 72
BODY_PT = 10.0
LEADING = 1.45
ITEM_GAP_MM = 2.4
# The measures of sheet.css, in mm of text.
ITEM_MM = 80.0  # a bulleted item in a column
CASE_MM = 84.5  # a case paragraph in a column
ACTION_MM = 110.0  # an action beside the panel's heading
LEAD_MM = 150.0
TITLE_MM = 178.0
# The room for text on each page (the page body between the band and the
# footer), and what a pull quote needs at least to be set at all.
PAGE_1_MM = 254.0
PAGE_2_MM = 240.0
# A page may keep this much room under its text (the rule is at most 60 mm;
# the estimate errs by up to about 10 mm); a pull quote fills the rest, if
# the rest is tall enough for one.
ROOM_KEPT_MM = 40.0
ITEM_GAP_MAX_EXTRA_MM = 2.5
QUOTE_MIN_MM = 24.0
QUOTE_CHARS = (50, 170)


def _advances(font: Path) -> tuple[dict[int, float], float]:
    """The font's advance widths, and for a character it lacks, the average of
    common letters. Asked of `fonts.metrics` each time, which follows the file:
    a font replaced under the same name while `serve` runs is measured anew."""
    from .fonts import metrics

    widths = metrics(font).advances
    return widths, sum(widths.get(ord(c), 0.5) for c in "enatirsdlo") / 10


def lines(text: str, measure_mm: float, size_pt: float, font: Path) -> int:
    """How many lines `text` fills at `measure_mm` (greedy, no hyphenation)."""
    widths, average = _advances(font)

    def width_mm(word: str) -> float:
        return sum(widths.get(ord(c), average) for c in word) * size_pt * PT_MM

    space = width_mm(" ")
    count, used = 1, 0.0
    for word in inline.to_plain(text).split():
        width = width_mm(word)
        if used and used + space + width > measure_mm:
            count, used = count + 1, width
        else:
            used = used + space + width if used else width
    return count


def _items_mm(items: tuple[str, ...], measure_mm: float, font: Path, gap_mm: float = ITEM_GAP_MM) -> float:
    line = BODY_PT * LEADING * PT_MM
    return sum(lines(i, measure_mm, BODY_PT, font) * line for i in items) + gap_mm * max(len(items) - 1, 0)


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


@dataclass(frozen=True)
class Quote:
    text: str
    height_mm: float
    size_pt: float
    padding_mm: float  # above the text, to set it in the middle of the block


@dataclass(frozen=True)
class Composition:
    page_1_room_mm: float  # estimated room left under the text
    page_2_room_mm: float
    quote_1: Quote | None  # the pull quote of each page, if it gets one
    quote_2: Quote | None
    item_gap_mm: float = ITEM_GAP_MM  # between the bullets of page 1


def sentences(text: str) -> list[str]:
    plain = inline.to_plain(text)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-ZÆØÅ])", plain) if s.strip()]


def quotes(cases: tuple[str, ...]) -> list[str]:
    """Sentences of the cases fit to stand alone, the most quotable first: a
    case's opening sentence (it names the workplace; a later one may lean on
    it with "Den", "Desuden"), of a middling length."""
    low, high = QUOTE_CHARS
    found = [
        (index > 0, abs(len(s) - 110), s)
        for case in cases
        for index, s in enumerate(sentences(case))
        if low <= len(s) <= high and s.endswith(".")
    ]
    return [s for *_, s in sorted(found)]


def compose(sheet, fonts: Path) -> Composition:
    regular = fonts / "Lato-Regular.ttf"
    bold = fonts / "Lato-Bold.ttf"
    black = fonts / "Lato-Black.ttf"
    if not all(font.is_file() for font in (regular, bold, black)):
        # Nothing to measure with: no pull quotes; the render names the missing file.
        return Composition(0.0, 0.0, None, None)
    heading = 12 * 1.2 * PT_MM + 2.5
    title = lines(sheet.title, TITLE_MM, 25, black) * 25 * 1.08 * PT_MM + 1
    lead = lines(sheet.lead, LEAD_MM, 13.5, regular) * 13.5 * 1.3 * PT_MM + 4
    actions = 12 + 7 + max(_items_mm(sheet.actions, ACTION_MM, bold, 3.0), 15)
    columns = 9 + heading + max(_items_mm(sheet.questions, ITEM_MM, regular), _items_mm(sheet.findings, ITEM_MM, regular))
    room_1 = PAGE_1_MM - (title + lead + actions + columns)

    line = BODY_PT * 1.5 * PT_MM
    case_columns = [
        sum(lines(c, CASE_MM, BODY_PT, regular) * line for c in column) + 3.5 * max(len(column) - 1, 0)
        for column in balance(sheet.cases)
    ]
    refs = 0.0
    if sheet.references:
        refs = 10 + 3 + 5 + sum(4.2 + (3.8 if r.url else 0) for r in sheet.references)
    room_2 = PAGE_2_MM - (14 * 1.2 * PT_MM + 4 + max(case_columns) + refs)

    chosen = quotes(sheet.cases)
    quote_2 = _quote(chosen, room_2 - ROOM_KEPT_MM, regular)
    rest = [q for q in chosen if quote_2 is None or q != quote_2.text]
    quote_1 = _quote(rest, room_1 - ROOM_KEPT_MM, regular)
    gap = ITEM_GAP_MM
    if quote_1 is None and room_1 > ROOM_KEPT_MM:
        # Room too small for a quote: let page 1's lists breathe a little instead.
        longest = max(sheet.questions, sheet.findings, key=lambda items: _items_mm(items, ITEM_MM, regular))
        gaps = max(len(longest) - 1, 1)
        gap += min((room_1 - ROOM_KEPT_MM) / gaps, ITEM_GAP_MAX_EXTRA_MM)
    return Composition(room_1, room_2, quote_1, quote_2, round(gap, 2))


QUOTE_MEASURE_MM = 140.0
QUOTE_PADDING_MM = 12.0
QUOTE_LEADING = 1.3


def _quote(candidates: list[str], height_mm: float, font: Path) -> Quote | None:
    """The first candidate that fits `height_mm`, at the largest of a few sizes
    that sets it in at most five lines and fills at most half the block, set
    in its middle."""
    if height_mm < QUOTE_MIN_MM:
        return None
    for text in candidates:
        for size in (28.0, 24.0, 20.0, 17.0, 15.0):
            count = lines(text, QUOTE_MEASURE_MM, size, font)
            text_mm = count * size * QUOTE_LEADING * PT_MM
            if count <= 5 and text_mm + QUOTE_PADDING_MM <= height_mm and (text_mm <= height_mm / 2 or size == 15.0):
                return Quote(text, round(height_mm, 1), size, round(max((height_mm - text_mm) / 2, QUOTE_PADDING_MM / 2), 1))
    return None
