"""Variants: overlays resolve as documented, and the CLI shows and diffs them."""

from __future__ import annotations

import dataclasses

import pytest

from onepagers import diff
from onepagers.variants import default_variant, resolve, variants_of


def test_default_is_the_newest_edition_of_the_private_series(library):
    assert default_variant(library) == "privat@2"


def test_a_theme_without_revised_text_keeps_the_first_editions_text(library):
    first = resolve(library, library.theme(4), "privat@1")
    revised = resolve(library, library.theme(4), "privat@2")
    assert revised.actions == first.actions and revised.cases == first.cases
    # …but carries the revised edition's series wording.
    assert first.headings.cases == "Sådan gjorde de …"
    assert revised.headings.cases == "Sådan har de gjort …"
    assert "faktaark" in revised.partnership and "fakta ark" in first.partnership


def test_public_sector_sheet_counts_its_own_series(library):
    sheet = resolve(library, library.theme(6), "offentlig@2")
    assert (sheet.number, sheet.variant.theme_count) == (6, 9)
    assert sheet.variant.series_name.startswith("Trivsel og god ergonomi i offentlige")
    assert sheet.actions[0].startswith("**Lad** håndtering")


def test_a_series_without_an_introduction_lists_its_own_themes_where_it_says_so(library):
    """The public series has no introduction to quote on its sheets: its panel
    is its name and its nine titles (series.yaml), the sheet's own among them;
    `themes_on_sheets: false` prints none."""
    sheet = resolve(library, library.theme(6), "offentlig@2")
    heading, themes = sheet.series_panel
    assert heading.heading == library.series.series["offentlig"].name and themes.themes == "offentlig"
    titles = sheet.theme_titles["offentlig"]
    assert len(titles) == 9 and titles[5] == sheet.title and titles[6] == "Kundeservice"
    # The private series' panel stays the introduction's section.
    assert resolve(library, library.theme(6), "privat@2").series_panel[0].heading == library.introduction.on_theme_sheets
    off = library.series.series["offentlig"].model_copy(update={"themes_on_sheets": False})
    quiet = library.series.model_copy(update={"series": {**library.series.series, "offentlig": off}})
    assert not resolve(dataclasses.replace(library, series=quiet), library.theme(6), "offentlig@2").series_panel


def test_public_series_only_has_themes_with_their_own_text(library):
    assert "offentlig@2" in variants_of(library, library.theme(6))
    assert "offentlig@2" not in variants_of(library, library.theme(4))
    with pytest.raises(LookupError, match="privat@1, privat@2"):
        resolve(library, library.theme(4), "offentlig@2")


def test_an_item_patch_replaces_only_that_item(library):
    base = resolve(library, library.theme(1), "privat@1")
    revised = resolve(library, library.theme(1), "privat@2")
    # The privat@1 overlay of TEMA 1 patches questions item 3 only.
    assert revised.questions[2] != base.questions[2]
    assert revised.questions[:2] == base.questions[:2] and revised.questions[3:] == base.questions[3:]


def test_edition_diff_of_tema_1_reports_yousee_nuuday(library):
    a = resolve(library, library.theme(1), "privat@1")
    b = resolve(library, library.theme(1), "privat@2")
    changes = diff.replacements(diff.diff_sheets(a, b))
    assert ("YouSee", "YouSee/Nuuday") in changes
    assert ("styrket", "øget") in changes


def test_identical_variants_have_an_empty_diff(library):
    a = resolve(library, library.theme(4), "privat@2")
    assert not any(s.changed for s in diff.diff_sheets(a, a))


def test_cli_show_prints_the_resolved_variant_as_yaml(project, cli):
    result = cli("show", "--theme", "6", "--sector", "offentlig", "--project", str(project.root))
    assert result.exit_code == 0, result.output
    assert "variant: offentlig@2" in result.stdout
    assert "number: 6/9" in result.stdout
    assert "Aarhus Kommunes Kontaktcenter" in result.stdout


def test_cli_diff_writes_a_self_contained_html_page(project, tmp_path, cli):
    page = tmp_path / "d.html"
    result = cli("diff", "--theme", "6", "privat@2", "offentlig@2", "--html", str(page), "--project", str(project.root))
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert "<del>" in html and "<ins>" in html
    assert "Aarhus Kommunes Kontaktcenter" in html
    assert "src=" not in html and "href=" not in html  # nothing to fetch


def test_cli_variant_without_text_exits_2_naming_what_exists(project, cli, tmp_path):
    result = cli("build", "--theme", "4", "--sector", "offentlig", "--out", str(tmp_path), "--project", str(project.root))
    assert result.exit_code == 2
    assert "privat@1, privat@2" in result.output


def test_a_series_listing_its_themes_with_a_title_missing_is_named_at_its_line(sandbox, cli):
    """The list would print the private series' "Salg" for the public theme 7."""
    series = sandbox.data / "series.yaml"
    text = series.read_text(encoding="utf-8")
    assert "      7: Kundeservice\n" in text
    series.write_text(text.replace("      7: Kundeservice\n", ""), encoding="utf-8")
    result = cli("check", "--project", str(sandbox.root))
    assert result.exit_code == 1, result.output
    line = next(i for i, l in enumerate(text.splitlines(), 1) if l.strip() == "themes_on_sheets: true")
    assert f"series.yaml:{line}:" in result.stderr and "theme 7" in result.stderr, result.stderr
    assert "Traceback" not in result.output
