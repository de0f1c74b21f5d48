"""How one theme's text differs between two versions, section by section, item by item.

For an editor reviewing a change: two variants (what an overlay changes), or
the same variant at a git revision and now (`--since`). Items are paired
first (a section's bullets, the cases), then sentences within a pair: a
sentence rewritten beyond recognition shows as the old sentence and the new
one, a sentence with a few words changed shows those words. Nothing is
shown with markup characters: the HTML page (`templates/diff.html.j2`) puts
the two texts side by side with deletions and insertions highlighted, the
terminal strikes out and colours.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import tempfile
import unicodedata
from collections import deque
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Iterator

from . import inline
from .library import Library
from .variants import Sheet, has_text, resolve, variants_of

# Below this share of equal words two sentences are different sentences:
# showing their few shared words ("og", "at", "i") as kept only confuses.
SAME_SENTENCE = 0.5
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
# Words (with their inner hyphens, slashes, apostrophes: "YouSee/Nuuday"),
# punctuation and spaces apart: "alvorligt" -> "alvorligt." is a full stop added.
TOKEN = re.compile(r"\s+|\w+(?:[-/’']\w+)*-?|[^\w\s]")
# difflib's matcher costs up to the product of the two lengths (more where
# tokens repeat, as spaces do). Beyond this product the common beginning and
# end are kept and what lies between is one change: a sheet's items (at most
# 1,500 characters) stay far below it, a pasted book does not hang the diff.
MATCH_LIMIT = 250_000
# How far ahead a changed item looks for the item it became: a section of
# thousands of new items must not compare each with each.
LOOK_AHEAD = 8


@dataclass(frozen=True)
class Change:
    op: str  # "equal", "replace", "delete" (only in a), "insert" (only in b)
    a: str
    b: str


@dataclass(frozen=True)
class Row:
    """One item of a section in both versions; `in_a`/`in_b` False where a version has no such item."""

    changes: tuple[Change, ...]
    in_a: bool = True
    in_b: bool = True

    @property
    def changed(self) -> bool:
        return any(c.op != "equal" for c in self.changes)


@dataclass(frozen=True)
class SectionDiff:
    key: str  # "series", "title", "lead", a text section, "headings", "footer"
    name: str  # the sheet's heading for it, from the data; "" where the template names it
    kind: str  # "list" (bullets) or "text"
    rows: tuple[Row, ...]

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.rows)


def sections(sheet: Sheet) -> list[tuple[str, str, str, list[str]]]:
    """Everything the sheet says, in reading order, as (key, heading, kind, items)."""
    h = sheet.headings
    plain = inline.to_plain
    return [
        ("series", "", "text", [sheet.variant.series_name, f"{sheet.number_label} {sheet.number}/{sheet.variant.theme_count}"]),
        ("title", "", "text", [plain(sheet.title)]),
        ("lead", "", "text", [plain(sheet.lead)]),
        ("actions", h.actions, "list", [plain(t) for t in sheet.actions]),
        ("questions", h.questions, "list", [plain(t) for t in sheet.questions]),
        ("findings", h.findings, "list", [plain(t) for t in sheet.findings]),
        ("cases", h.cases, "text", [plain(t) for t in sheet.cases]),
        ("references", h.references, "list", [plain(r.text) + (f" {r.url}" if r.url else "") for r in sheet.references]),
        ("headings", "", "list", [h.actions, h.questions, h.findings, h.cases, h.references]),
        ("footer", "", "text", [plain(sheet.footer), plain(sheet.partnership)]),
    ]


def diff_sheets(a: Sheet, b: Sheet) -> list[SectionDiff]:
    out = []
    for (key, name_a, kind, items_a), (_, name_b, _, items_b) in zip(sections(a), sections(b)):
        name = name_a if name_a == name_b else f"{name_a} / {name_b}"
        out.append(SectionDiff(key, name, kind, tuple(diff_items(items_a, items_b))))
    return out


def opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes, in time bounded by MATCH_LIMIT: past it, the common
    beginning and end are equal and the rest is one replacement."""
    if len(a) * len(b) <= MATCH_LIMIT:
        return difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    middle_a, middle_b = a[start : len(a) - end], b[start : len(b) - end]
    if 0 < len(middle_a) * len(middle_b) <= MATCH_LIMIT:
        inner = difflib.SequenceMatcher(a=middle_a, b=middle_b, autojunk=False).get_opcodes()
    else:
        op = "replace" if middle_a and middle_b else "delete" if middle_a else "insert"
        inner = [(op, 0, len(middle_a), 0, len(middle_b))] if middle_a or middle_b else []
    out = [("equal", 0, start, 0, start)] if start else []
    out += [(op, i1 + start, i2 + start, j1 + start, j2 + start) for op, i1, i2, j1, j2 in inner]
    if end:
        out.append(("equal", len(a) - end, len(a), len(b) - end, len(b)))
    return out


