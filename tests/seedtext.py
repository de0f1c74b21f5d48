"""The published texts (tests/seeds/), read as `onepagers check` reads them
(onepagers.published): the tests name them by their short keys."""

from __future__ import annotations

from pathlib import Path

from onepagers.published import Segment, _NO_ADDRESS_LINK, pattern  # noqa: F401  (the tests' names for them)

SEEDS = Path(__file__).parent / "seeds"
SEED_FILES = {
    "001": "001_3034bcabd342c573.txt",  # first edition, all ten themes
    "000": "000_966c78cc387a1a16.txt",  # revised TEMA 1
    "002": "002_b6520cd307acdbef.txt",  # revised TEMA 6
    "004": "004_d321c074324c4c82.txt",  # public-sector TEMA 6 (Markdown)
    "003": "003_e55db94dc0538ccb.txt",  # introduction
}


def seed(key: str) -> str:
    return _NO_ADDRESS_LINK.sub(r"\1", (SEEDS / SEED_FILES[key]).read_text(encoding="utf-8"))
