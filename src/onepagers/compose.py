"""How a sheet's two pages are filled from its own text: the designer's rules.

No filler is generated. Three things vary, each within what the designer set:

- placement: where the page turns in the flow of the column sections
  (questions, findings, cases: always in the series' order). The series'
  own turn (questions and findings on page 1, the cases on page 2) comes
  first; a page left short or too full turns earlier or later, between any
  two items (`turns`).
- columns: each page's sections flow through two columns, split between two
  items where the column bottoms come closest (a heading never ends a column:
  it goes with its first item).
- copyfitting: the body text's size, leading and the space between items,
  in a few steps (`STEPS`); one step for the whole sheet, so its two pages
  read alike.
- vertical justification: the room a column has left is spread over the
  gaps between its items and sections, each gap within a designed range
  (`MIN_GAP_MM`, `MAX_GAP_MM`), so that a page's two columns end on one
  line, as near the footer as the text allows.

The choice is made on laid-out boxes, not on an estimate: `fitted` lays a
first candidate out, reads every item's height off WeasyPrint's boxes, works
out every placement and split at that step exactly (the columns of both pages
have one measure, so an item is as tall on either page), and lays out the
best candidate; a step it has not laid out yet it first lays out to measure.
A handful of layouts per sheet (`MAX_LAYOUTS`), and a few more
(`EXTRA_LAYOUTS`) where the best of those runs over, slips, ends its columns
apart or leaves room that a larger step may fill.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator, Sequence

from . import inline
from .fit import _element_attr as _attr, _has_text, _is_marker, _lines, _walk

PX_PER_MM = 96 / 25.4


@dataclass(frozen=True)
class Step:
    """One step of the copyfitting range: body size (pt), leading (a factor of
    the size), the space between items (mm) and between case paragraphs (mm)."""

    size_pt: float
    leading: float
    item_gap_mm: float
    paragraph_gap_mm: float


# The designer's range (also in sheet.css and README): body 9.5-12.5 pt,
# leading 1.4-1.6, items 2.2-5.2 mm apart. The series' own setting is
# BASE_STEP; the top steps are for the short themes, whose text is half of
# what the long ones have (TEMA 2 left 46 mm of page 1 empty at 12 pt: its
# items are too tall to move up a column, and too few to move up a page).
STEPS: tuple[Step, ...] = (
    Step(9.5, 1.4, 2.2, 3.0),
    Step(10.0, 1.45, 2.4, 3.5),
    Step(10.5, 1.5, 2.8, 4.0),
    Step(11.0, 1.55, 3.4, 4.6),
    Step(11.5, 1.6, 4.0, 5.2),
    Step(12.0, 1.6, 4.8, 6.0),
    Step(12.5, 1.6, 5.2, 6.4),
)
BASE_STEP = 1
# Between two sections in one column (mm); sheet.css: `.flow-section + .flow-section`.
SECTION_GAP_MM = 8.0
# How far vertical justification may open each kind of gap (mm): an item
# gap, or a gap between two case stories, to about a blank line of the
# largest step; sections well apart.
MAX_GAP_MM = {"item": 6.0, "paragraph": 7.0, "section": 12.0}
# And how far it may close them, where a column must come up to meet the
# other: no closer than the smallest step sets them.
MIN_GAP_MM = {"item": 2.2, "paragraph": 3.0, "section": 6.0}
# How much more one column's gaps may open than the other's on one page (mm):
# two lists side by side read as one page only if their items are spaced
# alike (a designer sent back 2.2 mm beside 6 mm); the columns' bottoms are
# then met by where the columns split.
MAX_SPREAD_MM = 1.5
# Gaps open towards the footer only on a page that is nearly full (its taller
# column within this of the room): on a page the text leaves half empty,
# opened gaps only scatter the text (the room is then left, whole, below it).
FILL_REACH_MM = 30.0

# The sections the pages' columns hold, in the series' (and the web page's)
# reading order; only where the page turns changes.
FLOW_SECTIONS = ("questions", "findings", "cases")
# What a page turn other than the series' own costs, and one inside a section.
TURN_COST = 4.0
SPLIT_SECTION_COST = 10.0

# The measures the layout is chosen by (tests/test_layout_measures.py holds
# every sheet to them): column bottoms of a page at most this far apart, and
# at most this much empty in a column above the footer.
COLUMNS_APART_MM = 12.0
EMPTY_MM = 40.0
# Room left empty is weighed from this much inside EMPTY_MM: the model reads
# an item's box, the measure the column's last line (TEMA 3 in print was
# taken to leave 39 mm where the measure read 41).
EMPTY_SLACK_MM = 3.0
MAX_LAYOUTS = 4
# And at most this many more, where the best of those leaves line ends that
# slip, columns that end apart, or room empty that a larger step may fill.
EXTRA_LAYOUTS = 4
# Room kept under the lowest column, for what the model of a column (heights
# plus gaps) leaves out: margins collapsing into the blocks below.
FIT_MARGIN_MM = 2.0
# Justified columns stop this much short of the room they may fill: the
# measured heights are exact, the page's rounding of them is not.
FILL_SLACK_MM = 1.0
# And the blocks set on the page's foot stop this much short of its end: they
# sum the model's error in every column above them.
FOOT_SLACK_MM = 5.0
# Columns are balanced to this much inside COLUMNS_APART_MM: the model reads an
# item's box, the eye (and the test) its last line.
APART_SLACK_MM = 4.0
# What a mm of columns apart costs, against a mm of a column's room left
# empty (3): columns apart are always the layout's doing, room left empty
# may be the text's.
APART_COST = 20.0
# What a mm of gaps opened or closed costs: a column is best as the step sets it.
STRETCH_COST = 1.5
# A section's heading with one item at a column's foot, or its last item
# alone at the top of the next: a designer sends that back.
STRANDED_COST = 60.0


@dataclass(frozen=True)
class Part:
    """A run of one section's items in one column: items[start:end]; a part
    that does not start at the first item continues the section (no heading)."""

    section: str
    start: int
    end: int
    # A paragraph may run on from one column into the next: the part that
    # ends in it holds its first `head` words; the part that starts in it
    # holds the words from `tail` on.
    head: int | None = None
    tail: int | None = None

    @property
    def continued(self) -> bool:
        return self.start > 0 or self.tail is not None

    def pieces(self) -> list[tuple[int, int | None, int | None]]:
        """(index, first word, end word) of each unit in the part: None for whole."""
        out: list[tuple[int, int | None, int | None]] = [(i, None, None) for i in range(self.start, self.end)]
        if self.tail is not None:
            out[0] = (self.start, self.tail, out[0][2])
        if self.head is not None:
            out[-1] = (self.end - 1, out[-1][1], self.head)
        return out


# Words are cut at the data's own spaces only: a no-break space holds.
_WORD_GAP = re.compile(r"[ \t\r\n]+")


def words(text: str, first: int | None, end: int | None) -> str:
    """The words first..end of a paragraph's text as the data writes it."""
    if first is None and end is None:
        return text
    return " ".join(_WORD_GAP.split(text.strip())[first:end])