def _pairs(a: list[str], b: list[str], similar) -> Iterator[tuple[str | None, str | None]]:
    """Align two sequences: equal runs pair up, and in a changed run items pair by
    position while they are `similar`; the rest stand alone."""
    for op, i1, i2, j1, j2 in opcodes(a, b):
        if op == "equal":
            yield from zip(a[i1:i2], b[j1:j2])
            continue
        left, right = deque(a[i1:i2]), deque(b[j1:j2])
        while left and right:
            if similar(left[0], right[0]):
                yield left.popleft(), right.popleft()
            elif any(similar(left[0], y) for y in islice(right, 1, LOOK_AHEAD + 1)):
                yield None, right.popleft()  # new text before the one this item became
            else:
                yield left.popleft(), None
        yield from ((x, None) for x in left)
        yield from ((None, y) for y in right)


def _ratio(x: str, y: str) -> float:
    a, b = x.split(), y.split()
    if len(a) * len(b) > MATCH_LIMIT:
        # An upper bound in linear time (the words in common, in any order).
        return difflib.SequenceMatcher(a=a, b=b, autojunk=False).quick_ratio()
    return difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio()


def diff_items(items_a: list[str], items_b: list[str]) -> Iterator[Row]:
    for x, y in _pairs(items_a, items_b, lambda x, y: _ratio(x, y) >= 0.3):
        if y is None:
            yield Row((Change("delete", x, ""),), in_b=False)
        elif x is None:
            yield Row((Change("insert", "", y),), in_a=False)
        else:
            yield Row(tuple(_sentences(x, y)))


def _sentences(x: str, y: str) -> Iterator[Change]:
    """The changes within one item: whole sentences, or words within a kept sentence."""
    for sa, sb in _pairs(SENTENCE_END.split(x), SENTENCE_END.split(y), lambda p, q: _ratio(p, q) >= SAME_SENTENCE):
        # Sentences were split off at the spaces that end them: give each its space back.
        if sa is not None and sb is not None:
            yield from _words(sa, sb)
        elif sa is not None:
            yield Change("delete", sa, "")
        else:
            yield Change("insert", "", sb or "")
        yield Change("equal", " " if sa is not None else "", " " if sb is not None else "")


def _words(x: str, y: str) -> Iterator[Change]:
    wa, wb = TOKEN.findall(x), TOKEN.findall(y)
    for op, i1, i2, j1, j2 in opcodes(wa, wb):
        yield Change("equal" if op == "equal" else op, "".join(wa[i1:i2]), "".join(wb[j1:j2]))


def replacements(diffs: list[SectionDiff]) -> list[tuple[str, str]]:
    """(old words, new words) for every change: what a reviewer reads as "X -> Y"."""
    return [(c.a.strip(), c.b.strip()) for s in diffs for r in s.rows for c in r.changes if c.op != "equal"]


def side(row: Row, which: str) -> list[tuple[str, bool]]:
    """One version of a row as (text, changed) runs; the spaces around a change
    are not part of it, so that only words are struck out or marked."""
    runs: list[tuple[str, bool]] = []
    for change in row.changes:
        text = getattr(change, which)
        if change.op == "equal" or not text.strip():
            runs.append((text, False))
            continue
        core = text.strip()
        start = text.index(core)
        runs += [(text[:start], False), (core, True), (text[start + len(core):], False)]
    merged: list[tuple[str, bool]] = []
    for text, changed in runs:
        if merged and merged[-1][1] == changed:
            merged[-1] = (merged[-1][0] + text, changed)
        elif text:
            merged.append((text, changed))
    if merged and not merged[-1][1]:  # the sentence loop leaves a space after the last sentence
        merged[-1] = (merged[-1][0].rstrip(), False)
    return [(t, c) for t, c in merged if t]


