"""Danish hyphenation with the typographer's corrections in templates/hyphenation.txt."""

from __future__ import annotations

import re

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


# The rules on the laid-out sheets (issue 12): every sheet of every variant.

from onepagers.plan import Selection, plan  # noqa: E402
from onepagers import breaks, breaks_report  # noqa: E402
from onepagers.breaks import Break, rule_problems  # noqa: E402
from onepagers.hyphenation import whole_last_word  # noqa: E402


@pytest.fixture(scope="module")
def every_break(library, every_laid_out):
    found = [
        located
        for job, pages in every_laid_out
        for located in breaks.locate(breaks.line_breaks(pages), breaks.sources(library, job.theme, job.variant), f"{job.name} {job.profile.name}")
    ]
    assert {located.sheet for located in found} >= {f"{job.name} {job.profile.name}" for job, _ in every_laid_out if job.theme is not None}
    return found


def test_every_sheet_keeps_the_hyphenation_rules(project, every_break):
    names = hyphenation.names(project.templates / "hyphenation.txt")
    problems = [
        f"{located.where}:{located.line} {located.sheet}: {problem}"
        for located in every_break
        for problem in rule_problems([located.found], names)
    ]
    assert problems == []


@pytest.mark.parametrize("bad", ["storrum-skontorer", "persona-leomsætningen", "kun-de", "Mat-hiesen", "Niel-sen", "Flemm-ing", "Assi-stance", "Kontaktcen-ter", "Kundecen-ter"])
def test_none_of_the_wrong_breaks_of_the_issue(every_break, bad):
    assert not [b.found.shown() for b in every_break if b.found.shown().lower().startswith(bad.lower())]


def test_the_compounds_break_at_their_joint(dictionary):
    assert dictionary.inserted("storrumskontorer").startswith("storrums-")
    assert dictionary.inserted("personaleomsætningen").startswith("personale-")
    assert dictionary.inserted("kundekald") == "kunde-kald"


def test_every_break_names_the_line_of_its_text(every_break):
    unplaced = [(b.sheet, b.found.shown()) for b in every_break if not b.line]
    assert unplaced == []


def _break(before="kunde", after="kald", paragraph="kundekald og mere", last=False, run=1) -> Break:
    return Break(1, before, after, paragraph, last, run)


@pytest.mark.parametrize(
    ("found", "problem"),
    [
        (_break(), None),
        (_break(last=True), "ends its paragraph on half a word"),
        (_break(run=3), "3th hyphenated line in a row"),
        (_break(before="ku", after="ndekald"), "fewer than three letters"),
        (_break(before="Mat", after="hiesen,", paragraph="Karin Mathiesen, Inge"), "breaks a name"),
        (_break(before="Niel", after="sen", paragraph="Tina Weller Nielsen"), "breaks a name"),  # listed
    ],
)
def test_each_rule_sees_its_breach(found, problem):
    problems = rule_problems([found], ["Nielsen"])
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_a_capitalised_word_opening_a_sentence_is_no_name():
    assert rule_problems([_break("Medar", "bejderne", "God ledelse. Medarbejderne trives")], []) == []


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("kunder og mindre.", 'kunder og<span class="whole"> mindre.</span>'),
        ("se <strong>Global Falck</strong>", 'se <strong>Global<span class="whole"> Falck</span></strong>'),
        ('se <a href="https://x.dk/a">et link</a>', 'se <a href="https://x.dk/a">et<span class="whole"> link</span></a>'),
        ("Henvisninger", "Henvisninger"),  # one word: nothing to keep apart from
        ("", ""),
    ],
)
def test_the_last_word_of_a_paragraph_is_kept_whole(html, expected):
    assert str(whole_last_word(html)) == expected