@dataclass(frozen=True)
class Layout:
    # How many of the flow's units page 1 holds; None: the series' own turn
    # (questions and findings on page 1).
    placement: int | None = None
    step: int = BASE_STEP
    # For each page, the number of units (items) its first column holds;
    # None: split by the length of the text (a first guess, before measuring).
    splits: tuple[int | None, int | None] = (None, None)
    # For each page and column, how much every gap is opened (mm, within MAX_GAP_MM).
    stretch: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 0.0), (0.0, 0.0))
    # For each page, the words of the first column's last paragraph it holds,
    # where that paragraph runs on into the second column; None: it does not.
    carries: tuple[int | None, int | None] = (None, None)
    # For each page, the room (mm) set above the full-width blocks under the
    # columns (references, colophon), so that they stand on the page's foot.
    foot: tuple[float, float] = (0.0, 0.0)
    # The size of the series panel (the introduction's section the data
    # names) above page 2's colophon, in PANEL_SIZES; "": none. Only where
    # there is room for it (`_with_series_panel`).
    panel: str = ""

    @property
    def type(self) -> Step:
        return STEPS[self.step]


def _base_gaps(step: Step) -> dict[str, float]:
    return {"item": step.item_gap_mm, "paragraph": step.paragraph_gap_mm, "section": SECTION_GAP_MM}


def _opened(kind: str, base: float, stretch: float) -> float:
    """A gap opened (or, at a negative stretch, closed) within its kind's range."""
    return min(max(base + stretch, min(base, MIN_GAP_MM[kind])), max(base, MAX_GAP_MM[kind]))


def column_gaps(layout: Layout, page: int) -> list[dict[str, float]]:
    """Each column's gaps (mm) on a page: the step's, opened by the column's stretch."""
    base = _base_gaps(layout.type)
    return [{kind: round(_opened(kind, mm, stretch), 2) for kind, mm in base.items()} for stretch in layout.stretch[page - 1]]


def series_turn(sheet: Any) -> int:
    return len(units(sheet, FLOW_SECTIONS[:2]))


def page_units(sheet: Any, turn: int | None, page: int) -> list[tuple[str, int]]:
    """The units of the flow a page's columns hold."""
    flow = units(sheet, FLOW_SECTIONS)
    turn = series_turn(sheet) if turn is None else turn
    return flow[:turn] if page == 1 else flow[turn:]


def units(sheet: Any, sections: Sequence[str]) -> list[tuple[str, int]]:
    return [(section, i) for section in sections for i in range(len(getattr(sheet, section)))]


def columns(sheet: Any, layout: Layout, page: int) -> list[list[Part]]:
    """The two columns of a page: the parts of its sections each holds."""
    flow = page_units(sheet, layout.placement, page)
    split = layout.splits[page - 1]
    if split is None:
        split = _split_by_length(sheet, flow)
    carry = layout.carries[page - 1]
    runs = (flow[:split], flow[split - 1 :] if carry is not None else flow[split:])
    out: list[list[Part]] = []
    for column, run in enumerate(runs):
        parts: list[Part] = []
        for section, group in itertools.groupby(run, key=lambda u: u[0]):
            indexes = [i for _, i in group]
            parts.append(Part(section, indexes[0], indexes[-1] + 1))
        if carry is not None and parts:
            parts[-1 if column == 0 else 0] = replace(parts[-1 if column == 0 else 0], **{"head" if column == 0 else "tail": carry})
        out.append(parts)
    return out


def _split_by_length(sheet: Any, flow: list[tuple[str, int]]) -> int:
    lengths = [len(getattr(sheet, s)[i]) + 60 for s, i in flow]  # an item's gap is worth about a line
    if len(flow) < 2:
        return len(flow)
    total, running, best, best_diff = sum(lengths), 0, 1, float("inf")
    for k in range(1, len(flow)):
        running += lengths[k - 1]
        if abs(total - 2 * running) < best_diff:
            best, best_diff = k, abs(total - 2 * running)
    return best