def to_rich(diffs: list[SectionDiff], label_a: str, label_b: str, heading: str = ""):
    """For a terminal: each changed item as both versions, deletions struck out in
    red, insertions in green; piped, the two lines still say which is which."""
    from rich.text import Text

    width = max(len(label_a), len(label_b))
    text = Text()
    if heading:
        text.append(f"{heading}\n", style="bold underline")
    for section in diffs:
        if not section.changed:
            continue
        text.append(f"\n{section.name or section.key}\n", style="bold")
        for row in section.rows:
            if not row.changed:
                continue
            bullet = "• " if section.kind == "list" else "  "
            for which, label, present, style in (("a", label_a, row.in_a, "red strike"), ("b", label_b, row.in_b, "green underline")):
                if not present:
                    continue
                text.append(f"{label:>{width}} {bullet}", style="dim")
                for run, changed in side(row, which):
                    text.append(run, style=style if changed else "")
                text.append("\n")
    unchanged = [s.name or s.key for s in diffs if not s.changed]
    if unchanged and len(unchanged) < len(diffs):
        text.append("\nUnchanged: " + ", ".join(unchanged) + "\n", style="dim")
    elif not any(s.changed for s in diffs):
        text.append("No differences.\n", style="dim")
    return text


@dataclass(frozen=True)
class Comparison:
    """One theme in two versions, for the page: what is compared, and how it differs."""

    title: str
    label_a: str
    label_b: str
    sections: tuple[SectionDiff, ...]


def to_html(comparisons: list[Comparison], title: str, templates: Path, revision: str = "") -> str:
    """A self-contained page (no external files) to review and send around.
    `title` "" with a `revision`: the template words it ("since REV")."""
    from .html import environment

    template = environment(templates).get_template("diff.html.j2")
    return template.render(title=title, revision=revision, comparisons=comparisons, side=side)


def since(before: Library, now: Library, revision: str, theme: int | None, name: str | None) -> tuple[list[Comparison], list[str]]:
    """What changed in the text since `revision`: each theme (or `theme`) in each
    variant it has (or `name`), only where something changed; and notes on what
    cannot be compared (a theme or variant that is new)."""
    comparisons, notes = [], []
    for tf in now.themes:
        number = tf.theme.number
        if theme is not None and number != theme:
            continue
        old = before.theme(number)
        if old is None:
            notes.append(f"theme {number} is new since {revision}")
            continue
        for variant in [name] if name else variants_of(now, tf):
            if variant not in before.series.variants or not has_text(before, old, variant):
                notes.append(f"theme {number} has no text in {variant} at {revision}")
                continue
            a, b = resolve(before, old, variant), resolve(now, tf, variant)
            sections = tuple(diff_sheets(a, b))
            if any(s.changed for s in sections):
                title = f"{b.number_label} {number}: {inline.to_plain(b.title)} ({variant})"
                comparisons.append(Comparison(title, revision, "now", sections))
    return comparisons, notes


def data_at(root: Path, revision: str) -> tempfile.TemporaryDirectory:
    """`data/` as it was at a git revision, written into a temporary folder
    (`<tmp>/data`) one file at a time, never the whole of it in memory.

    The revision must name a commit: it is checked (`rev-parse --verify
    --end-of-options REV^{commit}`) before git is asked for anything else,
    and only the commit's id is passed on, so a value such as `--output=x`
    is never read as an option. Raises LookupError, in plain words, for no
    git, no repository, no commits, no such (or an ambiguous) revision, a
    revision that is not a commit, and a commit without data/.
    """
    if not revision or revision.startswith("-") or any(unicodedata.category(ch)[0] == "C" or ch.isspace() for ch in revision):
        raise LookupError(f"'{revision}' is not a revision: give a commit, a branch or a tag, such as HEAD~3 or main")
    top = _git(root, "rev-parse", "--show-toplevel", fail="the project is not in a git repository: there is no revision to compare with").decode().strip()
    commit = _commit(Path(top), revision)
    try:
        inside = (root / "data").resolve().relative_to(Path(top).resolve()).as_posix()
    except ValueError:
        raise LookupError(f"data/ is not inside the git repository at {top}") from None
    listing = _git(Path(top), "ls-tree", "-r", "-z", "--long", "--end-of-options", f"{commit}:{inside}",
                   fail=f"'{revision}': there was no {inside}/ folder at that revision")
    folder = tempfile.TemporaryDirectory(prefix="onepagers-since-")
    try:
        _write_tree(Path(top), listing, Path(folder.name) / "data")
    except BaseException:
        folder.cleanup()
        raise
    return folder


