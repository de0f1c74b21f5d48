"""The layout `compose.fitted` chooses is remembered (pdf.Renderer.layout): the
same sheet, in the same look, is laid out once, not searched for again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onepagers import profiles
from onepagers.html import html_for
from onepagers.pdf import Renderer, looks
from onepagers.plan import Selection, plan
from onepagers.project import Project

from conftest import copy_project


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "onepagers"


# The theme these tests search for: TEMA 10 chooses its layout in three
# layouts, the fewest of the series (TEMA 2 and 6 take up to fourteen). What
# is tested is that a search happens, or not, not what it finds.
SEARCHED = 10


def _layouts(project, library, number: int = SEARCHED) -> tuple[int, bytes]:
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
def without_lock(project, tmp_path_factory) -> Project:
    """The project without its layouts.lock: a sheet's layout is searched for
    unless the cache folder has it."""
    return copy_project(project, tmp_path_factory.mktemp("without_lock"), ("data", "templates", "fonts"))


@pytest.fixture(scope="module")
def searched(without_lock, library, tmp_path_factory) -> tuple[int, bytes, str, str]:
    """TEMA 10 (SEARCHED) searched for once in an empty cache folder: how many layouts it
    took, its PDF, and the record left (its file's name and text)."""
    folder = tmp_path_factory.mktemp("searched")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        count, pdf = _layouts(without_lock, library)
    (stored,) = (folder / "onepagers").glob("layout-*.json")
    return count, pdf, stored.name, stored.read_text(encoding="utf-8")


def _remembered(fresh_cache, searched) -> Path:
    """The record of `searched` in this test's cache folder."""
    _, _, name, text = searched
    fresh_cache.mkdir(parents=True, exist_ok=True)
    (fresh_cache / name).write_text(text, encoding="utf-8")
    return fresh_cache / name


def test_a_sheet_laid_out_again_is_laid_out_once_and_comes_out_the_same(without_lock, library, fresh_cache, searched):
    count, first, _, _ = searched
    _remembered(fresh_cache, searched)
    again, second = _layouts(without_lock, library)
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


@pytest.mark.parametrize(("image", "kind"), [("http://example.com/x.png", "refused"), ("no-such-picture.png", "missing")], ids=["refused", "missing"])
def test_a_sheet_that_fails_on_a_file_is_laid_out_once(project, library, tmp_path, fresh_cache, image, kind):
    """A stylesheet that asks for an address outside the project, or for a
    file that is not there: the sheet fails whatever its layout, so it is
    not searched for (the error comes seconds sooner), nothing is remembered
    of it, and the build says that file only, not what the unsearched
    layout overflows."""
    from onepagers import verify
    sandbox = copy_project(project, tmp_path / "sandbox", ("data", "templates", "fonts"))
    with (sandbox.templates / "sheet.css").open("a", encoding="utf-8") as file:
        file.write(f"\n.band {{ background-image: url({image}); }}\n")
    renderer = Renderer(sandbox, profiles.SCREEN, library.series.language)
    calls = []
    once = renderer._layout_once
    renderer._layout_once = lambda html: calls.append(1) or once(html)  # type: ignore[method-assign]
    # TEMA 8: its first guess at a layout runs over, as no layout it is built with does.
    (job,) = plan(library, tmp_path / "out", Selection(themes=(8,)))
    try:
        _, rendered = renderer.layout(html_for(library, sandbox, job))
    finally:
        renderer.close()
    assert getattr(rendered, kind) and rendered.overflows and len(calls) == 1
    assert not list(fresh_cache.glob("layout-*.json"))
    (problem,) = verify.layout(sandbox, job, rendered, verify.section_sources(library, job))
    assert image in problem.message and problem.path == sandbox.templates / "sheet.css"


@pytest.mark.parametrize("record", ["{not json", '{"step": 99}', json.dumps({"placement": 1, "step": 5, "splits": [1, 1], "stretch": [[0, 0], [0, 0]], "carries": [None, None], "foot": [0, 900]})])
def test_a_record_that_is_unreadable_or_no_longer_fits_is_searched_anew(without_lock, library, fresh_cache, searched, record):
    """A broken record, or one whose layout runs off the page (here: a foot
    of 900 mm), is not used: the sheet is searched for and comes out whole."""
    _remembered(fresh_cache, searched).write_text(record, encoding="utf-8")
    again, pdf = _layouts(without_lock, library)
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
                                    looks=looks(project, job.profile))[3]
            searched.append((layout, len(calls), len(compose._PANEL_HEIGHTS)))
    finally:
        renderer.close()
    (first, measuring, sizes), (second, kept, _) = searched
    assert first.panel and first == second
    # One trial layout less for each panel size the first search measured.
    assert sizes >= 1 and kept == measuring - sizes


