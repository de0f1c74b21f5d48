from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from onepagers.library import Library, load_library
from onepagers.project import Project

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


@pytest.fixture(scope="session")
def library(project: Project) -> Library:
    return load_library(project.data)


@pytest.fixture(scope="session")
def corrections(project: Project) -> list[dict]:
    return yaml.safe_load((project.data / "corrections.yaml").read_text(encoding="utf-8"))["corrections"]


@pytest.fixture(scope="session")
def built(library, project, tmp_path_factory):
    """Every sheet in every variant, built once for the whole session."""
    out = tmp_path_factory.mktemp("build")
    from onepagers.build import build, plan

    jobs = plan(library, out, everything=True, every_variant=True)
    results = build(library, project, jobs)
    failed = [r for r in results if not r.ok]
    assert not failed, [(r.job.label, r.problems) for r in failed]
    return results




@pytest.fixture(scope="session")
def laid_out(library, project, tmp_path_factory):
    """Every sheet of every variant laid out (boxes, no PDF): (job, pages)."""
    from onepagers.build import html_for, plan
    from onepagers.pdf import Renderer

    jobs = plan(library, tmp_path_factory.mktemp("laid-out"), everything=True, every_variant=True)
    renderer = Renderer(project)
    try:
        return [(job, renderer.layout(html_for(library, project, job))[0].pages) for job in jobs]
    finally:
        renderer.close()


def copy_project(project: Project, root: Path, parts: tuple[str, ...] = ("data", "templates", "fonts")) -> Project:
    """A copy of the project's parts under `root`, to make bad on purpose."""
    import shutil

    for part in parts:
        shutil.copytree(project.root / part, root / part)
    return Project(root)
