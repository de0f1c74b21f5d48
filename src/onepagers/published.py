"""The data against the published text: a report of every place they differ.

The published sheets' text, pulled out of their PDFs, is kept in
`tests/seeds/` (its README says how to read it); `tests/seeds/sources.yaml`
says which sheets each file holds. Each of those sheets is resolved from the
data, and its items are looked up in the published text, in order within a
section, with every correction of data/corrections.yaml undone first; what is
not found, and what the published text says that the data does not, is a
deviation. Deviations are reported by `onepagers check` (rule
`published-text`, a warning, at the file and line of the text), not refused:
an editor may reword a sheet. A deviation that is meant is listed in
data/corrections.yaml with its reason, and the report no longer shows it; a
listed correction whose text the data no longer says is reported too.

The extraction breaks lines anywhere, inside a word with a hyphen
("medarbej-\\ndere") or without ("med\\narbejderne"): an item becomes a
pattern that allows such a break between any two of its letters, while a space
in the data must be white space there and letters written together must stand
together on one line ("fakta ark" and "faktaark" stay different).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import inline
from .diagnostics import ContentError, Diagnostic
from pydantic import ValidationError

from .library import Library, ThemeFile
from .model import Correction
from .project import Project
from .source import FieldPath, SourceFile, load_yaml
from .variants import _chain, introduction_variants, resolve, resolve_introduction

SOURCES = Path("tests") / "seeds" / "sources.yaml"
RULE = "published-text"
# Between two letters: nothing, or a line break (after a hyphen or not). The
# text is read with each line break and the blanks around it as one "\n"
# (`Segment`), which keeps the patterns short enough to compile at once.
_BREAK = r"(?:-?\n)?"
_LINE_BREAK = re.compile(r"[ \t]*\n\s*")
# A Markdown link without an address (the draft's "[link](#)") reads as its text.
_NO_ADDRESS_LINK = re.compile(r"\[([^\]\n]*)\]\(#\)")
LISTED = "if the change is meant, list it in data/corrections.yaml (published, data, reason): see data/README.md"


@dataclass(frozen=True)
class Source:
    """One published text and the sheets it holds."""

    path: Path
    variant: str
    themes: tuple[int, ...] = ()
    introduction: bool = False
    sheet_begins: str | None = None  # several sheets in one file: where each begins


def pattern(item: str) -> re.Pattern[str]:
    parts = []
    words = item.split()
    for w, word in enumerate(words):
        parts.append(_BREAK.join(re.escape(ch) for ch in word))
        if w < len(words) - 1:
            parts.append(r"\s+")
    return re.compile("".join(parts))


class Segment:
    """A published text from which matched items are blanked out, to see what is left."""

    def __init__(self, text: str) -> None:
        self.text = _LINE_BREAK.sub("\n", text)

    def take(self, item: str, after: int = 0) -> int | None:
        """Blank out the first occurrence of `item` at or after `after`; its position, or None."""
        match = pattern(item).search(self.text, after)
        if match is None:
            return None
        self.text = self.text[: match.start()] + " " * (match.end() - match.start()) + self.text[match.end() :]
        return match.start()

    def residue(self, ignore: str = "•\u2022") -> str:
        rest = "".join(ch for ch in self.text if ch not in ignore)
        return " ".join(rest.split())

    def fragments(self, ignore: str = "•\u2022") -> list[str]:
        """What is left, piece by piece: the runs between the items taken out."""
        pieces = (" ".join("".join(ch for ch in piece if ch not in ignore).split()) for piece in re.split(r"  +", self.text))
        return [piece for piece in pieces if piece]


def sources(project: Project) -> list[Source]:
    """What sources.yaml lists; none where the project keeps no published text.

    Raises ContentError, naming the line, for an entry that cannot be read."""
    path = project.root / SOURCES
    if not path.is_file():
        return []
    listed = load_yaml(path, project.root)
    found, problems = [], []
    for i, entry in enumerate(listed.data if isinstance(listed.data, list) else []):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or not isinstance(entry.get("variant"), str):
            problems.append(listed.error((i,), "an entry needs a file and a variant", rule=RULE))
        elif not (path.parent / entry["file"]).is_file():
            problems.append(listed.error((i, "file"), f"no published text {entry['file']} beside this file", rule=RULE))
        else:
            themes = entry.get("themes") or ()
            found.append(Source(path.parent / entry["file"], entry["variant"], tuple(themes), bool(entry.get("introduction")), entry.get("sheet_begins")))
    if problems:
        raise ContentError(problems)
    return found


def read(source: Source) -> str:
    return _NO_ADDRESS_LINK.sub(r"\1", source.path.read_text(encoding="utf-8"))


def sheet_texts(source: Source) -> dict[int, str]:
    """Theme number → the part of the published text that is its sheet."""
    text = read(source)
    if not source.sheet_begins:
        return {number: text for number in source.themes}
    starts = [m.start() for m in re.finditer(re.escape(source.sheet_begins), text)]
    parts = [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
    return dict(zip(source.themes, parts))


def corrections(project: Project, library: Library) -> tuple[SourceFile | None, list[dict[str, Any]]]:
    """data/corrections.yaml's corrections, those that can be applied: an entry
    the library refused (its error is reported at its line) is left out, so
    that a mistake in one is said once, not met here as a traceback."""
    path = project.data / "corrections.yaml"
    if not path.is_file():
        return None, []
    source = load_yaml(path, project.data.parent)
    entries = (source.data or {}).get("corrections") if isinstance(source.data, dict) else None
    return source, [c for c in entries or [] if _applicable(c, library)] if isinstance(entries, list) else []


def _applicable(entry: Any, library: Library) -> bool:
    try:
        correction = Correction.model_validate(entry)
    except ValidationError:
        return False
    return correction.variant in library.series.variants


def undo(text: str, number: int | str, chain: list[str], listed: list[dict[str, Any]]) -> str:
    """`text` as published: every listed correction of this sheet undone."""
    for c in listed:
        mine = c["variant"] == chain[-1] if c.get("only") else c["variant"] in chain
        if c["theme"] in (number, None) and mine and c["data"]:  # None: the series' wording
            text = text.replace(c["data"], c["published"])
    return text


def unmatched(segment: Segment, sections: dict[str, list[str]], wording: list[str], published: Callable[[str], str]) -> list[tuple[str, int, str]]:
    """Take each section's items from the published text in order, then the
    wording in any order; (section, index from 1, text) of what it lacks."""
    missing = []
    for section, items in sections.items():
        position = 0
        for index, item in enumerate(items, start=1):
            found = segment.take(published(item), position)
            if found is None:
                missing.append((section, index, item))
            else:
                position = found
    # What every sheet of the variant says: absent from some drafts, but
    # where the published text has it, in this variant's wording.
    for text in wording:
        while segment.take(published(text)) is not None:  # a block printed twice (TEMA 10 of 001)
            pass
    return missing


def sheet_sections(sheet: Any) -> tuple[dict[str, list[str]], list[str]]:
    sections = {
        "title": [sheet.title],
        "lead": [sheet.lead],
        "actions": list(sheet.actions),
        "questions": list(sheet.questions),
        "cases": list(sheet.cases),
        "findings": list(sheet.findings),
        "references": [r.text for r in sheet.references],
        # Some published texts list the addresses after all the texts: a sequence of their own.
        "reference urls": [r.url for r in sheet.references if r.url],
    }
    wording = [
        sheet.variant.series_name.upper(),
        f"{sheet.number_label} {sheet.number}/{sheet.variant.theme_count}",
        sheet.theme_label,
        *sheet.headings.model_dump().values(),
        sheet.footer,
        sheet.partnership,
    ]
    # The published texts hold a link in the series' wording (the footer's
    # address) as its words. (Some keep a section's **bold** as typed: the
    # sections are compared as written.)
    return sections, [inline.to_plain(text) for text in wording]


def deviations(library: Library, project: Project, themes: list[int] | None = None) -> list[Diagnostic]:
    """Every difference between the data and the published text not listed in
    data/corrections.yaml, and every listed correction the data no longer says."""
    listed_source, listed = corrections(project, library)
    found: list[Diagnostic] = []
    for source in sources(project):
        if source.variant not in library.series.variants:
            continue
        chain = _chain(library, source.variant)
        for number, text in sheet_texts(source).items():
            tf = library.theme(number)
            if tf is None or (themes is not None and number not in themes):
                continue
            found += _sheet(library, tf, source, chain, Segment(text), listed)
        if source.introduction and themes is None and library.introduction is not None and library.introduction_source is not None:
            found += _introduction(library, source, chain, Segment(read(source)), listed)
    if listed_source is not None and themes is None:
        found += _stale(library, listed_source, listed)
    return found


def _sheet(library: Library, tf: ThemeFile, source: Source, chain: list[str], segment: Segment, listed: list[dict[str, Any]]) -> list[Diagnostic]:
    number = tf.theme.number
    sheet = resolve(library, tf, source.variant)
    sections, wording = sheet_sections(sheet)
    subject = f"{sheet.number_label} {number} ({source.variant})"
    found = []
    for section, index, item in unmatched(segment, sections, wording, lambda t: undo(t, number, chain, listed)):
        loc = _where(tf.source, chain, section, item)
        found.append(tf.source.error(loc, f"{section}[{index}] is not in the published text ({source.path.name}): '{_short(item)}'", rule=RULE, suggestion=LISTED, severity="warning", subject=subject))
    for c in listed:
        if c["theme"] == number and c["variant"] in chain and not c["data"] and segment.take(c["published"]) is None:
            found.append(tf.source.error((), f"a listed omission is not in the published text ({source.path.name}): '{_short(c['published'])}'", rule=RULE, severity="warning", subject=subject))
    for rest in segment.fragments(ignore="•\u2022-"):
        found.append(tf.source.error(("title",), f"the published text ({source.path.name}) says what the data does not: '{_short(rest, 160)}'", rule=RULE, suggestion=LISTED, severity="warning", subject=subject))
    return found


def _introduction(library: Library, source: Source, chain: list[str], segment: Segment, listed: list[dict[str, Any]]) -> list[Diagnostic]:
    intro = resolve_introduction(library, source.variant)
    texts = [intro.title]
    for block in intro.blocks:
        if block.kind == "themes":
            texts += intro.theme_titles[block.themes]
        elif block.kind == "list":
            texts += block.list
        elif block.kind == "references":
            texts += [part for r in block.references for part in (r.text, r.url) if part]
        else:
            texts.append(getattr(block, block.kind))
    src = library.introduction_source
    assert src is not None
    found = []
    for _, index, item in unmatched(segment, {"text": texts}, [], lambda t: undo(t, "introduction", chain, listed)):
        loc = next((loc for loc, s in src.strings() if s == item), ())
        found.append(src.error(loc, f"text {index} is not in the published text ({source.path.name}): '{_short(item)}'", rule=RULE, suggestion=LISTED, severity="warning"))
    for rest in segment.fragments(ignore="-"):
        found.append(src.error(("title",), f"the published text ({source.path.name}) says what the data does not: '{_short(rest, 160)}'", rule=RULE, suggestion=LISTED, severity="warning"))
    return found


def _where(source: SourceFile, chain: list[str], section: str, item: str) -> FieldPath:
    """Where the editor wrote `item`: the overlay nearest the variant that says it, else the base."""
    key = "references" if section == "reference urls" else section
    data = source.data or {}
    owners: list[FieldPath] = [("variants", step) for step in reversed(chain) if isinstance((data.get("variants") or {}).get(step), dict)] + [()]
    for owner in owners:
        for loc, text in source.strings():
            if loc[: len(owner)] == owner and len(loc) > len(owner) and loc[len(owner)] == key and text == item:
                return loc
    for owner in owners:  # a filled-in form ("tema {number} om …"), or text a correction touches: the section
        holder = data
        for part in owner:
            holder = holder.get(part) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and key in holder:
            return owner + (key,)
    return (key,)


def _stale(library: Library, listed_source: SourceFile, listed: list[dict[str, Any]]) -> list[Diagnostic]:
    """A listed correction whose `data` the data no longer says: the text changed again."""
    found = []
    for i, c in enumerate(listed):
        if not c.get("data"):
            continue
        if c["theme"] == "introduction":
            if library.introduction is None:
                continue
            if c["variant"] not in introduction_variants(library):
                found.append(listed_source.error(("corrections", i, "variant"), f"'{c['variant']}': the introduction is written for the {library.introduction.series} series, which has no such variant",
                                                 rule=RULE, suggestion=f"name a variant of that series ({', '.join(introduction_variants(library))}), or the introduction's series: in data/introduction.yaml", severity="warning"))
                continue
            intro = resolve_introduction(library, c["variant"])
            everything = " ".join(str(getattr(block, block.kind)) for block in intro.blocks)
        else:
            # A theme whose file did not load says nothing now: its own error is the message.
            if c["theme"] in library.broken or (c["theme"] is None and library.broken):
                continue
            numbers = [c["theme"]] if c["theme"] is not None else [tf.theme.number for tf in library.themes]
            sheets = [resolve(library, tf, c["variant"]) for n in numbers if (tf := library.theme(n)) is not None]
            everything = " ".join(
                text
                for sheet in sheets
                for text in [sheet.title, sheet.lead, *sheet.actions, *sheet.questions, *sheet.cases, *sheet.findings, *(r.text for r in sheet.references), *sheet.headings.model_dump().values(), sheet.footer, sheet.partnership]
            )
        if isinstance(c["theme"], int) and sheets and (at := re.fullmatch(r"(\w+)\[(\d+)\]", c["field"])):
            items = getattr(sheets[0], at[1], None)
            if isinstance(items, tuple) and int(at[2]) > len(items):
                found.append(listed_source.error(("corrections", i, "field"), f"'{c['field']}': theme {c['theme']} ({c['variant']}) has {len(items)} {at[1]}",
                                                 rule=RULE, suggestion="name the item the correction is about, counted from 1", severity="warning"))
        if c["data"] not in everything:
            found.append(listed_source.error(("corrections", i), f"this correction's data is no longer in the data: '{_short(c['data'])}'", rule=RULE, suggestion="the text changed again: update the entry, or remove it", severity="warning"))
    return found


def _short(text: str, length: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
