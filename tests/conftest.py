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
