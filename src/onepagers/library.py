"""Load the whole data folder into validated models, or report every problem at once.

Each file is read (`source`), validated (`model`), and then checked against
the others: theme numbers unique and inside the series, references pointing at
themes that exist, overlays naming variants that exist. All problems of all
files are collected before anything is reported.
"""

from __future__ import annotations

import difflib
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .diagnostics import ContentError, Diagnostic
from .model import KEY_HINTS, VARIANT_NAME, Corrections, Introduction, SeriesFile, Theme
from .source import KEEP_PARSED, FieldPath, SourceFile, load_yaml

PLACEHOLDERS = ("{number}", "{title}", "{title_lower}")

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ThemeFile:
    theme: Theme
    source: SourceFile

    @property
    def slug(self) -> str:
        """`06-svaere-kald` from `06-svaere-kald.yaml`: the stable part of output names."""
        return self.source.path.stem


@dataclass(frozen=True)
class Library:
    root: Path
    series: SeriesFile
    series_source: SourceFile
    themes: tuple[ThemeFile, ...]  # in order of number
    introduction: Introduction | None
    introduction_source: SourceFile | None
    # Only from `load_library(partial=True)`: what did not load, and the theme
    # numbers that files which did not load claim (their sheets are not built).
    problems: tuple[Diagnostic, ...] = ()
    broken: frozenset[int] = frozenset()
    # The introduction's file is there, but it waits too: its list of themes
    # would be short.
    introduction_waits: bool = False

    def waiting(self) -> tuple[str, ...]:
        """The sheets the problems cost, as the summary names them."""
        # The tool speaks English; the data Danish.
        return (*(f"theme {n}" for n in sorted(self.broken)), *(("the introduction",) if self.introduction_waits else ()))

    def theme(self, number: int) -> ThemeFile | None:
        return next((t for t in self.themes if t.theme.number == number), None)


# The files of data/ by name; any other YAML file there would be silently unread.
DATA_FILES = ("series.yaml", "introduction.yaml", "corrections.yaml")
THEME_SUFFIX = ".yaml"
# What an editor may have meant as a data file: reported where it is not read.
YAML_SUFFIXES = (".yaml", ".yml")
# An editor's own files beside the one being edited: lock files (`.#x.yaml`,
# `.~lock.x#`), swap files (`.x.yaml.swp`), autosaves (`#x.yaml#`), backups
# (`x.yaml~`, `x.yaml.bak`, `x.yaml.orig`). Never read, never reported.
_EDITOR_FILE = re.compile(r"^[.#]|~$|\.(bak|orig|swp|swo|tmp)$", re.IGNORECASE)


