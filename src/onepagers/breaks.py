"""The words a laid-out sheet breaks at a line's end, and the rules they keep.

For the editor's listing (`onepagers check --hyphenation`: every break with
the file:line of its text) and for the test that holds the rules on every
sheet of every variant: no proper name broken, a paragraph's last word
whole, at most two hyphenated lines in a row, three letters a side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from . import fit, inline
from .hyphenation import names

HYPHEN = "\u2010"  # what sheet.css sets as the hyphenate character


@dataclass(frozen=True)
class Break:
    """A word the layout broke at a line's end."""

    page: int
    before: str  # the word's part on the first line, without the hyphen
    after: str  # its part on the next line
    paragraph: str  # the paragraph's text, as laid out, hyphens removed
    last_word: bool  # the paragraph's last word
    run: int  # hyphenated lines in a row, this one included

    @property
    def word(self) -> str:
        return self.before + self.after

    def shown(self) -> str:
        return f"{self.before}-{self.after}"


def line_breaks(pages: list[Any]) -> list[Break]:
    """Every hyphenated line end of a laid-out document, in reading order."""
    found: list[Break] = []
    for page_number, paragraph in _paragraphs(pages):
        texts = _texts(paragraph)
        plain = "".join(t[:-1] if t.endswith(HYPHEN) else t.rstrip() + " " for t in texts).strip()
        run = 0
        for i, text in enumerate(texts[:-1]):
            if not text.endswith(HYPHEN):
                run = 0
                continue
            run += 1
            before = re.split(r"[\s/]", text[:-1])[-1]
            following = texts[i + 1].lstrip()
            after = re.split(r"\s", following)[0] if following else ""
            last = i + 1 == len(texts) - 1 and following.strip() == after
            found.append(Break(page_number, _letters_end(before), after, plain, last, run))
    return found


def kept_apart(pages: list[Any]) -> list[tuple[int, str]]:
    """Every line end inside what `inline._KEEP` keeps together: (page, the
    two sides as 'Inger-/Marie')."""
    found = []
    for page_number, paragraph in _paragraphs(pages):
        found += [(page_number, shown) for shown in crossings(_texts(paragraph))]
    return found


DASHES = ("–", "—")


def crossings(lines: list[str]) -> list[str]:
    """The line ends of a paragraph's `lines` that fall inside an `inline._KEEP` match."""
    found = []
    for first, second in zip(lines, lines[1:]):
        first, second = first.rstrip(), second.lstrip()
        if first.endswith(HYPHEN):  # a word hyphenated: the rules of `rule_problems`
            continue
        joined = first + ("" if first.endswith("-") else " ") + second
        at = len(first)
        found += [f"{joined[m.start():at]}/{joined[at:m.end()].lstrip()}" for m in inline._KEEP.finditer(joined) if m.start() < at < m.end()]
        if second.startswith(DASHES):  # the space kept before a dash is the line's end itself
            found.append(f"{first.split()[-1] if first.split() else ''}/{second[0]}")
    return found


def _texts(paragraph: list[Any]) -> list[str]:
    """Each line's text, as laid out (hyphens at line ends included)."""
    return ["".join(t.text for t in fit._walk(line) if type(t).__name__ == "TextBox") for line in paragraph]


def _letters_end(part: str) -> str:
    """The word's part, without what opens it ("(", "’")."""
    return part.lstrip("(\"'’“”«»")


def _paragraphs(pages: list[Any]) -> Iterator[tuple[int, list[Any]]]:
    """The lines of each paragraph (one element's text) in order; a paragraph that
    runs on into the next column is one."""
    for number, _section, _heading, box in fit._sections(pages):
        order: dict[int, list[Any]] = {}
        for block in fit._unmarked(box):
            if type(block).__name__ in ("LineBox", "InlineBox", "TextBox"):
                continue
            if not any(type(c).__name__ == "LineBox" for c in getattr(block, "children", ()) or ()):
                continue
            lines = [c for c in block.children if type(c).__name__ == "LineBox" and fit._has_text(c)]
            order.setdefault(id(block.element), []).extend(lines)
        for lines in order.values():
            yield number, lines


def rule_problems(breaks: list[Break], name_list: list[str]) -> list[str]:
    """What in `breaks` a typographer would not accept."""
    problems = []
    lowered = [n.lower() for n in name_list]
    for b in breaks:
        if b.last_word:
            problems.append(f"'{b.shown()}' ends its paragraph on half a word")
        if b.run > 2:
            problems.append(f"'{b.shown()}' is the {b.run}th hyphenated line in a row")
        if len(b.before) < 3 or len(re.sub(r"\W", "", b.after)) < 3:
            problems.append(f"'{b.shown()}' leaves fewer than three letters on one side")
        if any(_inside(name, b) for name in lowered) or _looks_like_a_name(b):
            problems.append(f"'{b.shown()}' breaks a name")
    return problems


def _inside(name: str, b: Break) -> bool:
    """The break falls within the name's letters: a compound that holds a
    listed word ("kontaktcentermedarbej-dere") may still break outside it."""
    word, at = b.word.lower(), len(b.before)
    start = word.find(name)
    while start >= 0:
        if start < at < start + len(name):
            return True
        start = word.find(name, start + 1)
    return False


def _looks_like_a_name(b: Break) -> bool:
    """A capitalised word that does not open a sentence is a name."""
    if not b.before[:1].isupper():
        return False
    at = b.paragraph.find(b.word)
    before = b.paragraph[:at].rstrip()
    return at > 0 and not before.endswith((".", "?", "!", ":", "–"))


@dataclass(frozen=True)
class Located:
    """A break and where its text is kept: `data/themes/05-….yaml:23`."""

    sheet: str
    where: str
    line: int
    found: Break


def _key(text: str) -> str:
    """Letters and digits only: laid-out text and data text compare equal."""
    return re.sub(r"[\W_]", "", text).lower()


def sources(library: Any, number: int | None, variant: str) -> list[tuple[Any, tuple, str]]:
    """(source file, field path, plain text) of every text a sheet may show,
    the variant's own overlay first so that an overlaid text is found there."""
    from .inline import to_plain

    files = [library.series_source]
    if number is None:
        files.insert(0, library.introduction_source)
    else:
        files.insert(0, library.theme(number).source)
    out = []
    for source in files:
        if source is None:
            continue
        entries = [(loc, text) for loc, text in source.strings() if not loc or loc[-1] != "url"]
        own = [e for e in entries if len(e[0]) > 1 and e[0][0] == "variants" and e[0][1] == variant]
        out += [(source, loc, to_plain(text)) for loc, text in own + [e for e in entries if e not in own]]
    return out


def locate(breaks: list[Break], texts: list[tuple[Any, tuple, str]], sheet: str) -> list[Located]:
    from .diagnostics import display_path

    keyed = [(source, loc, _key(text)) for source, loc, text in texts]
    out = []
    for b in breaks:
        paragraph = _key(b.paragraph)
        hit = next(((s, loc) for s, loc, key in keyed if key and key == paragraph), None)
        hit = hit or next(((s, loc) for s, loc, key in keyed if len(key) > 20 and (key in paragraph or paragraph in key)), None)
        if hit is None:
            out.append(Located(sheet, "(templates)", 0, b))
        else:
            source, loc = hit
            out.append(Located(sheet, display_path(source.path), source.position(loc)[0], b))
    return out
