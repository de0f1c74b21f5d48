"""The typed content model: what a series file, a theme file and the introduction may say.

Validation is strict: unknown keys are refused (a typo such as `sporg_jer_selv`
must not silently drop a section), numbers are not accepted for text and text
is not accepted for numbers.
"""

from __future__ import annotations

import builtins
import re
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, model_validator

from . import inline

SECTIONS = ("actions", "questions", "cases", "findings", "references")
TEXT_SECTIONS = ("actions", "questions", "cases", "findings")
# Editors think in the sheet's Danish headings; a key typed after one of them
# is pointed to the field it means ("sporg_jer_selv" -> questions).
KEY_HINTS = {
    "hvad_kan_i_gore": "actions",
    "handlinger": "actions",
    "sporg_jer_selv": "questions",
    "sporgsmal": "questions",
    "sadan_gjorde_de": "cases",
    "sadan_har_de_gjort": "cases",
    "eksempler": "cases",
    "forskning": "findings",
    "forskning_og_undersogelser_viser": "findings",
    "henvisninger": "references",
    "titel": "title",
    "tema": "title",
    "nummer": "number",
    "indledning": "lead",
}
VARIANT_NAME = re.compile(r"^(?P<sector>[a-zæøå]+)@(?P<edition>[1-9][0-9]*)$")


# More than a column holds: such text cannot fit a sheet, and WeasyPrint's line
# breaking grows faster than linearly with a paragraph's length.
MAX_TEXT = 1500
# More letters and digits than a column's line holds, with no space or hyphen
# between them: no word of the language is so long (the data's longest has
# 29), and laying one out tries every break the hyphenation rules find in it.
MAX_WORD = 60
# A run a line may not break inside: anything but white space, hyphens, dashes,
# slashes and the zero-width space (a soft hyphen joins, and is tried too).
_UNBROKEN = re.compile(r"[^\s\-\u2010-\u2015/\u200b]+")


def _long_word(text: str) -> str | None:
    for run in _UNBROKEN.findall(text):
        letters = sum(ch.isalnum() for ch in run)
        if letters > MAX_WORD:
            shown = run if len(run) <= 30 else f"{run[:12]}…{run[-12:]}"
            return (f"'{shown}' is a word of {letters} letters and digits with no space or hyphen in it; "
                    f"no line holds more than {MAX_WORD}: is a space missing?")
    return None


# The invisible marks that make text read in another order than it is typed
# (and so hide what it says): Danish text needs none of them.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _check_text(value: str) -> str:
    if len(value) > MAX_TEXT:
        raise ValueError(f"text is {len(value)} characters long; no sheet holds more than {MAX_TEXT} in one item: shorten or split it")
    if not value.strip():
        raise ValueError("text is empty")
    if value != value.strip():
        raise ValueError("text starts or ends with white space")
    for ch in value:
        if unicodedata.category(ch) == "Cc":
            raise ValueError(f"text contains the control character U+{ord(ch):04X}")
        if unicodedata.category(ch) in ("Zl", "Zp"):
            raise ValueError(f"text contains {inline._named(ch)}, an invisible line break: a sheet breaks its own lines "
                             "(a new item or paragraph is a new entry in the list)")
        if ch in BIDI_CONTROLS:
            raise ValueError(f"text contains {inline._named(ch)}, an invisible control that reorders the text around it: delete it")
    for problem in inline.link_problems(value):
        raise ValueError(problem)
    for problem in inline.markup_problems(value):
        raise ValueError(problem)
    if problem := inline.visibility_problem(value):
        raise ValueError(problem)
    if problem := _long_word(inline.to_plain(value)):
        raise ValueError(problem)
    return value


def _check_url(value: str) -> str:
    if problem := inline.url_problem(value):
        raise ValueError(problem)
    return value


# A sheet's QR code holds the web pages' address and the page's own name (40
# characters or so). Printed 2 cm square, a phone reads it up to QR version 6,
# 106 characters at the error correction used (html.qr_code).
MAX_WEB_PAGES = 60


def _check_web_pages(value: str) -> str:
    if len(value) > MAX_WEB_PAGES:
        raise ValueError(f"the address is {len(value)} characters long; the sheets' QR codes hold one of at most {MAX_WEB_PAGES}, "
                         "and a sheet's page name after it")
    return value


