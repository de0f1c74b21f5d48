"""How a sheet's text (a theme's, the introduction's) differs between two versions, section by section, item by item.

For an editor reviewing a change: two variants (what an overlay changes), or
the same variant at a git revision and now (`--since`: every theme sheet and
the introduction, each in every variant it prints in). What is compared is
every word a sheet prints: the band, the title, the sections, the pull
quote, the footer, the partnership statement and the colophon (publisher,
edition, date, the web page's address); what is printed but not as words
(the QR code, which holds that address) is not compared, and what is not
printed at all (the PDFs' author) is named in a note. Items are paired
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
from .model import Block
from .plan import theme_key, web_page
from .variants import IntroductionSheet, Sheet, has_text, introduction_variants, resolve, resolve_introduction, variants_of

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
    key: str  # "series", "title", "lead", a text section, "quote", "headings", "footer"; the introduction's "text"
    name: str  # the sheet's heading for it, from the data; "" where the template names it
    kind: str  # "list" (bullets) or "text"
    rows: tuple[Row, ...]

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.rows)


# The diff page (templates/diff.html.j2) names only the sections it knows by
# their key; these have no heading of their own in the data, so they are named here.
QUOTE = "Citat"


def sections(sheet: Sheet, web_page: str | None = None) -> list[tuple[str, str, str, list[str]]]:
    """Everything the sheet says, in reading order, as (key, heading, kind, items);
    `web_page` is the address its colophon prints, where the series has web pages."""
    h = sheet.headings
    plain = inline.to_plain
    return [
        ("series", "", "text", [sheet.variant.series_name, f"{sheet.number_label} {sheet.number}/{sheet.variant.theme_count}"]),
        ("title", "", "text", [*_theme_label(sheet), plain(sheet.title)]),
        ("lead", "", "text", [plain(sheet.lead)]),
        ("actions", h.actions, "list", [plain(t) for t in sheet.actions]),
        ("questions", h.questions, "list", [plain(t) for t in sheet.questions]),
        ("findings", h.findings, "list", [plain(t) for t in sheet.findings]),
        ("cases", h.cases, "text", [plain(t) for t in sheet.cases]),
        # Its words are the cases' too, but which sentence is set large is an editor's choice.
        ("quote", QUOTE, "text", [plain(sheet.quote)] if sheet.quote else []),
        ("references", h.references, "list", [_reference(r.text, r.url) for r in sheet.references]),
        ("headings", "", "list", [h.actions, h.questions, h.findings, h.cases, h.references]),
        ("footer", "", "text", [plain(sheet.footer), plain(sheet.partnership), *_imprint(sheet, web_page)]),
    ]


def introduction_sections(intro: IntroductionSheet) -> list[tuple[str, str, str, list[str]]]:
    """Everything the introduction says, in reading order, in the same (key, heading, kind, items)."""
    plain = inline.to_plain
    return [
        ("series", "", "text", [intro.variant.series_name]),
        ("title", "", "text", [plain(intro.title)]),
        # One section, its headings among its items: a heading added or removed
        # must not shift every later part against another. Named by the title,
        # as the diff page has no name for a "text" section.
        ("text", plain(intro.title), "text", [item for block in intro.blocks for item in _block(intro, block)]),
        ("footer", "", "text", [plain(intro.footer), plain(intro.partnership), *_imprint(intro)]),
    ]


def _block(intro: IntroductionSheet, block: Block) -> list[str]:
    """A block of the introduction as the items it prints; the list of themes as their titles."""
    plain = inline.to_plain
    if block.kind == "themes":
        return [plain(t) for t in intro.theme_titles[block.themes or ""]]
    if block.kind == "list":
        return [plain(t) for t in block.list or []]
    if block.kind == "references":
        return [_reference(r.text, r.url) for r in block.references or []]
    return [plain(block.paragraph or block.heading or "")]


def _reference(text: str, url: str | None) -> str:
    return inline.to_plain(text) + (f" {url}" if url else "")


def _theme_label(sheet: Sheet) -> list[str]:
    """The label above the title, where it is printed: only where it does not
    repeat the band's number label (templates/macros.html.j2, theme_label)."""
    return [sheet.theme_label] if sheet.theme_label.rstrip(":").strip() != sheet.number_label else []


