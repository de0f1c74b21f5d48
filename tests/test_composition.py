"""Composed pages (issue 12): a footer on every page, at most 60 mm of empty
column above it, one body size per sheet, the actions' lines at most 75
characters. (Issue 21's stricter measures: test_layout_measures.py.)
Measured on the laid-out boxes of every sheet of every variant."""

from __future__ import annotations

import re

import pytest

from onepagers import compose, fit
from onepagers.html import html_for
from onepagers.plan import Selection, plan
from onepagers.pdf import Renderer

MAX_ROOM_MM = 60.0
ACTION_CHARS = 75


def test_every_page_has_a_footer_and_at_most_60_mm_of_room_above_it(every_laid_out):
    for job, pages in every_laid_out:
        rooms = fit.empty_above_footer(pages)
        sheet = f"{job.name} {job.profile.name}"
        assert len(rooms) == len(pages) >= 1, sheet
        for page, room in rooms:
            assert room is not None, f"{sheet}: page {page} has no footer"
            assert room <= MAX_ROOM_MM, f"{sheet}: page {page} leaves {room:.0f} mm empty above its footer"


def test_the_room_rule_sees_a_half_empty_page(library, project):
    """Theme 5 with its findings taken off page 1 leaves it half empty: the measure says so."""
    (job,) = plan(library, project.root / "unused", Selection(themes=(5,)))
    html = re.sub(r'<section class="flow-section findings.*?</section>', "", html_for(library, project, job), flags=re.S)
    renderer = Renderer(project, job.profile, library.series.language)
    try:
        document, _ = renderer.layout(html)
    finally:
        renderer.close()
    rooms = dict(fit.empty_above_footer(document.pages))
    assert rooms[1] > MAX_ROOM_MM


def _body_boxes(pages):
    """Text boxes of the body text: items and paragraphs, not headings, the
    lead, the references, the pull quotes or the footers (display type and
    small print)."""
    small_print = {"items-references", "url", "pull-quote"}

    def visit(box, in_body):
        if fit._is_marker(box) or small_print & set((fit._element_attr(box, "class") or "").split()):
            return
        if getattr(box, "element_tag", None) in ("h1", "h2"):
            return
        in_body = in_body or getattr(box, "element_tag", None) in ("li", "p")
        if in_body and type(box).__name__ == "TextBox" and box.text.strip():
            yield box
        for child in getattr(box, "children", ()) or ():
            yield from visit(child, in_body)

    for _number, section, _heading, box in fit._sections(pages):
        # The columns' text; the actions are set in their panel at the body's size too, but bold.
        if section in ("questions", "findings", "cases"):
            yield from visit(box, False)


def test_one_body_size_per_sheet_within_the_designed_range(every_laid_out):
    """Copyfitting varies the body size from sheet to sheet, never within one,
    and only within the designer's range."""
    low, high = min(s.size_pt for s in compose.STEPS), max(s.size_pt for s in compose.STEPS)
    for job, pages in every_laid_out:
        if job.theme is None:  # the introduction: running text of its own
            continue
        sizes = {round(text.style["font_size"] * 72 / 96, 2) for text in _body_boxes(pages)}
        assert len(sizes) == 1, f"{job.name}: {sorted(sizes)}"
        assert low <= sizes.pop() <= high, job.name


def test_the_actions_lines_hold_at_most_75_characters(every_laid_out):
    longest = 0
    for job, pages in every_laid_out:
        for _number, section, _heading, box in fit._sections(pages):
            if section != "actions":
                continue
            for block in fit._unmarked(box):
                if getattr(block, "element_tag", None) == "li":
                    for line in fit._lines(block):
                        text = "".join(t.text for t in fit._walk(line) if type(t).__name__ == "TextBox")
                        longest = max(longest, len(text.strip()))
                        assert len(text.strip()) <= ACTION_CHARS, f"{job.name}: {text!r}"
    assert longest > 40  # the measure was read at all


def _laid_out_with(project, library, tmp_path, css: str, number: int):
    from conftest import copy_project

    sandbox = copy_project(project, tmp_path, ("templates", "fonts"))
    sheet = sandbox.templates / "sheet.css"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\n" + css + "\n", encoding="utf-8")
    (job,) = plan(library, tmp_path / "out", Selection(themes=(number,)))
    renderer = Renderer(sandbox, job.profile, library.series.language)
    try:
        return [(job, renderer.layout(html_for(library, sandbox, job))[0].pages)]
    finally:
        renderer.close()


def test_the_size_rule_sees_cases_set_larger(project, library, tmp_path):
    with pytest.raises(AssertionError):
        test_one_body_size_per_sheet_within_the_designed_range(_laid_out_with(project, library, tmp_path, ".cases { font-size: 12pt; }", 10))


