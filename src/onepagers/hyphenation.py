"""Danish hyphenation with the typographer's corrections.

Pyphen's Danish patterns break some compounds where no typographer would
("me-darbejdere", "miljøor-ganisationen"). `templates/hyphenation.txt` lists
word parts with every break they allow; each becomes a pattern whose levels
(9: break, 8: no break) outrank anything in the stock patterns, so the listed
breaks, and only those, are used wherever the part occurs, compounds included.
A part listed without a hyphen is never broken; a proper name is listed so,
with its capital ("Mathiesen").

`line_breaks` reads the breaks back off a laid-out sheet, for the editor's
listing (`check --hyphenation`) and for the test that holds the rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pyphen
from markupsafe import Markup


def _entries(path: Path) -> list[str]:
    """The file's lines without comments and blank lines."""
    if not path.is_file():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def read_exceptions(path: Path) -> list[str]:
    return [entry.lower() for entry in _entries(path)]


def patterns(words: list[str]) -> dict[str, tuple[int, tuple[int, ...]]]:
    """Pyphen's internal pattern form: letters -> (offset, levels between letters)."""
    out = {}
    for word in words:
        letters = word.replace("-", "")
        levels = []
        for part in word.split("-")[:-1]:
            levels += [8] * (len(part) - 1) + [9]
        levels += [8] * (len(word.split("-")[-1]) - 1)
        out[letters] = (1, tuple(levels))
    return out


def install(exceptions_file: Path, language: str) -> pyphen.Pyphen:
    """Make `lang=<language>` hyphenate with the corrections, for every later layout."""
    path = pyphen.LANGUAGES[pyphen.language_fallback(language)]
    hd = pyphen.HyphDict(path)
    hd.patterns.update(patterns(read_exceptions(exceptions_file)))
    hd.maxlen = max(len(key) for key in hd.patterns)
    pyphen.hdcache[path] = hd
    return pyphen.Pyphen(lang=language, left=3, right=3)


def names(path: Path) -> list[str]:
    """The proper names the file lists (written with a capital): never broken."""
    return [entry for entry in _entries(path) if entry[:1].isupper()]


# The last word of a paragraph is kept whole: a paragraph that ends on the
# second half of a word ("min-/dre.") reads as a slip. The template wraps it
# in a span that only breaks where the text says so. The span holds the space
# before the word too: with the break opportunity outside it, WeasyPrint 70
# broke such a line at its first opportunity instead of its last, leaving one
# word alone on a line (fit.apart now fails a sheet that shows this).
_LAST_WORD = re.compile(r"(\s[^\s<>]+)((?:\s*</[a-z]+>)*\s*)$")


def whole_last_word(html: Markup | str) -> Markup:
    """`…og<span class="whole"> mindre.</span>` for `…og mindre.` (markup kept)."""
    text = str(html)
    match = _LAST_WORD.search(text)
    if not match:
        return Markup(text)
    return Markup(text[: match.start()] + '<span class="whole">' + match.group(1) + "</span>" + match.group(2))


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
    from . import fit

    found: list[Break] = []
    for page_number, paragraph in _paragraphs(pages, fit):
        texts = ["".join(t.text for t in fit._walk(line) if type(t).__name__ == "TextBox") for line in paragraph]
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


def _letters_end(part: str) -> str:
    """The word's part, without what opens it ("(", "’")."""
    return part.lstrip("(\"'’“”«»")


def _paragraphs(pages: list[Any], fit: Any) -> Iterator[tuple[int, list[Any]]]:
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
        if any(name in b.word.lower() for name in lowered) or _looks_like_a_name(b):
            problems.append(f"'{b.shown()}' breaks a name")
    return problems


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


def listing(library: Any, project: Any, jobs: list[Any]) -> list[Located]:
    """Lay out every job's sheet and list its breaks with file:line."""
    from .html import html_for
    from .pdf import Renderer

    renderers: dict[str, Any] = {}
    found: list[Located] = []
    try:
        for job in jobs:
            renderer = renderers.get(job.profile.name) or renderers.setdefault(job.profile.name, Renderer(project, job.profile, library.series.language))
            document, _ = renderer.layout(html_for(library, project, job))
            found += locate(line_breaks(document.pages), sources(library, job.theme, job.variant), job.name)
    finally:
        for renderer in renderers.values():
            renderer.close()
    return found


def report(library: Any, project: Any, themes: list[int] | None = None) -> tuple[list[str], int]:
    """The lines of `check --hyphenation`, one per break of every sheet of every
    variant (`file:line: sheet, page: kunde-kald`), rule breaches marked
    `error:`; and how many breaches."""
    from .plan import Selection, plan

    jobs = plan(library, Path("."), Selection(themes=tuple(themes or ()), everything=themes is None, every_variant=True))
    name_list = names(project.templates / "hyphenation.txt")
    out, errors = [], 0
    for located in listing(library, project, jobs):
        where = f"{located.where}:{located.line}" if located.line else located.where
        problems = rule_problems([located.found], name_list)
        errors += len(problems)
        head = f"{where}: {located.sheet}, page {located.found.page}: {located.found.shown()}"
        out.append(head if not problems else f"{head}: error: " + "; ".join(problems))
    return out, errors
