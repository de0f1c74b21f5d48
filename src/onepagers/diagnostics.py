"""Content errors that point at a file, a line and a field, compiler style."""

from __future__ import annotations

from dataclasses import dataclass, field
import os
import unicodedata
from pathlib import Path


@dataclass(frozen=True)
class Diagnostic:
    path: Path
    line: int  # 1-based; 0 when the whole file is meant
    column: int  # 1-based; 0 when unknown
    message: str
    severity: str = "error"
    rule: str = ""
    suggestion: str = ""

    def location(self) -> str:
        loc = display_path(self.path)
        if self.line:
            loc += f":{self.line}"
            if self.column:
                loc += f":{self.column}"
        return loc

    def one_line(self) -> str:
        rule = f" [{self.rule}]" if self.rule else ""
        hint = f" ({self.suggestion})" if self.suggestion else ""
        return f"{self.location()}: {self.severity}: {self.message}{rule}{hint}"

    def with_source(self) -> str:
        """The one-line message, then the offending line quoted and marked."""
        text = self.one_line()
        quoted = _source_line(self.path, self.line)
        if quoted is None:
            return text
        marker = " " * max(self.column - 1, 0) + "^"
        return f"{text}\n  {quoted}\n  {marker}"


@dataclass
class ContentError(Exception):
    """One or more problems in the data; nothing was written."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(d.one_line() for d in self.diagnostics)


def display_path(path: Path) -> str:
    """Paths relative to the working directory, as an editor would type them."""
    # abspath, not resolve: a link is named as the editor sees it, never by
    # where it points, and a link loop is no reason for a traceback.
    try:
        return str(Path(os.path.abspath(path)).relative_to(os.getcwd()))
    except (ValueError, OSError):
        return str(path)


def _source_line(path: Path, line: int) -> str | None:
    if line <= 0:
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if line > len(lines):
        return None
    # A control character quoted raw would reach the terminal (an escape
    # sequence from the data could rewrite the screen): shown as a mark.
    return "".join("\ufffd" if unicodedata.category(ch) == "Cc" else ch for ch in lines[line - 1].replace("\t", " "))
