"""Read a YAML file into plain data plus the position of every value.

PyYAML's composer keeps a mark on every node; we walk the node tree beside the
constructed data so that a later validation error about `references[2].url`
can be reported at the line and column where the editor typed it. YAML lets a
mapping repeat a key and silently keeps the last one: we refuse that.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml

from .diagnostics import ContentError, Diagnostic

FieldPath = tuple[str | int, ...]
# libyaml's parser keeps the same marks as the pure-Python one and composes
# about ten times faster: it is most of a no-op build's time otherwise.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    data: Any
    # Where each field path begins: the key for mapping entries, the item for
    # sequence entries, so that "'questions' must be a list" points at `questions:`.
    positions: dict[FieldPath, tuple[int, int]]
    sequences: frozenset[FieldPath] = frozenset()

    def strings(self) -> Iterator[tuple[FieldPath, str]]:
        """Every text in the file with its field path, in file order."""
        return _strings(self.data, ())

    def field(self, loc: FieldPath) -> str:
        return field_name(loc, self.sequences)

    def position(self, loc: FieldPath) -> tuple[int, int]:
        """The position of the longest prefix of `loc` that the file has."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.positions:
                return self.positions[loc[:end]]
        return (1, 1)

    def error(self, loc: FieldPath, message: str, **kw: str) -> Diagnostic:
        line, column = self.position(loc)
        return Diagnostic(self.path, line, column, message, **kw)


def load_yaml(path: Path) -> SourceFile:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ContentError([Diagnostic(path, 0, 0, "file not found")]) from None
    except OSError as exc:
        raise ContentError([Diagnostic(path, 0, 0, f"cannot read file: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ContentError(
            [Diagnostic(path, line, column, "file is not UTF-8 text: save it as UTF-8")]
        ) from None

    try:
        node, data = _compose(_Loader, text)
    except yaml.YAMLError:
        # libyaml words its errors differently; the pure-Python parser's
        # messages (and marks) are the ones our hints are written for.
        try:
            node, data = _compose(yaml.SafeLoader, text)
        except yaml.MarkedYAMLError as exc:
            raise ContentError([_yaml_diagnostic(path, exc, text)]) from None
        except yaml.YAMLError as exc:  # unmarked errors are rare; still no traceback
            raise ContentError([Diagnostic(path, 0, 0, f"not valid YAML: {exc}")]) from None
    if node is None:
        raise ContentError([Diagnostic(path, 1, 1, "file is empty")])

    positions: dict[FieldPath, tuple[int, int]] = {}
    sequences: set[FieldPath] = set()
    duplicates: list[Diagnostic] = []
    _walk(path, node, (), positions, sequences, duplicates)
    if duplicates:
        raise ContentError(duplicates)
    return SourceFile(path, data, positions, frozenset(sequences))


def _compose(loader_class: type, text: str) -> tuple[yaml.Node | None, Any]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


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


def _key(node: yaml.Node) -> str | int:
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":int"):
        try:
            return int(node.value)
        except ValueError:
            pass
    return str(node.value)


def _walk(
    path: Path,
    node: yaml.Node,
    loc: FieldPath,
    positions: dict[FieldPath, tuple[int, int]],
    sequences: set[FieldPath],
    duplicates: list[Diagnostic],
) -> None:
    positions.setdefault(loc, _mark(node.start_mark))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str | int, int] = {}
        for key_node, value_node in node.value:
            key = _key(key_node)
            here = _mark(key_node.start_mark)
            if key in seen:
                duplicates.append(
                    Diagnostic(
                        path,
                        *here,
                        f"'{field_name(loc + (key,), sequences)}' is given twice (first on line {seen[key]}); "
                        "YAML would silently keep only the last one",
                    )
                )
                continue
            seen[key] = here[0]
            positions[loc + (key,)] = here
            _walk(path, value_node, loc + (key,), positions, sequences, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        sequences.add(loc)
        for index, item in enumerate(node.value):
            positions[loc + (index,)] = _mark(item.start_mark)
            _walk(path, item, loc + (index,), positions, sequences, duplicates)


def _unclosed_quote(text: str, before_line: int) -> int | None:
    """The first line above the error with an odd number of double quotes."""
    for number, line in enumerate(text.splitlines()[:before_line], start=1):
        content = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
        if content.replace('\\"', "").count('"') % 2:
            return number
    return None


def _yaml_diagnostic(path: Path, exc: yaml.MarkedYAMLError, text: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    if mark is not None and (opened := _unclosed_quote(text, mark.line + 1)) is not None and opened <= mark.line:
        column = text.splitlines()[opened - 1].index('"') + 1
        return Diagnostic(path, opened, column, "YAML syntax: a quote opened here is not closed on this line",
                          suggestion='close the quote, or write a " inside text as \\"')
    problem = exc.problem or "not valid YAML"
    hint = ""
    if "\t" in problem or "'\\t'" in problem:
        hint = "indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        hint = "a ':' inside text needs the text in quotes"
    elif "flow sequence" in (exc.context or "") or "flow mapping" in (exc.context or ""):
        hint = "text inside [ ] with a ?, : or , of its own needs quotes, or write the list one '- item' a line"
    elif "quoted scalar" in (exc.context or "") or "end of stream" in problem:
        hint = "a quote is not closed"
    message = f"YAML syntax: {problem}"
    if exc.context:
        message += f" ({exc.context})"
    line, column = _mark(mark) if mark else (0, 0)
    return Diagnostic(path, line, column, message, suggestion=hint)


def field_name(loc: FieldPath, sequences: frozenset[FieldPath] | set[FieldPath] = frozenset()) -> str:
    """`references[2].url`: items counted from 1, as an editor counts them."""
    out = ""
    for end, part in enumerate(loc):
        if isinstance(part, int) and loc[:end] in sequences:
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out