def test_the_measure_rule_sees_actions_run_wide(project, library, tmp_path):
    with pytest.raises(AssertionError, match="TEMA 7"):
        test_the_actions_lines_hold_at_most_75_characters(_laid_out_with(project, library, tmp_path, ".actions h2 { width: 12mm; } .actions ol.items-actions { font-size: 8pt; }", 7))


def _with_quote(sandbox, quote: str):
    import yaml

    from onepagers.library import load_library
    from onepagers.variants import resolve

    path = next((sandbox.data / "themes").glob("07-*.yaml"))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["quote"] = quote
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    library = load_library(sandbox.data)
    return library, path, lambda variant: resolve(library, library.theme(7), variant)


def test_a_pull_quote_only_where_the_data_names_one_and_hidden_from_readers(sandbox, library, project):
    """No sheet gets a generated pull quote; a named one is a sentence of the
    cases, word for word, and is not read twice."""
    for job, html in ((j, html_for(library, project, j)) for j in plan(library, project.root / "unused", Selection(everything=True, every_variant=True))):
        assert "pull-quote" not in html, job.name
    sentence = "Dermed er virksomheden opmærksom på, at nogle medarbejdere ikke trives med et stort fokus på salg."
    _library, _path, sheet_in = _with_quote(sandbox, sentence)
    (job,) = plan(_library, sandbox.root / "out", Selection(themes=(7,)))
    html = html_for(_library, sandbox, job)
    assert re.search(r'<aside class="pull-quote[^"]*" aria-hidden="true"><p>' + re.escape(sentence), html)


def test_a_pull_quote_not_in_the_cases_is_refused_at_its_line(sandbox):
    from onepagers.diagnostics import ContentError

    # Said when the data is loaded, once, before any sheet is built.
    with pytest.raises(ContentError) as caught:
        _with_quote(sandbox, "Dermed er virksomheden opmærksom på alt.")
    path = next((sandbox.data / "themes").glob("07-*.yaml"))
    (problem,) = caught.value.diagnostics
    assert problem.path == path and "word for word" in problem.one_line()
    line = path.read_text(encoding="utf-8").splitlines()[problem.line - 1]
    assert line.startswith("quote:")


# Vertical justification and paragraphs run on (issue 21) ----------------------


def _gaps_of(box) -> dict[str, float]:
    """A column's gaps as its style sets them (mm)."""
    style = fit._element_attr(box, "style") or ""
    return {name: float(mm) for name, mm in re.findall(r"--(item|paragraph|section)-gap:\s*([\d.]+)mm", style)}


def test_every_column_sets_its_gaps_within_the_designed_range(every_laid_out):
    """The room a column has left goes into its gaps (or a column closes its
    gaps to come up to the other's end), never beyond the designer's range."""
    moved = 0
    for job, pages in every_laid_out:
        if job.theme is None:
            continue
        sizes = {round(text.style["font_size"] * 72 / 96, 2) for text in _body_boxes(pages)}
        (step,) = [s for s in compose.STEPS if s.size_pt in sizes][:1]
        own = {"item": step.item_gap_mm, "paragraph": step.paragraph_gap_mm, "section": compose.SECTION_GAP_MM}
        for page in pages:
            for box in fit._walk(page._page_box):
                if "column" not in (fit._element_attr(box, "class") or "").split() or type(box).__name__ != "TableCellBox":
                    continue
                gaps = _gaps_of(box)
                assert set(gaps) == {"item", "paragraph", "section"}, job.name
                for kind, mm in gaps.items():
                    assert compose.MIN_GAP_MM[kind] - 0.01 <= mm <= compose.MAX_GAP_MM[kind] + 0.01, f"{job.name}: {kind} gap {mm} mm"
                    moved += abs(mm - own[kind]) > 0.01
    assert moved  # some column was justified at all


def _pieces(pages) -> dict[str, list[list[str]]]:
    """The lines of each case story as laid out, piece by piece (a story run
    on into the next column is two paragraph boxes)."""
    found: dict[str, list[list[str]]] = {}
    seen: set[int] = set()
    for page in pages:
        for box in fit._walk(page._page_box):
            unit = fit._element_attr(box, "data-unit") or fit._element_attr(box, "data-unit-rest")
            if not (unit or "").startswith("cases:") or getattr(box, "element_tag", None) != "p" or id(box.element) in seen:
                continue
            seen.add(id(box.element))
            lines = ["".join(t.text for t in fit._walk(line) if type(t).__name__ == "TextBox") for line in fit._lines(box)]
            found.setdefault(unit, []).append(lines)
    return found


