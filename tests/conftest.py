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
