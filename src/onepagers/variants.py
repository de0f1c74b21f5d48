"""Resolve a theme in one variant: its base text with each overlay on the way applied.

The theme files hold the newest edition's text (the root variant, `privat@2`);
every other variant builds on a base (`privat@1` and `offentlig@2` on
`privat@2`), so an editor meets first the text that prints now. Resolving
walks that chain from the root, applying the series-wide wording and the
theme's own overlay at each step. The result is plain,
immutable data that the templates render and the tests compare with the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import inline
from .diagnostics import ContentError
from .model import TEXT_SECTIONS, Block, Headings, Reference

if TYPE_CHECKING:  # load_library checks that every variant resolves: a type, not an import, this way
    from .library import Library, ThemeFile


@dataclass(frozen=True)
class Variant:
    name: str  # "privat@2"
    sector: str
    edition: int
    label: str
    series_name: str
    theme_count: int


@dataclass(frozen=True)
class Sheet:
    """One theme, fully resolved in one variant: everything its two pages say."""

    variant: Variant
    number: int
    title: str
    lead: str
    actions: tuple[str, ...]
    questions: tuple[str, ...]
    cases: tuple[str, ...]
    findings: tuple[str, ...]
    references: tuple[Reference, ...]
    headings: Headings
    number_label: str
    theme_label: str
    footer: str
    partnership: str
    author: str
    quote: str | None = None  # a sentence of `cases`, set large; never read twice
    publisher: str | None = None  # the colophon: who publishes it, and the edition's date
    date: str | None = None
    # The introduction's section about the series (`on_theme_sheets`), or for a
    # series without one its name and list of themes (`themes_on_sheets`),
    # printed where page 2 has room: its blocks, and the titles its list names.
    series_panel: tuple[Block, ...] = ()
    theme_titles: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def as_data(self) -> dict[str, Any]:
        """Everything the sheet says, as plain data in reading order (for `show` and tools)."""
        return {
            "variant": self.variant.name,
            "series": self.variant.series_name,
            "number": f"{self.number}/{self.variant.theme_count}",
            "title": self.title,
            "lead": self.lead,
            **{section: list(getattr(self, section)) for section in TEXT_SECTIONS},
            "references": [r.model_dump(exclude_none=True) for r in self.references],
            "headings": self.headings.model_dump(),
            "footer": self.footer,
            "partnership": self.partnership,
        }


@dataclass(frozen=True)
class IntroductionSheet:
    variant: Variant
    title: str
    blocks: tuple[Block, ...]
    theme_titles: dict[str, tuple[str, ...]]  # series -> titles in order
    footer: str
    partnership: str
    author: str
    publisher: str | None = None  # the colophon line, as on a theme sheet
    date: str | None = None


def variant(library: Library, name: str) -> Variant:
    spec = library.series.variants.get(name)
    if spec is None:
        raise LookupError(f"unknown variant '{name}'; defined: {', '.join(library.series.variants)}")
    info = library.series.series[spec.series]
    return Variant(name, spec.series, spec.edition, spec.label, info.name, info.themes)


def default_variant(library: Library) -> str:
    """The newest edition of the series the theme files are written for."""
    root = _chain(library, next(iter(library.series.variants)))[0]
    sector = library.series.variants[root].series
    same = [(s.edition, n) for n, s in library.series.variants.items() if s.series == sector]
    return max(same)[1]


def variants_of(library: Library, tf: ThemeFile) -> list[str]:
    """Every variant that has this theme: all but those needing text it lacks."""
    return [name for name in library.series.variants if has_text(library, tf, name)]


def has_text(library: Library, tf: ThemeFile, name: str) -> bool:
    spec = library.series.variants[name]
    if tf.theme.number > library.series.series[spec.series].themes:
        return False
    return not spec.own_text_only or name in tf.theme.variants


def resolve(library: Library, tf: ThemeFile, name: str) -> Sheet:
    if not has_text(library, tf, name):
        have = ", ".join(variants_of(library, tf))
        raise LookupError(f"theme {tf.theme.number} has no text in variant '{name}'; it exists in: {have}")
    theme = tf.theme
    fields: dict[str, Any] = {
        "title": title_in(library, tf, name),
        "lead": theme.lead,
        **{s: tuple(getattr(theme, s)) for s in TEXT_SECTIONS},
        "references": tuple(theme.references),
        "quote": theme.quote,
    }
    quote_from: tuple = ("quote",)
    wording = library.series.wording.model_dump()
    problems = []
    for depth, step in enumerate(_chain(library, name)):
        spec = library.series.variants[step]
        _merge(wording, spec.wording.model_dump(exclude_none=True))
        if depth == 0:
            # The theme's own headings are worded for the root variant, the one
            # its own text belongs to; the overlays may word them anew (TEMA 1's
            # first edition already said "Sådan har de gjort ...").
            _merge(wording["headings"], theme.headings.model_dump(exclude_none=True))
        overlay = theme.variants.get(step)
        if overlay is None:
            continue
        if overlay.lead is not None:
            fields["lead"] = overlay.lead
        if overlay.quote is not None:
            fields["quote"], quote_from = overlay.quote, ("variants", step, "quote")
        for section in TEXT_SECTIONS:
            change = getattr(overlay, section)
            if isinstance(change, list):
                fields[section] = tuple(change)
            elif isinstance(change, dict):
                items = list(fields[section])
                for number, text in change.items():
                    if number > len(items):
                        problems.append(
                            tf.source.error(
                                ("variants", step, section, number),
                                f"'{section}' has {len(items)} items in the base; item {number} cannot be replaced",
                                suggestion="give the whole section as a list to add items",
                            )
                        )
                        continue
                    items[number - 1] = text
                fields[section] = tuple(items)
        if overlay.references is not None:
            fields["references"] = tuple(overlay.references)
        _merge(wording["headings"], overlay.headings.model_dump(exclude_none=True))
    quote = fields["quote"]
    if quote is not None and not any(quote in inline.to_plain(case) for case in fields["cases"]):
        # The text is sacred: a pull quote repeats the cases word for word, or not at all.
        problems.append(
            tf.source.error(
                quote_from,
                f"the quote is not a sentence of the cases of {name}, word for word",
                suggestion="copy the sentence from the cases exactly, or give this variant its own 'quote'",
            )
        )
    if problems:
        raise ContentError(problems)
    fields["references"] = tuple(_fill_in(library, ref, name) for ref in fields["references"])
    return Sheet(
        variant=variant(library, name),
        number=theme.number,
        headings=Headings(**wording["headings"]),
        number_label=wording["number_label"],
        theme_label=wording["theme_label"],
        footer=wording["footer"],
        partnership=wording["partnership"],
        author=wording["author"],
        publisher=wording.get("publisher"),
        date=library.series.variants[name].date,
        **_series_panel(library, name),
        **fields,
    )


def _series_panel(library: Library, name: str) -> dict[str, Any]:
    """The introduction's section that the theme sheets of its series carry
    (`on_theme_sheets`): from its heading to the next heading. A series with
    no introduction of its own, where series.yaml says so
    (`themes_on_sheets`): its name, and its list of themes."""
    intro = library.introduction
    series = library.series.variants[name].series
    if intro is None or intro.on_theme_sheets is None or series != intro.series:
        info = library.series.series[series]
        if not info.themes_on_sheets:
            return {}
        section = (Block(heading=info.name), Block(themes=series))
        return {"series_panel": section, "theme_titles": _theme_titles(library, section, name)}
    blocks = list(intro.blocks)
    start = next((i for i, b in enumerate(blocks) if b.heading == intro.on_theme_sheets), None)
    if start is None:  # library.py names the field; the sheets print without it meanwhile
        return {}
    end = next((i for i in range(start + 1, len(blocks)) if blocks[i].heading is not None), len(blocks))
    section = tuple(blocks[start:end])
    return {"series_panel": section, "theme_titles": _theme_titles(library, section, name)}


def _theme_titles(library: Library, blocks: Any, name: str) -> dict[str, tuple[str, ...]]:
    """The titles, in a variant, of each series whose themes `blocks` list."""
    return {
        series: tuple(
            title_in(library, tf, name)
            for tf in library.themes
            if tf.theme.number <= library.series.series[series].themes
        )
        for series in {b.themes for b in blocks if b.themes}
    }


def _fill_in(library: Library, ref: Reference, name: str) -> Reference:
    """`Se tema {number} om {title_lower}`: the other theme's title, from its own file."""
    if ref.theme is None or "{" not in ref.text:
        return ref
    target = library.theme(ref.theme)
    assert target is not None  # library.py checked that it exists
    title = title_in(library, target, name)
    text = (
        ref.text.replace("{number}", str(ref.theme))
        .replace("{title_lower}", title[:1].lower() + title[1:])
        .replace("{title}", title)
    )
    return ref.model_copy(update={"text": text})


