"""Hostile input, fourth round: what a review of every command with bad data
found crashing or misreported. Each mistake is said once, at its file and
line, with exit status 1, no traceback and nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from onepagers.project import Project

from test_check import _line_of


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("length", [200, 3000])
def test_a_web_pages_address_too_long_for_a_qr_code_is_said_in_series_yaml(sandbox: Project, cli, length):
    """3000 characters crashed the QR code encoder; 200 made a code too big for
    its place, reported as 'the layout came apart' in the theme file."""
    series = sandbox.data / "series.yaml"
    _replace(series, "# web_pages: https://…/", f'web_pages: "https://example.com/{"a" * length}/"')
    result = cli("build", "--theme", "4", "--project", str(sandbox.root), "--out", str(sandbox.root / "out"))
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert result.stderr.startswith(f"{series}:{_line_of(series, 'web_pages:')}:"), result.stderr
    assert "'web_pages'" in result.stderr and "QR" in result.stderr, result.stderr
    assert not list((sandbox.root / "out").rglob("*.pdf"))


def test_check_report_below_a_file_is_an_error_not_a_traceback(project: Project, cli, tmp_path):
    (tmp_path / "afile").write_text("hi", encoding="utf-8")
    result = cli("check", "--project", str(project.root), "--report", str(tmp_path / "afile" / "x.txt"))
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert f"{tmp_path / 'afile'} is a file, not a folder" in result.stderr, result.stderr


def test_a_write_on_a_read_only_file_system_is_an_error_not_a_traceback(tmp_path, monkeypatch):
    """There even removing the temporary file that was never made fails (EROFS)."""
    import errno
    import os

    from onepagers import files

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(files.os, "open", read_only)
    monkeypatch.setattr(Path, "unlink", read_only)
    with pytest.raises(files.OutputError, match="cannot write it: Read-only file system"):
        files.write_atomically(tmp_path / "x.txt", b"data")


def test_the_introduction_a_broken_theme_holds_back_is_named_as_not_built(sandbox: Project, cli):
    _replace(sandbox.data / "themes" / "04-tidspres.yaml", "\ntitle:", "\ntitle: ~\nx_title:")
    result = cli("build", "--all", "--project", str(sandbox.root), "--out", str(sandbox.root / "out"))
    assert result.exit_code == 1, result.output
    assert "not built: theme 4, the introduction." in result.stderr, result.stderr
    assert not list((sandbox.root / "out").rglob("introduktion*.pdf"))


def test_an_overlay_for_the_files_own_variant_is_refused(sandbox: Project, cli):
    """It silently replaced the text at the top of the file: editing that then changed nothing."""
    path = sandbox.data / "themes" / "04-tidspres.yaml"
    assert "\nvariants:" not in path.read_text(encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8") + "variants:\n  privat@2:\n    title: Tidspres anderledes\n", encoding="utf-8")
    result = cli("show", "--theme", "4", "--project", str(sandbox.root))
    assert result.exit_code == 1, result.output
    assert f"{path}:{_line_of(path, '  privat@2:')}:" in result.stderr and "own text" in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("number_label: TEMA", "number_label: \"**TEMA**\""),
        ("label: 2. udgave", "label: \"**2.** udgave\""),
        ("actions: Hvad kan I gøre?", "actions: \"[Hvad](https://example.com) kan I gøre?\""),
    ],
)
def test_markup_in_a_field_printed_as_typed_is_refused_at_its_line(sandbox: Project, cli, old, new):
    """It printed its characters: '**TEMA** 4/10' on the sheet and in the PDF's title."""
    series = sandbox.data / "series.yaml"
    _replace(series, old, new)
    result = cli("build", "--theme", "4", "--project", str(sandbox.root), "--out", str(sandbox.root / "out"))
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert f"{series}:{_line_of(series, new)}:" in result.stderr and "printed as typed" in result.stderr, result.stderr
    assert not list((sandbox.root / "out").rglob("*.pdf"))


