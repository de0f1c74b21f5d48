"""A mend for one line-breaking mistake of WeasyPrint 70: a line that fits
but for the space after its last word is broken early, at the first word it
may hyphenate.

WeasyPrint measures a text's first line with its trailing space. A text box
that ends in a space (the text between two inline elements, "... måles. "
before `<span class="keep">I nogle</span>`) and fits the line to within that
space is taken for a line too long to break anywhere; WeasyPrint then
hyphenates its first long word, and the line ends far short of the measure:
TEMA 5's "I et kunde- eller callcen-" filled 44.5 of 80 mm. A line's trailing
space is never printed (CSS Text 3, 4.1.3), so such a text fits.

`split_first_line` wraps WeasyPrint's own: where WeasyPrint breaks a text
that ends in a space, the text without that space is measured alone, and if
it fits, it is laid out whole, as WeasyPrint lays out any text that fits.
"""

from __future__ import annotations

from typing import Any

import weasyprint.layout.inline as _inline
import weasyprint.text.line_break as _line_break

_weasyprint_split = _line_break.split_first_line

# As WeasyPrint's own first guess: no letter is narrower than a quarter of
# the font's size, so a text longer than this many letters per font size of
# width cannot fit, and is not measured again.
_LETTERS_PER_EM = 4


def split_first_line(text: str, style: Any, context: Any, max_width: float | None, justification_spacing: float,
                     is_line_start: bool = True, minimum: bool = False) -> tuple:
    result = _weasyprint_split(text, style, context, max_width, justification_spacing, is_line_start, minimum)
    resume_index = result[2]
    if resume_index is None or max_width is None or minimum or not text.endswith(" "):
        return result
    if style["white_space"] not in ("normal", "pre-line"):  # only where trailing spaces collapse and lines wrap
        return result
    words = text.rstrip(" ")
    if not words or "\n" in words or len(words) > _LETTERS_PER_EM * max_width / max(style["font_size"], 1):
        return result
    alone = _weasyprint_split(words, style, context, None, justification_spacing, is_line_start, minimum)
    if alone[3] > max_width:
        return result
    return _weasyprint_split(text, style, context, None, justification_spacing, is_line_start, minimum)


def install() -> None:
    """Put the mend where WeasyPrint's inline layout calls it (it imported the
    function by name), once."""
    _line_break.split_first_line = split_first_line
    _inline.split_first_line = split_first_line
