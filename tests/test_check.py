"""Preflight: the shipped data passes; the published text, slips and all, is flagged at file:line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from onepagers.check import preflight
from onepagers.library import load_library
from onepagers.project import Project

from conftest import copy_project



def _published_copy(project: Project, corrections: list[dict], root: Path) -> Project:
    """The data with every listed correction undone: the text as it was printed.
    A correction whose text an editor has reworded since is left as it stands."""
    copy_project(project, root)
    series = yaml.safe_load((root / "data" / "series.yaml").read_text(encoding="utf-8"))
    (own_text,) = [name for name, spec in series["variants"].items() if "base" not in spec]  # the files' own text
    for c in corrections:
        if c["theme"] == "introduction":
            path = root / "data" / "introduction.yaml"
            path.write_text(path.read_text(encoding="utf-8").replace(c["data"], c["published"]), encoding="utf-8")
            continue
        if c["theme"] is None:  # the series' wording: field is its path in series.yaml
            path = root / "data" / "series.yaml"
            data, owner = yaml.safe_load(path.read_text(encoding="utf-8")), None
        else:
            path = next((root / "data" / "themes").glob(f"{c['theme']:02d}-*.yaml"))
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            owner = data if c["variant"] == own_text else data["variants"][c["variant"]]
        if "." in c["field"]:  # a nested field of one text: headings.cases
            *parents, leaf = c["field"].split(".")
            holder = owner if owner is not None else data
            for key in parents:
                holder = holder[key]
            if c["data"] not in holder[leaf]:
                continue  # reworded since: stale, which check reports (test_text_matches_seeds)
            holder[leaf] = holder[leaf].replace(c["data"], c["published"])
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8")
            continue
        section, _, index = c["field"].partition("[")
        items = owner[section]
        if isinstance(items, str):  # a field of one text: the lead
            if c["data"] not in items:
                continue  # reworded since
            owner[section] = items.replace(c["data"], c["published"])
        elif not c["data"]:  # a block the data left out: put it back
            items += c["published"].split(" • ")
        else:
            i = int(index.rstrip("]")) - 1
            if isinstance(items[i], dict):
                items[i]["text"] = c["published"]
            elif " • " in c["published"]:  # one item the data joined: split it again
                items[i : i + 1] = c["published"].split(" • ")
            else:
                if c["data"] not in items[i]:
                    continue  # reworded since
                items[i] = items[i].replace(c["data"], c["published"])
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8")
    return Project(root)


@pytest.fixture(scope="module")
def published(project, corrections, tmp_path_factory) -> Project:
    return _published_copy(project, corrections, tmp_path_factory.mktemp("published"))


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_shipped_data_passes(project, library, cli):
    findings = preflight(library, project)
    assert [d for d in findings if d.severity == "error"] == []
    result = cli("check", "--project", str(project.root))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("theme_file", "needle", "rule"),
    [
        ("01-instruktion-og-oplaering.yaml", "og og ubehagelige", "repeated-word"),
        ("01-instruktion-og-oplaering.yaml", "perfomancekrav", "typo"),
        ("07-salg.yaml", "onepager onepager", "repeated-word"),
        ("10-fysiske-rammer.yaml", "Inddrag medarbejdernes trivsel", "pasted-text"),
        ("10-fysiske-rammer.yaml", "kunde- og callcentermedarbejdernes trivsel", "split-item"),
        ("03-udviklingsmuligheder.yaml", "kompetencer - så de", "dash"),
        ("07-salg.yaml", "væk? - det koster", "dash"),
        ("01-instruktion-og-oplaering.yaml", "sammen med 6-7 andre", "range-dash"),
        ("01-instruktion-og-oplaering.yaml", "Sådan har de gjort ...", "ellipsis"),
        ("06-svaere-kald.yaml", "oplevelsen 'sætter sig'", "straight-quote"),
        ("06-svaere-kald.yaml", "Trap konflikterne ned", "no-address"),
        ("05-maalinger-og-performancekrav.yaml", "udvikle deres service.", "bullet-style"),
    ],
)
def test_published_text_slips_are_flagged_at_their_line(published, theme_file, needle, rule):
    findings = preflight(load_library(published.data), published)
    path = published.data / "themes" / theme_file
    line = _line_of(path, needle)
    hits = [d for d in findings if d.rule == rule and d.path.name == theme_file and d.line == line]
    assert hits, f"no {rule} at {theme_file}:{line}; found: " + "\n".join(d.one_line() for d in findings)


def test_check_cli_on_published_text_fails_and_names_file_line_rule(published, cli):
    result = cli("check", "--project", str(published.root))
    assert result.exit_code == 1  # the pasted block is an error
    assert re.search(r"themes/10-fysiske-rammer\.yaml:\d+:\d+: error: identical to theme 9 \(actions\[1\]\).*\[pasted-text\]", result.output)


def test_check_json_lists_findings(published, cli):
    result = cli("check", "--json", "--theme", "7", "--project", str(published.root))
    findings = json.loads(result.stdout)
    assert {f["rule"] for f in findings} >= {"repeated-word"}
    assert all(f["file"].endswith("07-salg.yaml") and f["line"] > 0 and f["suggestion"] for f in findings)


def test_strict_fails_on_warnings(project, cli):
    assert cli("check", "--strict", "--project", str(project.root)).exit_code == 1


def test_retyped_title_and_wrong_theme_number(project, tmp_path):
    copy_project(project, tmp_path)
    path = tmp_path / "data" / "themes" / "02-variation-og-indflydelse.yaml"
    text = path.read_text(encoding="utf-8").replace("tema {number} om {title_lower}", "tema 4 om udvikling")
    path.write_text(text, encoding="utf-8")
    sandbox = Project(tmp_path)
    findings = preflight(load_library(sandbox.data), sandbox)
    assert any(d.rule == "reference-number" and d.severity == "error" and d.path == path for d in findings)


def test_the_form_of_a_theme_reference_comes_from_series_yaml(project, tmp_path):
    """Not Danish in code: with another form in series.yaml, a mention in that
    form is checked, and one in the old form is just text."""
    copy_project(project, tmp_path)
    series = tmp_path / "data" / "series.yaml"
    series.write_text(series.read_text(encoding="utf-8").replace('theme_reference: "tema {number} om {title_lower}"', 'theme_reference: "emne {number}: {title}"'), encoding="utf-8")
    path = tmp_path / "data" / "themes" / "02-variation-og-indflydelse.yaml"
    template = path.read_text(encoding="utf-8")
    sandbox = Project(tmp_path)

    def rules(text: str) -> set[str]:
        path.write_text(template.replace("tema {number} om {title_lower}", text), encoding="utf-8")
        return {d.rule for d in preflight(load_library(sandbox.data), sandbox) if d.path == path}

    assert "reference-number" in rules("emne 4: Udviklingsmuligheder")
    assert "retyped-title" in rules("emne 3: Udvikling")
    assert not {"reference-number", "retyped-title"} & rules("tema 4 om udvikling")


def test_a_reference_without_address_is_listed_for_the_editor(project, library):
    """Printed without a link meanwhile; check names each one at its line."""
    listed = [d for d in preflight(library, project) if d.rule == "no-address"]
    path = project.data / "themes" / "06-svaere-kald.yaml"
    assert any(d.path.name == path.name and d.line == _line_of(path, "Vejledning og værktøjer om vold") for d in listed)
    assert all(d.severity == "warning" for d in listed)


def test_a_promised_link_without_address_is_an_error(published):
    findings = [d for d in preflight(load_library(published.data), published) if d.rule == "no-address" and d.severity == "error"]
    assert len(findings) == 3  # the public TEMA 6's three "(link)" as published


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("kunde- og callcentre, 2022–23, 6–7 andre – og mere …", set()),
        ("trivsel - så de", {"dash"}),
        ("i 2022-23", {"range-dash"}),
        ("Sådan ...", {"ellipsis"}),
        ("se https://x.dk/a-1-2 her", {"url-in-text"}),
    ],
)
def test_typography_rules(library, text, rules):
    from onepagers.check import Item, _text_rules

    tf = library.themes[0]
    found = _text_rules(Item(tf, ("lead",), text), __import__("collections").Counter(), True)
    assert {d.rule for d in found} == rules


def test_check_lists_every_break_of_a_theme_with_its_line(project, cli):
    result = cli("check", "--hyphenation", "--theme", "10", "--project", str(project.root))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line]
    assert lines and all(re.match(r"data/themes/10-fysiske-rammer\.yaml:\d+: TEMA 10 \(privat@\d\), page [12]: \S+-\S+", line) for line in lines), lines


def test_the_documented_reference_form_may_stand_in_many_themes(project, tmp_path):
    """data/README.md's `Se også onepager tema {number} om {title_lower}`, word
    for word in two themes (theme 2 has it): no 'pasted from another theme'."""
    copy_project(project, tmp_path)
    path = next((tmp_path / "data" / "themes").glob("04-*.yaml"))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["references"].append({"text": "Se også onepager tema {number} om {title_lower}", "theme": 3})
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8")
    sandbox = Project(tmp_path)
    findings = preflight(load_library(sandbox.data), sandbox)
    assert [d.one_line() for d in findings if d.rule == "pasted-text"] == []


@pytest.mark.parametrize("variant", ["5", "~", "[privat@2]", "{a: b}", "privat@9"])
def test_a_correction_naming_no_variant_is_reported_at_its_line(project, tmp_path, cli, variant):
    """`build` said so; `check` met the entry again in the published-text
    comparison and crashed (KeyError, unhashable list)."""
    copy_project(project, tmp_path)
    path = tmp_path / "data" / "corrections.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == "- theme: 1") + 1
    assert lines[at].strip() == "variant: privat@2"
    lines[at] = f"    variant: {variant}\n"
    path.write_text("".join(lines), encoding="utf-8")
    result = cli("check", "--project", str(tmp_path))
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert f"data/corrections.yaml:{at + 1}:" in result.output, result.output
