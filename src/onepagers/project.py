"""Where a project's data, templates and fonts are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def fonts(self) -> Path:
        return self.root / "fonts"

    @property
    def layouts_lock(self) -> Path:
        """The layout chosen for each sheet, shipped (`layouts`)."""
        return self.root / "layouts.lock"

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """The nearest folder, from `start` upwards, that holds data/series.yaml."""
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if _holds_data(folder):
                return cls(folder)
        return cls(here)


def _holds_data(folder: Path) -> bool:
    try:
        return (folder / "data" / "series.yaml").is_file()
    except OSError:
        # data/ is there but may not be looked into (no permission): this is
        # the project, and loading it says what is wrong, file by file.
        return (folder / "data").is_dir()