def _check_language(value: str) -> str:
    import pyphen

    if pyphen.language_fallback(value) is None:
        raise ValueError(f"there are no hyphenation rules for the language '{value}'; languages with rules: da, de, en, nb, sv, …")
    return value


Text = Annotated[str, AfterValidator(_check_text)]


def _check_plain(value: str) -> str:
    if any(span.bold or span.url is not None for span in inline.parse(value)):
        raise ValueError("this is printed as typed (a label, a heading, a name): '**' or a [link](…) would print "
                         "its characters; write the words alone")
    return value


# Text set as typed, never through the markup: labels, headings, names.
Plain = Annotated[Text, AfterValidator(_check_plain)]
Url = Annotated[str, AfterValidator(_check_url)]
TextList = Annotated[list[Text], Field(min_length=1)]
# An overlay either replaces a whole section (a list) or single items ({3: "…"}).
ItemPatch = dict[Annotated[int, Field(ge=1)], Text]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Reference(Strict):
    text: Text
    url: Url | None = None
    theme: Annotated[int, Field(ge=1)] | None = None


class Headings(Strict):
    actions: Plain
    questions: Plain
    cases: Plain
    findings: Plain
    references: Plain


class HeadingOverrides(Strict):
    actions: Plain | None = None
    questions: Plain | None = None
    cases: Plain | None = None
    findings: Plain | None = None
    references: Plain | None = None


class Overlay(Strict):
    """How one variant words a theme differently from its base variant."""

    title: Text | None = None
    lead: Text | None = None
    actions: TextList | ItemPatch | None = None
    questions: TextList | ItemPatch | None = None
    cases: TextList | ItemPatch | None = None
    findings: TextList | ItemPatch | None = None
    references: list[Reference] | None = None
    quote: Text | None = None
    headings: HeadingOverrides = HeadingOverrides()


class Theme(Strict):
    number: Annotated[int, Field(ge=1)]
    title: Text
    lead: Text
    actions: TextList
    questions: TextList
    cases: TextList
    findings: TextList
    references: list[Reference] = []
    # A pull quote, only where a source marks one: a sentence of this theme's
    # cases, word for word (`variants.resolve` holds it to that).
    quote: Text | None = None
    headings: HeadingOverrides = HeadingOverrides()
    variants: dict[str, Overlay] = {}


class Wording(Strict):
    number_label: Plain
    theme_label: Plain
    headings: Headings
    footer: Text
    partnership: Text
    author: Plain
    # The colophon's publisher, printed on page 2 (None: no colophon line).
    publisher: Plain | None = None


class WordingOverrides(Strict):
    number_label: Plain | None = None
    theme_label: Plain | None = None
    headings: HeadingOverrides = HeadingOverrides()
    footer: Text | None = None
    partnership: Text | None = None
    author: Plain | None = None
    publisher: Plain | None = None


class SeriesInfo(Strict):
    name: Plain
    themes: Annotated[int, Field(ge=1, le=99)]
    titles: dict[Annotated[int, Field(ge=1)], Text] = {}
    # A series with no introduction of its own to quote on its sheets: page 2
    # lists its themes under its name where the sheet's text leaves room, so
    # that a reader of one sheet finds the others.
    themes_on_sheets: bool = False


class VariantSpec(Strict):
    series: str
    edition: Annotated[int, Field(ge=1)]
    label: Plain
    base: str | None = None
    own_text_only: bool = False
    # The edition's date as the colophon prints it; only if a source gives one.
    date: Plain | None = None
    wording: WordingOverrides = WordingOverrides()


def _check_file_word(value: str) -> str:
    # A leading "-" would make a file name that a shell command reads as an
    # option (`-rf-04-tidspres.pdf`).
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", value):
        raise ValueError(f"'{value}' cannot begin a file name: use small letters a-z, digits and '-' only "
                         "(no capitals, spaces or 'æøå'), beginning with a letter or digit, at most 40 characters")
    return value


FileWord = Annotated[str, AfterValidator(_check_file_word)]


class FileNames(Strict):
    """The first word of output file names (ASCII: they end up in URLs)."""

    theme: FileWord
    introduction: FileWord
    booklet: FileWord


