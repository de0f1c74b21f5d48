"""Danish hyphenation with the typographer's corrections.

Pyphen's Danish patterns break some compounds where no typographer would
("me-darbejdere", "miljøor-ganisationen"). `templates/hyphenation.txt` lists
word parts with every break they allow; each becomes a pattern whose levels
(9: break, 8: no break) outrank anything in the stock patterns, so the listed
breaks, and only those, are used wherever the part occurs, compounds included.
"""

from __future__ import annotations

from pathlib import Path

import pyphen


def read_exceptions(path: Path) -> list[str]:
    if not path.is_file():
        return []
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(line.lower())
    return words


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
