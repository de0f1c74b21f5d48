"""Find the data's text in the seeds (the text extracted from the published PDFs).

The extraction breaks lines anywhere: inside a word with a hyphen
("medarbej-\\ndere") or without ("med\\narbejderne"). So an item of the data is
turned into a pattern that allows such a break between any two of its letters,
while a space in the data must be white space in the seed and letters written
together in the data must stand together in the seed (on one line) — "fakta
ark" and "faktaark" stay different.
"""

from __future__ import annotations

import re
from pathlib import Path

SEEDS = Path(__file__).parent / "seeds"
SEED_FILES = {
    "001": "001_3034bcabd342c573.txt",  # first edition, all ten themes
    "000": "000_966c78cc387a1a16.txt",  # revised TEMA 1
    "002": "002_b6520cd307acdbef.txt",  # revised TEMA 6
    "004": "004_d321c074324c4c82.txt",  # public-sector TEMA 6 (Markdown)
    "003": "003_e55db94dc0538ccb.txt",  # introduction
}
_BREAK = r"(?:-?[ \t]*\n[ \t]*(?:\n[ \t]*)*)?"


def seed(key: str) -> str:
    text = (SEEDS / SEED_FILES[key]).read_text(encoding="utf-8")
    # Markdown links without an address in 004 read "(link)" in print.
    return text.replace("[link](#)", "link")


def theme_segments(text: str) -> list[str]:
    """001 holds ten sheets, each beginning with its lead "Til jer, der vil …"."""
    starts = [m.start() for m in re.finditer(r"Til jer, der vil", text)]
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


def pattern(item: str) -> re.Pattern[str]:
    parts = []
    words = item.split()
    for w, word in enumerate(words):
        parts.append(_BREAK.join(re.escape(ch) for ch in word))
        if w < len(words) - 1:
            parts.append(r"\s+")
    return re.compile("".join(parts))


class Segment:
    """A seed text from which matched items are blanked out, to see what is left."""

    def __init__(self, text: str) -> None:
        self.text = text

    def take(self, item: str, after: int = 0) -> int | None:
        """Blank out the first occurrence of `item` at or after `after`; its position, or None."""
        match = pattern(item).search(self.text, after)
        if match is None:
            return None
        self.text = self.text[: match.start()] + " " * (match.end() - match.start()) + self.text[match.end() :]
        return match.start()

    def residue(self, ignore: str = "•\u2022") -> str:
        rest = "".join(ch for ch in self.text if ch not in ignore)
        return " ".join(rest.split())
