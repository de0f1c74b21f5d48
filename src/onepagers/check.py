"""Preflight: what `build` validates, plus the slips an editor's eye misses.

Rules look at the text as the editor wrote it, file by file, so that every
finding points at a line. A theme's base text and each of its overlays are
read as the text of the oldest edition that prints it (bullet style is
compared within one).
Errors make `onepagers check` fail; warnings do only with --strict. Among the
warnings: where the data differs from the published text and
data/corrections.yaml does not list it (`published`), so that an editor's
rewording passes, and is shown for review.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterator

from .diagnostics import ContentError, Diagnostic
from .library import Library, ThemeFile
from .model import TEXT_SECTIONS
from .project import Project
from .published import deviations
from .source import FieldPath
from .variants import _chain, resolve, variants_of

# Typography the series holds to (issue 12): a dash is an en dash between
# spaces, a range takes an en dash ("6–7", "2022–23"), an ellipsis is one
# character. Words joined by a hyphen ("kunde- og callcentre") are left alone.
SPACED_HYPHEN = re.compile(r"(?<=[^\W_]|[?!,.)’]) - (?=[^\W\d_])")
RANGE_HYPHEN = re.compile(r"(?<![\w/.:-])(\d{1,4})-(\d{1,4})(?![\w-])")
WORD = re.compile(r"[^\W\d_]+(?:[-’'][^\W\d_]+)*")
BARE_URL = re.compile(r"(?<!\()\bhttps?://\S+")


@dataclass(frozen=True)
class Item:
    """A text of the data and where it is."""

    theme: ThemeFile
    loc: FieldPath
    text: str

    def error(self, message: str, rule: str, suggestion: str = "", severity: str = "warning") -> Diagnostic:
        return self.theme.source.error(self.loc, message, rule=rule, suggestion=suggestion, severity=severity)


def preflight(library: Library, project: Project, themes: list[int] | None = None) -> list[Diagnostic]:
    """Every problem of the data, errors and warnings, in file order.

    Raises `SelectionError` for a theme number that does not exist."""
    from .plan import theme_file
    from .verify import characters

    for number in themes or ():
        theme_file(library, number)
    problems: list[Diagnostic] = characters(library, project)
    for tf in library.themes:
        for name in variants_of(library, tf):
            try:
                sheet = resolve(library, tf, name)
            except ContentError as exc:
                problems += [d for d in exc.diagnostics if d not in problems]
                continue
            if (themes is None or tf.theme.number in themes) and len(sheet.actions) != ACTIONS:
                problem = _action_count(tf, name, len(sheet.actions))
                problems += [problem] if problem not in problems else []

    everything = list(_items(library.themes))
    vocabulary = Counter(w.lower() for item in everything for w in WORD.findall(item.text))
    for tf in library.themes:
        vocabulary.update(w.lower() for w in WORD.findall(tf.theme.title) for _ in range(2))
    typographic = any("’" in i.text or "“" in i.text or "”" in i.text for i in everything)

    chosen = [i for i in everything if themes is None or i.theme.theme.number in themes]
    for item in chosen:
        problems += _text_rules(item, vocabulary, typographic)
    for group in _lists(library.themes):
        if themes is None or group[0].theme.theme.number in themes:
            problems += _split_items(group)
    problems += _bullet_style(library, everything, themes)
    problems += _pasted(everything, themes)
    problems += _references(library, everything, themes)
    problems += deviations(library, project, themes)
    return sorted(problems, key=lambda d: (str(d.path), d.line, d.column, d.rule))


# The panel of actions is designed for three numbered items (data/README.md).
# A rule of check, not of loading: the published TEMA 10 had six, a block
# pasted in from TEMA 9, which check names as pasted text.
ACTIONS = 3


def _action_count(tf: ThemeFile, variant: str, count: int) -> Diagnostic:
    overlay = tf.theme.variants.get(variant)
    loc: FieldPath = ("variants", variant, "actions") if overlay is not None and overlay.actions is not None else ("actions",)
    return tf.source.error(loc, f"a sheet has exactly {ACTIONS} actions (its panel's numbered items); {variant} has {count}",
                           rule="action-count", suggestion="the panel is designed for three")


def _items(theme_files: tuple[ThemeFile, ...]) -> Iterator[Item]:
    """Every text of the theme files (not the addresses): base fields, then each overlay's."""
    for tf in theme_files:
        for loc, text in tf.source.strings():
            if loc and loc[-1] != "url":
                yield Item(tf, loc, text)


