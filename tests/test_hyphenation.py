"""Danish hyphenation with the typographer's corrections in templates/hyphenation.txt."""

from __future__ import annotations

import pytest

from onepagers import hyphenation


@pytest.fixture(scope="module")
def dictionary(project):
    return hyphenation.install(project.templates / "hyphenation.txt", "da")


@pytest.mark.parametrize(
    ("word", "bad"),
    [
        ("medarbejdere", "me-d"),
        ("arbejdsmiljøorganisationen", "miljøor-ga"),
        ("callcentermedarbejdere", "cal-l"),
        ("konflikthåndtering", "flik-t"),
    ],
)
def test_pyphens_bad_breaks_are_gone(dictionary, word, bad):
    assert bad not in dictionary.inserted(word)


def test_every_listed_part_breaks_only_where_listed(project, dictionary):
    for part in hyphenation.read_exceptions(project.templates / "hyphenation.txt"):
        letters = part.replace("-", "")
        allowed = {sum(len(p) for p in part.split("-")[: i + 1]) for i in range(part.count("-"))}
        found = set(dictionary.positions(letters))
        assert found <= allowed, f"{letters}: breaks at {sorted(found)}, allowed {sorted(allowed)}"


def test_the_listed_parts_also_govern_compounds(dictionary):
    assert dictionary.inserted("kundeservicemedarbejdere").endswith("med-ar-bej-dere")
