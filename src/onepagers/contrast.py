"""WCAG 2.1 AA text contrast (1.4.3), measured on the laid-out sheet.

The pairs come from WeasyPrint's computed styles, so they follow the
stylesheets as they are: each piece of text's colour against the nearest
background painted behind it (a box's own, or an ancestor's). Large text
(18 pt and up, or 14 pt bold) needs 3:1, all other text 4.5:1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

NORMAL, LARGE = 4.5, 3.0
PX_PER_PT = 4 / 3


@dataclass(frozen=True)
class Pair:
    text: str  # a sample of the text set in this pair
    foreground: tuple[float, float, float]
    background: tuple[float, float, float]
    size_pt: float
    bold: bool

    @property
    def ratio(self) -> float:
        lighter, darker = sorted((luminance(self.foreground), luminance(self.background)), reverse=True)
        return (lighter + 0.05) / (darker + 0.05)

    @property
    def large(self) -> bool:
        return self.size_pt >= 18 or (self.bold and self.size_pt >= 14)

    @property
    def required(self) -> float:
        return LARGE if self.large else NORMAL

    def one_line(self) -> str:
        return (
            f"{_hex(self.foreground)} on {_hex(self.background)}: {self.ratio:.2f}:1, "
            f"needs {self.required}:1 ({self.size_pt:.1f} pt{' bold' if self.bold else ''}): {self.text[:40]!r}"
        )


def luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour with channels 0..1."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def _rgb(color: Any) -> tuple[float, float, float]:
    red, green, blue = color.to("srgb").coordinates
    return (red, green, blue)


def pairs(document: Any) -> list[Pair]:
    """Every distinct (colour, background, size, weight) of text in a laid-out WeasyPrint document."""
    found: dict[tuple, Pair] = {}
    for page in document.pages:
        for box, background in _text_boxes(page._page_box, (1.0, 1.0, 1.0)):
            style = box.style
            pair = Pair(
                box.text.strip(),
                _rgb(style["color"]),
                background,
                round(style["font_size"] / PX_PER_PT, 2),
                style["font_weight"] >= 700,
            )
            found.setdefault((pair.foreground, pair.background, pair.size_pt, pair.bold), pair)
    return list(found.values())


def failures(document: Any) -> list[Pair]:
    return [pair for pair in pairs(document) if pair.ratio < pair.required]


def _text_boxes(box: Any, background: tuple[float, float, float]) -> Iterator[tuple[Any, tuple[float, float, float]]]:
    box = getattr(box, "_box", box)  # an absolutely positioned box's placeholder
    style = getattr(box, "style", None)
    if style is not None and style["background_color"].alpha > 0:
        background = _rgb(style["background_color"])
    if type(box).__name__ == "TextBox":
        if box.text.strip() and style["visibility"] == "visible":
            yield box, background
        return
    for child in getattr(box, "children", ()):
        yield from _text_boxes(child, background)
