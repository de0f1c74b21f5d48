"""The core's shape: one registry of profiles, no import cycle, one Diagnostic,
a no-op build that loads nothing, and unit tests of the small pieces."""

from __future__ import annotations

import ast
import re
import dataclasses
import pickle
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

from onepagers import fingerprint, html, inline, profiles, source
from onepagers.build import Status, build
from onepagers.diagnostics import ContentError, Diagnostic, SelectionError
from onepagers.plan import Selection, plan

SRC = Path(__file__).resolve().parent.parent / "src" / "onepagers"


def _imports(path: Path) -> set[str]:
    """Every onepagers module `path` imports, at the top or inside a function;
    not those imported for type hints alone (`if TYPE_CHECKING:`), which never run."""
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hints = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING" for stmt in block.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and id(node) not in hints:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found - {"__init__"}


def test_no_import_cycle_in_src():
    graph = {p.stem: _imports(p) & {q.stem for q in SRC.glob("*.py")} for p in SRC.glob("*.py")}
    cycles = []

    def visit(module: str, trail: list[str]) -> None:
        for target in graph.get(module, ()):
            if target in trail:
                cycles.append(trail[trail.index(target):] + [target])
            elif len(trail) < len(graph):
                visit(target, trail + [target])

    for module in graph:
        visit(module, [module])
    assert not cycles, cycles[:3]


def test_profile_names_are_compared_only_in_the_registry():
    """Code asks a profile's entry what it needs; no module tests its name."""
    names = set(profiles.PROFILES)
    offenders = []
    for path in SRC.glob("*.py"):
        if path.name == "profiles.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names:
                offenders.append(f"{path.name}:{node.lineno}: {node.value!r}")
    templates = SRC.parent.parent / "templates"
    for path in templates.glob("*.j2"):
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.name}: {name!r}" for name in names if f'"{name}"' in text or f"'{name}'" in text]
    assert not offenders, offenders


def test_a_new_profile_is_one_entry_and_a_stylesheet(sandbox, monkeypatch, tmp_path):
    """What the README promises a designer: register an entry, add its stylesheet, build."""
    (sandbox.templates / "proof.css").write_text(".band { background: rgb(0, 128, 0); }\n", encoding="utf-8")
    proof = dataclasses.replace(profiles.SCREEN, name="proof", stylesheets=("sheet.css", "proof.css"), suffix="-proof", live_links=False)
    monkeypatch.setitem(profiles.PROFILES, "proof", proof)

    report = build(sandbox, Selection(themes=(10,), profile="proof"), tmp_path / "out", workers=1)

    assert report.ok, [d.one_line() for d in report.diagnostics]
    (result,) = report.results
    assert result.job.path.name.endswith("-privat-2-proof.pdf")
    content = b"".join(page.get_contents().get_data() for page in pypdf.PdfReader(result.job.path).pages)
    assert b"0 0.501961 0 rg" in content  # the proof stylesheet's green, rgb(0, 128, 0)
    assert not any(page.get("/Annots") for page in pypdf.PdfReader(result.job.path).pages)  # live_links=False


def test_an_unknown_profile_is_a_selection_error_listing_the_profiles():
    with pytest.raises(SelectionError) as caught:
        profiles.get("poster")
    assert set(caught.value.choices) == set(profiles.PROFILES)


def test_plan_names_outputs_by_sheet_variant_and_profile(library, tmp_path):
    jobs = plan(library, tmp_path, Selection(themes=(6,), every_variant=True, profile="print"))
    assert {j.variant for j in jobs} == {"privat@1", "privat@2", "offentlig@2"}
    for job in jobs:
        slug = job.variant.replace("@", "-")
        assert job.path == tmp_path / slug / f"{library.series.file_names.theme}-{library.theme(6).slug}-{slug}-print.pdf"
        assert job.out == tmp_path and job.profile is profiles.PRINT


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        (Selection(themes=(99,)), "there is no theme 99"),
        (Selection(themes=(4,), sector="offentlig"), "theme 4 has no text in variant offentlig@2"),
        (Selection(themes=(4,), sector="kommunal"), "there is no sector 'kommunal'"),
        (Selection(themes=(4,), edition=7), "has no edition 7"),
    ],
)
def test_a_selection_that_does_not_exist_says_what_does(library, tmp_path, selection, message):
    with pytest.raises(SelectionError) as caught:
        plan(library, tmp_path, selection)
    assert message in str(caught.value) and caught.value.choices


