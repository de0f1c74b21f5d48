"""Does a laid-out sheet fit its pages? Read off WeasyPrint's box tree.

A sheet's pages are fixed boxes (see templates/sheet.css), so text that is too
long does not make a third page: it runs past the bottom of its page, where
the PDF would silently clip it. We measure every `data-section` element's
content against the bottom of its page body, and every line of text against
the right edge of its block, and say which section went where and by how much.

A sheet can also fit and still look broken: a bullet or a number alone on its
line with its text one line lower, a heading at the foot of a column with its
text in the next, an item split leaving one line behind. `apart` finds those
on the laid-out boxes, so that such a sheet fails as an overflow does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Any, Iterator

PX_PER_MM = 96 / 25.4
TOLERANCE_PX = 0.5

# When a sheet does not fit, WeasyPrint may carry part of it onto an extra
# page instead of letting it run past the page box. To say by how much each
# section is too long, the sheet is laid out again on one very tall page
# where nothing breaks, and measured against the same fixed page bodies.
MEASURE_CSS = """
@page { size: 210mm 4000mm !important; margin: 0 !important; }
.page { height: auto !important; overflow: visible !important; break-after: auto !important; }
"""


@dataclass(frozen=True)
class Overflow:
    page: int  # 1-based
    section: str
    heading: str
    mm: float
    direction: str  # "bottom" (of the page), "side" or "box" (out of its own box)
    line_mm: float
    pushed: tuple[str, ...] = ()  # sections below it that it pushed off the page
    text: str = ""  # where the text runs out sideways: the word (or run) that does

    def describe(self) -> str:
        name = f"'{self.heading}' ({self.section})" if self.heading else f"'{self.section}'"
        if self.direction == "side":
            at = f" at '{self.text}'" if self.text else ""
            return f"{name} has text running {self.mm:.0f} mm out of its column on page {self.page}{at} (a word or address too long to wrap)"
        if self.direction == "box":
            return f"{name} has text running {self.mm:.0f} mm out of the bottom of its box on page {self.page}, where it would be hidden"
        if self.direction == "footer":
            return f"too long for the footer on page {self.page}: {self.heading}; shorten it"
        lines = max(1, round(self.mm / self.line_mm)) if self.line_mm else 0
        pushed = f", pushing {', '.join(self.pushed)} off the page" if self.pushed else ""
        return f"{name} runs {self.mm:.0f} mm (about {lines} line{'s' if lines != 1 else ''}) past the bottom of page {self.page}{pushed}: shorten it"


@dataclass(frozen=True)
class Apart:
    """Parts of the text that belong together and were laid out apart."""

    page: int
    section: str
    heading: str
    what: str
    text: str  # the first words of the item concerned, for the editor to find it

    def describe(self) -> str:
        name = f"'{self.heading}' ({self.section})" if self.heading else f"'{self.section}'"
        return f"{name} on page {self.page}: {self.what} at \"{self.text}\": the layout came apart; shorten or reword the item"


def _walk(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", ()) or ():
        yield from _walk(child)


def _element_attr(box: Any, name: str) -> str | None:
    element = getattr(box, "element", None)
    if element is None or getattr(box, "element_tag", None) is None:
        return None
    return element.get(name)


def _bottom(box: Any) -> float:
    return box.position_y + box.margin_height()


def _content_bottom(box: Any) -> float:
    """The bottom of what a box holds, not of the box: the cells of a row (and
    the items of a flex row) are stretched to the height of the tallest."""
    children = [c for c in getattr(box, "children", ()) or () if hasattr(c, "margin_height")]
    if not children:
        return _bottom(box)
    stretched = ("TableCellBox",)
    return max(
        _content_bottom(c) if getattr(c, "is_flex_item", False) or type(c).__name__ in stretched else _bottom(c)
        for c in children
    )


# Sections without a heading of their own, as an editor knows them.
UNHEADED = {"imprint": "the colophon (publisher, edition, date)"}


def _named(overflow: Overflow) -> str:
    """A section pushed off the page, by its heading or what it is."""
    return f"'{overflow.heading}'" if overflow.heading else UNHEADED.get(overflow.section, f"'{overflow.section}'")


def _heading(box: Any) -> str:
    for child in _walk(box):
        if getattr(child, "element_tag", None) in ("h1", "h2"):
            return " ".join(" ".join(getattr(t, "text", "") for t in _walk(child) if type(t).__name__ == "TextBox").split())
    return ""


class _Letters(HTMLParser):
    """Counts the letters of the text a page's body holds."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("head", "style", "script", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "style", "script", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.count += sum(ch.isalpha() for ch in data)