class SeriesFile(Strict):
    # The language of the text: the documents' `lang`, and the hyphenation
    # dictionary WeasyPrint uses for it.
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$"), AfterValidator(_check_language)]
    file_names: FileNames
    series: dict[str, SeriesInfo]
    wording: Wording
    variants: Annotated[dict[str, VariantSpec], Field(min_length=1)]
    # How a reference names another theme, "{number}" and "{title}" or
    # "{title_lower}" filled from that theme: `check` finds such mentions
    # typed by hand and compares them with the theme they point at.
    theme_reference: Annotated[str, Field(pattern=r"\{number\}")] | None = None
    # Where the web pages (`--profile web`) are published, laid out as in
    # build/: a sheet's colophon carries a QR code to its own page. None: no code.
    web_pages: Annotated[Url, AfterValidator(_check_web_pages)] | None = None


class Block(Strict):
    """One block of the introduction: exactly one of these keys."""

    paragraph: Text | None = None
    heading: Text | None = None
    list: TextList | None = None
    themes: str | None = None
    # `builtins.list`: the field `list` above shadows the name inside the class.
    references: builtins.list[Reference] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Block:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            names = ", ".join(type(self).model_fields)
            raise ValueError(f"a block holds exactly one of: {names}")
        return self

    @property
    def kind(self) -> Literal["paragraph", "heading", "list", "themes", "references"]:
        return next(n for n in type(self).model_fields if getattr(self, n) is not None)  # type: ignore[return-value]


class Introduction(Strict):
    series: str
    title: Text
    blocks: Annotated[list[Block], Field(min_length=1)]
    # The heading of the section (up to the next heading) that a theme sheet
    # of the series carries on page 2, where its own text leaves the room.
    on_theme_sheets: Plain | None = None


# `cases[2]`, `lead`: the field of a sheet that a correction is about.
# A field path as the file says it: `cases[2]`, `headings.cases`, and in
# series.yaml or the introduction `wording.headings.cases`, `blocks[14].paragraph`.
CORRECTED_FIELD = re.compile(r"^[a-z_]+(\[[1-9][0-9]*\])?(\.[a-z_]+(@[1-9][0-9]*)?(\[[1-9][0-9]*\])?)*$")


def _check_corrected_field(value: str) -> str:
    if not CORRECTED_FIELD.match(value):
        raise ValueError(f"'{value}' is not a field: write e.g. lead, cases[2] or headings.cases")
    return value


def _corrected_file(value: object) -> int | str | None:
    if value is None or value == "introduction" or (type(value) is int and value >= 1):
        return value  # type: ignore[return-value]
    raise ValueError("must be a theme's number, 'introduction', or left out (the series' wording)")


# Where a correction stands: a theme's number, the series' wording (null) or
# the introduction. One check, not a union: pydantic would say what is wrong
# against each of the three.
CorrectedFile = Annotated[int | str | None, PlainValidator(_corrected_file)]
SHEET_FIELDS = ("title", "lead", *SECTIONS, "headings")


def _field_of_a_sheet(theme: object, field: str) -> None:
    """In a theme file a correction names one of a sheet's fields."""
    if isinstance(theme, int) and re.split(r"[.\[]", field)[0] not in SHEET_FIELDS:
        raise ValueError(f"'{field}' is not a field of a sheet: write e.g. lead, cases[2] or headings.cases")


class Correction(Strict):
    """A place where the data deliberately differs from the published sheet."""

    theme: CorrectedFile
    variant: str
    field: Annotated[str, AfterValidator(_check_corrected_field)]
    published: Annotated[str, Field(min_length=1)]
    data: str  # empty: the data leaves the published text out
    reason: Text
    only: bool = False  # of this variant alone, not of the variants built on it

    @model_validator(mode="after")
    def _sheet_field(self) -> Correction:
        _field_of_a_sheet(self.theme, self.field)
        return self


class Query(Strict):
    """Published wording that looks like a slip, kept as published: the editor's call."""

    theme: CorrectedFile
    variant: str
    field: Annotated[str, AfterValidator(_check_corrected_field)]
    published: Annotated[str, Field(min_length=1)]
    note: Text

    @model_validator(mode="after")
    def _sheet_field(self) -> Query:
        _field_of_a_sheet(self.theme, self.field)
        return self


class Corrections(Strict):
    corrections: builtins.list[Correction] = []
    queries: builtins.list[Query] = []