def load_library(data_dir: Path, *, partial: bool = False) -> Library:
    """Every file of `data_dir`, validated and checked against each other.

    Any problem raises ContentError with all of them; with `partial`, only a
    problem in series.yaml does (nothing can be built without it), and the
    library holds what loaded, the problems and the theme numbers they cost.
    A theme with a problem in its own file is left out, and so is the
    introduction (its list of themes would be short).
    """
    problems: list[Diagnostic] = []
    inside = data_dir.parent
    _readable_folder(data_dir)
    _folders_inside(data_dir, inside)

    series_source, series = _load(data_dir / "series.yaml", SeriesFile, problems, inside)
    themes: list[ThemeFile] = []
    theme_dir = data_dir / "themes"
    theme_paths = _theme_files(theme_dir, problems)
    if not theme_paths and not problems:
        problems.append(Diagnostic(theme_dir, 0, 0, f"no theme files (*{THEME_SUFFIX}) found"))
    problems += _stray_data_files(data_dir)
    claimed: dict[Path, int] = {}
    base = series.series.get(_base_series(series)) if series is not None else None
    count = base.themes if base is not None else None
    for d in problems:  # a theme saved under the wrong name still claims its number
        if d.path.parent == theme_dir and (number := _claimed_number(d.path, None, count)) is not None:
            claimed[d.path] = number
    unnumbered = False  # a theme file that did not load and says no number
    for path in theme_paths:
        before = len(problems)
        source, theme = _load(path, Theme, problems, inside)
        if theme is not None and source is not None:
            themes.append(ThemeFile(theme, source))
        elif len(problems) > before:
            if (number := _claimed_number(path, source, count)) is not None:
                claimed[path] = number
            else:
                unnumbered = True
    # A theme file whose number the series has no theme of (11 of 10) does
    # not say which theme it is either.
    if count is not None and any(tf.theme.number > count for tf in themes):
        unnumbered = True

    intro_source: SourceFile | None = None
    introduction: Introduction | None = None
    if _present(data_dir / "introduction.yaml"):
        intro_source, introduction = _load(data_dir / "introduction.yaml", Introduction, problems, inside)
    corrections_source: SourceFile | None = None
    corrections: Corrections | None = None
    if _present(data_dir / "corrections.yaml"):
        corrections_source, corrections = _load(data_dir / "corrections.yaml", Corrections, problems, inside)

    unknown: set[int] = set()
    if series is not None and series_source is not None:
        series_themes = series.series.get(_base_series(series))
        every = set(range(1, series_themes.themes + 1)) if series_themes is not None else set()
        held = {tf.theme.number for tf in themes} | set(claimed.values())
        if unnumbered or _in(problems, theme_dir):
            # Which themes the folder, or a file that says no number, holds
            # is unknown: any the series has and no file holds may be there.
            # Such a theme waits for the fix, as one whose file is known does.
            unknown = every - held
        problems += _check_series(series, series_source)
        problems += _check_themes(series, themes, set(claimed.values()) | unknown)
        # A theme the series has and no file holds (deleted, or renamed to a
        # backup name the folder's listing skips): its sheet would be missing,
        # and the introduction's list of themes short, without a word. It is
        # said once, at the folder; what names it waits, as for a broken file.
        held |= unknown
        missing = set() if _in(problems, theme_dir) else every - held
        if introduction is not None and intro_source is not None:
            problems += _check_introduction(series, introduction, intro_source, themes)
        if corrections is not None and corrections_source is not None:
            # Which themes exist is unknown if their folder could not be read.
            numbers = None if _in(problems, theme_dir) else held | missing
            problems += _check_corrections(series, corrections, corrections_source, numbers)
        problems += [
            Diagnostic(theme_dir, 0, 0, f"no file holds theme {n} of the {series_themes.themes} the series has ({_base_series(series)})",
                       suggestion=f"restore its file ({n:02d}-….yaml), or give the series fewer themes in series.yaml")
            for n in sorted(missing)
        ]
        unknown |= missing

    if series is not None and series_source is not None:
        problems += _check_overlays(Library(data_dir, series, series_source, tuple(themes), None, None), problems)
    problems = list(dict.fromkeys(problems))  # one mistake, one message
    if problems and (not partial or series is None or series_source is None or _in(problems, series_source.path)):
        raise ContentError(problems)
    assert series is not None and series_source is not None
    broken = set(claimed.values()) | unknown
    for tf in themes:
        if _in(problems, tf.source.path):
            broken.add(tf.theme.number)
    themes = [tf for tf in themes if not _in(problems, tf.source.path)]
    # A sheet that names a theme that did not load cannot say its title: it
    # waits, without a message of its own (the mistake is in the other file).
    while waiting := [tf for tf in themes if _referenced(tf) & broken]:
        broken |= {tf.theme.number for tf in waiting}
        themes = [tf for tf in themes if tf not in waiting]
    themes.sort(key=lambda t: t.theme.number)
    waits = False
    if problems and (broken or any(d.path.parent == theme_dir for d in problems) or (intro_source and _in(problems, intro_source.path))):
        waits = intro_source is not None
        introduction, intro_source = None, None
    return Library(data_dir, series, series_source, tuple(themes), introduction, intro_source, tuple(problems), frozenset(broken), waits)


def _check_overlays(library: Library, problems: list[Diagnostic]) -> list[Diagnostic]:
    """What only resolving a variant finds (an overlay replacing an item its
    base does not have, a quote that is no sentence of the cases), found now:
    found later, the build had written other variants' sheets before it said
    that nothing was written. Themes already reported are left to that report;
    a mistake every variant inherits is said once."""
    from .variants import resolve, variants_of

    found: list[Diagnostic] = []
    said: set[tuple[Path | None, int, int]] = set()
    whole = {tf.theme.number for tf in library.themes if not _in(problems, tf.source.path)}
    for tf in library.themes:
        # A sheet naming a theme that did not load waits for it (load_library).
        if _in(problems, tf.source.path) or _referenced(tf) - whole:
            continue
        for name in variants_of(library, tf):
            try:
                resolve(library, tf, name)
            except ContentError as exc:
                for d in exc.diagnostics:
                    if (d.path, d.line, d.column) not in said:
                        said.add((d.path, d.line, d.column))
                        found.append(d)
    return found