def test_a_story_run_on_keeps_the_last_word_of_each_piece_whole(library, project):
    """The piece that ends a column is a paragraph to the reader there: its
    last word is not broken either (TEMA 1's panel layout ended a piece on
    "virksomhe-dens", its last line half a word)."""
    from onepagers.compose import Layout
    from onepagers.html import html_for

    (job,) = plan(library, project.root / "unused", Selection(themes=(1,), edition=1))
    html = html_for(library, project, job)
    run_on = html.remake(layout=Layout(placement=12, step=3, splits=(6, 3), carries=(None, 39)))
    pieces = re.findall(r'<p data-unit(?:-rest)?="cases:\d+"[^>]*>(.*?)</p>', run_on)
    assert len(pieces) > len(html.sheet.cases)  # a story in two pieces
    assert all(piece.endswith("</span>") and '<span class="whole">' in piece for piece in pieces), pieces


def test_without_the_listed_names_the_introduction_breaks_one(project, library, tmp_path):
    """The rules see a name broken on a real sheet: the exceptions file without its names."""
    from conftest import copy_project

    sandbox = copy_project(project, tmp_path, ("templates", "fonts"))
    exceptions = sandbox.templates / "hyphenation.txt"
    names = hyphenation.names(exceptions)
    exceptions.write_text("\n".join(line for line in exceptions.read_text(encoding="utf-8").splitlines() if line.strip() not in names), encoding="utf-8")
    jobs = [job for job in plan(library, tmp_path / "out", Selection(everything=True)) if job.theme is None]
    try:
        found = breaks_report.listing(library, sandbox, jobs)
    finally:
        hyphenation.install(project.templates / "hyphenation.txt", library.series.language)
    assert any("breaks a name" in p for b in found for p in rule_problems([b.found], names))


# No line ends inside a double first name, a name with an initial, a number
# and what it counts, or after a word of one letter (inline._KEEP: a span
# that does not wrap).


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Karin Mathiesen og Inger-Marie Wiegman", ["Inger-Marie"]),
        ("Ole H. Sørensen, Pia Bramming", ["Ole H. Sørensen"]),
        ("Hvad kan I gøre?", ["I gøre"]),
        ("at arbejde i arbejdsmiljøet", []),  # more than twelve letters: free to hyphenate
        ("kunde- og callcentre, i call-centre", []),  # a compound after the letter
        ("måles på op til 40 KPI’er", ["40 KPI’er"]),
        ("AMICA-projektet, marts 2006.", []),  # a compound; a year ending the sentence
        ("Under 5 < 7", []),  # a number before a sign
        ("2 arbejdsmiljøproblemstillinger", []),  # too long to keep: it must be free to hyphenate
        # A line never begins with a dash; the word before it stays free to hyphenate.
        ("medarbejdernes – og supervisors – kompetencer", [" –", " –"]),
        ("– og en replik", []),  # a dash that opens the text has no space before it to keep
    ],
)
def test_what_is_kept_together_is_set_in_a_span_that_does_not_wrap(text, kept):
    from onepagers.inline import to_html

    assert re.findall(r'<span class="keep">(.*?)</span>', str(to_html(text))) == kept
    assert to_html(text).striptags() == text  # the words themselves unchanged


@pytest.mark.parametrize(
    ("lines", "found"),
    [
        (["Karin Mathiesen og Inger-", "Marie Wiegman"], ["Inger-/Marie"]),
        (["Inger-Marie Wiegman, Ole H.", "Sørensen"], ["Ole H./Sørensen"]),
        (["op til 40", "KPI’er"], ["40/KPI’er"]),
        (["Inger-Marie Wiegman, Ole", "H. Sørensen"], ["Ole/H. Sørensen"]),
        (["Hvad kan I", "gøre?"], ["I/gøre"]),
        (["Hvad kan", "I gøre?"], []),
        (["arbejds\u2010", "miljø 40 KPI’er"], []),
        (["medarbejdernes – og supervisors", "– kompetencer"], ["supervisors/–"]),
        (["medarbejdernes – og supervisors –", "kompetencer"], []),
    ],
)
def test_a_line_end_inside_what_is_kept_together_is_seen(lines, found):
    assert breaks.crossings(lines) == found


def test_no_sheet_ends_a_line_inside_what_is_kept_together(every_laid_out):
    found = {f"{job.name} {job.profile.name}": breaks.kept_apart(pages) for job, pages in every_laid_out}
    assert {name: apart for name, apart in found.items() if apart} == {}