def _lock(project: Project, records: dict[str, str]) -> None:
    """A layouts.lock of `records` (key: the record's JSON), as `layouts.lock` writes it."""
    from onepagers.pdf import LOCK_FORMAT

    sheets = [{"sheet": f"sheet {i}", "key": key, "layout": json.loads(text)} for i, (key, text) in enumerate(records.items())]
    project.layouts_lock.write_text(json.dumps({"format": LOCK_FORMAT, "sheets": sheets}), encoding="utf-8")


def _key(searched: tuple[int, bytes, str, str]) -> str:
    return searched[2].removeprefix("layout-").removesuffix(".json")


def test_a_locked_sheet_is_laid_out_once_on_a_fresh_machine(without_lock, library, tmp_path, fresh_cache, searched):
    """An empty cache folder (a new clone, CI) and the project's layouts.lock:
    the sheet is laid out once, comes out as searched, and nothing is added
    to the cache folder."""
    locked = copy_project(without_lock, tmp_path / "locked", ("data", "templates", "fonts"))
    _lock(locked, {_key(searched): searched[3]})
    again, pdf = _layouts(locked, library)
    assert again == 1 and pdf == searched[1]
    assert not list(fresh_cache.glob("layout-*.json"))


# Records a merge or a hand edit could leave in the lock: none is a layout.
NOT_LAYOUTS = {
    "step a word": {"step": "x"},
    "no such step": {"step": 99},
    "no such panel": {"panel": "huge"},
    "one split": {"splits": [1]},
    "a stretch of true": {"stretch": [[0, 0], [0, True]]},
    "a placement below 0": {"placement": -1},
    "no foot": {"foot": None},
}


@pytest.mark.parametrize("broken", NOT_LAYOUTS.values(), ids=NOT_LAYOUTS.keys())
def test_a_record_of_the_wrong_shape_is_no_layout(searched, broken):
    """pdf.layout_from reads the searched record as the layout it is, and a
    record with any field of the wrong type or out of range as none."""
    from onepagers.pdf import layout_from

    stored = json.loads(searched[3])
    assert layout_from(stored) is not None
    assert layout_from({**stored, **broken}) is None
    assert layout_from({k: v for k, v in stored.items() if k not in broken}) is None  # the field left out


@pytest.mark.parametrize("lock", ["{not json", {"foot": [0, 900]}, NOT_LAYOUTS["step a word"]], ids=["not json", "runs off the page", "step a word"])
def test_a_lock_that_is_unreadable_or_no_longer_fits_is_searched_anew(without_lock, library, tmp_path, fresh_cache, searched, lock):
    """A lock that does not read, or a record in it that is no layout (a
    merge gone wrong: test_a_record_of_the_wrong_shape_is_no_layout) or no
    longer lays out whole: the sheet is searched for and comes out whole,
    and the search's record is kept in the cache folder, which the next
    build reads first."""
    locked = copy_project(without_lock, tmp_path / "locked", ("data", "templates", "fonts"))
    if isinstance(lock, str):
        locked.layouts_lock.write_text(lock, encoding="utf-8")
    else:
        _lock(locked, {_key(searched): json.dumps({**json.loads(searched[3]), **lock})})
    again, pdf = _layouts(locked, library)
    assert again > 1 and pdf == searched[1]
    assert _layouts(locked, library) == (1, pdf)


def test_the_lock_holds_what_the_search_chooses(project, searched):
    """The shipped lock's record of TEMA 10 is the layout a search chooses.
    After an edit of TEMA 10 (or of the looks) the lock has no record of it
    until `make layouts`: nothing to compare, and an edit must not fail."""
    from onepagers.pdf import locked

    shipped = locked(project).get(_key(searched))
    if shipped is None:
        pytest.skip("layouts.lock has no record of TEMA 10 as it stands: run `make layouts`")
    assert shipped == json.loads(searched[3])