def balance(items: Sequence[str], columns: int = 2) -> list[list[str]]:
    """Split paragraphs into `columns` runs of about equal length, keeping order
    (the web page's cases; the sheet's columns are split by `fitted`)."""
    if columns != 2 or len(items) < 2:
        return [list(items)] + [[] for _ in range(columns - 1)]
    flow = [("x", i) for i in range(len(items))]
    split = _split_by_length(type("S", (), {"x": items}), flow)
    return [list(items[:split]), list(items[split:])]


# ----- measuring a laid-out sheet -------------------------------------------


@dataclass
class Measured:
    """What one layout at one step says about the sheet (mm)."""

    heights: dict[tuple[str, int], float]  # a unit: an item, with its section's heading if it is the first
    tops: dict[int, float]  # where each page's columns start
    limits: dict[int, float]  # how low a column may reach on each page
    footers: dict[int, float]  # the top of each page's footer
    below: dict[int, float] = field(default_factory=dict)  # full-width blocks under the columns (references)
    # A paragraph's lines: each line's bottom (mm below the unit's top), the
    # paragraph's text up to its end, and whether a column may end there.
    lines: dict[tuple[str, int], list[tuple[float, str, bool]]] = field(default_factory=dict)


def _shown(line: Any) -> str:
    return "".join(t.text for t in _walk(line) if type(t).__name__ == "TextBox" and not _is_marker(t))


def _squashed(text: str) -> str:
    """Text with no spaces, soft hyphens or hyphens the layout put in: a
    paragraph's lines so far compare with its first words however the lines
    broke (a hyphenated or a slashed word never matches whole words)."""
    return re.sub(r"[\s\u00ad\u2010]+", "", text)


def measure(pages: list[Any]) -> Measured:
    heights: dict[tuple[str, int], float] = {}
    lines: dict[tuple[str, int], list[tuple[float, str, bool]]] = {}
    tops: dict[int, float] = {}
    limits: dict[int, float] = {}
    footers: dict[int, float] = {}
    below: dict[int, float] = {}
    number = 0
    seen: set[int] = set()
    for page in pages:
        heading_top: dict[str, float] = {}
        for box in _walk(page._page_box):
            number = int(_attr(box, "data-page") or number)
            classes = set((_attr(box, "class") or "").split())
            # The first box of each: a page run over onto another (a first guess
            # too full) continues them there, at the top of a page of its own.
            if "page-body" in classes and number not in limits:
                limits[number] = (box.content_box_y() + box.height) / PX_PER_MM
            if _attr(box, "data-footer") and number not in footers:
                footers[number] = box.border_box_y() / PX_PER_MM
            if "flow" in classes and number not in tops:
                tops[number] = box.content_box_y() / PX_PER_MM
            if "after-flow" in classes:
                below[number] = below.get(number, 0.0) + box.margin_height() / PX_PER_MM
            if getattr(box, "element_tag", None) == "h2" and (section := _attr(box, "data-heads")):
                heading_top[section] = box.border_box_y()
            unit = _attr(box, "data-unit") or _attr(box, "data-unit-rest")
            # The outermost box of the item: its lines carry its element too.
            if not unit or getattr(box, "element_tag", None) not in ("li", "p") or id(box.element) in seen:
                continue
            seen.add(id(box.element))
            key = _key(unit)
            if _attr(box, "data-unit-rest"):  # the rest of a paragraph run on from the column before
                offset, text = heights.get(key, 0.0), lines.get(key, [(0.0, "", False)])[-1][1]
                top = box.border_box_y()
            else:
                offset, text = 0.0, ""
                top = heading_top[key[0]] if key[1] == 0 and key[0] in heading_top else box.border_box_y()
            heights[key] = offset + (box.border_box_y() + box.border_height() - top) / PX_PER_MM
            found = lines.setdefault(key, [])
            for line in (l for l in _lines(box) if _has_text(l)):
                text += _squashed(_shown(line))
                # A line that fills its measure to the last pixel holds its last
                # word only with the space after it: cut there, it would not.
                full = line.width > box.width - 1
                found.append((offset + (line.position_y + line.height - top) / PX_PER_MM, text, not full))
    return Measured(heights, tops, limits, footers, below, lines)


def _key(unit: str) -> tuple[str, int]:
    section, index = unit.rsplit(":", 1)
    return section, int(index)


def _gap_kind(before: tuple[str, int], after: tuple[str, int]) -> str:
    if before[0] != after[0]:
        return "section"
    return "paragraph" if after[0] == "cases" else "item"


Run = list[tuple[tuple[str, int], float]]  # a column: its units and their heights (mm)


@dataclass(frozen=True)
class Column:
    """A column's units summed up: their height, and how many gaps of each kind lie between them."""

    height: float
    gaps: tuple[tuple[str, int], ...]


def _column(run: Run) -> Column:
    kinds = [_gap_kind(a, b) for (a, _), (b, _) in zip(run, run[1:])]
    return Column(sum(height for _, height in run), tuple((kind, kinds.count(kind)) for kind in set(kinds)))


def _column_mm(run: Run | Column, step: Step, stretch: float = 0.0) -> float:
    column = run if isinstance(run, Column) else _column(run)
    base = _base_gaps(step)
    return column.height + sum(count * _opened(kind, base[kind], stretch) for kind, count in column.gaps)


