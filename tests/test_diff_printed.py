"""`diff --since` compares every word a sheet prints: the colophon (publisher,
edition, date, the web page's address) on every theme sheet, and the
introduction, a printed sheet of its own. A change to any of them once read
"No text changed"."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from onepagers.diff import diff_sheets
from onepagers.project import Project
from onepagers.variants import resolve

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def committed(sandbox: Project) -> Project:
    """A copy of the project whose data/ is committed, to change and compare with HEAD."""
    for args in (("init", "-q"), ("add", "data"), ("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "data")):
        subprocess.run(["git", "-C", str(sandbox.root), *args], check=True, capture_output=True)
    return sandbox


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _since(cli, root: Path, *args: str) -> tuple[str, str]:
    """The terminal output and the HTML page of `diff --since HEAD`."""
    page = root / "since.html"
    result = cli("diff", "--since", "HEAD", *args, "--html", str(page), "--project", str(root))
    assert result.exit_code == 0, result.output
    return result.output, page.read_text(encoding="utf-8")


@needs_git
def test_an_edition_label_changed_is_shown_on_every_sheet_of_that_edition(cli, committed):
    _edit(committed.data / "series.yaml", "    label: 2. udgave\n", "    label: 2. reviderede udgave\n")
    output, html = _since(cli, committed.root)
    assert "No text changed" not in output
    assert "BFA Kontor · 2. reviderede udgave" in output
    assert "TEMA 6: Svære kald og ubehagelige kundeoplevelser (privat@2)" in output
    assert "Introduktion til materialet (privat@2)" in output
    assert "(privat@1)" not in output  # its own label did not change
    assert "<ins>reviderede</ins>" in html


@needs_git
def test_the_publisher_changed_is_shown_on_every_sheet(cli, committed):
    _edit(committed.data / "series.yaml", "  publisher: BFA Kontor\n", "  publisher: BFA Velfærd\n")
    output, html = _since(cli, committed.root)
    assert "No text changed" not in output
    for title in ("TEMA 1: Instruktion og oplæring (privat@1)", "(offentlig@2)", "Introduktion til materialet (privat@1)"):
        assert title in output
    assert "BFA Velfærd · 2. udgave" in output
    assert "<del>Kontor</del>" in html and "<ins>Velfærd</ins>" in html


@needs_git
def test_the_introductions_wording_changed_is_shown(cli, committed):
    _edit(committed.data / "introduction.yaml", "Målgruppen er primært ledere", "Målgruppen er især ledere")
    output, html = _since(cli, committed.root)
    assert "No text changed" not in output
    assert "Introduktion til materialet (privat@1)" in output and "Introduktion til materialet (privat@2)" in output
    assert "Målgruppen er især ledere" in output and "TEMA" not in output  # no theme sheet changed
    assert html.count("<del>primært</del>") == 2 and html.count("<ins>især</ins>") == 2
    # A theme asked for by number leaves the introduction out.
    one = cli("diff", "--since", "HEAD", "--theme", "4", "--project", str(committed.root))
    assert "No text changed since HEAD." in one.output


@needs_git
def test_an_editions_date_and_the_web_pages_address_are_shown(cli, committed):
    _edit(committed.data / "series.yaml", "    label: 1. udgave\n", "    label: 1. udgave\n    date: maj 2021\n")
    _edit(committed.data / "series.yaml", "# web_pages: https://…/\n", "web_pages: https://example.org/ark/\n")
    output, _ = _since(cli, committed.root, "privat@1")
    assert "BFA Kontor · 1. udgave · maj 2021" in output
    assert "https://example.org/ark/privat-1/tema-06-svaere-kald-privat-1.html" in output


@needs_git
def test_the_author_is_not_printed_and_says_so(cli, committed):
    _edit(committed.data / "series.yaml", "  author: BFA Kontor\n", "  author: BFA Velfærd\n")
    output, _ = _since(cli, committed.root)
    assert "the author in privat@2 changed since HEAD (BFA Kontor → BFA Velfærd)" in output
    assert "never printed" in output and "No text changed since HEAD." in output


def test_a_pull_quote_chosen_anew_is_shown(library):
    sheet = resolve(library, library.theme(6), "privat@2")
    quoted = replace(sheet, quote="Konflikthåndtering er blevet opprioriteret fra 4 timer til én uge.")
    changed = [s for s in diff_sheets(sheet, quoted) if s.changed]
    assert [(s.key, s.name) for s in changed] == [("quote", "Citat")]
