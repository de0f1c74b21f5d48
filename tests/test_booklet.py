"""The booklet: the introduction and every theme in order, a bookmark per sheet."""

from __future__ import annotations

from pathlib import Path

import pypdf

from onepagers import preflight


def test_booklet_holds_every_sheet_in_order_with_a_bookmark_each(project, library, tmp_path, cli):
    result = cli("booklet", "--edition", "1", "--out", str(tmp_path), "--project", str(project.root))
    assert result.exit_code == 0, result.output
    reader = pypdf.PdfReader(result.stdout.strip())
    themes = len(library.themes)
    assert len(reader.pages) == 2 * themes + 1
    top = [item["/Title"] for item in reader.outline if not isinstance(item, list)]
    assert top == [library.introduction.title] + [tf.theme.title for tf in library.themes]
    assert "1. udgave" in reader.metadata.title


def test_booklet_of_a_series_without_all_its_text_is_refused(project, tmp_path, cli):
    """A selection that does not exist: a usage error (2), not a problem in the text."""
    result = cli("booklet", "--sector", "offentlig", "--out", str(tmp_path), "--project", str(project.root))
    assert result.exit_code == 2
    assert "1 of its 9 themes" in result.output
    assert not any(tmp_path.rglob("*.pdf"))


def test_print_booklet_is_padded_to_a_multiple_of_4_pages_and_says_so(project, library, tmp_path, cli):
    result = cli("booklet", "--edition", "1", "--profile", "print", "--out", str(tmp_path), "--project", str(project.root))
    assert result.exit_code == 0, result.output
    reader = pypdf.PdfReader(result.stdout.strip())
    content = 2 * len(library.themes) + 1
    padded = -(-content // 4) * 4
    assert len(reader.pages) == padded and padded > content
    assert f"{padded} pages ({padded - content} blank at the end, for a multiple of 4)" in result.stderr
    assert all(not page.extract_text().strip() for page in reader.pages[content:])
    assert preflight.print_preflight(Path(result.stdout.strip())).passed