@pytest.mark.slow
def test_a_no_op_build_is_answered_without_loading_the_data(sandbox):
    """The whole build's fingerprint matches: no YAML, no pydantic, no WeasyPrint."""
    probe = (
        "import sys; from onepagers.cli import run; code = run(['build', '--all', '--out', 'out']); "
        "print(code, sorted(m for m in ('onepagers.library', 'weasyprint', 'jinja2') if m in sys.modules))"
    )
    first = subprocess.run([sys.executable, "-c", probe], cwd=sandbox.root, capture_output=True, text=True, timeout=300)
    # (WeasyPrint is imported by the workers' fork server, never by the build itself.)
    assert first.stdout.splitlines()[-1] == "0 ['jinja2', 'onepagers.library']", first.stderr
    second = subprocess.run([sys.executable, "-c", probe], cwd=sandbox.root, capture_output=True, text=True, timeout=300)
    assert second.stdout.splitlines()[-1] == "0 []", second.stderr
    assert len(second.stdout.splitlines()) == len(first.stdout.splitlines())  # every path printed again


@pytest.mark.slow
def test_a_worker_imports_nothing_the_fork_server_did_not(sandbox, library, tmp_path):
    """Workers are forked from a server that has imported build.WORKER_PRELOAD;
    whatever a sheet's render imports beyond that, every worker pays before its
    first sheet (the copyfitting sets the sheet again, so the templates and the
    sheet model are preloaded)."""
    from onepagers import verify
    from onepagers.build import WORKER_PRELOAD, Todo
    from onepagers.html import html_for

    job = plan(library, tmp_path / "out", Selection(themes=(3,)))[0]
    todo = Todo(job, html_for(library, sandbox, job), "digest", verify.section_sources(library, job))
    (tmp_path / "todo.pickle").write_bytes(pickle.dumps(todo))
    probe = (
        "import importlib, pickle, sys; from pathlib import Path; "
        f"[importlib.import_module(m) for m in {WORKER_PRELOAD!r}]; "
        "import onepagers.pdf; from onepagers import build; before = set(sys.modules); "
        f"todo = pickle.loads(Path({str(tmp_path / 'todo.pickle')!r}).read_bytes()); "
        f"renderer = onepagers.pdf.Renderer(onepagers.pdf.Project(Path.cwd()), todo.job.profile, {library.series.language!r}); "
        "result = build.render_job(renderer, renderer.project, todo); renderer.close(); "
        "print(result.status.value, sorted({m.split('.')[0] for m in set(sys.modules) - before} & {'jinja2', 'pydantic', 'yaml', 'markupsafe', 'segno', 'pypdf'}))"
    )
    run = subprocess.run([sys.executable, "-c", probe], cwd=sandbox.root, capture_output=True, text=True, timeout=300)
    assert run.stdout.splitlines()[-1:] == ["built []"], run.stderr
    assert job.path.is_file()


def test_a_build_hands_its_waiting_time_to_the_caller_only_when_it_renders(sandbox, tmp_path):
    calls = []
    first = build(sandbox, Selection(themes=(3,)), tmp_path / "out", while_rendering=lambda: calls.append(len(calls)))
    assert first.ok and calls == [0] and first.gallery is not None
    again = build(sandbox, Selection(themes=(3,)), tmp_path / "out", while_rendering=lambda: calls.append(len(calls)))
    assert again.count(Status.UP_TO_DATE) == 1 and calls == [0]  # a no-op: nothing to wait for