def _lists(theme_files: tuple[ThemeFile, ...]) -> Iterator[list[Item]]:
    """Each section written as a list, base or overlay, as items in order."""
    for tf in theme_files:
        owners: list[tuple[FieldPath, dict]] = [((), tf.source.data)]
        owners += [(("variants", name), o) for name, o in (tf.source.data.get("variants") or {}).items() if isinstance(o, dict)]
        for prefix, owner in owners:
            for section in TEXT_SECTIONS:
                value = owner.get(section)
                if isinstance(value, list) and all(isinstance(v, str) for v in value):
                    yield [Item(tf, prefix + (section, i), v) for i, v in enumerate(value)]


def _edition_of(library: Library, item: Item) -> str:
    """The first variant (in series.yaml's order, oldest first) that prints this item.

    A theme's own text is the newest edition's, but where no overlay words it
    differently it is the first edition's too, and reads as such.
    """
    owner, rest = (str(item.loc[1]), item.loc[2:]) if item.loc[0] == "variants" else (None, item.loc)
    section, index = rest[0], rest[-1]
    written = getattr(item.theme.theme.variants[owner] if owner else item.theme.theme, str(section), None)
    number = index + 1 if isinstance(written, list) and isinstance(index, int) else index  # overlays count from 1
    for name in variants_of(library, item.theme):
        chain = _chain(library, name)
        if owner is not None and owner not in chain:
            continue
        later = chain[chain.index(owner) + 1 :] if owner is not None else chain
        if not any(_replaces(item.theme.theme.variants.get(step), section, number) for step in later):
            return name
    return owner or "base"


def _replaces(overlay: object, section: object, number: object) -> bool:
    change = getattr(overlay, str(section), None) if overlay is not None else None
    return isinstance(change, list) or (isinstance(change, dict) and number in change)


def _text_rules(item: Item, vocabulary: Counter[str], typographic: bool) -> list[Diagnostic]:
    found = []
    text = item.text
    for match in re.finditer(r"\b([^\W\d_]+)\s+\1\b", text, flags=re.IGNORECASE):
        found.append(item.error(f"the word '{match[1]}' is written twice: '{match[0]}'", "repeated-word", f"write '{match[1]}' once"))
    if "  " in text:
        found.append(item.error("two spaces in a row", "double-space", "one space is enough"))
    if typographic and ("'" in text or '"' in text):
        found.append(item.error("straight quote where the series uses typographic ones", "straight-quote", "use ’ (or “ ”)"))
    for match in SPACED_HYPHEN.finditer(text):
        found.append(item.error(f"a hyphen used as a dash: '{match[0].strip()}'", "dash", "write – (en dash) between spaces"))
    for match in RANGE_HYPHEN.finditer(text):
        found.append(item.error(f"a range written with a hyphen: '{match[0]}'", "range-dash", f"write '{match[1]}–{match[2]}' with an en dash"))
    if "..." in text:
        found.append(item.error("three full stops for an ellipsis", "ellipsis", "write … (one character)"))
    for match in BARE_URL.finditer(text):
        found.append(item.error(f"a web address in running text: {match[0]}", "url-in-text", "give it as a reference's url: so it is checked and linked"))
    for word in set(WORD.findall(text)):
        if len(word) >= 7 and vocabulary[word.lower()] == 1:
            near = _near(word.lower(), vocabulary)
            if near:
                found.append(item.error(f"'{word}' occurs only here; elsewhere the data says '{near}'", "typo", f"did you mean '{near}'?"))
    return found


def _near(word: str, vocabulary: Counter[str]) -> str | None:
    """A common word one edit away, the edit not in the ending (where Danish inflects)."""
    for other, count in vocabulary.items():
        if count < 2 or abs(len(other) - len(word)) > 1 or other == word:
            continue
        if _one_edit_inside(word, other):
            return other
    return None


def _one_edit_inside(a: str, b: str) -> bool:
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    if prefix < 2 or prefix >= min(len(a), len(b)) - 3:
        return False  # in the ending: an inflection; at the start: another word
    for x, y in ((a[prefix + 1 :], b[prefix + 1 :]), (a[prefix:], b[prefix + 1 :]), (a[prefix + 1 :], b[prefix:])):
        if x == y:
            return True
    return a[prefix + 2 :] == b[prefix + 2 :] and a[prefix] == b[prefix + 1] and a[prefix + 1] == b[prefix]