def _squashed(text: str) -> str:
    return re.sub(r"[\s\u00ad\u2010]+", "", text)


def test_a_story_run_on_into_the_next_column_keeps_every_word(library, every_laid_out):
    """Where a case story runs on from one column into the next, its two pieces
    read together are the story as the data has it, and the first piece ends
    on a whole word inside a sentence, with two lines at least on either side."""
    from onepagers import inline
    from onepagers.variants import resolve

    run_on = 0
    for job, pages in every_laid_out:
        if job.theme is None:
            continue
        sheet = resolve(library, library.theme(job.theme), job.variant)
        for unit, pieces in _pieces(pages).items():
            data = inline.to_plain(sheet.cases[int(unit.split(":")[1])])
            assert _squashed("".join("".join(lines) for lines in pieces)) == _squashed(data), f"{job.name} {unit}"
            if len(pieces) == 2:
                run_on += 1
                # Not at a break of its own, nor at a sentence's end (the rest would read as a new paragraph).
                assert not pieces[0][-1].rstrip().endswith(("\u2010", ".", "!", "?", ":")), f"{job.name} {unit}: {pieces[0][-1]!r}"
                assert min(len(pieces[0]), len(pieces[1])) >= 2, f"{job.name} {unit}"
    assert run_on  # the every-variant set holds a story that runs on


def test_words_cut_only_at_the_datas_own_spaces():
    assert compose.words("10\u00a0% af medarbejderne  går", 0, 2) == "10\u00a0% af"
    assert compose.words("10\u00a0% af medarbejderne går", 2, None) == "medarbejderne går"


def test_a_story_never_runs_on_from_inside_its_markup():
    """A cut inside **bold** would leave two halves of markup: no such cut is offered."""
    text = "Medarbejderne i **Aarhus Kommunes Kontaktcenter** er blevet bedre til det"
    counts = set(compose._word_prefixes(text).values())
    assert {1, 2, 5, 6} <= counts
    assert not counts & {3, 4}


def test_a_column_a_few_mm_too_tall_closes_its_gaps_to_fit():
    """Issue 21: TEMA 2 fills its pages at 12.5 pt only with a column closed up
    by a few mm: the taller column closes to the room (never below the
    smallest step's gaps), the other within MAX_SPREAD_MM of it."""
    step = compose.STEPS[-1]
    taller = [(("questions", i), 30.0) for i in range(4)]  # three item gaps
    shorter = [(("findings", i), 28.0) for i in range(4)]
    tall, short = compose._column_mm(taller, step), compose._column_mm(shorter, step)
    room = tall - 3.0
    stretches, heights = compose._justified(taller, shorter, step, room)
    assert heights[0] <= room + 0.05 < tall
    assert stretches[0] < 0 and abs(stretches[0] - stretches[1]) <= compose.MAX_SPREAD_MM + 1e-9
    # Further than its gaps close: as near as they come, and still too tall.
    closest = compose._column_mm(taller, step, -max(compose.MAX_GAP_MM.values()))
    assert closest == pytest.approx(taller_sum := 4 * 30.0 + 3 * compose.MIN_GAP_MM["item"])
    _, heights = compose._justified(taller, shorter, step, taller_sum - 5.0)
    assert heights[0] == pytest.approx(taller_sum)
    # One column alone closes too.
    _, (alone, _) = compose._justified(taller, [], step, room)
    assert alone <= room + 0.05


def test_a_layout_fits_where_its_columns_close_up_and_not_where_they_cannot():
    """`evaluate` judges a page by its justified columns: room a few mm short of
    the step's own gaps fits, room shorter than the smallest gaps does not."""
    from types import SimpleNamespace

    step_index = len(compose.STEPS) - 1
    sheet = SimpleNamespace(questions=["q"] * 4, findings=["f"] * 4, cases=[])
    heights = {**{("questions", i): 30.0 for i in range(4)}, **{("findings", i): 30.0 for i in range(4)}}
    own = compose._column_mm([(u, 30.0) for u in list(heights)[:4]], compose.STEPS[step_index])
    closest = 4 * 30.0 + 3 * compose.MIN_GAP_MM["item"]

    def page_1_fits(room: float) -> bool:
        limit = 20.0 + room + compose.FIT_MARGIN_MM
        measured = compose.Measured(heights=heights, lines={}, tops={1: 20.0, 2: 20.0}, limits={1: limit, 2: limit},
                                    below={}, footers={1: limit, 2: limit})
        return compose.evaluate(sheet, 8, step_index, measured).fits

    assert page_1_fits(own + 1.0)
    assert page_1_fits(own - 3.0)
    assert not page_1_fits(closest - 3.0)
