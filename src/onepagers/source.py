"""Read a YAML file into plain data plus the position of every value.

PyYAML's composer keeps a mark on every node; we walk the node tree beside the
constructed data so that a later validation error about `references[2].url`
can be reported at the line and column where the editor typed it. YAML lets a
mapping repeat a key and silently keeps the last one: we refuse that.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any, Iterator

import re
import stat
import threading

import yaml

from .diagnostics import ContentError, Diagnostic
from .files import inside_folder

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class SourceFile:
    path: Path
    data: Any
    # Where each field path begins: the key for mapping entries, the item for
    # sequence entries, so that "'questions' must be a list" points at `questions:`.
    positions: dict[FieldPath, tuple[int, int]]
    sequences: frozenset[FieldPath] = frozenset()
    # A key as the editor typed it, where YAML reads it as something else
    # (`yes` is true, `0x3` is 3): messages name what the editor sees.
    names: dict[FieldPath, str] = dataclass_field(default_factory=dict)

    def strings(self) -> Iterator[tuple[FieldPath, str]]:
        """Every text in the file with its field path, in file order."""
        return _strings(self.data, ())

    def field(self, loc: FieldPath) -> str:
        return field_name(loc, self.sequences, self.names)

    def position(self, loc: FieldPath) -> tuple[int, int]:
        """The position of the longest prefix of `loc` that the file has."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.positions:
                return self.positions[loc[:end]]
        return (1, 1)

    def error(self, loc: FieldPath, message: str, **kw: str) -> Diagnostic:
        line, column = self.position(loc)
        return Diagnostic(self.path, line, column, message, **kw)


# Limits far above what a sheet can hold, far below what hurts: a theme file
# is a few kilobytes, nested four deep, with numbers of two digits.
MAX_BYTES = 512 * 1024
MAX_DEPTH = 20
MAX_DIGITS = 18
# What YAML itself refuses in a file (its reader's rule), found before the
# parser so that the message has a line and a column.
_NOT_YAML = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def load_yaml(path: Path, inside: Path | None = None) -> SourceFile:
    """Read and parse one file. With `inside`, a file that is (or passes
    through) a link to somewhere outside that folder is refused unread."""
    raw = _read(path, inside)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = line_column(raw, exc.start)
        raise ContentError(
            [Diagnostic(path, line, column, "file is not UTF-8 text: save it as UTF-8")]
        ) from None
    if bad := _NOT_YAML.search(text):
        line, column = line_column(text, bad.start())
        raise ContentError([Diagnostic(
            path, line, column, f"the file contains the control character U+{ord(bad.group()):04X}, which YAML does not allow",
            suggestion="delete it; an editor or a copy from another program put it there",
        )])

    with _PARSED_LOCK:
        parsed = _PARSED.get(text)
    if parsed is not None:
        return SourceFile(path, *parsed)
    try:
        # libyaml composes about ten times faster: most of a no-op build's time.
        source = _parse(_FastLoader, path, text)
    except _Retry:
        # Something the limits refuse, or a YAML error: the pure-Python parser
        # says where, in the words our hints are written for.
        source = _parse(_Loader, path, text)
    with _PARSED_LOCK:  # serve renders in threads
        _PARSED[text] = (source.data, source.positions, source.sequences, source.names)
        if len(_PARSED) > KEEP_PARSED:
            _PARSED.popitem(last=False)
    return source


# A file's parse depends on its text alone, and `serve`, `watch` and the tests
# read the same files again and again (from another folder, after another
# file changed): the most recent parses are kept by text, and shared. Nothing
# changes a SourceFile's data once parsed.
KEEP_PARSED = 64
_PARSED: OrderedDict[str, tuple[Any, dict, frozenset, dict]] = OrderedDict()
_PARSED_LOCK = threading.Lock()


class _Retry(Exception):
    """The fast parser found something only the careful one words well."""


