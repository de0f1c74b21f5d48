"""Which sheets, in which variants and profiles, go where: a selection becomes jobs.

Paths depend only on the sheet, the variant and the profile, never on the
time, so that an open PDF viewer reloads the same file after a rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import profiles
from .diagnostics import SelectionError
from .profiles import Profile

# The data layer (pydantic, the variants) is imported where a plan is made,
# not here: a build with nothing to do reads its jobs back from the manifest
# and should not pay for loading what it does not use.
if TYPE_CHECKING:
    from .library import Library, ThemeFile


@dataclass(frozen=True)
class Selection:
    """What a command asks for, as the options say it."""

    themes: tuple[int, ...] = ()
    everything: bool = False  # every theme and the introduction
    sector: str | None = None
    edition: int | None = None
    every_variant: bool = False
    profile: str = profiles.DEFAULT.name


@dataclass(frozen=True)
class Job:
    """One output: a sheet (a theme, or the introduction) in one variant and profile."""

    theme: int | None  # None: the introduction
    variant: str  # "privat@2"
    profile: Profile
    out: Path  # the output folder, which holds the manifest and the gallery
    key: str  # "tema-06-svaere-kald": the sheet's part of the file name
    label: str  # for people, from the data: "TEMA 6", or the introduction's title

    @property
    def path(self) -> Path:
        return output_path(self.out, self.key, self.variant, self.profile)

    @property
    def name(self) -> str:
        """`TEMA 6 (privat@2)`: how messages and the summary name the job."""
        return f"{self.label} ({self.variant})"


def output_path(out: Path, key: str, variant: str, profile: Profile) -> Path:
    """`<out>/<variant>/<key>-<variant><suffix><ext>`, for sheets and booklets alike:
    the folder and the name both say the variant, the suffix the profile."""
    slug = variant.replace("@", "-")
    return out / slug / f"{key}-{slug}{profile.suffix}{profile.extension}"


def pick_variant(library: Library, sector: str | None, edition: int | None) -> str:
    """The variant a sector and edition name: the newest edition when none is given."""
    from .variants import default_variant

    specs = library.series.variants
    sector = sector or specs[default_variant(library)].series
    sectors = sorted({s.series for s in specs.values()})
    if sector not in sectors:
        raise SelectionError(f"there is no sector '{sector}'", choices=tuple(sectors))
    editions = sorted((s.edition, n) for n, s in specs.items() if s.series == sector)
    matching = [(e, n) for e, n in editions if edition is None or e == edition]
    if not matching:
        raise SelectionError(f"sector '{sector}' has no edition {edition}", choices=tuple(str(e) for e, _ in editions))
    return max(matching)[1]


def theme_file(library: Library, number: int) -> ThemeFile:
    """The theme numbered `number`; a `SelectionError` listing the themes if there is none."""
    tf = library.theme(number)
    if tf is None:
        raise SelectionError(f"there is no theme {number}", choices=tuple(str(t.theme.number) for t in library.themes))
    return tf


def theme_job(library: Library, out: Path, number: int, variant: str, profile: Profile) -> Job:
    key = f"{library.series.file_names.theme}-{theme_file(library, number).slug}"
    return Job(number, variant, profile, out, key, f"{library.series.wording.number_label} {number}")


def introduction_job(library: Library, out: Path, variant: str, profile: Profile) -> Job:
    title = library.introduction.title if library.introduction is not None else library.series.file_names.introduction
    return Job(None, variant, profile, out, library.series.file_names.introduction, title)


def sheet_job(library: Library, out: Path, theme: int | None, variant: str, profile: Profile) -> Job:
    """A theme's job, or the introduction's when `theme` is None."""
    if theme is None:
        return introduction_job(library, out, variant, profile)
    return theme_job(library, out, theme, variant, profile)


def plan(library: Library, out: Path, selection: Selection) -> list[Job]:
    """The jobs a selection asks for, in series order; a `SelectionError` if any does not exist."""
    from .variants import has_text, introduction_variants, variants_of

    profile = profiles.get(selection.profile)
    numbers = [tf.theme.number for tf in library.themes] if selection.everything else list(dict.fromkeys(selection.themes))
    themes = [theme_file(library, n) for n in numbers]  # every number exists before anything is planned
    if selection.every_variant:
        planned = [theme_job(library, out, tf.theme.number, name, profile) for tf in themes for name in variants_of(library, tf)]
        if selection.everything:
            planned += [introduction_job(library, out, name, profile) for name in introduction_variants(library)]
        return planned

    name = pick_variant(library, selection.sector, selection.edition)
    for tf in themes:
        if not has_text(library, tf, name):
            raise SelectionError(f"theme {tf.theme.number} has no text in variant {name}", choices=tuple(variants_of(library, tf)))
    planned = [theme_job(library, out, tf.theme.number, name, profile) for tf in themes]
    if selection.everything and name in introduction_variants(library):
        planned.append(introduction_job(library, out, name, profile))
    return planned
