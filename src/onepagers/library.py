"""Load the whole data folder into validated models, or report every problem at once.

Each file is read (`source`), validated (`model`), and then checked against
the others: theme numbers unique and inside the series, references pointing at
themes that exist, overlays naming variants that exist. All problems of all
files are collected before anything is reported.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .diagnostics import ContentError, Diagnostic
from .model import KEY_HINTS, VARIANT_NAME, Introduction, SeriesFile, Theme
from .source import FieldPath, SourceFile, load_yaml

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

    def theme(self, number: int) -> ThemeFile | None:
        return next((t for t in self.themes if t.theme.number == number), None)


def load_library(data_dir: Path) -> Library:
    problems: list[Diagnostic] = []

    series_source, series = _load(data_dir / "series.yaml", SeriesFile, problems)
    themes: list[ThemeFile] = []
    theme_dir = data_dir / "themes"
    theme_paths = sorted(theme_dir.glob("*.yaml")) if theme_dir.is_dir() else []
    if not theme_paths:
        problems.append(Diagnostic(theme_dir, 0, 0, "no theme files (*.yaml) found"))
    for path in theme_paths:
        source, theme = _load(path, Theme, problems)
        if theme is not None and source is not None:
            themes.append(ThemeFile(theme, source))

    intro_source: SourceFile | None = None
    introduction: Introduction | None = None
    if (data_dir / "introduction.yaml").exists():
        intro_source, introduction = _load(data_dir / "introduction.yaml", Introduction, problems)

    if series is not None and series_source is not None:
        problems += _check_series(series, series_source)
        problems += _check_themes(series, themes)
        if introduction is not None and intro_source is not None:
            problems += _check_introduction(series, introduction, intro_source, themes)

    if problems:
        raise ContentError(problems)
    assert series is not None and series_source is not None
    themes.sort(key=lambda t: t.theme.number)
    return Library(data_dir, series, series_source, tuple(themes), introduction, intro_source)


def _load(path: Path, model: type[M], problems: list[Diagnostic]) -> tuple[SourceFile | None, M | None]:
    try:
        source = load_yaml(path)
    except ContentError as exc:
        problems += exc.diagnostics
        return None, None
    if not isinstance(source.data, dict):
        problems.append(source.error((), "the file must be a mapping of fields (key: value)"))
        return source, None
    try:
        return source, model.model_validate(source.data)
    except ValidationError as exc:
        problems += [_diagnostic(source, model, err) for err in exc.errors()]
        return source, None


def _diagnostic(source: SourceFile, model: type[BaseModel], err: dict) -> Diagnostic:
    loc: FieldPath = _clean_loc(err["loc"])
    name = source.field(loc) or "file"
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = source.field(loc[:-1])
        allowed = _allowed_keys(model, loc[:-1])
        hint = ""
        if allowed:
            hint = _did_you_mean(str(loc[-1]), allowed)
        where = f" in '{parent}'" if parent else ""
        return source.error(loc, f"unknown field '{loc[-1]}'{where}", suggestion=hint)
    if kind == "missing":
        return source.error(loc[:-1], f"missing required field '{name}'")
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
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None or isinstance(part, int):
            continue
        field = current.model_fields.get(str(part))
        current = _model_in(field.annotation) if field else None
        if current is None and field is None:
            return []
    return list(current.model_fields) if current else []


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
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
    return problems


def _check_themes(series: SeriesFile, themes: list[ThemeFile]) -> list[Diagnostic]:
    problems = []
    base_series = _base_series(series)
    count = series.series[base_series].themes if base_series in series.series else 0
    owners: dict[int, ThemeFile] = {}
    for tf in themes:
        theme, src = tf.theme, tf.source
        if theme.number > count:
            problems.append(src.error(("number",), f"theme {theme.number} is outside the series (it has {count} themes)"))
        if theme.number in owners:
            other = owners[theme.number].source
            problems.append(src.error(("number",), f"theme {theme.number} is also claimed by {other.path.name}"))
        owners.setdefault(theme.number, tf)
        for name in theme.variants:
            if name not in series.variants:
                problems.append(src.error(("variants", name), f"unknown variant '{name}'", suggestion=_choices(series.variants)))
    numbers = {tf.theme.number for tf in themes}
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


def _check_introduction(series: SeriesFile, intro: Introduction, source: SourceFile, themes: list[ThemeFile]) -> list[Diagnostic]:
    problems = []
    if intro.series not in series.series:
        problems.append(source.error(("series",), f"unknown series '{intro.series}'", suggestion=_choices(series.series)))
    for i, block in enumerate(intro.blocks):
        if block.themes is not None and block.themes not in series.series:
            problems.append(source.error(("blocks", i, "themes"), f"unknown series '{block.themes}'", suggestion=_choices(series.series)))
    return problems


def _base_series(series: SeriesFile) -> str:
    """The series the theme files are written for: that of the variant nothing builds on."""
    roots = [spec.series for spec in series.variants.values() if spec.base is None]
    return roots[0] if roots else next(iter(series.series))


def _choices(names: object) -> str:
    return "defined: " + ", ".join(str(n) for n in names)  # type: ignore[attr-defined]