def _stretch_to(run: Run | Column, step: Step, height: float) -> float:
    """The stretch (mm, to 0.1, never short of the mark) that makes a column
    `height` tall, or as near as its gaps allow: every gap opens (closes, at
    a negative stretch) by the stretch, within its kind's range."""
    base = _base_gaps(step)
    column = run if isinstance(run, Column) else _column(run)
    kinds = [kind for kind, count in column.gaps for _ in range(count)]
    need = height - _column_mm(column, step)
    sign = 1.0 if need >= 0 else -1.0
    rooms = sorted(max(0.0, (MAX_GAP_MM[k] - base[k]) if need >= 0 else (base[k] - MIN_GAP_MM[k])) for k in kinds)
    need = abs(need)
    if not rooms or need == 0:
        return 0.0
    given = 0.0  # what the gaps already at the end of their range give
    for i, room in enumerate(rooms):
        wanted = (need - given) / (len(rooms) - i)  # the rest, shared by the gaps still moving
        if wanted <= room:
            return round(sign * math.ceil(wanted * 10) / 10, 1)
        given += room
    return round(sign * rooms[-1], 1)


def _justified(first: Run, second: Run, step: Step, fill: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Each column's stretch, and its height once stretched: both columns end on
    one line, as near `fill` (the height that reaches the footer) as their
    gaps allow. Where the shorter cannot open far enough to meet the taller,
    the taller closes up to meet it; where even that is not enough, each
    comes as near as it can. Where the taller runs past `fill`, it closes up
    to it, as far as its gaps allow: a column a few mm too tall fits with its
    gaps at the smallest step's (TEMA 2 at 12.5 pt)."""
    empty = not second
    first, second = _column(first), _column(second)  # type: ignore[assignment]
    a, b = _column_mm(first, step), _column_mm(second, step)
    most, least = max(MAX_GAP_MM.values()), -max(MAX_GAP_MM.values())
    if empty:
        s = _stretch_to(first, step, fill)
        return (s, 0.0), (_column_mm(first, step, s), 0.0)
    closest = max(_column_mm(first, step, least), _column_mm(second, step, least))
    too_full = max(a, b) > fill
    if too_full:  # the page's room, or as near as closing the gaps comes
        line = max(fill, closest)
    else:
        if max(a, b) < fill - FILL_REACH_MM:
            fill = max(a, b)
        highest = min(fill, _column_mm(first, step, most), _column_mm(second, step, most))
        line = max(highest, min(a, b), min(max(a, b), closest))
    wanted = (_stretch_to(first, step, line), _stretch_to(second, step, line))
    # Side by side, the two columns' gaps may differ only so much: the eye
    # compares them before it sees where the columns end. Where the page is
    # too full, the column that must close most leads, and the other follows
    # within that (so it may close a little further than it needs to, its end
    # then apart from the leader's: a page that fits first).
    if too_full:
        lead = 0 if wanted[0] <= wanted[1] else 1
        columns = (first, second)
        follow = min(max(wanted[1 - lead], wanted[lead] - MAX_SPREAD_MM), wanted[lead] + MAX_SPREAD_MM)
        # As far as the follower's own gaps move: a stretch past them would be costed, not set.
        follow = _stretch_to(columns[1 - lead], step, _column_mm(columns[1 - lead], step, follow))
        stretches = (wanted[0], follow) if lead == 0 else (follow, wanted[1])
    else:
        middle = (wanted[0] + wanted[1]) / 2
        stretches = tuple(round(min(max(s, middle - MAX_SPREAD_MM / 2), middle + MAX_SPREAD_MM / 2), 1) for s in wanted)  # type: ignore[assignment]
    return stretches, (_column_mm(first, step, stretches[0]), _column_mm(second, step, stretches[1]))  # type: ignore[return-value]


# The sections whose paragraphs may run on from one column into the next (the
# template sets their pieces): running text. An item of a list stays whole.
RUNS_ON = ("cases",)
# A paragraph runs on into the next column only with this many lines at least
# on either side: no widow, no orphan.
RUN_ON_LINES = 2
# A paragraph run on costs a little: a column that ends on a paragraph's end reads better.
RUN_ON_COST = 3.0


def _run_on_points(text: str, lines: list[tuple[float, str, bool]]) -> list[tuple[float, int]]:
    """Where a paragraph may end a column: after a line that ends on a whole
    word (not a hyphenated one, nor a break after a dash or slash), as
    (the line's bottom, the number of the paragraph's words it holds)."""
    prefixes = _word_prefixes(text)
    # Nor after a sentence's end: the rest, at the top of the next column with
    # no indent, would read as a paragraph of its own.
    return [
        (bottom, prefixes[shown])
        for bottom, shown, cut in lines[RUN_ON_LINES - 1 : len(lines) - RUN_ON_LINES]
        if cut and shown in prefixes and not shown.endswith((".", "!", "?", ":"))
    ]


_PREFIXES: dict[str, dict[str, int]] = {}


def _word_prefixes(text: str) -> dict[str, int]:
    """The plain text of each of a paragraph's first words, to the number of
    words: only where its markup is whole on both sides of the cut."""
    if text not in _PREFIXES:
        found: dict[str, int] = {}
        tokens = _WORD_GAP.split(text.strip())
        whole = _squashed(inline.to_plain(text))
        for count in range(1, len(tokens)):
            head, rest = _squashed(inline.to_plain(words(text, 0, count))), _squashed(inline.to_plain(words(text, count, None)))
            if head + rest == whole:
                found[head] = count
        _PREFIXES[text] = found
    return _PREFIXES[text]


def _stranded(flow: list[tuple[str, int]], k: int, carry: int | None) -> bool:
    """Does a first column of k units leave a section's heading with one item
    at its foot, or one item of a section alone at the top of the second?"""
    if carry is not None or k >= len(flow):
        return False
    last, following = flow[k - 1], flow[k]
    if last[1] == 0 and following[0] == last[0]:
        return True
    return following[1] > 0 and (k + 1 == len(flow) or flow[k + 1][0] != following[0])


def _candidates(sheet: Any, flow: list[tuple[str, int]], heights: dict[tuple[str, int], float], measured: Measured | None,
                scale: float = 1.0):
    """Every way to end a page's first column: (units it holds, words of a paragraph
    run on or None, the first column, the second). With `measured`, a
    paragraph may also run on from one column into the next, where its lines
    there break (at another step, `scale`: an estimate)."""
    for k in range(1, len(flow) + 1):
        first, second = [(u, heights[u]) for u in flow[:k]], [(u, heights[u]) for u in flow[k:]]
        yield k, None, first, second
        unit = flow[k - 1]
        if measured is None or unit[0] not in RUNS_ON or unit not in measured.lines:
            continue
        for cut, count in _run_on_points(getattr(sheet, unit[0])[unit[1]], measured.lines[unit]):
            yield k, count, first[:-1] + [(unit, cut * scale)], [(unit, heights[unit] - cut * scale)] + second


@dataclass(frozen=True)
class Outcome:
    layout: Layout
    fits: bool
    cost: float
    bottoms: tuple[tuple[float, ...], ...]  # per page, per column (mm from the top of the page)
    empty: float = 0.0  # mm of columns' room left empty beyond EMPTY_MM - EMPTY_SLACK_MM, all columns summed
    apart: float = 0.0  # mm, the furthest apart a page's two columns end


def turns(sheet: Any, measured: Measured, scale: float = 1.0) -> list[int]:
    """The page turns worth weighing: the series' own, and those that fill page
    1's two columns between about half way and the full."""
    flow = units(sheet, FLOW_SECTIONS)
    room = measured.limits[1] - FIT_MARGIN_MM - measured.below.get(1, 0.0) - measured.tops[1]
    found, running = {series_turn(sheet)}, 0.0
    for turn, unit in enumerate(flow[:-1], start=1):
        running += measured.heights[unit] * scale + 3.0  # about a gap
        if 1.0 * room <= running <= 2.0 * room:
            found.add(turn)
    return sorted(found)


def evaluate(sheet: Any, placement: int | None, step_index: int, measured: Measured, scale: float = 1.0, given: Layout | None = None,
             run_on: bool = False) -> Outcome:
    """The best split of each page for a placement at a step, its columns
    justified, and what it costs: empty room over EMPTY_MM (less EMPTY_SLACK_MM), columns further
    apart than COLUMNS_APART_MM, a placement or step away from the series'
    own. `scale` stretches heights measured at another step (an estimate,
    until that step is laid out: no paragraph is run on then, unless
    `run_on`, where its lines broke at the measured step). With `given`,
    that layout's own splits and stretches are costed as they stand."""
    step = STEPS[step_index]
    heights = {u: h * scale for u, h in measured.heights.items()}
    fits, cost, splits, carries, stretches, bottoms, feet, left, furthest = True, 0.0, [], [], [], [], [], 0.0, 0.0
    for page in (1, 2):
        flow = page_units(sheet, placement, page)
        top, limit = measured.tops[page], measured.limits[page]
        below = measured.below.get(page, 0.0)
        footer = measured.footers.get(page, limit)
        if not flow:
            splits.append(0)
            carries.append(None)
            stretches.append((0.0, 0.0))
            feet.append(0.0)
            bottoms.append((top + below,))
            room = max(0.0, footer - (top + below) - (EMPTY_MM - EMPTY_SLACK_MM))
            left += room
            cost += room * 3
            continue
        # How tall the columns may grow: to the page body's end, less the
        # full-width blocks under them.
        fill = limit - FIT_MARGIN_MM - FILL_SLACK_MM - below - top
        best = None
        candidates = _candidates(sheet, flow, heights, measured if scale == 1.0 or run_on else None, scale)
        if given is not None:
            candidates = [c for c in candidates if c[:2] == (given.splits[page - 1], given.carries[page - 1])][:1]
            if not candidates:
                raise KeyError(f"page {page}: no such split")
        for k, carry, first, second in candidates:
            a, b = _column_mm(first, step), _column_mm(second, step)
            if given is not None:
                stretch = given.stretch[page - 1]
                heights_then = (_column_mm(first, step, stretch[0]), _column_mm(second, step, stretch[1]))
            else:
                stretch, heights_then = _justified(first, second, step, fill)
            ends = (top + heights_then[0], top + heights_then[1] if second else top)
            lowest = max(ends) + below
            # A column under full-width blocks ends where they end.
            empty = [footer - (lowest if below else e) for e in ends]
            if not second:  # the second column left empty is empty all the way up
                empty[1] = footer - top
            over_empty = sum(max(0.0, e - (EMPTY_MM - EMPTY_SLACK_MM)) for e in empty)
            page_cost = over_empty * 3
            if second or len(flow) > 1:  # a column left empty is as far apart as can be
                # Columns apart are always the layout's doing; room left empty may be the
                # text's (a short theme), so it weighs less.
                apart = abs(heights_then[0] - heights_then[1])
                page_cost += max(0.0, apart - COLUMNS_APART_MM + APART_SLACK_MM) * APART_COST
                # Gaps opened beyond the step's own read looser: the less the better.
                page_cost += (abs(stretch[0]) + abs(stretch[1])) * STRETCH_COST
                if _stranded(flow, k, carry):
                    page_cost += STRANDED_COST
            if carry is not None:
                page_cost += RUN_ON_COST
            # Columns ending further apart than the measure are worse than any
            # room left empty.
            ends_apart = abs(ends[0] - ends[1]) if second else 0.0
            key = (top + max(heights_then) + below > limit - FIT_MARGIN_MM, _too_far(ends_apart), page_cost, max(a, b))
            if best is None or key < best[0]:
                best = (key, k, carry, ends, stretch, over_empty, ends_apart)
        assert best is not None
        (over, _, page_cost, _), k, carry, ends, stretch, page_left, page_apart = best
        left += page_left
        furthest = max(furthest, page_apart)
        # The blocks under the columns stand on the page's foot, not in its middle.
        feet.append(max(0.0, math.floor((limit - FIT_MARGIN_MM - FOOT_SLACK_MM - below - max(ends)) * 10) / 10) if below else 0.0)
        splits.append(k)
        carries.append(carry)
        stretches.append(stretch)
        bottoms.append(ends)
        fits = fits and not over
        cost += page_cost
    every = units(sheet, FLOW_SECTIONS)
    turn = series_turn(sheet) if placement is None else placement
    if turn != series_turn(sheet):
        cost += TURN_COST
    if 0 < turn < len(every) and every[turn - 1][0] == every[turn][0]:
        cost += SPLIT_SECTION_COST + (STRANDED_COST if _stranded(every, turn, None) else 0.0)
    cost += abs(step_index - BASE_STEP) * 2
    layout = Layout(turn, step_index, (splits[0], splits[1]), (stretches[0], stretches[1]), (carries[0], carries[1]), (feet[0], feet[1]))
    return Outcome(layout, fits, cost, tuple(bottoms), left, furthest)


# How much taller a block of text gets with its size, leading aside: its lines
# by the size, and more of them, but fewer than the size's square (a short
# last line takes more words before it breaks). Measured on the series' sheets
# from 10 to 11 and 12 pt: 1.3 to 2.3, mostly 1.5-1.8.
SIZE_EXPONENT = 1.7


def _scale(sheet_from: Step, to: Step) -> float:
    """How much taller text gets from one step to another (an estimate, until
    that step is laid out)."""
    return (to.size_pt / sheet_from.size_pt) ** SIZE_EXPONENT * (to.leading / sheet_from.leading)


def choose(sheet: Any, measured: dict[int, Measured]) -> Outcome:
    """The best layout by what has been measured: exact at a measured step,
    scaled from the nearest measured step elsewhere."""
    outcomes = []
    for step_index in range(len(STEPS)):
        known = min(measured, key=lambda s: abs(s - step_index))
        scale = 1.0 if known == step_index else _scale(STEPS[known], STEPS[step_index])
        for turn in turns(sheet, measured[known], scale):
            outcome = evaluate(sheet, turn, step_index, measured[known], scale)
            outcomes.append((not outcome.fits, known != step_index, outcome.cost, outcome))
    fitting = [o for o in outcomes if not o[0]]
    pool = fitting or outcomes
    # Prefer what is known exactly when an estimate is not clearly better.
    return min(pool, key=lambda o: (o[0], o[2] + (1.0 if o[1] else 0.0)))[3]


def fitted(lay_out: Callable[[str], tuple[Any, Any]], sheet: Any, make_html: Callable[[Layout], str], first: str,
           looks: str = "") -> tuple[Any, Any, str, Layout]:
    """Lay out `first` (the sheet at its first guess), then the best candidates
    by measure; the returned (document, rendered, html, layout) is the best
    laid out. `looks` names the templates and stylesheets it is laid out
    with (the series panel's height is kept by it)."""
    document, rendered = lay_out(first)
    current = Layout()
    results = {current: (document, rendered, first)}
    measured: dict[int, Measured] = {}
    while True:
        try:
            measured[current.step] = measure(document.pages)
            best = choose(sheet, measured)
        except KeyError:  # not laid out as designed (a template without the flow, text lost off the pages)
            return (*results[current], current)
        if best.layout in results or len(results) >= MAX_LAYOUTS:
            break
        if not best.fits and 0 in measured:
            # Too much text even at the smallest step, measured: no layout
            # fits, and the build fails with what the best laid out shows.
            break
        html = make_html(best.layout)
        document, rendered = lay_out(html)
        current = best.layout
        results[current] = (document, rendered, html)

    slips: dict[Layout, int] = {}
    own: dict[Layout, Measured] = {}

    def laid(layout: Layout) -> None:
        """Lay a layout out, unless it has been."""
        if layout not in results:
            html = make_html(layout)
            results[layout] = (*lay_out(html), html)

    def measured_at(layout: Layout) -> Measured:
        """A laid-out layout's own measure, read off its boxes once."""
        if layout not in own:
            own[layout] = measure(results[layout][0].pages)
        return own[layout]

    def exact(layout: Layout) -> tuple[bool, bool, int, float]:
        """What a laid-out layout is worth: whether it fits, how many of the
        typographer's rules its line ends break (three hyphenated lines in a
        row, say: any is worse than room left empty), and its cost, read off
        its own boxes (a layout chosen on another's measure may fall out a
        line differently)."""
        if layout.splits == (None, None) or layout.step not in measured:
            return (True, True, 0, float("inf"))
        try:
            outcome = evaluate(sheet, layout.placement, layout.step, measured_at(layout), given=layout)
        except KeyError:  # items that were laid out nowhere (text lost off the pages)
            return (True, True, 0, float("inf"))
        if layout not in slips:
            from .breaks import line_breaks, rule_problems

            slips[layout] = len(rule_problems(line_breaks(results[layout][0].pages), []))
        # Columns further apart than the measure allows are worse than any slip.
        # On its own boxes, a layout fits where nothing runs over: the model's
        # margin (FIT_MARGIN_MM) is for layouts it only estimates.
        return (bool(results[layout][1].overflows), _too_far(outcome.apart), slips[layout], outcome.cost)

    def best_at(step: int, placement: int | None = None) -> Outcome:
        known, scale = _known(measured, step)
        placements = [placement] if placement is not None else turns(sheet, known, scale)
        # Where columns end is known only on a step's own measure.
        return min((evaluate(sheet, t, step, known, scale) for t in placements), key=_rank if scale == 1.0 else lambda o: (not o.fits, o.cost))

    def lay_best(step: int, placement: int | None = None) -> Outcome:
        """Lay out the best layout at `step` (of one placement, if given): at an
        estimate where the step has not been measured yet, then at the step's
        own measure."""
        best = best_at(step, placement)
        for _ in range(2):
            if not best.fits:
                break
            laid(best.layout)
            if step in measured:
                break
            measured[step] = measure(results[best.layout][0].pages)
            best = best_at(step, placement)
        return best

    chosen = min(results, key=exact)
    # Slips in the line ends, columns that end apart, a page that runs over
    # where the estimate said it would not: all come from where the lines
    # fall, and the next step down or up sets them anew.
    for step in [*range(chosen.step - 1, -1, -1), *range(chosen.step + 1, len(STEPS))]:
        over, apart, slipped, cost = exact(chosen)
        if cost == float("inf") or not (over or apart or slipped) or len(results) >= MAX_LAYOUTS + EXTRA_LAYOUTS:
            break
        if over and 0 in measured:
            break  # nothing fits, even at the smallest step: the slips of a sheet not written do not matter
        try:
            # Slips alone: the same placement, its lines set anew.
            lay_best(step, None if over or apart else chosen.placement)
        except KeyError:
            continue
        chosen = min(results, key=exact)

    # Where the chosen layout leaves a column's room empty, the steps above it
    # are laid out, while they fit: an estimate from another step is a line or
    # two out in every column, and a step that fills the page is easily
    # missed (TEMA 9 was set at 11 pt with 44 mm left, where 11.5 pt fills it).
    for step in range(chosen.step + 1, len(STEPS)):
        if len(results) >= MAX_LAYOUTS + EXTRA_LAYOUTS:
            break
        try:
            if exact(chosen)[0] or evaluate(sheet, chosen.placement, chosen.step, measured[chosen.step], given=chosen).empty <= 0:
                break
            upward = lay_best(step)
        except KeyError:
            break
        chosen = min(results, key=exact)
        if not upward.fits:
            break
    # The chosen step's best layout, now that the step is measured exactly: an
    # estimate set its splits before any paragraph could run on.
    try:
        exact_step = measured[chosen.step]
        refined = min((evaluate(sheet, t, chosen.step, exact_step) for t in turns(sheet, exact_step)), key=_rank)
        better = refined.fits and _rank(refined) < _rank(evaluate(sheet, chosen.placement, chosen.step, measured[chosen.step], given=chosen))
    except KeyError:  # not laid out as designed, or the first guess kept: nothing to refine
        return (*results[chosen], chosen)
    if better and refined.layout not in results:
        laid(refined.layout)
        chosen = min(results, key=exact)

    chosen = _with_series_panel(sheet, chosen, measured, laid, measured_at, exact, looks)
    return (*results[chosen], chosen)


# The series panel comes in two sizes (sheet.css): set as large as the room
# under page 2's columns allows. Under the chosen columns, each is laid out to
# see only where there is at least this much room (mm), a tenth under what
# the series' panel takes (91 and 62 mm, with the space above it).
PANEL_SIZES = {"large": 80.0, "compact": 55.0}
# A panel's height (mm, with the space above it) by the looks it was laid out
# with, its size and its text: a sheet of the same series laid out after
# another lays its panel out once, not twice.
_PANEL_HEIGHTS: dict[tuple, float] = {}


def _with_series_panel(sheet: Any, chosen: Layout, measured: dict[int, Measured], laid: Callable[[Layout], None],
                       measured_at: Callable[[Layout], Measured], exact: Callable[[Layout], tuple], looks: str = "") -> Layout:
    """The chosen layout with the series panel (the introduction's section the
    data puts on theme sheets, or a series' own list of its themes) above page 2's colophon, where there is room
    for it. First under the chosen columns, the sheet's text left as it is;
    then, where a column is still left emptier than EMPTY_MM (less EMPTY_SLACK_MM), with the
    panel's room kept on page 2 while the sheet is laid out anew: page 1
    then takes more of the text (a short theme's page 1 was left half
    empty, its page 2 too full for the panel). The panel is left out where
    it would not fit whole, or where the sheet reads worse with it."""
    if not getattr(sheet, "series_panel", ()) or chosen.splits == (None, None):
        return chosen
    before = exact(chosen)
    if before[0] or before[1] or before[3] == float("inf"):
        return chosen
    text = (repr(sheet.series_panel), repr(sheet.theme_titles), sheet.number)

    def height_of(size: str) -> float | None:
        """The panel's height at a size, laid out once (under page 2's
        references, all the text on page 1: room enough for it)."""
        key = (looks, size, *text)
        if looks and key in _PANEL_HEIGHTS:
            return _PANEL_HEIGHTS[key]
        trial = Layout(placement=len(units(sheet, FLOW_SECTIONS)), step=chosen.step, panel=size)
        laid(trial)
        height = measured_at(trial).below.get(2, 0.0) - measured[chosen.step].below.get(2, 0.0)
        if height <= 0:
            return None
        if looks:
            _PANEL_HEIGHTS[key] = height
        return height

    def worth(layout: Layout) -> tuple:
        """`exact`, with a column left emptier than EMPTY_MM (less its slack) worse than any
        cost, as columns apart are: the panel is there to fill it."""
        over, apart, slipped, cost = exact(layout)
        return (over, apart, slipped, evaluate(sheet, layout.placement, layout.step, measured_at(layout), given=layout).empty > 0, cost)

    try:
        kept = _panel_under_columns(sheet, chosen, measured_at, height_of, laid)
        if kept is not None and exact(kept)[:3] <= before[:3]:
            chosen = kept
        best = worth(chosen)
        if best[3]:
            for around in _laid_out_around_panel(sheet, measured, height_of, laid, measured_at):
                if (value := worth(around)) < best:
                    chosen, best = around, value
                    if not best[3]:
                        break  # it holds the measure: no need to lay out more
    except KeyError:  # not laid out as designed (a template without page 2's flow)
        pass
    return chosen


def _panel_under_columns(sheet: Any, chosen: Layout, measured_at: Callable[[Layout], Measured],
                         height_of: Callable[[str], float | None], laid: Callable[[Layout], None]) -> Layout | None:
    """The chosen columns as they are, the largest panel that fits under them laid out."""
    known = measured_at(chosen)
    bottom = max(evaluate(sheet, chosen.placement, chosen.step, known, given=chosen).bottoms[1])
    room = known.limits[2] - FIT_MARGIN_MM - FOOT_SLACK_MM - known.below.get(2, 0.0) - bottom
    for size, least in PANEL_SIZES.items():
        if room < least or (height := height_of(size)) is None or height > room:
            continue
        # The blocks on page 2's foot stand on it, as `evaluate` sets them with the panel among them.
        with_panel = evaluate(sheet, chosen.placement, chosen.step, _room_kept(known, height), given=chosen)
        final = replace(chosen, panel=size, foot=(chosen.foot[0], with_panel.layout.foot[1]))
        laid(final)
        return final
    return None


def _room_kept(measured: Measured, height: float) -> Measured:
    """A measure with `height` more set under page 2's columns."""
    return replace(measured, below={**measured.below, 2: measured.below.get(2, 0.0) + height})


# How many layouts the search with the panel's room kept lays out at most:
# every sheet it filled took three at most; a fourth never did.
AROUND_PANEL_LAYOUTS = 3


def _laid_out_around_panel(sheet: Any, measured: dict[int, Measured], height_of: Callable[[str], float | None],
                           laid: Callable[[Layout], None], measured_at: Callable[[Layout], Measured]) -> Iterator[Layout]:
    """The best layouts of the sheet with a panel's room kept on page 2, at
    any size, step and page turn, laid out one by one, each chosen by all
    that the ones before measured (an estimate at a step not laid out yet is
    a line or two out in a column)."""
    heights = {size: height for size in PANEL_SIZES if (height := height_of(size)) is not None}
    found: list[Layout] = []
    while len(found) < AROUND_PANEL_LAYOUTS:
        options = []
        for (size, height), step in itertools.product(heights.items(), range(len(STEPS))):
            known, scale = _known(measured, step)
            room_kept = _room_kept(known, height)
            exactly = scale == 1.0
            # Page 2 holds the case stories: an estimate weighs them run on
            # where their lines broke at the measured step, and whole.
            for turn, run_on in itertools.product(turns(sheet, room_kept, scale), (False,) if exactly else (False, True)):
                outcome = evaluate(sheet, turn, step, room_kept, scale, run_on=run_on)
                # Where columns end is known only on a step's own measure.
                if outcome.fits and not (exactly and _too_far(outcome.apart)):
                    options.append((outcome.cost + (0.0 if exactly else 1.0), replace(outcome.layout, panel=size)))
        untried = [o for o in options if o[1] not in found]
        if not untried:
            break
        best = min(untried, key=lambda o: o[0])[1]
        laid(best)
        found.append(best)
        if best.step not in measured:  # its own measure, less the panel
            measured[best.step] = _room_kept(measured_at(best), -heights[best.panel])
        yield best


def _known(measured: dict[int, Measured], step: int) -> tuple[Measured, float]:
    """The measure nearest a step, and how much taller its text is at that step."""
    known = min(measured, key=lambda s: abs(s - step))
    return measured[known], (1.0 if known == step else _scale(STEPS[known], STEPS[step]))


def _rank(outcome: Outcome) -> tuple[bool, bool, float]:
    """Layouts compared: one that fits first, then one whose columns end
    together (the measure, COLUMNS_APART_MM), then by cost."""
    return (not outcome.fits, _too_far(outcome.apart), outcome.cost)


def _too_far(apart_mm: float) -> bool:
    """Do two columns end further apart than the measure (COLUMNS_APART_MM)
    allows? Read on the model's boxes, 1 mm inside it: the measure reads
    the columns' last lines."""
    return apart_mm > COLUMNS_APART_MM - 1.0