def test_layouts_writes_a_record_for_every_sheet_and_drops_what_no_sheet_has(project, library, tmp_path, fresh_cache):
    """`onepagers layouts` on a lock missing one sheet and holding a record
    of no sheet: the sheet is searched for and locked, the stray record
    dropped, and every theme sheet of every variant and PDF profile has its
    key in the lock. Run where the shipped lock holds every sheet: after an
    edit, `lock` would search for each sheet the edit touched (after a change
    of look, all 63), which `make layouts` is for, not every test run."""
    from onepagers import profiles
    from onepagers.html import html_for
    from onepagers.layouts import lock, unlocked
    from onepagers.pdf import layout_key, locked

    if stale := unlocked(project, library):
        pytest.skip(f"layouts.lock does not hold {len(stale)} sheets as they stand: run `make layouts`")
    sandbox = copy_project(project, tmp_path / "sandbox")
    stored = json.loads(sandbox.layouts_lock.read_text(encoding="utf-8"))
    name = "TEMA 10 (privat@1) print-nomarks"
    (removed,) = [entry for entry in stored["sheets"] if entry["sheet"] == name]
    stored["sheets"] = [entry for entry in stored["sheets"] if entry is not removed]
    stray = {"sheet": "a sheet no longer made", "key": "0" * 64, "layout": removed["layout"]}
    sandbox.layouts_lock.write_text(json.dumps({**stored, "sheets": [*stored["sheets"], stray]}), encoding="utf-8")

    done = lock(sandbox, library)

    assert done.problems == [] and done.searched == [name] and done.dropped == 1
    keys = set()
    for profile in (p for p in profiles.PROFILES.values() if p.pdf_variant is not None):
        for job in plan(library, tmp_path / "out", Selection(everything=True, every_variant=True, profile=profile.name)):
            if job.theme is not None:
                keys.add(layout_key(html_for(library, sandbox, job), sandbox, job.profile))
    assert set(locked(sandbox)) == keys and done.sheets == len(keys) and stray["key"] not in keys
    # The search chooses what the shipped lock held.
    assert locked(sandbox)[removed["key"]] == removed["layout"]


def test_layouts_writes_nothing_where_a_sheet_cannot_be_made(project, library, sandbox, fresh_cache, cli):
    """A character the fonts lack in TEMA 10: its sheets are not built, the
    command says so and exits 1, and the lock stays as it was (it still
    serves every other sheet)."""
    from test_hostile import _edit_theme

    before = sandbox.layouts_lock.read_bytes()
    _edit_theme(sandbox.root, 10, lead="Til jer, der vil sikre gode fysiske rammer \u2603")
    result = cli("layouts", "--project", str(sandbox.root))
    assert result.exit_code == 1, result.output
    assert "layouts.lock was not written" in result.stderr and "10-fysiske-rammer.yaml" in result.stderr, result.stderr
    assert sandbox.layouts_lock.read_bytes() == before


def test_the_sheets_an_edit_takes_out_of_the_lock_are_named(library, sandbox, tmp_path):
    """What the test run's summary reports: an edit of TEMA 10's lead leaves
    the lock without its sheets, in every variant and PDF profile."""
    from onepagers import profiles
    from onepagers.layouts import unlocked
    from onepagers.library import load_library
    from test_hostile import _edit_theme

    ten = {f"{job.name} {job.profile.name}" for profile in profiles.PROFILES.values() if profile.pdf_variant is not None
           for job in plan(library, tmp_path, Selection(themes=(10,), every_variant=True, profile=profile.name))}
    before = set(unlocked(sandbox, library))
    if before & ten:
        pytest.skip("layouts.lock does not hold TEMA 10 as it stands: run `make layouts`")
    lead = library.theme(10).theme.lead
    _edit_theme(sandbox.root, 10, lead=lead + " nu")
    edited = load_library(sandbox.data)
    assert edited.theme(10).theme.lead != lead
    assert set(unlocked(sandbox, edited)) == before | ten and len(ten) == 6
