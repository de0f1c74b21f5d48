"""Every problem a user can fix, in one shape, and the two errors that carry them.

A `Diagnostic` points at where the fix goes: a file and line (the data, a
template), or, for a problem only the layout reveals, the sheet and the section,
with the data file and line of that section where it is known. `ContentError`
(exit status 1) carries diagnostics about the text, templates or fonts;
`SelectionError` (exit status 2) says that what was asked for does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import os
import unicodedata
from pathlib import Path


@dataclass(frozen=True)
class Diagnostic:
    path: Path | None  # None when no file is to blame (a selection, a whole build)
    line: int  # 1-based; 0 when the whole file is meant
    column: int  # 1-based; 0 when unknown
    message: str
    severity: str = "error"
    rule: str = ""
    suggestion: str = ""
    subject: str = ""  # the output it is about, e.g. a sheet and its variant

    def location(self) -> str:
        if self.path is None:
            return ""
        loc = display_path(self.path)
        if self.line:
            loc += f":{self.line}"
            if self.column:
                loc += f":{self.column}"
        return loc

    def one_line(self) -> str:
        rule = f" [{self.rule}]" if self.rule else ""
        hint = f" ({self.suggestion})" if self.suggestion else ""
        where = ": ".join(part for part in (self.location(), self.severity) if part)
        subject = f"{self.subject}: " if self.subject else ""
        return f"{where}: {subject}{self.message}{rule}{hint}"

    def as_dict(self) -> dict[str, object]:
        """For `--json` and other tools: the same fields, the path as the user would type it."""
        return {
            # JSON escapes what a line of text cannot hold: the path as it is.
            "file": relative_path(self.path) if self.path is not None else None,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "subject": self.subject,
            "rule": self.rule,
            "message": self.message,
            "suggestion": self.suggestion,
        }

    def with_source(self) -> str:
        """The one-line message, then the offending line quoted and marked."""
        text = self.one_line()
        quoted = _source_line(self.path, self.line) if self.path is not None else None
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


class SelectionError(Exception):
    """What was asked for does not exist (a theme, a variant, a profile, an output
    path that is not a folder): a usage error, not a problem in the text."""

    def __init__(self, message: str, choices: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.choices = choices

    def __str__(self) -> str:
        return self.message + (f"; choose from: {', '.join(self.choices)}" if self.choices else "")


def display_path(path: Path) -> str:
    """Paths relative to the working directory, as an editor would type them,
    on one line whatever the name holds (see `printable`)."""
    return printable(relative_path(path))


def relative_path(path: Path) -> str:
    """The path relative to the working directory, exactly as it is."""
    # abspath, not resolve: a link is named as the editor sees it, never by
    # where it points, and a link loop is no reason for a traceback.
    try:
        return str(Path(os.path.abspath(path)).relative_to(os.getcwd()))
    except (ValueError, OSError):
        return str(path)


# What a name may hold that a line of text cannot show as it is: control
# characters (a newline would make one path two lines of output, an escape
# sequence would rewrite the terminal), line and paragraph separators, the
# invisible format characters (a right-to-left override disguises a name),
# and the bytes of a name that is not UTF-8 (os.fsdecode's lone surrogates).
_UNPRINTABLE = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))
_SHELL_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\", "'": "\\'"}


def printable(text: str) -> str:
    """`text` as it is when every character in it shows; otherwise quoted as
    bash, zsh and POSIX sh quote it, `$'a\\nb'`, so that the line pasted into
    a shell names the same file, byte for byte."""
    if not text.startswith("$'") and not any(unicodedata.category(ch) in _UNPRINTABLE for ch in text):
        return text
    return "$'" + "".join(_escaped(ch) for ch in text) + "'"


def _escaped(ch: str) -> str:
    if ch in _SHELL_ESCAPES:
        return _SHELL_ESCAPES[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, kept by os.fsdecode
        return f"\\x{code - 0xDC00:02x}"
    if unicodedata.category(ch) not in _UNPRINTABLE:
        return ch
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


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