def _readable_folder(data_dir: Path) -> None:
    """data/ itself: a folder that cannot be read, or is not one, is one
    message, not one for every file it should hold. A missing one is said
    by series.yaml ("file not found")."""
    try:
        with os.scandir(data_dir):
            pass
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise ContentError([Diagnostic(data_dir, 0, 0, "must be a folder (of series.yaml, themes/ and the other data files)")]) from None
    except OSError as exc:
        raise ContentError([Diagnostic(data_dir, 0, 0, f"cannot read folder: {exc.strerror or exc}")]) from None


def _folders_inside(data_dir: Path, inside: Path) -> None:
    """data/ or data/themes/ linked from outside the project: one message for
    the folder, not one for each file in it (none of them is read)."""
    from .files import inside_folder

    for folder in (data_dir, data_dir / "themes"):
        if _is_folder(folder) and not inside_folder(folder, inside):
            raise ContentError([Diagnostic(folder, 0, 0, f"is a link to a folder outside the project ({os.path.realpath(folder)}); "
                                           "nothing in it is read", suggestion="copy the folder into the project instead of linking to it")])


def _present(path: Path) -> bool:
    """Is there an optional file? A link that leads nowhere, or an entry that
    cannot be looked at, is there: reading it says what is wrong."""
    try:
        return path.exists() or path.is_symlink()
    except OSError:
        return True


