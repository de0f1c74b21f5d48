"""Which sheets, in which variants and profiles, go where: a selection becomes jobs.

Paths depend only on the sheet, the variant and the profile, never on the
time, so that an open PDF viewer reloads the same file after a rebuild.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import profiles
from .diagnostics import Diagnostic, SelectionError
from .profiles import Profile

# The data layer (pydantic, the variants) is imported where a plan is made,
# not here: a build with nothing to do reads its jobs back from the manifest
# and should not pay for loading what it does not use.
if TYPE_CHECKING:
    from .library import Library, ThemeFile
    from .project import Project


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


def theme_key(library: Library, tf: ThemeFile) -> str:
    """The first part of a theme sheet's file names: tema-06-svaere-kald."""
    return f"{library.series.file_names.theme}-{tf.slug}"


def web_page(library: Library, key: str, variant: str) -> str | None:
    """Where a sheet's own web page is published (its colophon prints the
    address, and a QR code of it), if the series says where web pages are."""
    if not library.series.web_pages:
        return None
    from urllib.parse import urljoin

    return urljoin(library.series.web_pages, output_path(Path(), key, variant, profiles.WEB).as_posix())


def theme_job(library: Library, out: Path, number: int, variant: str, profile: Profile) -> Job:
    key = theme_key(library, theme_file(library, number))
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


def _inside_inputs(project: Project, path: Path) -> tuple[str, Path] | None:
    """The input folder (data/, templates/ or fonts/) that `path` is in, links followed."""
    where = Path(os.path.realpath(path))
    for name, folder in (("data", project.data), ("templates", project.templates), ("fonts", project.fonts)):
        inputs = Path(os.path.realpath(folder))
        if where.is_relative_to(inputs):
            return name, inputs
    return None


def check_output_folder(project: Project, out: Path, option: str = "--out") -> None:
    """Refuse an output folder that would mix outputs with the project's inputs:
    inside data/, templates/ or fonts/ (every build would read its own PDFs
    as input, and a gallery among the theme files is one no one asked for),
    or the project folder itself or a folder above it. Links are followed: a
    link named `build` that points into data/ is data/."""
    if inside := _inside_inputs(project, out):
        raise SelectionError(f"{option} {out} is inside the project's {inside[0]}/ folder ({inside[1]}); outputs go in a folder of their own, e.g. {option} build")
    where = Path(os.path.realpath(out))
    data = Path(os.path.realpath(project.data))
    if data.is_relative_to(where):
        what = "the project folder" if where == Path(os.path.realpath(project.root)) else "a folder that holds the project"
        raise SelectionError(f"{option} {out} is {what} ({where}); outputs go in a folder of their own inside it, e.g. {option} build")


def check_output_file(project: Project, path: Path, option: str, example: str) -> None:
    """Refuse a report or a page (`check --report`, `diff --html`) inside
    data/, templates/ or fonts/: it would replace a theme file, a template or
    a font with itself, or be read as one by the next build."""
    if inside := _inside_inputs(project, path):
        raise SelectionError(f"{option} {path} is inside the project's {inside[0]}/ folder ({inside[1]}), whose files are the project's text and look; write it elsewhere, e.g. {option} {example}")


@dataclass(frozen=True)
class Output:
    """A file the data names: where it goes, what it is, and where the data chose its name."""

    path: Path
    what: str  # "TEMA 6 (privat@2, screen)", for people
    named: tuple[Path, int, int]  # the data file (and line) that makes its name


def same_file_key(path: Path) -> str:
    """What a file system that ignores case (macOS, Windows) or Unicode
    normalisation (macOS: NFD å and NFC å) sees as the same name."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", str(path)).casefold())


def every_output(library: Library, out: Path) -> list[Output]:
    """Every output the data names in `out`: each sheet in each of its variants
    and profiles, and each variant's booklet."""
    from .variants import introduction_variants, variants_of

    series = library.series_source
    intro_named = (series.path, *series.position(("file_names", "introduction")))
    booklet_named = (series.path, *series.position(("file_names", "booklet")))
    found: list[Output] = []
    for profile in profiles.PROFILES.values():
        for name in library.series.variants:
            where = f"{name}, {profile.name}"
            if name in introduction_variants(library):
                job = introduction_job(library, out, name, profile)
                found.append(Output(job.path, f"the introduction ({where})", intro_named))
            for tf in library.themes:
                if name in variants_of(library, tf):
                    job = theme_job(library, out, tf.theme.number, name, profile)
                    found.append(Output(job.path, f"{job.label} ({where})", (tf.source.path, 0, 0)))
            if profile.pdf_variant is not None:
                found.append(Output(output_path(out, library.series.file_names.booklet, name, profile), f"the booklet ({where})", booklet_named))
    return found


def collisions(library: Library, out: Path, writes: list[Path]) -> list[Diagnostic]:
    """Two outputs, at least one of them among `writes` (what this run writes),
    that would be one file: the same path, or paths that differ only in case
    or Unicode normalisation. One Diagnostic per pair, naming both, at the
    data that names the second; empty if every output has a file of its own."""
    written = {same_file_key(path) for path in writes}
    by_key: dict[str, list[Output]] = {}
    for output in every_output(library, out):
        key = same_file_key(output.path)
        if key in written and all(o.what != output.what for o in by_key.get(key, [])):
            by_key.setdefault(key, []).append(output)
    problems = []
    for outputs in by_key.values():
        # Said at series.yaml's file_names where one of them is named there:
        # one word, easier to change than a theme file's name.
        outputs.sort(key=lambda output: output.named[1] > 0)
        first = outputs[0]
        for other in outputs[1:]:
            same = "the same file" if other.path == first.path else "one file where case or accents are not told apart (macOS, Windows)"
            problems.append(Diagnostic(
                *other.named,
                f"{other.what} and {first.what} would be written to {same}: {other.path} and {first.path}",
                suggestion="give one of them another name: the theme file's name, or file_names in series.yaml",
            ))
    return problems