def _git(top: Path, *args: str, fail: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(top), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise LookupError("git is not installed") from None
    if done.returncode != 0:
        raise LookupError(fail)
    return done.stdout


def _commit(top: Path, revision: str) -> str:
    """The id of the commit `revision` names, or a LookupError saying why there is none."""
    done = subprocess.run(["git", "-C", str(top), "rev-parse", "--verify", "--end-of-options", f"{revision}^{{commit}}"],
                          capture_output=True, text=True, errors="replace", check=False)
    if "ambiguous" in done.stderr:
        raise LookupError(f"'{revision}' is ambiguous: it names more than one thing (a branch and a tag, or several commits); "
                          f"give the full name, such as refs/tags/{revision}, or more of the commit's id")
    if done.returncode == 0:
        return done.stdout.strip()
    if subprocess.run(["git", "-C", str(top), "rev-parse", "--verify", "--quiet", "HEAD"], capture_output=True, check=False).returncode != 0:
        raise LookupError(f"'{revision}': the repository has no commits yet")
    kind = subprocess.run(["git", "-C", str(top), "cat-file", "-t", "--end-of-options", revision], capture_output=True, text=True, check=False)
    named = {"tree": "a folder (a git tree)", "blob": "a file (a git blob)"}.get(kind.stdout.strip())
    if kind.returncode == 0 and named:
        raise LookupError(f"'{revision}' names {named}, not a commit")
    shallow = subprocess.run(["git", "-C", str(top), "rev-parse", "--is-shallow-repository"], capture_output=True, text=True, check=False)
    hint = " (this is a shallow clone: older commits are not here; `git fetch --unshallow` brings them)" if shallow.stdout.strip() == "true" else ""
    raise LookupError(f"'{revision}': no such commit, branch or tag in this repository{hint}")


# ls-tree's entry: mode, type, object, size ("-" for a submodule), path.
_ENTRY = re.compile(rb"^(?P<mode>[0-7]+) (?P<type>\w+) (?P<object>[0-9a-f]+) +(?P<size>-|[0-9]+)\t(?P<path>.+)$", re.S)


def _write_tree(top: Path, listing: bytes, target: Path) -> None:
    """Write the blobs ls-tree listed under `target`, streamed one at a time.
    A file larger than a data file may be is written as an empty file of its
    size (load_yaml refuses it by its size); a link stays a link."""
    from .source import MAX_BYTES

    target.mkdir(parents=True)
    with subprocess.Popen(["git", "-C", str(top), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE) as batch:
        assert batch.stdin is not None and batch.stdout is not None
        try:
            for raw in filter(None, listing.split(b"\0")):
                entry = _ENTRY.match(raw)
                if entry is None or entry["type"] != b"blob":
                    continue  # a submodule: no text of ours
                parts = os.fsdecode(entry["path"]).split("/")
                if any(part in ("", ".", "..") for part in parts):
                    continue  # no path git itself would check out
                path = target.joinpath(*parts)
                path.parent.mkdir(parents=True, exist_ok=True)
                size = int(entry["size"])
                link = entry["mode"] == b"120000"
                if link and size > 4096:
                    continue  # no link's target is so long
                if not link and size > MAX_BYTES:
                    with open(path, "wb") as handle:
                        handle.truncate(size)
                    continue
                batch.stdin.write(entry["object"] + b"\n")
                batch.stdin.flush()
                header = batch.stdout.readline().split()
                if len(header) != 3:
                    continue  # "<object> missing": a partial clone lacks it
                remaining = int(header[2])
                if link:
                    os.symlink(os.fsdecode(batch.stdout.read(remaining)), path)
                else:
                    with open(path, "wb") as handle:
                        while remaining:
                            chunk = batch.stdout.read(min(remaining, 1 << 16))
                            if not chunk:
                                break
                            handle.write(chunk)
                            remaining -= len(chunk)
                batch.stdout.read(1)  # the newline after each object
        finally:
            batch.stdin.close()