def _is_folder(path: Path) -> bool:
    """False, too, for an entry that cannot be looked at: reading it says why."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _referenced(tf: ThemeFile) -> set[int]:
    refs = [*tf.theme.references, *(r for o in tf.theme.variants.values() for r in o.references or [])]
    return {r.theme for r in refs if r.theme is not None}


def _in(problems: list[Diagnostic], path: Path) -> bool:
    return any(d.path == path for d in problems)


# A theme file's name, less its ending: the output files are named after it,
# with the series' word before it and the variant and profile after it (up to
# 60 bytes more), within the 255 bytes a file name may have.
MAX_NAME_BYTES = 120


def _theme_files(theme_dir: Path, problems: list[Diagnostic]) -> list[Path]:
    """The theme files, by one rule: every entry of data/themes is a `.yaml`
    theme file, an editor's file (ignored), or reported. Nothing is skipped
    in silence, so no theme is left out of a build without a word."""
    try:
        entries = sorted(theme_dir.iterdir())
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        problems.append(Diagnostic(theme_dir, 0, 0, "must be a folder of theme files"))
        return []
    except OSError as exc:
        problems.append(Diagnostic(theme_dir, 0, 0, f"cannot read folder: {exc.strerror or exc}"))
        return []
    found = []
    for path in entries:
        if _EDITOR_FILE.search(path.name):
            continue
        folder = _is_folder(path)
        if path.suffix == THEME_SUFFIX and not folder and len(path.stem.encode("utf-8")) > MAX_NAME_BYTES:
            problems.append(Diagnostic(path, 0, 0, f"the file's name is {len(path.stem.encode('utf-8'))} bytes long; the output files are named after it, "
                                       f"and a name of more than {MAX_NAME_BYTES} cannot be written",
                                       suggestion="shorten it to its number and a word or two, e.g. 04-tidspres.yaml"))
        elif path.suffix == THEME_SUFFIX and not folder:
            found.append(path)  # links, FIFOs and the unreadable are load_yaml's to refuse
        elif folder:
            problems.append(Diagnostic(path, 0, 0, "a folder inside data/themes is not read", suggestion="theme files go directly in data/themes"))
        elif path.suffix.lower() in YAML_SUFFIXES:
            problems.append(Diagnostic(path, 0, 0, f"theme files end in {THEME_SUFFIX}; this one is not read", suggestion=f"rename it to {path.stem}{THEME_SUFFIX}"))
        else:
            problems.append(Diagnostic(path, 0, 0, f"not a theme file: data/themes holds only NN-name{THEME_SUFFIX} files", suggestion="move it elsewhere, or give it the ending .yaml if it is a theme"))
    return found


def _stray_data_files(data_dir: Path) -> list[Diagnostic]:
    """A YAML file in data/ that is not one of DATA_FILES would be silently unread."""
    try:
        entries = sorted(data_dir.iterdir())
    except OSError:
        return []  # series.yaml's own message says it
    problems = []
    for folder in entries:
        # A folder of its own (data/extra/…) is no more read than a file beside
        # series.yaml; its YAML is said too, a bounded look, links not followed.
        # `_is_folder` first: where data/ may be listed but not entered, even lstat fails.
        if folder.name != "themes" and not _EDITOR_FILE.search(folder.name) and _is_folder(folder) and not folder.is_symlink():
            problems += [Diagnostic(path, 0, 0, "not read: data/ holds " + ", ".join(DATA_FILES) + " and themes/", suggestion="themes go in data/themes")
                         for path in _yaml_below(folder)]
    for path in entries:
        if _EDITOR_FILE.search(path.name) or path.name in DATA_FILES or path.suffix.lower() not in YAML_SUFFIXES:
            continue
        wanted = path.stem + THEME_SUFFIX
        hint = f"rename it to {wanted}" if wanted in DATA_FILES else "themes go in data/themes"
        problems.append(Diagnostic(path, 0, 0, "not read: data/ holds " + ", ".join(DATA_FILES) + " and themes/", suggestion=hint))
    return problems


def _yaml_below(folder: Path, most: int = 500) -> list[Path]:
    """The YAML files under `folder`, among its first `most` entries."""
    found, seen = [], 0
    for root, folders, names in os.walk(folder, onerror=lambda _: None):
        folders[:] = sorted(f for f in folders if not _EDITOR_FILE.search(f))
        for name in sorted(names):
            seen += 1
            if seen > most:
                return found
            if not _EDITOR_FILE.search(name) and Path(name).suffix.lower() in YAML_SUFFIXES:
                found.append(Path(root) / name)
    return found


def _claimed_number(path: Path, source: SourceFile | None, count: int | None) -> int | None:
    """The theme a file that did not load means, so that references to it
    from other files are not reported too: its `number:` if the series has
    that theme (of `count`), or its name's. A number no theme has (0, -4, 11)
    is the file's mistake, not what it means."""
    if source is not None and isinstance(source.data, dict):
        number = source.data.get("number")
        if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= (count or number):
            return number
    return _name_number(path)


def _load(path: Path, model: type[M], problems: list[Diagnostic], inside: Path) -> tuple[SourceFile | None, M | None]:
    try:
        source = load_yaml(path, inside)
    except ContentError as exc:
        problems += exc.diagnostics
        return None, None
    if not isinstance(source.data, dict):
        problems.append(source.error((), "the file must be a mapping of fields (key: value)"))
        return source, None
    if (known := _VALIDATED.get((model, id(source.data)))) is not None and known[0] is source.data:
        return source, known[1]
    try:
        valid = model.model_validate(source.data)
    except ValidationError as exc:
        found = [d for err in _one_branch(source, exc.errors()) if (d := _diagnostic(source, model, err)) is not None]
        problems += dict.fromkeys(found)
        return source, None
    with _VALIDATED_LOCK:
        _VALIDATED[(model, id(source.data))] = (source.data, valid)
        if len(_VALIDATED) > KEEP_PARSED:
            del _VALIDATED[next(iter(_VALIDATED))]
    return source, valid


# A model depends on its file's parsed data alone, which load_yaml shares
# between reads of the same text: validated once (two thirds of loading the
# library), kept beside the data it was made from (which also keeps that
# data's id from being reused), and frozen.
_VALIDATED: dict[tuple[type, int], tuple[object, BaseModel]] = {}
_VALIDATED_LOCK = threading.Lock()


