"""Any text in any section either builds or fails with a content or fit error: never a crash."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onepagers.build import build
from onepagers.plan import Selection
from onepagers.project import Project

from conftest import copy_project

SECTIONS = ["title", "lead", "actions", "questions", "cases", "findings", "references"]

texts = st.one_of(
    st.text(min_size=1, max_size=300),
    st.text(alphabet="æøåÆØÅ éü–’“”…", min_size=1, max_size=200),
    st.text(alphabet=st.characters(categories=["Mn", "So", "Cc", "Cs", "Zl", "Zp"]), min_size=1, max_size=20),
    st.builds(lambda w: w * 40, st.text(alphabet="abcdefghij", min_size=5, max_size=10)),  # a very long word
    st.builds(lambda s: (s * 2000)[:10_000], st.text(alphabet="abc æø. ", min_size=3, max_size=8)),  # 10,000 characters
)


@pytest.fixture(scope="module")
def sandbox(project, tmp_path_factory) -> Project:
    return copy_project(project, tmp_path_factory.mktemp("property"))


QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


# Each example builds a sheet (most of a second): `make test` tries a few, new
# ones every run; the slow suite (CI) many more.
@settings(max_examples=10, deadline=None, suppress_health_check=QUIET)
@given(section=st.sampled_from(SECTIONS), text=texts)
def test_any_text_builds_or_fails_cleanly(sandbox, section, text):
    _builds_or_fails_cleanly(sandbox, section, text)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=QUIET)
@given(section=st.sampled_from(SECTIONS), text=texts)
def test_any_text_builds_or_fails_cleanly_many_times_over(sandbox, section, text):
    _builds_or_fails_cleanly(sandbox, section, text)


def _builds_or_fails_cleanly(sandbox: Project, section: str, text: str) -> None:
    path = next((sandbox.data / "themes").glob("04-*.yaml"))
    data = yaml.safe_load((Path(__file__).parent.parent / "data" / "themes" / path.name).read_text(encoding="utf-8"))
    if section in ("title", "lead"):
        data[section] = text
    elif section == "references":
        data[section] = [{"text": text}]
    else:
        data[section] = [text]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    out = Path(tempfile.mkdtemp(dir=sandbox.root))  # one per example: hypothesis reuses fixtures
    report = build(sandbox, Selection(themes=(4,)), out)
    if report.problems or report.skipped:  # the text does not load: said at a file and line
        assert all(d.path is not None and d.path.name for d in [*report.problems, *report.skipped])
        assert not report.results  # theme 4 was the one asked for: it waits for its file
        return
    (result,) = report.results
    if result.ok:
        assert result.job.path.is_file()
    else:
        assert result.problems and not result.job.path.exists()
