"""Does a laid-out sheet fit its pages? Read off WeasyPrint's box tree.

A sheet's pages are fixed boxes (see templates/sheet.css), so text that is too
long does not make a third page: it runs past the bottom of its page, where
the PDF would silently clip it. We measure every `data-section` element's
content against the bottom of its page body, and every line of text against
the right edge of its block, and say which section went where and by how much.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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
    direction: str  # "bottom" or "side"
    line_mm: float
    pushed: tuple[str, ...] = ()  # sections below it that it pushed off the page

    def describe(self) -> str:
        name = f"'{self.heading}' ({self.section})" if self.heading else f"'{self.section}'"
        if self.direction == "side":
            return f"{name} has text running {self.mm:.0f} mm out of its column on page {self.page} (a word or address too long to wrap)"
        lines = max(1, round(self.mm / self.line_mm)) if self.line_mm else 0
        pushed = f", pushing {', '.join(self.pushed)} off the page" if self.pushed else ""
        return f"{name} runs {self.mm:.0f} mm (about {lines} line{'s' if lines != 1 else ''}) past the bottom of page {self.page}{pushed}: shorten it"


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
    """The bottom of what a box holds, not of the box: flex rows stretch boxes to equal height."""
    children = [c for c in getattr(box, "children", ()) or () if hasattr(c, "margin_height")]
    if not children:
        return _bottom(box)
    return max(_content_bottom(c) if getattr(c, "is_flex_item", False) else _bottom(c) for c in children)


def _heading(box: Any) -> str:
    for child in _walk(box):
        if getattr(child, "element_tag", None) in ("h1", "h2"):
            return "".join(getattr(t, "text", "") for t in _walk(child) if type(t).__name__ == "TextBox")
    return ""


def design_pages(pages: list[Any]) -> int:
    """How many pages the template designed: its `data-page` boxes."""
    return len({p for page in pages for box in _walk(page._page_box) if (p := _element_attr(box, "data-page"))})


def overflows(pages: list[Any]) -> list[Overflow]:
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
            for box in _walk(body):
                section = _element_attr(box, "data-section")
                if not section:
                    continue
                past = _content_bottom(box) - limit
                here = Overflow(number, section, _heading(box), max(past, 0) / PX_PER_MM, "bottom", line_mm)
                if box.position_y >= limit - TOLERANCE_PX and above is not None:
                    # Entirely below the page: the section above pushed it there.
                    if above in found:
                        found.remove(above)
                    above = replace(above, mm=past / PX_PER_MM, pushed=above.pushed + (f"'{here.heading or section}'",))
                    found.append(above)
                    continue
                above = here
                if past > TOLERANCE_PX:
                    found.append(here)
                side = _sideways(box)
                if side > TOLERANCE_PX:
                    found.append(Overflow(number, section, _heading(box), side / PX_PER_MM, "side", line_mm))
    return _blame(found)


def _sideways(section: Any) -> float:
    """How far any text runs past the right edge of the block that holds its lines."""
    worst = 0.0
    for block in _walk(section):
        lines = [c for c in getattr(block, "children", ()) or () if type(c).__name__ == "LineBox"]
        if not lines:
            continue
        right = block.content_box_x() + block.width
        for line in lines:
            for box in _walk(line):
                if type(box).__name__ == "TextBox" and box.text.strip():
                    worst = max(worst, box.position_x + box.width - right)
    return worst


def _blame(found: list[Overflow]) -> list[Overflow]:
    """When text pushes the footer out, the footer is the victim: name the text."""
    culprits = [o for o in found if o.section != "footer" or o.direction == "side"]
    return culprits or found