def _one_branch(source: SourceFile, errors: list) -> list:
    """A section of an overlay is a list or a mapping of item numbers (a union):
    pydantic reports against both. Keep what the editor wrote: a list's errors
    for a list, a mapping's for a mapping, and one message for anything else."""
    kept = []
    for err in errors:
        loc = err["loc"]
        branch = next((i for i, part in enumerate(loc) if isinstance(part, str) and "[" in part and part != "[key]"), None)
        if branch is None:
            kept.append(err)
            continue
        value = _value_at(source.data, _clean_loc(loc[:branch]))
        label = loc[branch]
        if isinstance(value, list) and label.startswith("list["):
            kept.append(err)
        elif isinstance(value, dict) and label.startswith("dict["):
            kept.append(err)
        elif not isinstance(value, (list, dict)):
            kept.append({**err, "loc": loc[:branch], "type": "list_or_patch"})
    return kept


def _value_at(data: object, loc: FieldPath) -> object:
    for part in loc:
        try:
            data = data[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _diagnostic(source: SourceFile, model: type[BaseModel], err: dict) -> Diagnostic | None:
    loc: FieldPath = _clean_loc(err["loc"])
    name = source.field(loc) or "file"
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = source.field(loc[:-1])
        spelled = source.names.get(loc, str(loc[-1]))
        allowed = _allowed_keys(model, loc[:-1])
        hint = _did_you_mean(spelled, allowed) if allowed else ""
        where = f" in '{parent}'" if parent else ""
        if allowed and _is_text_with_colon(source, loc[:-1], allowed):
            hint = f"a ':' followed by a space made '{spelled}' a field name: put the whole text in quotes, or write `- text: \"…\"`"
        return source.error(loc, f"unknown field '{spelled}'{where}", suggestion=hint)
    if kind == "missing":
        if _has_unknown_sibling(source, model, loc):
            return None  # the unknown field beside it is the mistake, said once
        return source.error(loc[:-1], f"missing required field '{name}'")
    if "[key]" in err["loc"]:
        spelled = source.names.get(loc, str(loc[-1]))
        return source.error(loc, f"'{spelled}' in '{source.field(loc[:-1])}' must be an item number, counted from 1", suggestion="a mapping replaces single items: 1: …, 2: …")
    if kind == "invalid_key":
        spelled = source.names.get(loc, str(loc[-1]))
        return source.error(loc, f"'{spelled}' is not a field name", suggestion="a field name is a word, e.g. title")
    if kind == "list_or_patch":
        return source.error(loc, f"'{name}' must be a list of texts, or a mapping of item numbers to texts (3: …)")
    if kind == "string_type" and isinstance(_value_at(source.data, loc), dict):
        return source.error(loc, f"'{name}' must be text, but a ':' followed by a space in it made it 'field: value'", suggestion="put the whole text in quotes")
    messages = {
        "list_type": "must be a list",
        "string_type": "must be text",
        "int_type": "must be a whole number",
        "bool_type": "must be true or false",
        "dict_type": "must be a mapping (key: value)",
        "model_type": "must be a mapping (key: value)",
        "too_short": "must not be empty",
        "greater_than_equal": f"must be at least {err.get('ctx', {}).get('ge')}",
        "less_than_equal": f"must be at most {err.get('ctx', {}).get('le')}",
    }
    if kind in messages:
        return source.error(loc, f"'{name}' {messages[kind]}")
    message = str(err["msg"]).removeprefix("Value error, ")
    return source.error(loc, f"'{name}': {message}")


def _has_unknown_sibling(source: SourceFile, model: type[BaseModel], loc: FieldPath) -> bool:
    """Is a missing field the other half of a misspelt one (`action:` for
    `actions:`), or of a text whose colon made it a field name?"""
    allowed = _allowed_keys(model, loc[:-1])
    if not allowed:
        return False
    if _is_text_with_colon(source, loc[:-1], allowed):
        return True
    value = _value_at(source.data, loc[:-1])
    unknown = [source.names.get(loc[:-1] + (k,), str(k)) for k in value if str(k) not in allowed] if isinstance(value, dict) else []
    return any(_did_you_mean(k, allowed) == f"did you mean '{loc[-1]}'?" for k in unknown)


def _is_text_with_colon(source: SourceFile, loc: FieldPath, allowed: list[str]) -> bool:
    """An item such as `- Se også: tema 3`: one unknown key, none of the known ones."""
    if not loc or not isinstance(loc[-1], int):
        return False  # only a list item can be a text that a colon turned into a mapping
    value = _value_at(source.data, loc)
    return isinstance(value, dict) and len(value) == 1 and not any(str(k) in allowed for k in value)


def _did_you_mean(key: str, allowed: list[str]) -> str:
    folded = key.lower().translate(str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": "_", "-": "_"}))
    hinted = {k: v for k, v in KEY_HINTS.items() if v in allowed}
    close = difflib.get_close_matches(folded, [*allowed, *hinted], n=1, cutoff=0.7)
    if close:
        return f"did you mean '{hinted.get(close[0], close[0])}'?"
    return "expected one of: " + ", ".join(allowed)


def _clean_loc(loc: tuple) -> FieldPath:
    """Drop pydantic's union-branch labels ("list[…]", "function-after[…]") from a location."""
    return tuple(p for p in loc if isinstance(p, int) or ("[" not in p and p not in ("int", "str")))


def _allowed_keys(model: type[BaseModel], loc: FieldPath) -> list[str]:
    """The field names a model allows at `loc`, through models, mappings
    (`variants: {privat@2: …}`) and lists alike."""
    found = _model_at(model, loc)
    return list(found.model_fields) if found else []


def _model_at(annotation: object, loc: FieldPath) -> type[BaseModel] | None:
    if not loc:
        return _model_in(annotation)
    part, rest = loc[0], loc[1:]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return _model_at(field.annotation, rest) if field else None
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is dict and len(args) == 2:
        return _model_at(args[1], rest)
    if origin is list and args:
        return _model_at(args[0], rest)
    for arg in args:  # a union, an Annotated: the first branch that leads somewhere
        if (found := _model_at(arg, loc)) is not None:
            return found
    return None


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (dict, list):
        return None
    for arg in get_args(annotation):
        if found := _model_in(arg):
            return found
    return None


def _check_series(series: SeriesFile, source: SourceFile) -> list[Diagnostic]:
    problems = []
    for name, spec in series.variants.items():
        loc = ("variants", name)
        match = VARIANT_NAME.match(name)
        if not match:
            problems.append(source.error(loc, f"variant name '{name}' must read sector@edition, e.g. privat@2"))
        elif match["sector"] != spec.series or int(match["edition"]) != spec.edition:
            problems.append(
                source.error(loc, f"variant '{name}' must be named {spec.series}@{spec.edition} after its series and edition")
            )
        if spec.series not in series.series:
            problems.append(source.error(loc + ("series",), f"unknown series '{spec.series}'", suggestion=_choices(series.series)))
        if spec.base is not None and spec.base not in series.variants:
            problems.append(source.error(loc + ("base",), f"unknown base variant '{spec.base}'", suggestion=_choices(series.variants)))
    for name in series.variants:
        seen = [name]
        while (base := series.variants[seen[-1]].base) in series.variants:
            if base in seen:
                problems.append(source.error(("variants", name, "base"), "variants build on each other in a circle: " + " -> ".join(seen + [base])))
                break
            seen.append(base)
    for name, info in series.series.items():
        for number in info.titles:
            if number > info.themes:
                problems.append(source.error(("series", name, "titles", number), f"theme {number} is outside the series (1-{info.themes})"))
        # Its sheets print the whole list: a number left out would print another series' title.
        missing = [n for n in range(1, info.themes + 1) if n not in info.titles]
        if info.themes_on_sheets and info.titles and missing:
            problems.append(source.error(("series", name, "themes_on_sheets"), f"the sheets list the series' themes, but `titles:` names no title for theme {', '.join(map(str, missing))}",
                                         suggestion=f"give every theme 1-{info.themes} its title under `titles:`, or set themes_on_sheets: false"))
    return problems


def _check_themes(series: SeriesFile, themes: list[ThemeFile], claimed: set[int] = frozenset()) -> list[Diagnostic]:  # type: ignore[assignment]
    problems = []
    base_series = _base_series(series)
    count = series.series[base_series].themes if base_series in series.series else 0
    owners: dict[int, ThemeFile] = {}
    for tf in themes:
        theme, src = tf.theme, tf.source
        if theme.number > count:
            problems.append(src.error(("number",), f"theme {theme.number} is outside the series (it has {count} themes)"))
        if theme.number in owners:
            # Said at the file whose name has another number (04-….yaml
            # saying 5), the one an editor changed; else at the later one.
            first, second = owners[theme.number], tf
            if _name_number(second.source.path) == theme.number != _name_number(first.source.path):
                first, second = second, first
            problems.append(second.source.error(("number",), f"theme {theme.number} is also claimed by {first.source.path.name}"))
        owners.setdefault(theme.number, tf)
        for name in theme.variants:
            if name not in series.variants:
                problems.append(src.error(("variants", name), f"unknown variant '{name}'", suggestion=_choices(series.variants)))
            elif series.variants[name].base is None:
                # It would replace the text above it, which then prints nowhere.
                problems.append(src.error(("variants", name), f"'{name}' is this file's own text, the text at its top; an overlay may not replace it",
                                          suggestion="edit the text at the top of the file instead, and remove this overlay"))
    # A theme whose file did not load still exists: a reference to it is no second mistake.
    numbers = {tf.theme.number for tf in themes} | set(claimed)
    for tf in themes:
        refs = [(("references", i), r) for i, r in enumerate(tf.theme.references)]
        for vname, overlay in tf.theme.variants.items():
            refs += [(("variants", vname, "references", i), r) for i, r in enumerate(overlay.references or [])]
        for loc, ref in refs:
            if ref.theme is not None and ref.theme not in numbers:
                problems.append(tf.source.error(loc + ("theme",), f"reference to theme {ref.theme}, which does not exist"))
            unknown = set(re.findall(r"\{[^{}]*\}", ref.text)) - set(PLACEHOLDERS)
            if unknown:
                problems.append(tf.source.error(loc + ("text",), f"unknown placeholder {', '.join(sorted(unknown))}", suggestion="use {number}, {title} or {title_lower}"))
            elif ref.theme is None and "{" in ref.text:
                problems.append(tf.source.error(loc + ("text",), "a placeholder needs 'theme:' to say which theme it means"))
            if ref.theme is not None and ref.url is not None:
                problems.append(tf.source.error(loc, "a reference points either to a theme or to a URL, not both"))
    return problems


def _name_number(path: Path) -> int | None:
    """The number a theme file's name starts with (04-tidspres.yaml: 4)."""
    digits = re.match(r"\d+", path.name)
    return int(digits.group()) if digits else None


def _check_introduction(series: SeriesFile, intro: Introduction, source: SourceFile, themes: list[ThemeFile]) -> list[Diagnostic]:
    problems = []
    if intro.series not in series.series:
        problems.append(source.error(("series",), f"unknown series '{intro.series}'", suggestion=_choices(series.series)))
    for i, block in enumerate(intro.blocks):
        if block.themes is not None and block.themes not in series.series:
            problems.append(source.error(("blocks", i, "themes"), f"unknown series '{block.themes}'", suggestion=_choices(series.series)))
    headings = [b.heading for b in intro.blocks if b.heading is not None]
    if intro.on_theme_sheets is not None and intro.on_theme_sheets not in headings:
        problems.append(source.error(("on_theme_sheets",), f"no heading of the introduction reads '{intro.on_theme_sheets}'",
                                     suggestion="copy a heading from 'blocks' exactly: " + ", ".join(f"'{h}'" for h in headings)))
    return problems


def _check_corrections(series: SeriesFile, corrections: Corrections, source: SourceFile, numbers: set[int] | None) -> list[Diagnostic]:
    problems = []
    for kind in ("corrections", "queries"):
        for i, entry in enumerate(getattr(corrections, kind)):
            loc = (kind, i)
            if numbers is not None and isinstance(entry.theme, int) and entry.theme not in numbers:
                problems.append(source.error(loc + ("theme",), f"theme {entry.theme} does not exist"))
            if entry.variant not in series.variants:
                problems.append(source.error(loc + ("variant",), f"unknown variant '{entry.variant}'", suggestion=_choices(series.variants)))
    return problems


def _base_series(series: SeriesFile) -> str:
    """The series the theme files are written for: that of the variant nothing builds on."""
    roots = [spec.series for spec in series.variants.values() if spec.base is None]
    return roots[0] if roots else next(iter(series.series))


def _choices(names: object) -> str:
    return "defined: " + ", ".join(str(n) for n in names)  # type: ignore[attr-defined]
