from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import yaml

from onepagers.library import Library, load_library
from onepagers.project import Project

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def own_cache_folder(tmp_path_factory):
    """The tests' font metrics cache (fonts.metrics), not the user's ~/.cache;
    the command lines the tests start inherit it."""
    import os

    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


@pytest.fixture(scope="session")
def library(project: Project) -> Library:
    return load_library(project.data)


@pytest.fixture(scope="session")
def corrections(project: Project) -> list[dict]:
    return yaml.safe_load((project.data / "corrections.yaml").read_text(encoding="utf-8"))["corrections"]


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run the command line in this process, through its error boundary, as a user would."""
    from onepagers.cli import run

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


def copy_project(source: Project, root: Path, parts: tuple[str, ...] = ("data", "templates", "fonts")) -> Project:
    """A copy of the project's data, templates and fonts (or just `parts`) under `root`, to edit freely."""
    for part in parts:
        shutil.copytree(source.root / part, root / part)
    return Project(root)


@pytest.fixture
def sandbox(project: Project, tmp_path: Path) -> Project:
    """A fresh copy of the project for one test."""
    return copy_project(project, tmp_path)


@pytest.fixture(scope="session")
def built(library, project, tmp_path_factory):
    """Every sheet in every variant, built once for the whole session."""
    out = tmp_path_factory.mktemp("build")
    from onepagers.build import build
    from onepagers.plan import Selection

    report = build(project, Selection(everything=True, every_variant=True), out, library=library)
    assert report.ok, [d.one_line() for d in report.diagnostics]
    return report.results




@pytest.fixture(scope="session")
def laid_out(library, project, tmp_path_factory):
    """Every sheet of every variant laid out (boxes, no PDF): (job, pages)."""
    from onepagers.html import html_for
    from onepagers.pdf import Renderer
    from onepagers.plan import Selection, plan

    jobs = plan(library, tmp_path_factory.mktemp("laid-out"), Selection(everything=True, every_variant=True))
    renderer = Renderer(project, jobs[0].profile, library.series.language)
    try:
        return [(job, renderer.layout(html_for(library, project, job))[0].pages) for job in jobs]
    finally:
        renderer.close()


@pytest.fixture
def unreadable_folder(monkeypatch):
    """Make listing one folder fail as it would without read permission (the
    tests may run as root, whom permissions do not stop)."""

    def make(folder: Path) -> None:
        real = Path.iterdir

        def iterdir(self: Path):
            if self == folder:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "iterdir", iterdir)

    return make
