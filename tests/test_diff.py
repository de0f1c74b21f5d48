"""diff for editors: items and sentences paired, changes marked without markup
characters, side by side in HTML, and against a git revision of the data."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from onepagers.diff import diff_items, side
from onepagers.variants import resolve

from conftest import copy_project



def _ops(rows) -> list[tuple[str, str, str]]:
    return [(c.op, c.a.strip(), c.b.strip()) for r in rows for c in r.changes if c.op != "equal"]


def test_a_rewritten_sentence_shows_as_the_old_and_the_new_sentence():
    old = "Kunderne ringer ofte om aftenen. Medarbejderne får hjælp af en kollega."
    new = "Kunderne ringer ofte om aftenen. Der er altid en leder på vagt, som kan tage over."
    assert _ops(diff_items([old], [new])) == [
        ("delete", "Medarbejderne får hjælp af en kollega.", ""),
        ("insert", "", "Der er altid en leder på vagt, som kan tage over."),
    ]


def test_a_few_changed_words_show_as_those_words():
    rows = list(diff_items(["Giv nye medarbejdere en mentor"], ["Giv alle nye medarbejdere en mentor."]))
    assert _ops(rows) == [("insert", "", "alle"), ("insert", "", ".")]
    assert side(rows[0], "b") == [("Giv ", False), ("alle", True), (" nye medarbejdere en mentor", False), (".", True)]


def test_items_pair_up_and_new_ones_stand_alone():
    rows = list(diff_items(["Første punkt", "Andet punkt her", "Tredje"], ["Første punkt", "Et helt nyt punkt om noget andet", "Andet punkt her", "Tredje"]))
    assert [(r.in_a, r.in_b, r.changed) for r in rows] == [(True, True, False), (False, True, True), (True, True, False), (True, True, False)]


@pytest.fixture
def page(cli, project, tmp_path) -> str:
    path = tmp_path / "d.html"
    result = cli("diff", "--theme", "1", "privat@1", "privat@2", "--html", str(path), "--project", str(project.root))
    assert result.exit_code == 0, result.output
    return path.read_text(encoding="utf-8")


def test_html_is_side_by_side_with_every_item_its_own_bullet(page):
    assert page.count('<th scope="col">privat@1</th>') == page.count('<th scope="col">privat@2</th>') > 1
    # "Hvad kan I gøre?": three actions, three rows, each item a bullet on both sides.
    actions = page[page.index("<caption>Hvad kan I gøre?</caption>"):].split("</table>")[0]
    assert actions.count('<td class="list">') == 6
    assert "<del>medarbejderne</del>" in page and "<ins>medarbejdere</ins>" in page
    assert "[-" not in page and "{+" not in page and "•" not in page.split("<body>")[1]


def test_terminal_output_has_no_markup_characters_and_a_bullet_on_every_item(cli, project, library):
    result = cli("diff", "--theme", "1", "privat@1", "privat@2", "--project", str(project.root))
    assert result.exit_code == 0
    assert "[-" not in result.stdout and "{+" not in result.stdout
    actions = result.stdout.split("Hvad kan I gøre?\n")[1].split("\n\n")[0].splitlines()
    first, revised = (resolve(library, library.theme(1), name) for name in ("privat@1", "privat@2"))
    differing = sum(a != b for a, b in zip(first.actions, revised.actions))  # each shown as old and new
    assert differing and len(actions) == 2 * differing and all("• " in line for line in actions)  # the first item too


def test_section_names_come_from_the_data(cli, project, library):
    result = cli("diff", "--theme", "6", "privat@1", "privat@2", "--project", str(project.root))
    first, revised = (resolve(library, library.theme(6), name) for name in ("privat@1", "privat@2"))
    assert first.headings.cases != revised.headings.cases
    assert f"{first.headings.cases} / {revised.headings.cases}" in result.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_since_a_revision_shows_what_the_text_changed(cli, project, tmp_path):
    copy_project(project, tmp_path)

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "empty")
    git("add", "data")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "data")
    theme = tmp_path / "data" / "themes" / "06-svaere-kald.yaml"
    theme.write_text(theme.read_text(encoding="utf-8").replace("Gør det legalt for medarbejderne", "Gør det tilladt for medarbejderne", 1), encoding="utf-8")

    same = cli("diff", "--since", "HEAD", "--theme", "4", "--project", str(tmp_path))
    assert same.exit_code == 0 and "No text changed since HEAD." in same.output
    page = tmp_path / "since.html"
    result = cli("diff", "--since", "HEAD", "--html", str(page), "--project", str(tmp_path))
    assert result.exit_code == 0, result.output
    # The first wording in the file is the newest edition's, and offentlig@2 words its own.
    assert "TEMA 6: Svære kald og ubehagelige kundeoplevelser (privat@2)" in result.stdout
    assert "(privat@1)" not in result.stdout and "(offentlig@2)" not in result.stdout
    html = page.read_text(encoding="utf-8")
    assert "<del>legalt</del>" in html and "<ins>tilladt</ins>" in html

    bad = cli("diff", "--since", "no-such-revision", "--project", str(tmp_path))
    assert bad.exit_code == 2 and "no-such-revision" in bad.output
    empty = cli("diff", "--since", "HEAD~1", "--project", str(tmp_path))
    assert empty.exit_code == 2  # data/ did not exist then


def test_terminal_marks_changes_by_strike_and_colour_only():
    from onepagers.diff import SectionDiff, to_rich

    rows = tuple(diff_items(["Giv nye medarbejdere en god mentor"], ["Giv alle nye medarbejdere en mentor."]))
    text = to_rich([SectionDiff("actions", "Hvad kan I gøre?", "list", rows)], "privat@1", "privat@2")
    marked = {text.plain[span.start:span.end]: str(span.style) for span in text.spans if span.style in ("red strike", "green underline")}
    assert marked == {"god": "red strike", "alle": "green underline", ".": "green underline"}
    assert "[-" not in text.plain and "{+" not in text.plain


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_since_a_revision_whose_data_does_not_load_says_where(cli, project, tmp_path):
    copy_project(project, tmp_path)
    series = tmp_path / "data" / "series.yaml"
    good = series.read_text(encoding="utf-8")
    series.write_text(good.replace("series:\n", "series: [\n", 1), encoding="utf-8")
    for args in (("init", "-q"), ("add", "data"), ("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "broken")):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)
    series.write_text(good, encoding="utf-8")
    result = cli("diff", "--since", "HEAD", "--project", str(tmp_path))
    assert result.exit_code == 2 and "HEAD:data/series.yaml:" in result.stderr, result.output
    assert "onepagers-since-" not in result.stderr and "Traceback" not in result.stderr  # no temporary folder