@pytest.mark.parametrize("count", [2, 4])
def test_check_holds_a_sheet_to_three_actions(sandbox: Project, cli, count):
    """data/README.md: exactly three. Two or four built without a word."""
    path = sandbox.data / "themes" / "04-tidspres.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("actions:"))
    first = at + 1
    lines[first:first + 3] = lines[first:first + count] if count < 3 else lines[first:first + 3] + [lines[first]]
    path.write_text("".join(lines), encoding="utf-8")
    result = cli("check", "--theme", "4", "--project", str(sandbox.root))
    assert result.exit_code == 1, result.output
    assert f"{path}:{at + 1}:1: error: a sheet has exactly 3 actions" in result.stderr, result.stderr
    assert f"privat@2 has {count}" in result.stderr and "[action-count]" in result.stderr, result.stderr


def test_a_sheet_whose_picture_cannot_be_written_is_not_left_behind(sandbox: Project, cli, monkeypatch):
    """A full disk after the PDF and before its gallery picture: the sheet was
    reported 'not written', but the PDF stayed in the folder."""
    from onepagers import preview
    from onepagers.files import OutputError

    def full(pdf: Path) -> Path:
        raise OutputError(f"{pdf.parent / 'thumbs' / pdf.stem}.png: cannot write it: No space left on device")

    monkeypatch.setattr(preview, "thumbnail", full)
    out = sandbox.root / "out"
    result = cli("build", "--theme", "4", "--project", str(sandbox.root), "--out", str(out))
    assert result.exit_code == 1 and "No space left on device" in result.stderr, result.output
    assert result.stdout == "" and not list(out.rglob("*.pdf")), (result.stdout, list(out.rglob("*.pdf")))


def test_too_many_references_are_blamed_on_the_references(sandbox: Project, cli):
    """Not on the cases above them, which the editor did not touch."""
    import yaml

    path = sandbox.data / "themes" / "04-tidspres.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["references"] = [{"text": f"BFA Kontor: Tag hånd om stressen, del {n}", "url": "https://bfakontor.dk/vejledninger/tag-haand-om-stressen"} for n in range(40)]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = cli("build", "--theme", "4", "--project", str(sandbox.root), "--out", str(sandbox.root / "out"))
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert any(e.startswith(f"{path}:{_line_of(path, 'references:')}:") and "(references) runs" in e for e in errors), "\n".join(errors)
    # Nothing else is said to push them, or what comes after them, off the page.
    assert not [e for e in errors if "pushing" in e and "(references)" not in e], "\n".join(errors)


def test_an_introduction_too_long_is_said_at_its_line(sandbox: Project, tmp_path):
    """It was said at the file alone, with no line."""
    from onepagers.build import build_jobs
    from onepagers.library import load_library
    from onepagers.plan import Selection, plan

    path = sandbox.data / "introduction.yaml"
    _replace(path, "\nblocks:\n", "\nblocks:\n  - paragraph: \"" + ("Et langt afsnit om arbejdsmiljøet i kundecentrene. " * 25).strip() + "\"\n")
    library = load_library(sandbox.data)
    jobs = [job for job in plan(library, tmp_path / "out", Selection(everything=True)) if job.theme is None]
    report = build_jobs(library, sandbox, jobs)
    problems = [d for r in report.results for d in r.problems]
    assert problems and all((d.path, d.line) == (path, _line_of(path, "blocks:")) for d in problems), [d.one_line() for d in problems]


@pytest.mark.parametrize("command", [("build", "--theme", "4"), ("booklet",)])
def test_out_below_a_file_is_a_selection_error(project: Project, cli, tmp_path, command):
    """Like --out naming a file (exit 2), not a failure per sheet after a notice about the manifest."""
    (tmp_path / "afile").write_text("hi", encoding="utf-8")
    result = cli(*command, "--project", str(project.root), "--out", str(tmp_path / "afile" / "sub"))
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'afile'} is a file, not a folder" in result.stderr and "manifest" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("https://a.dk:99999999/", "is no port"),
        ("https://a.dk:http/", "is no port"),
        ("https://xn--zz.dk/", "not a valid international domain name"),
        ("https://-ab-.dk/", "'-ab-' is not a part a host name may have"),
        ("https://" + "a" * 70 + ".dk/", "not a valid international domain name"),
    ],
)
def test_an_address_no_browser_could_open_is_refused(url, said):
    from onepagers.inline import url_problem

    assert said in (url_problem(url) or ""), url_problem(url)