def letters_in_html(html: str) -> int:
    parser = _Letters()
    parser.feed(html)
    parser.close()
    return parser.count


def letters_laid_out(pages: list[Any]) -> int:
    """Letters in the laid-out text. WeasyPrint can drop text without a word (a
    float continued onto a page that is never made, say); fewer letters here
    than in the HTML means some was lost."""
    return sum(
        sum(ch.isalpha() for ch in box.text)
        for page in pages
        for box in _walk(page._page_box)
        if type(box).__name__ == "TextBox"
    )


def design_pages(pages: list[Any]) -> int:
    """How many pages the template designed: its `data-page` boxes."""
    return len({p for page in pages for box in _walk(page._page_box) if (p := _element_attr(box, "data-page"))})


def overflows(pages: list[Any]) -> list[Overflow | Apart]:
    """Everything that keeps a laid-out sheet from being written: text past its
    page or its box, a footer too long for its place, and parts of the text
    that came apart."""
    return _overflows(pages) + footer_overflows(pages) + apart(pages)


# The paragraphs of a footer (templates/macros.html.j2) by their class, and the
# series wording each prints, so that a footer too long is put down to its
# field in series.yaml; a paragraph of another class is named by its class.
FOOTER_FIELDS = {"more": "footer", "partnership": "partnership"}


def footer_overflows(pages: list[Any]) -> list[Overflow]:
    """A footer's text that does not fit its place: cut off (a footer is a
    fixed box at the foot of the page, and WeasyPrint drops the lines that
    fall past the page), or grown up into the page's body. Named by the
    paragraph (the series wording) that holds it."""
    found: list[Overflow] = []
    number = 0
    for page in pages:
        limit = None
        for box in _walk(page._page_box):
            number = int(_element_attr(box, "data-page") or number)
            if limit is None and "page-body" in (_element_attr(box, "class") or "").split():
                limit = box.content_box_y() + box.height
            if not _element_attr(box, "data-footer"):
                continue
            line_mm = box.style["font_size"] * 1.4 / PX_PER_MM
            paragraphs = [b for b in _walk(box) if getattr(b, "element_tag", None) == "p" and b.element is not None]
            seen: set[int] = set()
            for paragraph in paragraphs:
                if id(paragraph.element) in seen:
                    continue
                seen.add(id(paragraph.element))
                classes = (_element_attr(paragraph, "class") or "").split()
                field = next((FOOTER_FIELDS[c] for c in classes if c in FOOTER_FIELDS), classes[0] if classes else "footer")
                written = sum(ch.isalpha() for ch in "".join(paragraph.element.itertext()))
                laid_out = sum(
                    sum(ch.isalpha() for ch in t.text)
                    for b in paragraphs if b.element is paragraph.element
                    for t in _walk(b) if type(t).__name__ == "TextBox"
                )
                if laid_out < written:
                    found.append(Overflow(number, field, f"{written - laid_out} of its {written} letters are cut off", 0.0, "footer", line_mm))
            below = box.content_box_y() + box.height
            past = [b for b in paragraphs if _bottom(b) - below > TOLERANCE_PX]
            if past and not any(f.page == number and f.direction == "footer" for f in found):
                # Put down to the longest paragraph, which pushed the others out.
                classes = (_element_attr(max(paragraphs, key=lambda b: b.margin_height()), "class") or "footer").split()
                field = next((FOOTER_FIELDS[c] for c in classes if c in FOOTER_FIELDS), classes[0])
                mm = (_bottom(past[-1]) - below) / PX_PER_MM
                found.append(Overflow(number, field, f"it runs {mm:.0f} mm out of the bottom of the footer", mm, "footer", line_mm))
            if limit is not None and (up := limit - box.border_box_y()) > TOLERANCE_PX:
                field = next(iter(dict.fromkeys(
                    FOOTER_FIELDS.get(c, c) for b in paragraphs for c in (_element_attr(b, "class") or "footer").split()
                )), "footer")
                found.append(Overflow(number, field, f"it runs {up / PX_PER_MM:.0f} mm up into the page's text", up / PX_PER_MM, "footer", line_mm))
    return found