def _first_letter(text: str) -> str:
    match = re.search(r"[^\W\d_]", text.replace("**", ""))
    return match[0] if match else ""


def _split_items(group: list[Item]) -> list[Diagnostic]:
    found = []
    for before, after in zip(group, group[1:]):
        letter = _first_letter(after.text)
        if letter and letter.islower() and not before.text.rstrip().endswith((".", "?", "!", ":")):
            found.append(
                after.error(
                    f"this item begins in lower case and seems to continue the one before: '…{before.text[-30:]}' / '{after.text[:30]}…'",
                    "split-item",
                    "join the two items into one",
                )
            )
    return found


def _bullet_style(library: Library, items: list[Item], themes: list[int] | None) -> list[Diagnostic]:
    """Within one edition, actions and findings either all end with a full stop or none do."""
    by_edition: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        section = item.loc[-2] if len(item.loc) >= 2 else None
        if section in ("actions", "findings") and isinstance(item.loc[-1], int):
            by_edition[_edition_of(library, item)].append(item)
    found = []
    for edition, group in by_edition.items():
        stops = [i.text.rstrip().endswith(".") for i in group]
        majority = sum(stops) * 2 > len(stops)
        for item, stop in zip(group, stops):
            if stop != majority and (themes is None or item.theme.theme.number in themes):
                style = "end with a full stop" if majority else "have no full stop at the end"
                found.append(item.error(f"the other bullets of this edition {style}", "bullet-style", "make it like the rest"))
    return found


def _pasted(items: list[Item], themes: list[int] | None) -> list[Diagnostic]:
    """A text identical to one of another theme: a block pasted into the wrong sheet.

    References are not compared: two sheets may well cite the same guide, or
    point at other themes in the one form series.yaml gives (data/README.md:
    `Se også onepager tema {number} om {title_lower}`), word for word."""
    first: dict[str, Item] = {}
    found = []
    for item in items:
        key = " ".join(item.text.split())
        if len(key) < 40 or "references" in item.loc:
            continue
        other = first.setdefault(key, item)
        if other.theme is not item.theme and (themes is None or item.theme.theme.number in themes):
            where = f"theme {other.theme.theme.number} ({other.theme.source.field(other.loc)})"
            found.append(item.error(f"identical to {where}: pasted from another theme?", "pasted-text", "remove it, or write this theme's own text", "error"))
    return found


def _mention(form: str | None) -> re.Pattern[str] | None:
    """`tema {number} om {title_lower}` (series.yaml's theme_reference) as a
    pattern for a mention typed by hand: the number, then, optionally, the title."""
    if not form:
        return None
    before, _, after = form.partition("{number}")
    parts = re.split(r"\{title(?:_lower)?\}", after, maxsplit=1)
    pattern = rf"\b{re.escape(before)}(\d+)"
    if len(parts) == 2:  # the form names the title as well: it may follow the number
        pattern += rf"(?:{re.escape(parts[0])}(.+))?"
    return re.compile(pattern, flags=re.IGNORECASE)


def _references(library: Library, items: list[Item], themes: list[int] | None) -> list[Diagnostic]:
    found = []
    form = library.series.theme_reference
    mentions = _mention(form)
    for item in items:
        if item.loc[-1] != "text" or (themes is not None and item.theme.theme.number not in themes):
            continue
        ref = item.theme.source.data
        for part in item.loc[:-1]:
            ref = ref[part]
        target = ref.get("theme") if isinstance(ref, dict) else None
        mention = mentions.search(item.text) if mentions else None
        if isinstance(ref, dict) and not ref.get("url") and target is None and mention is None:
            # Listed so that an editor can supply the address; printed as plain text meanwhile.
            if "(link)" in item.text:
                found.append(item.error("the text promises a link but the reference has no address", "no-address", "add its url:, or leave '(link)' out", "error"))
            else:
                found.append(item.error(f"a reference with no address: '{item.text}'", "no-address", "add its url: if it has one"))
        if target is None or mention is None:
            continue
        if int(mention[1]) != target:
            found.append(item.error(f"the text says '{mention[0]}' but the reference points at theme {target}", "reference-number", f"write '{form}'", "error"))
            continue
        other = library.theme(target)
        title = other.theme.title if other else ""
        said = (mention[2] or "").strip() if mentions.groups > 1 else ""
        if said and said.lower() != title.lower():
            found.append(item.error(f"the title of theme {target} is typed again, and differently: '{said}' (the title is '{title}')", "retyped-title", f"write '{form}' to take it from the theme"))
    return found