def test_a_no_op_record_does_not_outlive_a_changed_output(sandbox, tmp_path):
    out = tmp_path / "out"
    assert build(sandbox, Selection(themes=(3,)), out).ok
    whole = fingerprint.selection_digest(sandbox, Selection(themes=(3,)), out)
    assert fingerprint.unchanged(out, whole) is not None
    (job, _), = fingerprint.unchanged(out, whole)
    job.path.write_bytes(job.path.read_bytes() + b"\n% changed by hand\n")
    assert fingerprint.unchanged(out, whole) is None
    theme = next((sandbox.data / "themes").glob("03-*.yaml"))
    theme.write_text(theme.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert fingerprint.selection_digest(sandbox, Selection(themes=(3,)), out) != whole


# The small pieces, each on a few lines of input.


def test_source_positions_point_at_keys_and_items(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("number: 4\nquestions:\n  - Første?\n  - Anden?\nreferences:\n  - text: Se\n    url: https://a.dk\n", encoding="utf-8")
    loaded = source.load_yaml(path)
    assert loaded.positions[("number",)] == (1, 1)
    assert loaded.positions[("questions",)] == (2, 1)
    assert loaded.positions[("questions", 1)] == (4, 5)
    assert loaded.positions[("references", 0, "url")] == (7, 5)
    assert loaded.field(("references", 0, "url")) == "references[1].url"
    assert loaded.position(("questions", 7)) == (2, 1)  # the longest prefix the file has


def test_source_refuses_a_repeated_key_at_its_second_line(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("title: A\nlead: B\ntitle: C\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        source.load_yaml(path)
    (d,) = caught.value.diagnostics
    assert (d.line, d.column) == (3, 1) and "first on line 1" in d.message


def test_inline_markup_is_bold_and_links_only_and_escapes_the_rest():
    out = str(inline.to_html("**Fed** <b>x</b> & [BFA](https://bfa.dk/a?b=1&c=2) [bad](javascript:x)"))
    assert out.startswith("<strong>Fed</strong> &lt;b&gt;x&lt;/b&gt; &amp; ")
    assert '<a href="https://bfa.dk/a?b=1&amp;c=2" title="https://bfa.dk/a?b=1&amp;c=2">BFA</a>' in out
    assert "javascript" not in out and "bad" in out
    # On paper the words are followed by the address as a reader types it.
    assert str(inline.to_html("[BFA](https://bfa.dk)", links=False)) == 'BFA<span class="address"> (bfa.dk)</span>'
    assert inline.to_plain("**Fed** og [link](https://a.dk)") == "Fed og link"


def test_balance_keeps_order_and_evens_the_columns():
    assert html.balance(["a"]) == [["a"], []]
    assert html.balance(["x" * 100, "y" * 100]) == [["x" * 100], ["y" * 100]]
    left, right = html.balance(["a" * 300, "b" * 10, "c" * 10, "d" * 280])
    assert left + right == ["a" * 300, "b" * 10, "c" * 10, "d" * 280]
    assert left == ["a" * 300, "b" * 10]


def test_a_sheet_digest_changes_with_html_profile_and_inputs():
    base = fingerprint.sheet_digest("<p>x</p>", "screen", "inputs")
    assert base == fingerprint.sheet_digest("<p>x</p>", "screen", "inputs")
    assert len({base, fingerprint.sheet_digest("<p>y</p>", "screen", "inputs"),
                fingerprint.sheet_digest("<p>x</p>", "print", "inputs"),
                fingerprint.sheet_digest("<p>x</p>", "screen", "other")}) == 4


def test_inputs_digest_follows_templates_and_fonts(sandbox):
    before = fingerprint.inputs_digest(sandbox)
    (sandbox.templates / "sheet.css").write_text("/* changed */\n", encoding="utf-8")
    assert fingerprint.inputs_digest(sandbox) != before


def test_a_diagnostic_reads_the_same_whether_it_has_a_file_or_a_sheet(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("a: 1\nb: 2\n", encoding="utf-8")
    at_line = Diagnostic(path, 2, 4, "wrong", subject="TEMA 6 (privat@2)", suggestion="fix it")
    assert at_line.one_line().endswith(":2:4: error: TEMA 6 (privat@2): wrong (fix it)")
    assert at_line.with_source().splitlines()[1:] == ["  b: 2", "     ^"]
    assert Diagnostic(None, 0, 0, "page 1 is not A4", subject="TEMA 1 (privat@1)").one_line() == "error: TEMA 1 (privat@1): page 1 is not A4"
    assert at_line.as_dict()["line"] == 2 and at_line.as_dict()["subject"] == "TEMA 6 (privat@2)"


def test_status_values_are_what_the_summary_prints():
    assert [s.value for s in Status] == ["built", "up to date", "failed"]


def test_the_palette_is_defined_once_and_print_maps_every_colour_of_it():
    templates = SRC.parent.parent / "templates"
    palette = dict(re.findall(r"(--[a-z-]+):\s*(#[0-9a-fA-F]{3,6})", (templates / "palette.css").read_text(encoding="utf-8")))
    assert len(palette) >= 5
    for path in sorted(templates.glob("*")):
        if path.name == "palette.css" or path.suffix not in (".css", ".j2", ".html"):
            continue
        text = path.read_text(encoding="utf-8").lower()
        assert not [c for c in palette.values() if c.lower() in text], f"{path.name} writes a palette colour again"
    mapped = set(re.findall(r"(--[a-z-]+):\s*device-cmyk\(", (templates / "print.css").read_text(encoding="utf-8")))
    assert mapped == set(palette), "print.css maps each palette colour to CMYK, and only those"