# A block under the columns that is itself taller than this share of the page
# (forty references) is what runs off the page, not the columns' text above it.
OWN_BLOCK_SHARE = 0.4


def _overflows(pages: list[Any]) -> list[Overflow]:
    found: list[Overflow] = []
    for page in pages:
        root = page._page_box
        number = 0
        for body in _walk(root):
            number = int(_element_attr(body, "data-page") or number)
            if "page-body" not in (_element_attr(body, "class") or "").split():
                continue
            limit = body.content_box_y() + body.height
            line_mm = body.style["font_size"] * 1.4 / PX_PER_MM
            above: Overflow | None = None  # the last section that starts on the page
            flowing: Overflow | None = None  # the last section of the page's columns
            for box in _walk(body):
                section = _element_attr(box, "data-section")
                if not section:
                    continue
                past = _content_bottom(box) - limit
                here = Overflow(number, section, _heading(box), max(past, 0) / PX_PER_MM, "bottom", line_mm)
                classes = (_element_attr(box, "class") or "").split()
                if "after-flow" in classes and flowing is not None and past > TOLERANCE_PX and box.border_height() <= body.height * OWN_BLOCK_SHARE:
                    # A block under the columns (the references) run off the page
                    # was pushed there by the columns' text: that is what to shorten;
                    # unless it takes most of the page by itself.
                    above = replace(flowing, mm=past / PX_PER_MM, pushed=flowing.pushed + (_named(here),))
                    found.append(above)
                    continue
                if "flow-section" in classes or "after-flow" in classes and box.border_height() > body.height * OWN_BLOCK_SHARE:
                    # What pushes the blocks below it off the page.
                    flowing = here
                if box.position_y >= limit - TOLERANCE_PX and above is not None:
                    # Entirely below the page: the section above pushed it there.
                    if above in found:
                        found.remove(above)
                    above = replace(above, mm=past / PX_PER_MM, pushed=above.pushed + (_named(here),))
                    found.append(above)
                    continue
                above = here
                if past > TOLERANCE_PX:
                    found.append(here)
                side, down, word = _escapes(box)
                if side > TOLERANCE_PX:
                    found.append(Overflow(number, section, _heading(box), side / PX_PER_MM, "side", line_mm, text=word))
                if down > TOLERANCE_PX:
                    found.append(Overflow(number, section, _heading(box), down / PX_PER_MM, "box", line_mm))
    return _one_per_section(found)


def _one_per_section(found: list[Overflow]) -> list[Overflow]:
    """A section set in two columns is two boxes (the second without its
    heading): one message for it, by the larger amount, named by its heading."""
    merged: dict[tuple[int, str, str], Overflow] = {}
    for item in found:
        key = (item.page, item.section, item.direction)
        seen = merged.get(key)
        if seen is None:
            merged[key] = item
            continue
        pushed = tuple(dict.fromkeys(seen.pushed + item.pushed))
        text = (item if item.mm > seen.mm else seen).text or seen.text or item.text
        merged[key] = replace(seen, mm=max(seen.mm, item.mm), heading=seen.heading or item.heading, pushed=pushed, text=text)
    return list(merged.values())


def _escapes(section: Any) -> tuple[float, float, str]:
    """How far text runs out of the block that holds its lines: past its right
    edge (a word too long, a `nowrap` line) and past its bottom (a box of fixed
    height, whose `overflow: hidden` would hide the rest); and the word that
    runs furthest out, shortened as an editor would search for it."""
    side = down = 0.0
    word = ""
    for block in _walk(section):
        lines = [c for c in getattr(block, "children", ()) or () if type(c).__name__ == "LineBox"]
        if not lines:
            continue
        right = block.content_box_x() + block.width
        bottom = block.content_box_y() + block.height
        for line in lines:
            down = max(down, line.position_y + line.height - bottom)
            for box in _walk(line):
                if type(box).__name__ == "TextBox" and box.text.strip() and box.position_x + box.width - right > side:
                    side = box.position_x + box.width - right
                    longest = max(box.text.split(), key=len)
                    word = longest if len(longest) <= 30 else f"{longest[:14]}…{longest[-14:]}"
    return side, down, word


