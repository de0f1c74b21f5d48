"""Output profiles: what each kind of output asks of the pipeline.

This registry is the one place that knows the profiles. Code asks an entry for
what it needs (its PDF variant, its stylesheets, whether links are live, the
file suffix) and never compares a profile's name; adding a profile is one
entry here and, usually, one stylesheet under templates/.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Profile:
    name: str
    help: str  # for `--profile`'s help and the docs
    pdf_variant: str | None  # what WeasyPrint is asked to conform to
    stylesheets: tuple[str, ...]  # under templates/, in cascade order
    live_links: bool  # clickable links; PDF/X wants no annotations on the printed area
    marks: bool  # crop marks around the trim
    suffix: str  # before the extension: `…-privat-2-print.pdf`
    extension: str = ".pdf"


SCREEN = Profile(
    name="screen",
    help="tagged, accessible PDF (PDF/UA-1) for download and screen",
    pdf_variant="pdf/ua-1",
    stylesheets=("palette.css", "sheet.css"),
    live_links=True,
    marks=False,
    suffix="",
)
PRINT = Profile(
    name="print",
    help="PDF/X-4 for the print shop: CMYK, 3 mm bleed, crop marks in a slug outside it",
    pdf_variant="pdf/x-4",
    stylesheets=("palette.css", "sheet.css", "print.css"),
    live_links=False,
    marks=True,
    suffix="-print",
)

PRINT_NOMARKS = replace(
    PRINT,
    name="print-nomarks",
    help="the print PDF without crop marks and slug, for shops whose imposition adds its own",
    marks=False,
    suffix="-print-nomarks",
)

# Not a PDF (no pdf_variant): the sheet as one accessible HTML page beside its
# PDFs, made by `web.py` from the same resolved text; its stylesheets are inlined.
WEB = Profile(
    name="web",
    help="an accessible web page per sheet, beside its PDFs (HTML, no script)",
    pdf_variant=None,
    stylesheets=("palette.css", "web.css"),
    live_links=True,
    marks=False,
    suffix="",
    extension=".html",
)

PROFILES: dict[str, Profile] = {p.name: p for p in (SCREEN, PRINT, PRINT_NOMARKS, WEB)}
DEFAULT = SCREEN


def get(name: str) -> Profile:
    """The profile called `name`; a `SelectionError` listing the profiles if there is none."""
    from .diagnostics import SelectionError

    try:
        return PROFILES[name]
    except KeyError:
        raise SelectionError(f"there is no profile '{name}'", choices=tuple(PROFILES)) from None
