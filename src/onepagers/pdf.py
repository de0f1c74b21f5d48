"""HTML to PDF with WeasyPrint: only the project's own files are read, nothing else.

Importing this module imports WeasyPrint (about half a second), so the CLI
imports it only when it has something to render.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from . import fit, hyphenation
from .project import Project


# fontTools warns about the Lato files' old 'created' timestamps on every
# subset; it is noise to an editor.
logging.getLogger("fontTools").setLevel(logging.ERROR)


class ProjectFetcher(URLFetcher):
    """Serves files under the allowed folders; refuses and records everything else."""

    def __init__(self, allowed: tuple[Path, ...]) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.allowed = tuple(p.resolve() for p in allowed)
        self.refused: list[str] = []
        self.missing: list[Path] = []

    def fetch(self, url: str, headers: object = None):  # type: ignore[override]
        parts = urlsplit(url)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(url2pathname(parts.path)).resolve()
            if any(path.is_relative_to(folder) for folder in self.allowed):
                if not path.is_file():
                    self.missing.append(path)
                    raise FileNotFoundError(path)
                return super().fetch(url, headers)
        self.refused.append(url)
        raise ValueError(f"onepagers reads only the project's templates and fonts; refused {url}")


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    page_sizes_mm: list[tuple[float, float]]
    overflows: list[fit.Overflow]
    refused: list[str] = field(default_factory=list)
    missing: list[Path] = field(default_factory=list)


class Renderer:
    """One per process: keeps WeasyPrint's font configuration across sheets."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.fonts = FontConfiguration()
        hyphenation.install(project.templates / "hyphenation.txt")

    def render(self, html: str) -> Rendered:
        fetcher = ProjectFetcher((self.project.templates, self.project.fonts))
        source = weasyprint.HTML(
            string=html,
            base_url=self.project.templates.resolve().as_uri() + "/",
            url_fetcher=fetcher,
        )
        document = source.render(font_config=self.fonts)
        sizes = [(p.width / fit.PX_PER_MM, p.height / fit.PX_PER_MM) for p in document.pages]
        overflows = fit.overflows(document.pages)
        if overflows or len(document.pages) > fit.design_pages(document.pages):
            measured = source.render(font_config=self.fonts, stylesheets=[weasyprint.CSS(string=fit.MEASURE_CSS)])
            overflows = fit.overflows(measured.pages) or overflows
        data = document.write_pdf()
        return Rendered(data, len(document.pages), sizes, overflows, fetcher.refused, fetcher.missing)


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target, then rename: a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
