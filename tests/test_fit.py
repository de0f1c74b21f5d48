"""A sheet that does not fit fails, naming the sheet, the section and how much is too much."""

from __future__ import annotations

import re

import pytest
import yaml

from onepagers.build import build
from onepagers.plan import Selection
from onepagers.library import load_library
from onepagers.project import Project


def lines(result) -> list[str]:
    return [d.one_line() for d in result.problems]


def _build_theme(sandbox: Project, number: int = 4, **changes):
    """Build one theme (TEMA 4, unless `number` says) with `changes` to its data."""
    path = next((sandbox.data / "themes").glob(f"{number:02d}-*.yaml"))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (result,) = build(sandbox, Selection(themes=(number,)), sandbox.root / "out").results
    return result


def test_findings_made_too_long_fail_with_section_and_amount(sandbox, library):
    findings = list(library.theme(4).theme.findings)
    # Five times over: four times the layout absorbs (the page turns later, the
    # body is set a step or two smaller); this much fits nowhere.
    result = _build_theme(sandbox, findings=findings * 5)
    assert not result.ok and not result.job.path.exists()
    (diagnostic,) = result.problems
    problem = diagnostic.one_line()
    assert "'Forskning og undersøgelser viser:' (findings)" in problem
    # Said where the editor shortens it: the theme file, at its findings.
    source = load_library(sandbox.data).theme(4).source
    assert (diagnostic.path, diagnostic.line) == (source.path, source.positions[("findings",)][0])
    assert diagnostic.subject == "TEMA 4 (privat@2)"
    millimetres, lines = map(int, re.search(r"runs (\d+) mm \(about (\d+) lines?\) past the bottom of page [12]", problem).groups())
    assert 1 <= millimetres < 120 and lines >= 1


def test_the_shipped_sheet_fits(sandbox):
    assert _build_theme(sandbox).ok


def test_cases_too_long_fail_on_page_2(sandbox, library):
    """The cases push what follows them (the references) past the bottom of page 2."""
    cases = list(library.theme(4).theme.cases)
    result = _build_theme(sandbox, cases=cases * 8)
    assert not result.ok
    # An item, "'…' (cases)", or the section, "'cases'".
    assert any(re.search(r"(\((cases|references)\)|'cases') runs \d+ mm .* page 2", p) for p in lines(result)), lines(result)


def test_a_section_pushed_wholly_off_the_page_is_blamed_on_the_one_above(sandbox, library):
    cases = list(library.theme(4).theme.cases)
    result = _build_theme(sandbox, cases=cases * 6)
    assert not result.ok
    # The section just above the references: the cases, or the findings the
    # layout set under them on page 2.
    # An item of it, "'…' (cases)", or the section, "'cases'".
    assert any(re.search(r"\((cases|findings)\)|'(cases|findings)'", p) and "pushing 'Henvisninger'" in p for p in lines(result)), lines(result)
    # What has no heading is named as an editor knows it, not by the template's name for it.
    assert all("'imprint'" not in p for p in lines(result)), lines(result)


def test_text_running_out_of_its_column_sideways_fails(sandbox):
    result = _build_theme(sandbox, findings=["Se " + "1234567890" * 5 + "12345"])
    assert not result.ok
    # The run too long to wrap is named, shortened as the model's word rule shortens it.
    assert any("(findings)" in p and "out of its column" in p and "at '12345678901234…23456789012345'" in p for p in lines(result)), lines(result)


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        (".lead { height: 4mm; overflow: hidden; }", "out of the bottom of its box"),
        (".lead { white-space: nowrap; }", "out of its column"),
    ],
    ids=["overflow-hidden", "nowrap"],
)
def test_text_hidden_by_the_stylesheet_is_caught(sandbox, css, expected):
    """WeasyPrint hides such text without a word; the fit check says where."""
    sheet = sandbox.templates / "sheet.css"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\n" + css + "\n", encoding="utf-8")
    result = _build_theme(sandbox)
    assert not result.ok
    assert any("(title)" in p and expected in p for p in lines(result)), lines(result)


def test_text_the_layout_drops_is_caught(sandbox):
    """A last net under the others: letters in the HTML that no box holds (here a
    stylesheet hides the lead; WeasyPrint can also drop a continuation)."""
    sheet = sandbox.templates / "sheet.css"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\n.lead { display: none; }\n", encoding="utf-8")
    result = _build_theme(sandbox, 10)
    assert not result.ok
    assert any("letters of the text were not laid out" in p for p in lines(result)), lines(result)