def _imprint(document: Sheet | IntroductionSheet, web_page: str | None = None) -> list[str]:
    """The colophon as printed: "BFA Kontor · 2. udgave · date", and the web
    page's address as shown under its QR code; or nothing, for without a
    publisher there is no colophon (templates/sheet.html.j2, macros.html.j2)."""
    if not document.publisher:
        return []
    line = " · ".join(filter(None, (document.publisher, document.variant.label, document.date)))
    return [line, *([inline.shown(web_page)] if web_page else [])]


def diff_sheets(a: Sheet, b: Sheet, web_pages: tuple[str | None, str | None] = (None, None)) -> list[SectionDiff]:
    return _diff_sections(sections(a, web_pages[0]), sections(b, web_pages[1]))


def diff_introductions(a: IntroductionSheet, b: IntroductionSheet) -> list[SectionDiff]:
    return _diff_sections(introduction_sections(a), introduction_sections(b))


def _diff_sections(a: list[tuple[str, str, str, list[str]]], b: list[tuple[str, str, str, list[str]]]) -> list[SectionDiff]:
    out = []
    for (key, name_a, kind, items_a), (_, name_b, _, items_b) in zip(a, b):
        if not items_a and not items_b:  # a section neither prints (most sheets have no pull quote)
            continue
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
    """What changed in the text since `revision`: the introduction (unless
    `theme` asks for one theme) and each theme (or `theme`), in each variant
    it has (or `name`), only where something changed; and notes on what
    cannot be compared (a sheet or variant that is new or gone) or is not
    printed (the PDFs' author)."""
    comparisons: list[Comparison] = []
    notes: list[str] = []
    if theme is None:
        _introduction_since(before, now, revision, name, comparisons, notes)
    _themes_since(before, now, revision, theme, name, comparisons, notes)
    return comparisons, notes


def _themes_since(before: Library, now: Library, revision: str, theme: int | None, name: str | None,
                  comparisons: list[Comparison], notes: list[str]) -> None:
    authors: dict[str, tuple[str, str]] = {}  # variant -> its author then and now, where it changed
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
            pages = (web_page(before, theme_key(before, old), variant), web_page(now, theme_key(now, tf), variant))
            sections = tuple(diff_sheets(a, b, pages))
            if any(s.changed for s in sections):
                title = f"{b.number_label} {number}: {inline.to_plain(b.title)} ({variant})"
                comparisons.append(Comparison(title, revision, "now", sections))
            if a.author != b.author:
                authors[variant] = (a.author, b.author)
    notes += [f"theme {tf.theme.number} is gone since {revision}" for tf in before.themes
              if theme in (None, tf.theme.number) and now.theme(tf.theme.number) is None]
    # The same for every sheet of a variant: one note each, not one per sheet.
    notes += [f"the author in {variant} changed since {revision} ({then} → {new}): it is the PDFs' metadata, never printed, so not compared"
              for variant, (then, new) in authors.items()]


def _introduction_since(before: Library, now: Library, revision: str, name: str | None,
                        comparisons: list[Comparison], notes: list[str]) -> None:
    """The introduction, a printed sheet of its own, in each variant of its series (or `name`)."""
    if now.introduction is None:
        if before.introduction is not None:
            notes.append(f"the introduction is gone since {revision}")
        return
    if before.introduction is None:
        notes.append(f"the introduction is new since {revision}")
        return
    then = introduction_variants(before)
    for variant in introduction_variants(now):
        if name is not None and variant != name:
            continue
        if variant not in then:
            notes.append(f"the introduction has no text in {variant} at {revision}")
            continue
        a, b = resolve_introduction(before, variant), resolve_introduction(now, variant)
        sections = tuple(diff_introductions(a, b))
        if any(s.changed for s in sections):
            comparisons.append(Comparison(f"{inline.to_plain(b.title)} ({variant})", revision, "now", sections))


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
