"""How a sheet's two pages are filled from its own text: the designer's rules.

No filler is generated. Three things vary, each within what the designer set:

- placement: which of the column sections go on which page. The series'
  order (questions and findings on page 1, the cases on page 2) comes first;
  a page left short takes a section from the other (`PLACEMENTS`).
- columns: each page's sections flow through two columns, split between two
  items where the column bottoms come closest (a heading never ends a column:
  it goes with its first item).
- copyfitting: the body text's size, leading and the space between items,
  in a few steps (`STEPS`); one step for the whole sheet, so its two pages
  read alike.

The choice is made on laid-out boxes, not on an estimate: `fitted` lays a
first candidate out, reads every item's height off WeasyPrint's boxes, works
out every placement and split at that step exactly (the columns of both pages
have one measure, so an item is as tall on either page), and lays out the
best candidate; a step it has not laid out yet it first lays out to measure.
A handful of layouts per sheet at most (`MAX_LAYOUTS`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

from .fit import _element_attr as _attr, _walk

PX_PER_MM = 96 / 25.4


@dataclass(frozen=True)
class Step:
    """One step of the copyfitting range: body size (pt), leading (a factor of
    the size), the space between items (mm) and between case paragraphs (mm)."""

    size_pt: float
    leading: float
    item_gap_mm: float
    paragraph_gap_mm: float


# The designer's range (also in sheet.css and README): body 9.5-11 pt, leading
# 1.4-1.6, items 2.2-4.4 mm apart. The series' own setting is BASE_STEP.
STEPS: tuple[Step, ...] = (
    Step(9.5, 1.4, 2.2, 3.0),
    Step(10.0, 1.45, 2.4, 3.5),
    Step(10.5, 1.5, 2.8, 4.0),
    Step(11.0, 1.55, 3.4, 4.6),
    Step(11.0, 1.6, 4.4, 5.6),
)
BASE_STEP = 1
# Between two sections in one column (mm); sheet.css: `.flow-section + .flow-section`.
SECTION_GAP_MM = 8.0

# The sections each page's columns hold, the series' own first. The reading
# order stays the series' (questions, findings, cases: the web page's too);
# only where the page turns changes.
PLACEMENTS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("questions", "findings"), ("cases",)),
    (("questions",), ("findings", "cases")),
)

# The measures the layout is chosen by (tests/test_layout_measures.py holds
# every sheet to them): column bottoms of a page at most this far apart, and
# at most this much empty in a column above the footer.
COLUMNS_APART_MM = 12.0
EMPTY_MM = 40.0
MAX_LAYOUTS = 4
# Room kept under the lowest column, for what the model of a column (heights
# plus gaps) leaves out: margins collapsing into the blocks below.
FIT_MARGIN_MM = 2.0
BREAK_SLIP_COST = 150.0


@dataclass(frozen=True)
class Part:
    """A run of one section's items in one column: items[start:end]; a part
    that does not start at the first item continues the section (no heading)."""

    section: str
    start: int
    end: int

    @property
    def continued(self) -> bool:
        return self.start > 0


@dataclass(frozen=True)
class Layout:
    placement: int = 0
    step: int = BASE_STEP
    # For each page, the number of units (items) its first column holds;
    # None: split by the length of the text (a first guess, before measuring).
    splits: tuple[int | None, int | None] = (None, None)

    @property
    def type(self) -> Step:
        return STEPS[self.step]


def sections_on(layout: Layout, page: int) -> tuple[str, ...]:
    return PLACEMENTS[layout.placement][page - 1]


def units(sheet: Any, sections: Sequence[str]) -> list[tuple[str, int]]:
    return [(section, i) for section in sections for i in range(len(getattr(sheet, section)))]


def columns(sheet: Any, layout: Layout, page: int) -> list[list[Part]]:
    """The two columns of a page: the parts of its sections each holds."""
    flow = units(sheet, sections_on(layout, page))
    split = layout.splits[page - 1]
    if split is None:
        split = _split_by_length(sheet, flow)
    out: list[list[Part]] = []
    for run in (flow[:split], flow[split:]):
        parts: list[Part] = []
        for section, group in itertools.groupby(run, key=lambda u: u[0]):
            indexes = [i for _, i in group]
            parts.append(Part(section, indexes[0], indexes[-1] + 1))
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


def measure(pages: list[Any]) -> Measured:
    heights: dict[tuple[str, int], float] = {}
    tops: dict[int, float] = {}
    limits: dict[int, float] = {}
    footers: dict[int, float] = {}
    below: dict[int, float] = {}
    number = 0
    for page in pages:
        heading_top: dict[str, float] = {}
        for box in _walk(page._page_box):
            number = int(_attr(box, "data-page") or number)
            classes = set((_attr(box, "class") or "").split())
            if "page-body" in classes:
                limits[number] = (box.content_box_y() + box.height) / PX_PER_MM
            if _attr(box, "data-footer") and number not in footers:
                footers[number] = box.border_box_y() / PX_PER_MM
            if "flow" in classes:
                tops[number] = box.content_box_y() / PX_PER_MM
            if "after-flow" in classes:
                below[number] = below.get(number, 0.0) + box.margin_height() / PX_PER_MM
            if getattr(box, "element_tag", None) == "h2" and (section := _attr(box, "data-heads")):
                heading_top[section] = box.border_box_y()
            unit = _attr(box, "data-unit")
            # The outermost box of the item: its lines carry its element too.
            if unit and getattr(box, "element_tag", None) in ("li", "p") and _key(unit) not in heights:
                section, index = unit.rsplit(":", 1)
                top = heading_top[section] if index == "0" and section in heading_top else box.border_box_y()
                heights[(section, int(index))] = (box.border_box_y() + box.border_height() - top) / PX_PER_MM
    return Measured(heights, tops, limits, footers, below)


def _key(unit: str) -> tuple[str, int]:
    section, index = unit.rsplit(":", 1)
    return section, int(index)


def _gap(before: tuple[str, int], after: tuple[str, int], step: Step) -> float:
    if before[0] != after[0]:
        return SECTION_GAP_MM
    return step.paragraph_gap_mm if after[0] == "cases" else step.item_gap_mm


def _column_mm(run: list[tuple[str, int]], heights: dict[tuple[str, int], float], step: Step) -> float:
    return sum(heights[u] for u in run) + sum(_gap(a, b, step) for a, b in zip(run, run[1:]))


@dataclass(frozen=True)
class Outcome:
    layout: Layout
    fits: bool
    cost: float
    bottoms: tuple[tuple[float, ...], ...]  # per page, per column (mm from the top of the page)


def evaluate(
    sheet: Any, placement: int, step_index: int, measured: Measured, scale: float = 1.0, splits_given: tuple[int | None, int | None] = (None, None)
) -> Outcome:
    """The best split of each page for a placement at a step, and what it costs:
    empty room over EMPTY_MM, columns further apart than COLUMNS_APART_MM, a
    placement or step away from the series' own. `scale` stretches heights
    measured at another step (an estimate, until that step is laid out)."""
    step = STEPS[step_index]
    heights = {u: h * scale for u, h in measured.heights.items()}
    fits, cost, splits, bottoms = True, 0.0, [], []
    for page in (1, 2):
        flow = units(sheet, PLACEMENTS[placement][page - 1])
        top, limit = measured.tops[page], measured.limits[page]
        below = measured.below.get(page, 0.0)
        footer = measured.footers.get(page, limit)
        if not flow:
            splits.append(0)
            bottoms.append((top + below,))
            cost += max(0.0, footer - (top + below) - EMPTY_MM) * 3
            continue
        best: tuple[tuple[bool, float, float], int, tuple[float, float], float] | None = None
        given = splits_given[page - 1]
        for k in [given] if given is not None else range(1, len(flow) + 1):
            first, second = flow[:k], flow[k:]
            a = _column_mm(first, heights, step)
            b = _column_mm(second, heights, step) if second else 0.0
            ends = (top + a, top + b if second else top)
            lowest = max(ends) + below
            # A column under full-width blocks ends where they end.
            empty = [footer - (lowest if below else e) for e in ends]
            if not second:  # the second column left empty is empty all the way up
                empty[1] = footer - top
            page_cost = sum(max(0.0, e - EMPTY_MM) for e in empty) * 3
            if second or len(flow) > 1:  # a column left empty is as far apart as can be
                # Columns apart are always the layout's doing; room left empty may be the
                # text's (a short theme), so it weighs less.
                page_cost += max(0.0, abs(a - b) - COLUMNS_APART_MM) * 6
            key = (lowest > limit - FIT_MARGIN_MM, page_cost, max(a, b))
            if best is None or key < best[0]:
                best = (key, k, ends, page_cost)
        assert best is not None
        (over, _, _), k, ends, page_cost = best
        splits.append(k)
        bottoms.append(ends)
        fits = fits and not over
        cost += page_cost
    cost += placement * 4 + abs(step_index - BASE_STEP) * 2
    return Outcome(Layout(placement, step_index, (splits[0], splits[1])), fits, cost, tuple(bottoms))


def _scale(sheet_from: Step, to: Step) -> float:
    """How much taller text gets from one step to another: lines are taller by
    size and leading, and more of them by size."""
    return (to.size_pt / sheet_from.size_pt) ** 2 * (to.leading / sheet_from.leading)


def choose(sheet: Any, measured: dict[int, Measured]) -> Outcome:
    """The best layout by what has been measured: exact at a measured step,
    scaled from the nearest measured step elsewhere."""
    outcomes = []
    for step_index in range(len(STEPS)):
        known = min(measured, key=lambda s: abs(s - step_index))
        scale = 1.0 if known == step_index else _scale(STEPS[known], STEPS[step_index])
        for placement in range(len(PLACEMENTS)):
            outcome = evaluate(sheet, placement, step_index, measured[known], scale)
            outcomes.append((not outcome.fits, known != step_index, outcome.cost, outcome))
    fitting = [o for o in outcomes if not o[0]]
    pool = fitting or outcomes
    # Prefer what is known exactly when an estimate is not clearly better.
    return min(pool, key=lambda o: (o[0], o[2] + (1.0 if o[1] else 0.0)))[3]


def fitted(lay_out: Callable[[str], tuple[Any, Any]], sheet: Any, make_html: Callable[[Layout], str], first: str) -> tuple[Any, Any, str]:
    """Lay out `first` (the sheet at its first guess), then the best candidates
    by measure; the returned (document, rendered, html) is the best laid out."""
    document, rendered = lay_out(first)
    current = Layout()
    results = {current: (document, rendered, first)}
    measured: dict[int, Measured] = {}
    while True:
        try:
            measured[current.step] = measure(document.pages)
            best = choose(sheet, measured)
        except KeyError:  # not laid out as designed (a template without the flow, text lost off the pages)
            return results[current]
        if best.layout in results or len(results) >= MAX_LAYOUTS:
            break
        html = make_html(best.layout)
        document, rendered = lay_out(html)
        current = best.layout
        results[current] = (document, rendered, html)

    def exact(layout: Layout) -> tuple[bool, float]:
        if layout.splits == (None, None) or layout.step not in measured:
            return (True, float("inf"))
        try:
            outcome = evaluate(sheet, layout.placement, layout.step, measured[layout.step], splits_given=layout.splits)
        except KeyError:  # items that were laid out nowhere (text lost off the pages)
            return (True, float("inf"))
        # A layout whose line ends break the typographer's rules (three
        # hyphenated lines in a row, say) is worth a few mm of room to avoid.
        from .breaks import line_breaks, rule_problems

        slips = len(rule_problems(line_breaks(results[layout][0].pages), []))
        return (not outcome.fits or bool(results[layout][1].overflows), outcome.cost + slips * BREAK_SLIP_COST)

    chosen = min(results, key=exact)
    # Slips in the line ends come from where the lines fall: the next step
    # down or up sets them anew.
    for step in [*range(chosen.step - 1, -1, -1), *range(chosen.step + 1, len(STEPS))]:
        if exact(chosen)[1] == float("inf") or len(results) >= MAX_LAYOUTS + 2:
            break
        if exact(chosen)[1] - evaluate_layout(sheet, chosen, measured) < BREAK_SLIP_COST:
            break
        if not 0 <= step < len(STEPS):
            continue
        known = min(measured, key=lambda s: abs(s - step))
        scale = 1.0 if known == step else _scale(STEPS[known], STEPS[step])
        try:
            other = evaluate(sheet, chosen.placement, step, measured[known], scale).layout
        except KeyError:
            break
        if other in results:
            continue
        html = make_html(other)
        results[other] = (*lay_out(html), html)
        try:
            measured.setdefault(step, measure(results[other][0].pages))
        except KeyError:
            continue
        chosen = min(results, key=exact)
    return results[chosen]


def evaluate_layout(sheet: Any, layout: Layout, measured: dict[int, Measured]) -> float:
    """The cost of a laid-out layout as it stands, without its line ends' slips."""
    return evaluate(sheet, layout.placement, layout.step, measured[layout.step], splits_given=layout.splits).cost