@pytest.mark.parametrize("url", ["https://bfakontor.dk/vejledninger/x", "https://æøå.dk/", "https://a.dk:8080/x", "https://www.a.dk./x", "https://a_b.dk/"])
def test_an_address_a_browser_opens_is_taken(url):
    from onepagers.inline import url_problem

    assert url_problem(url) is None


def _edit_first_correction(root: Path, key: str, value: str) -> tuple[Path, int]:
    path = root / "data" / "corrections.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == "- theme: 1")
    at = next(i for i in range(start, start + 6) if lines[i].strip().startswith(f"- {key}:") or lines[i].strip().startswith(f"{key}:"))
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    lines[at] = f"{indent}{'- ' if lines[at].lstrip().startswith('- ') else ''}{key}: {value}\n"
    path.write_text("".join(lines), encoding="utf-8")
    return path, at + 1


def test_a_correction_for_no_theme_gets_one_message_in_the_editors_words(sandbox: Project, cli):
    path, line = _edit_first_correction(sandbox.root, "theme", "yes")
    result = cli("check", "--project", str(sandbox.root))
    errors = [e for e in result.stderr.splitlines() if str(path) in e and ": error: " in e]
    assert result.exit_code == 1 and errors == [f"{path}:{line}:5: error: 'corrections[1].theme': must be a theme's number, 'introduction', or left out (the series' wording)"], result.stderr


def test_a_correction_naming_an_item_the_sheet_lacks_is_a_warning(sandbox: Project, cli):
    path, line = _edit_first_correction(sandbox.root, "field", "references[99]")
    result = cli("check", "--project", str(sandbox.root))
    assert f"{path}:{line}:5: warning: 'references[99]': theme 1 (privat@2) has" in result.stderr, result.stderr


def test_a_theme_file_name_too_long_to_name_its_outputs_is_said(sandbox: Project, cli):
    """Reported as 'a bug in onepagers, please report it' (File name too long)."""
    path = sandbox.data / "themes" / "04-tidspres.yaml"
    longer = path.with_name("04-" + "a" * 235 + ".yaml")
    path.rename(longer)
    result = cli("build", "--theme", "4", "--project", str(sandbox.root), "--out", str(sandbox.root / "out"))
    assert result.exit_code == 1 and "please report it" not in result.output, result.output
    assert f"{longer}: error: the file's name is 238 bytes long" in result.stderr, result.stderr
    assert not list((sandbox.root / "out").rglob("*.pdf"))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Se {title", "opens a placeholder without closing it"),
        ("Arbejdsmiljø &amp trivsel", "an HTML entity (&amp)"),
        ("Se [vejledningen(https://bfakontor.dk/x)", "is written like a link but is not one"),
    ],
)
def test_what_looks_like_markup_and_would_print_as_typed_is_refused(text, said):
    from onepagers.inline import markup_problems

    assert any(said in p for p in markup_problems(text)), markup_problems(text)


@pytest.mark.parametrize("text", ["Se tema {number} om {title_lower}", "Tom & Jerry", "[tekst](https://a.dk/x_(y))"])
def test_what_is_text_or_markup_stays_allowed(text):
    from onepagers.inline import markup_problems

    assert markup_problems(text) == []


def test_a_theme_file_saying_another_themes_number_is_the_one_blamed(sandbox: Project, cli):
    """04-tidspres.yaml saying 5: the message was at 05-….yaml, which nobody touched."""
    path = sandbox.data / "themes" / "04-tidspres.yaml"
    _replace(path, "\nnumber: 4\n", "\nnumber: 5\n")
    result = cli("check", "--project", str(sandbox.root))
    assert result.exit_code == 1, result.output
    assert f"{path}:{_line_of(path, 'number: 5')}:1: error: theme 5 is also claimed by 05-" in result.stderr, result.stderr
    assert "05-maalinger-og-performancekrav.yaml:4:1: error" not in result.stderr, result.stderr
