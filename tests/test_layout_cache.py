"""The layout `compose.fitted` chooses is remembered (pdf.Renderer.layout): the
same sheet, in the same look, is laid out once, not searched for again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onepagers.html import html_for
from onepagers.pdf import Renderer
from onepagers.plan import Selection, plan

from conftest import copy_project


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "onepagers"


def _layouts(project, library, number: int = 4) -> tuple[int, bytes]:
    """How many layouts laying out a theme takes, and the PDF it makes."""
    (job,) = plan(library, project.root / "unused", Selection(themes=(number,)))
    renderer = Renderer(project, job.profile, library.series.language)
    calls = []
    once = renderer._layout_once
    renderer._layout_once = lambda html: calls.append(1) or once(html)  # type: ignore[method-assign]
    try:
        document, _ = renderer.layout(html_for(library, project, job))
        pdf, _ = renderer.write(document, "seed")
        return len(calls), pdf
    finally:
        renderer.close()


@pytest.fixture(scope="module")
def searched(project, library, tmp_path_factory) -> tuple[int, bytes, str, str]:
    """TEMA 4 searched for once in an empty cache folder: how many layouts it
    took, its PDF, and the record left (its file's name and text)."""
    folder = tmp_path_factory.mktemp("searched")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        count, pdf = _layouts(project, library)
    (stored,) = (folder / "onepagers").glob("layout-*.json")
    return count, pdf, stored.name, stored.read_text(encoding="utf-8")


def _remembered(fresh_cache, searched) -> Path:
    """The record of `searched` in this test's cache folder."""
    _, _, name, text = searched
    fresh_cache.mkdir(parents=True, exist_ok=True)
    (fresh_cache / name).write_text(text, encoding="utf-8")
    return fresh_cache / name


def test_a_sheet_laid_out_again_is_laid_out_once_and_comes_out_the_same(project, library, fresh_cache, searched):
    count, first, _, _ = searched
    _remembered(fresh_cache, searched)
    again, second = _layouts(project, library)
    assert count > 1 and again == 1
    assert first == second
    assert len(list(fresh_cache.glob("layout-*.json"))) == 1


def test_a_changed_look_searches_again(project, library, tmp_path, fresh_cache, searched):
    _remembered(fresh_cache, searched)
    sandbox = copy_project(project, tmp_path / "sandbox", ("data", "templates", "fonts"))
    sheet = sandbox.templates / "sheet.css"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\nh1 { letter-spacing: 0.01em; }\n", encoding="utf-8")
    again, _ = _layouts(sandbox, library)
    assert again > 1


@pytest.mark.parametrize("record", ["{not json", '{"step": 99}', json.dumps({"placement": 1, "step": 5, "splits": [1, 1], "stretch": [[0, 0], [0, 0]], "carries": [None, None], "foot": [0, 900]})])
def test_a_record_that_is_unreadable_or_no_longer_fits_is_searched_anew(project, library, fresh_cache, searched, record):
    """A broken record, or one whose layout runs off the page (here: a foot
    of 900 mm), is not used: the sheet is searched for and comes out whole."""
    _remembered(fresh_cache, searched).write_text(record, encoding="utf-8")
    again, pdf = _layouts(project, library)
    assert again > 1 and pdf == searched[1]


def test_a_series_panel_height_kept_gives_the_layout_measured_anew(project, library, monkeypatch):
    """TEMA 5's panel, measured while the first search chose its layout, is
    not laid out again to measure on the next search in the same look; the
    layout that comes out is the one measured anew, to the tenth of a mm."""
    from onepagers import compose

    monkeypatch.setattr(compose, "_PANEL_HEIGHTS", {})
    (job,) = plan(library, project.root / "unused", Selection(themes=(5,)))
    renderer = Renderer(project, job.profile, library.series.language)
    calls = []
    once = renderer._layout_once
    try:
        html = html_for(library, project, job)
        searched = []
        for _ in range(2):
            calls.clear()
            layout = compose.fitted(lambda h: calls.append(1) or once(h), html.sheet, lambda l: html.remake(layout=l), html,
                                    looks=renderer._looks())[3]
            searched.append((layout, len(calls)))
    finally:
        renderer.close()
    (first, measuring), (second, kept) = searched
    assert first.panel and first == second
    assert kept == measuring - 1