# How far (in mm) things that belong together may be apart and still read as
# one: a bullet's middle from its first line, a heading's bottom from the first
# line below it (the largest heading margin is 4.5 mm), a line from the next one.
MARKER_SLACK_MM = 0.5
HEADING_GAP_MM = 6.0
LINE_GAP_MM = 1.0


def _is_marker(box: Any) -> bool:
    return str(getattr(box, "element_tag", "") or "").endswith(("::before", "::marker"))


def _text(box: Any) -> str:
    return " ".join(t.text for t in _walk(box) if type(t).__name__ == "TextBox")


def _lines(block: Any) -> list[Any]:
    """The line boxes of a block's own text (not of its markers), in order."""
    out = []
    for child in getattr(block, "children", ()) or ():
        if _is_marker(child):
            continue
        if type(child).__name__ == "LineBox":
            out.append(child)
        elif not getattr(child, "element_tag", None) or child.element_tag == getattr(block, "element_tag", None):
            out += _lines(child)  # the anonymous block a float leaves its text in
    return out


def _has_text(line: Any) -> bool:
    return any(type(b).__name__ == "TextBox" and b.text.strip() for b in _walk(line) if not _is_marker(b))


def _first_words(box: Any, count: int = 6) -> str:
    words = _text(box).split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def apart(pages: list[Any]) -> list[Apart]:
    found: list[Apart] = []
    slack = MARKER_SLACK_MM * PX_PER_MM
    for number, section, heading, box in _sections(pages):
        events = list(_reading(box))
        for i, (kind, item) in enumerate(events):
            if kind == "heading" and item.element_tag == "h2":  # h1 is the title, its block holds nothing else
                after = next((b for k, b in events[i + 1 :] if k == "line"), None)
                if after is None:
                    found.append(Apart(number, section, heading, "a heading with nothing after it on the page", _first_words(item)))
                    continue
                gap = after.position_y - (item.border_box_y() + item.border_height())
                # A heading may stand beside its text (the actions' heading
                # does), level with its first line; otherwise the text is below.
                level = abs(after.position_y - item.border_box_y()) <= HEADING_GAP_MM * PX_PER_MM
                right = after.position_x >= item.position_x + item.margin_width() - TOLERANCE_PX
                if right and level:
                    continue
                beside = right or after.position_x + after.width <= item.position_x
                if gap < -TOLERANCE_PX or gap > HEADING_GAP_MM * PX_PER_MM or beside:
                    found.append(Apart(number, section, heading, "a heading separated from the text it heads", _first_words(item)))
        for block in _unmarked(box):
            if type(block).__name__ in ("LineBox", "InlineBox", "TextBox"):
                continue
            every = _lines(block)
            lines = [line for line in every if _has_text(line)]
            inline = [b for line in every for b in _walk(line) if _is_marker(b)]
            markers = [c for c in getattr(block, "children", ()) or () if _is_marker(c)] + inline
            for marker in markers:
                if not lines:
                    found.append(Apart(number, section, heading, "a bullet or number with no text", _first_words(block)))
                    continue
                first = lines[0]
                middle = marker.border_box_y() + marker.border_height() / 2
                if every[0] is not first or not (first.position_y - slack <= middle <= first.position_y + first.height + slack):
                    found.append(Apart(number, section, heading, "a bullet or number not beside its text", _first_words(block)))
            problem = _split(lines) or _broken_short(lines, block)
            if problem:
                found.append(Apart(number, section, heading, problem, _first_words(block)))
    return list(dict.fromkeys(found))  # an item with a float is a block in a block: seen twice


def _unmarked(box: Any) -> Iterator[Any]:
    """The boxes under `box` that are not bullets or numbers nor inside one."""
    if _is_marker(box):
        return
    yield box
    for child in getattr(box, "children", ()) or ():
        yield from _unmarked(child)