def _parse(loader_class: type, path: Path, text: str) -> SourceFile:
    fast = loader_class is not _Loader
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ContentError([Diagnostic(path, 1, 1, "file is empty")])
        if fast:
            _within_limits(node)
        data = loader.construct_document(node)
        positions: dict[FieldPath, tuple[int, int]] = {}
        sequences: set[FieldPath] = set()
        names: dict[FieldPath, str] = {}
        duplicates: list[Diagnostic] = []
        _walk(loader, path, node, (), positions, sequences, names, duplicates)
    except _Refused as exc:
        if fast:
            raise _Retry from None
        raise ContentError([Diagnostic(path, *_mark(exc.mark), exc.message, suggestion=exc.suggestion)]) from None
    except yaml.MarkedYAMLError as exc:
        if fast:
            raise _Retry from None
        raise ContentError([_yaml_diagnostic(path, exc, text)]) from None
    except yaml.YAMLError as exc:  # unmarked errors are rare; still no traceback
        if fast:
            raise _Retry from None
        raise ContentError([Diagnostic(path, 0, 0, f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if duplicates:
        raise ContentError(duplicates)
    return SourceFile(path, data, positions, frozenset(sequences), names)


def _within_limits(root: yaml.Node) -> None:
    """libyaml composes in C, past the careful loader's checks: an alias is a
    node met twice, nesting is counted here. Either sends the file to the
    careful loader, which says where."""
    seen: set[int] = set()
    pending: list[tuple[yaml.Node, int]] = [(root, 1)]
    while pending:
        node, depth = pending.pop()
        if id(node) in seen or depth > MAX_DEPTH:
            raise _Retry
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            pending += [(child, depth + 1) for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            pending += [(child, depth + 1) for child in node.value]


def _read(path: Path, inside: Path | None) -> bytes:
    def fail(message: str, suggestion: str = "") -> ContentError:
        return ContentError([Diagnostic(path, 0, 0, message, suggestion=suggestion)])

    if inside is not None and not inside_folder(path, inside):
        # Not even its first line is quoted: it is not the project's to show.
        raise fail("is a link to a file outside the project; it is not read",
                   suggestion="copy the file into the project instead of linking to it")
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise fail("is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            # A FIFO or a device would block or never end: not opened at all.
            raise fail("is not a regular file (a pipe, socket or device); it is not read")
        if info.st_size > MAX_BYTES:
            raise fail(f"file is {info.st_size:,} bytes; a data file holds at most {MAX_BYTES:,}", suggestion="is it the right file?")
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise fail("file not found") from None
    except OSError as exc:
        raise fail(f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:  # grew since stat
        raise fail(f"file is larger than {MAX_BYTES:,} bytes, the most a data file holds")
    return raw


def line_column(text: str | bytes, offset: int) -> tuple[int, int]:
    newline = "\n" if isinstance(text, str) else b"\n"
    line = text[:offset].count(newline) + 1  # type: ignore[arg-type]
    return line, offset - (text.rfind(newline, 0, offset) + 1) + 1  # type: ignore[arg-type]


class _Refused(Exception):
    """Valid YAML that the data never needs and that costs without bound."""

    def __init__(self, mark: yaml.Mark, message: str, suggestion: str = "") -> None:
        super().__init__(message)
        self.mark, self.message, self.suggestion = mark, message, suggestion


class _Limits:
    """The constructor's limits, shared by both loaders: no merge keys, no
    numbers longer than any the data holds."""

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        # A merge key (`<<:`) would let one field hide another without a word.
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused(key_node.start_mark, "'<<' merges another mapping into this one (a YAML merge key); the data does not use them",
                               suggestion="write the fields out where they belong")
        super().flatten_mapping(node)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:  # type: ignore[override]
        if sum(ch.isalnum() for ch in node.value) > MAX_DIGITS:
            raise _Refused(node.start_mark, f"a number of {len(node.value)} digits; no number in the data has more than {MAX_DIGITS}",
                           suggestion="if it is text, put it in quotes")
        try:
            value = super().construct_yaml_int(node)
        except ValueError:  # `!!int abc`: a tag that says number on something that is not one
            raise _Refused(node.start_mark, f"'{node.value}' is marked as a whole number (!!int) but is not one") from None
        # YAML 1.1 reads a whole number with a leading zero as octal (`010` is
        # 8), and `0x10`, `0b10`, `1_0`, `1:30` in other ways: a theme number
        # typed so would name another theme without a word.
        written = node.value.strip().lstrip("+-")
        if not written.isdigit() or (len(written) > 1 and written.startswith("0")):
            raise _Refused(node.start_mark, f"'{node.value}' is read by YAML as the number {value}, which is likely not what was meant",
                           suggestion="write a number in plain digits with no leading zero, or put text in quotes")
        return value


    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:  # type: ignore[override]
        # PyYAML's scalar constructors raise Python's own errors on what YAML
        # took for a date, a number or a yes/no but is none (`2024-02-30`,
        # `!!float abc`, `!!bool maybe`): said at the value, not a traceback.
        try:
            return super().construct_object(node, deep)  # type: ignore[misc]
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError):
            if not isinstance(node, yaml.ScalarNode):
                raise
            what = _READ_AS.get(node.tag, f"'{node.tag}'")
            raise _Refused(node.start_mark, f"'{node.value}' is read as {what}, but it is not one",
                           suggestion="if it is text, put it in quotes") from None


# What YAML's tags mean to an editor.
_READ_AS = {
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:bool": "yes or no",
    "tag:yaml.org,2002:null": "nothing (null)",
}


class _Loader(_Limits, yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML's safe loader with limits: no aliases (a few hundred bytes of them
    expand to gigabytes: the "billion laughs"), no deep nesting (the composer
    recurses), no numbers longer than any the data holds."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(
                event.start_mark,
                f"'*{event.anchor}' repeats another part of the file (a YAML alias); the data does not use them",
                suggestion="write the text out where it belongs; a text that starts with * or & needs quotes",
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(self.peek_event().start_mark, f"nested more than {MAX_DEPTH} levels deep; no sheet needs that",
                               suggestion="check the brackets and the indentation")
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1


class _FastLoader(_Limits, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's parser (same marks, ten times faster) with the same constructor;
    aliases and depth are checked on its nodes (`_within_limits`)."""


for _class in (_Loader, _FastLoader):
    _class.add_constructor("tag:yaml.org,2002:int", _Limits.construct_yaml_int)


def _strings(data: Any, loc: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    if isinstance(data, str):
        yield loc, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, loc + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, loc + (index,))


def _mark(mark: yaml.Mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _key(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """The key as the data holds it: YAML's reading, so that `3` and `0x3`, or
    `1` and `yes`, are found to be the same key, as the dict finds them."""
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_object(node)
    return node.value  # unhashable keys were refused by the constructor already


def _walk(
    loader: yaml.SafeLoader,
    path: Path,
    node: yaml.Node,
    loc: FieldPath,
    positions: dict[FieldPath, tuple[int, int]],
    sequences: set[FieldPath],
    names: dict[FieldPath, str],
    duplicates: list[Diagnostic],
) -> None:
    positions.setdefault(loc, _mark(node.start_mark))
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, tuple[int, str]] = {}
        for key_node, value_node in node.value:
            key = _key(loader, key_node)
            spelled = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else str(key)
            here = _mark(key_node.start_mark)
            if key in seen:
                first_line, first_spelled = seen[key]
                same = "" if first_spelled == spelled else f" as '{first_spelled}', which YAML reads as the same key"
                duplicates.append(
                    Diagnostic(
                        path,
                        *here,
                        f"'{field_name(loc, sequences, names) + ('.' if loc else '') + spelled}' is given twice "
                        f"(first on line {first_line}{same}); YAML would silently keep only the last one",
                    )
                )
                continue
            seen[key] = (here[0], spelled)
            if spelled != str(key):
                names[loc + (key,)] = spelled
            positions[loc + (key,)] = here
            if not isinstance(key, (str, int)):
                # pydantic names a key that is no text (null, 1.5, a date) by its str().
                for named in (str(key), repr(key)):
                    names.setdefault(loc + (named,), spelled)
                    positions.setdefault(loc + (named,), here)
            _walk(loader, path, value_node, loc + (key,), positions, sequences, names, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        sequences.add(loc)
        for index, item in enumerate(node.value):
            positions[loc + (index,)] = _mark(item.start_mark)
            _walk(loader, path, item, loc + (index,), positions, sequences, names, duplicates)


# A line where a double-quoted text begins: `key: "…`, `- "…`, `- key: "…`.
_QUOTE_OPENS = re.compile(r"""^\s*(?:-\s+)*(?:[^\s"'#][^:#]*:\s+)?(")""")


def _unclosed_quote(text: str, before_line: int) -> tuple[int, int] | None:
    """The first line above the error where a quoted text opens and does not close."""
    for number, line in enumerate(text.splitlines()[:before_line], start=1):
        opened = _QUOTE_OPENS.match(line)
        if opened and line.replace('\\"', "").count('"') % 2:
            return number, opened.start(1) + 1
    return None


def _misindented(text: str, index: int) -> bool:
    """Does line `index` (0-based) start with `field:` at another indentation than the line above?"""
    lines = text.splitlines()
    if index >= len(lines) or not re.match(r"\s*[\w@-]+:(\s|$)", lines[index]):
        return False
    above = next((line for line in reversed(lines[:index]) if line.strip() and not line.lstrip().startswith("#")), None)
    indent = len(lines[index]) - len(lines[index].lstrip())
    return above is not None and indent != len(above) - len(above.lstrip())


# PyYAML's words for a problem, and what they mean to someone editing the text.
_PLAIN_WORDS: tuple[tuple[str, str, str], ...] = (
    ("cannot start any token", "'\\t'",
     "a tab character; YAML indents with spaces only|indent with spaces, not tabs"),
    ("mapping values are not allowed", "",
     "a ':' followed by a space inside a text|put the whole text in quotes, or leave out the colon"),
    ("expected <block end>", "",
     "this line is indented differently from the lines above it|indent it as far as the other fields (or items) of its level"),
    ("could not find expected ':'", "",
     "a line that is neither 'field: text' nor '- item'; perhaps a text went on to a new line that is indented too little|indent the line further, or put the whole text on one line"),
    ("while parsing a block mapping", "",
     "this line is indented differently from the lines above it|indent it as far as the other fields of its level"),
    ("expected ',' or ']'", "",
     "a list in [ ] whose text has a comma, colon or quote of its own|put that text in quotes, or write the list one '- item' a line"),
    ("expected ',' or '}'", "",
     "a mapping in { } whose text has a comma, colon or quote of its own|put that text in quotes"),
    ("found unknown escape character", "",
     "a backslash inside a double-quoted text|write \\\\ for a backslash, or use single quotes"),
    ("cannot start any token", "",
     "a text that starts with a character YAML reserves (@, `, %, |, >)|put the whole text in quotes"),
    ("expected alphabetic or numeric character", "",
     "a text that starts with * or &, which YAML reserves|put the whole text in quotes"),
    ("found unhashable key", "",
     "a field name that is a list or a mapping|a field name is a plain word"),
    ("end of stream", "",
     "the file ends inside a quoted text or a bracket|close the quote or the bracket"),
    ("while scanning a quoted scalar", "",
     "a quoted text that is not closed|close the quote"),
    ("while scanning a simple key", "",
     "a line that is neither 'field: text' nor '- item'|check the line above: a text may have gone on to a new line"),
)


# An item or a field whose double-quoted text closes and then goes on: a
# quote inside it that should have been \".
_QUOTE_ENDS_EARLY = re.compile(r'^\s*(?:-\s+|[^:#"\s][^:#"]*:\s+)(?P<text>"(?:[^"\\]|\\.)*)"[ \t]*[^\s#]')


def _yaml_diagnostic(path: Path, exc: yaml.MarkedYAMLError, text: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "not valid YAML"
    context = exc.context or ""
    # A quote left open swallows the lines after it; the parser stumbles
    # somewhere below. The cause is the line where the quote opened.
    syntax = isinstance(exc, (yaml.scanner.ScannerError, yaml.parser.ParserError))
    if syntax and mark is not None and (opened := _unclosed_quote(text, mark.line + 1)) is not None and opened[0] <= mark.line:
        return Diagnostic(path, *opened, "YAML syntax: a quote opened here is not closed on this line",
                          suggestion='close the quote, or write a " inside text as \\"')
    if syntax and mark is not None and (early := _QUOTE_ENDS_EARLY.match(text.splitlines()[mark.line] if mark.line < len(text.splitlines()) else "")):
        return Diagnostic(path, mark.line + 1, early.end("text") + 1, "YAML syntax: a \" inside this quoted text ends it early; what follows is not read as text",
                          suggestion='write a " inside text as \\", or use typographic quotes (“ ”)')
    # A bracket or a single quote left open: the parser stumbles lines below
    # (or at the file's end); it says where the bracket or quote opened.
    opened_at = exc.context_mark
    if syntax and opened_at is not None and mark is not None and opened_at.line < mark.line:
        if "flow sequence" in context or "flow mapping" in context:
            pair = "[]" if "sequence" in context else "{}"
            return Diagnostic(path, *_mark(opened_at), f"YAML syntax: a '{pair[0]}' opened here is not closed on its line",
                              suggestion=f"close it with '{pair[1]}', or put the whole text in quotes")
        if "quoted scalar" in context:
            return Diagnostic(path, *_mark(opened_at), "YAML syntax: a quote opened here is not closed on its line",
                              suggestion="close the quote, or write a ' inside single-quoted text as ''")
    line, column = _mark(mark) if mark else (0, 0)
    if "mapping values are not allowed" in problem and mark is not None and _misindented(text, mark.line):
        problem = "expected <block end>"  # a field indented too far reads as the text above going on
        column = len(text.splitlines()[mark.line]) - len(text.splitlines()[mark.line].lstrip()) + 1
    for words, detail, plain in _PLAIN_WORDS:
        if words in f"{context} {problem}" and detail in problem:
            meaning, hint = plain.split("|")
            break
    else:
        meaning, hint = f"{problem}" + (f" ({context})" if context else ""), ""
    return Diagnostic(path, line, column, f"YAML syntax: {meaning}", suggestion=hint)


def field_name(
    loc: FieldPath,
    sequences: frozenset[FieldPath] | set[FieldPath] = frozenset(),
    names: dict[FieldPath, str] | None = None,
) -> str:
    """`references[2].url`: items counted from 1, as an editor counts them;
    keys as the editor typed them."""
    out = ""
    for end, part in enumerate(loc):
        if isinstance(part, int) and not isinstance(part, bool) and loc[:end] in sequences:
            out += f"[{part + 1}]"
        else:
            spelled = (names or {}).get(loc[: end + 1], str(part))
            out += ("." if out else "") + spelled
    return out
