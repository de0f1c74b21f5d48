"""Danish hyphenation with the typographer's corrections.

Pyphen's Danish patterns break some compounds where no typographer would
("me-darbejdere", "miljøor-ganisationen"). `templates/hyphenation.txt` lists
word parts with every break they allow; each becomes a pattern whose levels
(9: break, 8: no break) outrank anything in the stock patterns, so the listed
breaks, and only those, are used wherever the part occurs, compounds included.
A part listed without a hyphen is never broken; a proper name is listed so,
with its capital ("Mathiesen"). `breaks.py` reads the breaks back off a
laid-out sheet and holds them to the rules.
"""

from __future__ import annotations

import re
from pathlib import Path

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


# No word of the language is longer (the data's longest has 29 letters; the
# data refuses runs beyond model.MAX_WORD). WeasyPrint lays a line out again
# for every break it is offered in a word that does not fit, so a longer
# "word" (a pasted hash, a missing space) costs time with the square of its
# length: it is offered none, and left to overflow where the layout shows it.
MAX_HYPHENATED = 64


class _BoundedHyphDict(pyphen.HyphDict):
    """Pyphen's patterns, offering no break in a word longer than MAX_HYPHENATED."""

    def positions(self, word: str) -> list[pyphen.DataInt]:
        if len(word) > MAX_HYPHENATED:
            return []
        return super().positions(word)


def install(exceptions_file: Path, language: str) -> pyphen.Pyphen:
    """Make `lang=<language>` hyphenate with the corrections, for every later layout."""
    path = pyphen.LANGUAGES[pyphen.language_fallback(language)]
    hd = _BoundedHyphDict(path)
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
