"""The mend in linebreak.py: a line that fits but for its trailing space is
not broken early (WeasyPrint 70 hyphenated TEMA 5's first finding as
"I et kunde- eller callcen-", 44.5 of 80 mm)."""

from __future__ import annotations

import pytest
import weasyprint

from onepagers import fit, linebreak, pdf  # noqa: F401  (importing pdf installs the mend)

WORDS = "I et kunde- eller callcenter kan alting måles."


FONT = "@font-face { font-family: L; src: url(Lato-Regular.ttf); }"


def _line_boxes(project, style: str, body: str) -> list:
    """The line boxes of one paragraph set in Lato, in the sheets' language."""
    html = f'<html lang="da"><style>{FONT} p {{ font: 12pt L; margin: 0; {style} }}</style><p>{body}</p>'
    page = weasyprint.HTML(string=html, base_url=str(project.fonts) + "/").render().pages[0]
    return [box for box in fit._walk(page._page_box) if type(box).__name__ == "LineBox"]


def _lines(project, width_px: float) -> list[str]:
    """The paragraph's lines as laid out `width_px` wide."""
    style = f"hyphens: auto; hyphenate-limit-chars: 6 3 3; hyphenate-limit-zone: 12%; width: {width_px}px;"
    body = "<span>I et</span> kunde- eller callcenter kan alting måles. <span>I nogle</span> kundecentre"
    return [fit._line_text(line) for line in _line_boxes(project, style, body)]


@pytest.fixture
def exact_width(project) -> float:
    """The width of WORDS alone on a line: the measure they just fit. With the
    sheets' hyphenation (the corrections installed, as any render installs
    them), whichever test ran before."""
    from onepagers import hyphenation

    hyphenation.install(project.templates / "hyphenation.txt", "da")
    (line,) = _line_boxes(project, "width: max-content;", WORDS)
    return line.width


def test_a_line_that_fits_but_for_its_trailing_space_is_not_broken_early(project, exact_width):
    lines = _lines(project, exact_width + 0.5)
    assert lines[0].rstrip() == WORDS, lines


def test_without_the_mend_weasyprint_breaks_it_early(project, exact_width, monkeypatch):
    """The mend is what keeps the line whole: WeasyPrint's own function, put back, breaks it."""
    import weasyprint.layout.inline as inline

    monkeypatch.setattr(inline, "split_first_line", linebreak._weasyprint_split)
    lines = _lines(project, exact_width + 0.5)
    assert lines[0].rstrip() != WORDS and lines[0].endswith("\u2010"), lines


def test_a_line_too_long_by_more_than_its_space_still_breaks(project, exact_width):
    lines = _lines(project, exact_width - 0.5)
    assert lines[0].rstrip() != WORDS and len(lines) >= 2, lines