def _sections(pages: list[Any]) -> Iterator[tuple[int, str, str, Any]]:
    """Every `data-section` box, the outermost only (a multi-column section
    holds one copy of its box per column)."""

    def visit(box: Any, number: int) -> Iterator[tuple[int, str, str, Any]]:
        number = int(_element_attr(box, "data-page") or number)
        section = _element_attr(box, "data-section")
        if section:
            yield number, section, _heading(box), box
            return
        for child in getattr(box, "children", ()) or ():
            yield from visit(child, number)

    for page in pages:
        yield from visit(page._page_box, 0)


def _reading(box: Any) -> Iterator[tuple[str, Any]]:
    """Headings and lines of text, in the order they are laid out."""
    if getattr(box, "element_tag", None) in ("h1", "h2"):
        yield "heading", box
        return
    if type(box).__name__ == "LineBox":
        if _has_text(box):
            yield "line", box
        return
    for child in getattr(box, "children", ()) or ():
        yield from _reading(child)


def _split(lines: list[Any]) -> str | None:
    """Why a paragraph's or item's lines do not read as one block, if they do not:
    a gap inside it, or a break into another column or page that leaves a
    single line on either side."""
    runs = [[lines[0]]] if lines else []
    for before, line in zip(lines, lines[1:]):
        step = line.position_y - (before.position_y + before.height)
        same_column = abs(line.position_x - before.position_x) < 1
        if same_column and -TOLERANCE_PX <= step <= LINE_GAP_MM * PX_PER_MM:
            runs[-1].append(line)
        elif same_column and step > 0:
            return "an empty line inside one item"
        else:
            runs.append([line])
    if len(runs) > 1 and min(len(r) for r in runs) < 2:
        return "an item split leaving a single line behind"
    return None


def empty_above_footer(pages: list[Any]) -> list[tuple[int, float | None]]:
    """For every designed page: the height (mm) between the lowest line of its
    body and the top of its footer, or None when the page has no footer."""
    out = []
    number = 0
    for page in pages:
        lowest = footer = None
        for box in _walk(page._page_box):
            number = int(_element_attr(box, "data-page") or number)
            if footer is None and _element_attr(box, "data-footer"):
                footer = box.border_box_y()
        body = next((b for b in _walk(page._page_box) if "page-body" in (_element_attr(b, "class") or "").split()), None)
        if body is not None:
            bottoms = [line.position_y + line.height for line in _walk(body) if type(line).__name__ == "LineBox" and _has_text(line)]
            # A panel or a pull quote ends at its box, not at its last line.
            bottoms += [
                b.border_box_y() + b.border_height()
                for b in _walk(body)
                if {"panel", "pull-quote"} & set((_element_attr(b, "class") or "").split())
            ]
            lowest = max(bottoms, default=None)
        if footer is None or lowest is None:
            out.append((number, None))
        else:
            out.append((number, (footer - lowest) / PX_PER_MM))
    return out


def _line_text(line: Any) -> str:
    return "".join(t.text for t in _walk(line) if type(t).__name__ == "TextBox" and not _is_marker(t))


def first_unbreakable(line: Any) -> str:
    """What a line starts with that no break may split: its first word, with
    all that a span kept whole binds to it (class "keep": a double first name,
    a number and what it counts, the space before a dash) or a no-break space
    (a paragraph's last two words)."""
    text = "".join(
        t.text.replace(" ", "\u00a0") if t.style["white_space"] == "nowrap" else t.text
        for t in _walk(line)
        if type(t).__name__ == "TextBox" and not _is_marker(t)
    )
    return text.lstrip(" ").split(" ", 1)[0]


def _broken_short(lines: list[Any], block: Any) -> str | None:
    """A line ended before a word that would have fitted on it (WeasyPrint 70
    can break a line at its first opportunity instead of its last when an
    inline box follows): the word's width is read off the next line."""
    for line, after in zip(lines, lines[1:]):
        if abs(line.position_x - after.position_x) > 1 or _line_text(line).endswith(("\u2010", "-")):
            continue
        text = _line_text(after)
        word = first_unbreakable(after)
        if not word or not text:
            continue
        width = after.width * len(word) / len(text)
        space = after.width / max(len(text), 1)
        if line.width + space + width < getattr(block, "width", 0) - space:
            return "a line broken before a word that fits on it"
    return None
