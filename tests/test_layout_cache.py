"""The layout `compose.fitted` chooses is remembered (pdf.Renderer.layout): the
same sheet, in the same look, is laid out once, not searched for again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onepagers.html import html_for
from onepagers.pdf import Renderer
from onepagers.plan import Selection, plan
from onepagers.project import Project

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
def unlocked(project, tmp_path_factory) -> Project:
    """The project without its layouts.lock: a sheet's layout is searched for
    unless the cache folder has it."""
    return copy_project(project, tmp_path_factory.mktemp("unlocked"), ("data", "templates", "fonts"))


@pytest.fixture(scope="module")
def searched(unlocked, library, tmp_path_factory) -> tuple[int, bytes, str, str]:
    """TEMA 4 searched for once in an empty cache folder: how many layouts it
    took, its PDF, and the record left (its file's name and text)."""
    folder = tmp_path_factory.mktemp("searched")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        count, pdf = _layouts(unlocked, library)
    (stored,) = (folder / "onepagers").glob("layout-*.json")
    return count, pdf, stored.name, stored.read_text(encoding="utf-8")


def _remembered(fresh_cache, searched) -> Path:
    """The record of `searched` in this test's cache folder."""
    _, _, name, text = searched
    fresh_cache.mkdir(parents=True, exist_ok=True)
    (fresh_cache / name).write_text(text, encoding="utf-8")
    return fresh_cache / name


def test_a_sheet_laid_out_again_is_laid_out_once_and_comes_out_the_same(unlocked, library, fresh_cache, searched):
    count, first, _, _ = searched
    _remembered(fresh_cache, searched)
    again, second = _layouts(unlocked, library)
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
def test_a_record_that_is_unreadable_or_no_longer_fits_is_searched_anew(unlocked, library, fresh_cache, searched, record):
    """A broken record, or one whose layout runs off the page (here: a foot
    of 900 mm), is not used: the sheet is searched for and comes out whole."""
    _remembered(fresh_cache, searched).write_text(record, encoding="utf-8")
    again, pdf = _layouts(unlocked, library)
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


def _lock(project: Project, records: dict[str, str]) -> None:
    """A layouts.lock of `records` (key: the record's JSON), as `layouts.lock` writes it."""
    sheets = [{"sheet": f"sheet {i}", "key": key, "layout": json.loads(text)} for i, (key, text) in enumerate(records.items())]
    project.layouts_lock.write_text(json.dumps({"format": 1, "sheets": sheets}), encoding="utf-8")


def _key(searched) -> str:
    return searched[2].removeprefix("layout-").removesuffix(".json")


def test_a_locked_sheet_is_laid_out_once_on_a_fresh_machine(unlocked, library, tmp_path, fresh_cache, searched):
    """An empty cache folder (a new clone, CI) and the project's layouts.lock:
    the sheet is laid out once, comes out as searched, and nothing is added
    to the cache folder."""
    locked = copy_project(unlocked, tmp_path / "locked", ("data", "templates", "fonts"))
    _lock(locked, {_key(searched): searched[3]})
    again, pdf = _layouts(locked, library)
    assert again == 1 and pdf == searched[1]
    assert not list(fresh_cache.glob("layout-*.json"))


@pytest.mark.parametrize("lock", ["{not json", "record runs off the page"])
def test_a_lock_that_is_unreadable_or_no_longer_fits_is_searched_anew(unlocked, library, tmp_path, fresh_cache, searched, lock):
    locked = copy_project(unlocked, tmp_path / "locked", ("data", "templates", "fonts"))
    if lock.startswith("{"):
        locked.layouts_lock.write_text(lock, encoding="utf-8")
    else:
        _lock(locked, {_key(searched): json.dumps({**json.loads(searched[3]), "foot": [0, 900]})})
    again, pdf = _layouts(locked, library)
    assert again > 1 and pdf == searched[1]


def test_the_lock_holds_what_the_search_chooses(project, searched):
    """The shipped lock's record of TEMA 4 is the layout a search chooses.
    After an edit of TEMA 4 (or of the looks) the lock has no record of it
    until `make layouts`: nothing to compare, and an edit must not fail."""
    from onepagers.pdf import locked

    shipped = locked(project).get(_key(searched))
    if shipped is None:
        pytest.skip("layouts.lock has no record of TEMA 4 as it stands: run `make layouts`")
    assert shipped == json.loads(searched[3])


def test_layouts_writes_a_record_for_every_sheet_and_drops_what_no_sheet_has(project, library, tmp_path, fresh_cache):
    """`onepagers layouts` on a lock missing one sheet and holding a record
    of no sheet: the sheet is searched for and locked, the stray record
    dropped, and every theme sheet of every variant and PDF profile has its
    key in the lock."""
    from onepagers import profiles
    from onepagers.html import html_for
    from onepagers.layouts import lock
    from onepagers.pdf import locked
    from onepagers.pdf import layout_key

    sandbox = copy_project(project, tmp_path / "sandbox")
    stored = json.loads(sandbox.layouts_lock.read_text(encoding="utf-8"))
    name = "TEMA 10 (privat@1) print-nomarks"
    (removed,) = [entry for entry in stored["sheets"] if entry["sheet"] == name]
    stored["sheets"] = [entry for entry in stored["sheets"] if entry is not removed]
    stored["sheets"].append({"sheet": "a sheet no longer made", "key": "0" * 64, "layout": removed["layout"]})
    sandbox.layouts_lock.write_text(json.dumps(stored), encoding="utf-8")

    done = lock(sandbox, library)

    assert done.problems == [] and done.dropped == 1 and name in done.searched
    keys = set()
    for profile in (p for p in profiles.PROFILES.values() if p.pdf_variant is not None):
        for job in plan(library, tmp_path / "out", Selection(everything=True, every_variant=True, profile=profile.name)):
            if job.theme is not None:
                keys.add(layout_key(html_for(library, sandbox, job), sandbox, job.profile))
    assert set(locked(sandbox)) == keys and done.sheets == len(keys)
    assert {entry["sheet"] for entry in json.loads(sandbox.layouts_lock.read_text(encoding="utf-8"))["sheets"]} >= {name}
    if removed["key"] in keys:  # the lock was current for it: the search chooses what it held
        assert locked(sandbox)[removed["key"]] == removed["layout"]


def test_the_sheets_an_edit_takes_out_of_the_lock_are_named(library, sandbox):
    """What the test run's summary reports: an edit of TEMA 10's lead leaves
    the lock without its six sheets (two editions, three PDF profiles)."""
    from onepagers.layouts import unlocked
    from onepagers.library import load_library

    before = set(unlocked(sandbox, library))
    path = sandbox.data / "themes" / "10-fysiske-rammer.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Til jer, der vil sikre gode", "Til jer, der vil sikre rigtig gode", 1), encoding="utf-8")
    after = set(unlocked(sandbox, load_library(sandbox.data)))
    ten = {f"TEMA 10 ({variant}) {profile}" for variant in ("privat@1", "privat@2") for profile in ("screen", "print", "print-nomarks")}
    assert after == before | ten