def title_in(library: Library, tf: ThemeFile, name: str) -> str:
    """A theme's title in a variant: the series' own numbering of titles, then overlays."""
    title = tf.theme.title
    for step in _chain(library, name):
        info = library.series.series[library.series.variants[step].series]
        title = info.titles.get(tf.theme.number, title)
        overlay = tf.theme.variants.get(step)
        if overlay is not None and overlay.title is not None:
            title = overlay.title
    return title


def resolve_introduction(library: Library, name: str) -> IntroductionSheet:
    intro = library.introduction
    if intro is None:
        raise LookupError("there is no data/introduction.yaml")
    spec = library.series.variants[name]
    if spec.series != intro.series:
        raise LookupError(f"the introduction is written for the {intro.series} series, not for '{name}'")
    wording = library.series.wording.model_dump()
    for step in _chain(library, name):
        _merge(wording, library.series.variants[step].wording.model_dump(exclude_none=True))
    titles = _theme_titles(library, intro.blocks, name)
    return IntroductionSheet(
        variant=variant(library, name),
        title=intro.title,
        blocks=tuple(intro.blocks),
        theme_titles=titles,
        footer=wording["footer"],
        partnership=wording["partnership"],
        author=wording["author"],
        publisher=wording.get("publisher"),
        date=spec.date,
    )


def introduction_variants(library: Library) -> list[str]:
    if library.introduction is None:
        return []
    return [n for n, s in library.series.variants.items() if s.series == library.introduction.series]


def _chain(library: Library, name: str) -> list[str]:
    """`offentlig@2` -> [privat@2, offentlig@2]: root first."""
    chain = [name]
    while (base := library.series.variants[chain[-1]].base) is not None:
        chain.append(base)
    return chain[::-1]


def _merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, dict):
            _merge(target.setdefault(key, {}), value)
        else:
            target[key] = value
