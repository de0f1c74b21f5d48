"""Hostile input, sixth round (the rest of review 27): a PDF too long to hold
in memory, and messages that said the wrong thing or too much."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pypdf
import pytest

from onepagers import preview
from onepagers.project import Project


def _blank_pdf(path: Path, pages: int) -> Path:
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    with path.open("wb") as file:
        writer.write(file)
    return path


def test_preview_lets_each_page_go_before_rendering_the_next(tmp_path: Path, monkeypatch):
    """preview held every page's picture at once: 1000 pages took 4.6 GB, 3000
    ended in a MemoryError traceback. Each picture is written, then let go."""
    pdf = _blank_pdf(tmp_path / "many.pdf", 12)
    alive: list[weakref.ref] = []
    real = preview.png_bytes

    def png_bytes(image, optimize=True):
        gc.collect()
        held = [ref for ref in alive if ref() is not None]
        assert not held, f"{len(held)} earlier pages still held while page {len(alive) + 1} is written"
        alive.append(weakref.ref(image))
        return real(image, optimize=False)

    monkeypatch.setattr(preview, "png_bytes", png_bytes)
    written = preview.write(pdf, tmp_path / "out", 10)
    assert [p.name for p in written] == [f"many-p{n}.png" for n in range(1, 13)]
    assert all(p.is_file() for p in written)


def test_a_page_too_large_for_memory_is_a_message_not_a_traceback(tmp_path: Path, monkeypatch):
    pdf = _blank_pdf(tmp_path / "big.pdf", 2)
    import pypdfium2

    def render(self, **kwargs):
        raise MemoryError

    monkeypatch.setattr(pypdfium2.PdfPage, "render", render)
    try:
        preview.write(pdf, tmp_path / "out", 10)
    except preview.DamagedPdf as error:
        assert "page 1 is too large to render" in str(error)
    else:
        raise AssertionError("no error")


def test_audit_of_a_cut_short_pdf_says_one_thing(tmp_path: Path, cli, caplog):
    """pypdf's own "EOF marker not found" was printed above the message (a
    log record: outside pytest, Python prints it on stderr)."""
    whole = _blank_pdf(tmp_path / "whole.pdf", 40).read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole[: len(whole) // 2])
    result = cli("audit", str(cut))
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("pypdf")]
    assert line.startswith(f"{cut}: error: is damaged and cannot be read") and line.endswith("[unreadable-pdf]"), result.stderr


@pytest.mark.parametrize(
    "character, said",
    [("\u2028", "U+2028 LINE SEPARATOR, an invisible line break"), ("\u2029", "U+2029 PARAGRAPH SEPARATOR, an invisible line break"),
     ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE, an invisible control that reorders"), ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE, an invisible control"),
     ("\u061c", "U+061C ARABIC LETTER MARK, an invisible control")],
    ids=["line-separator", "paragraph-separator", "rlo", "lri", "alm"],
)
def test_a_line_separator_or_bidi_control_is_named_for_what_it_is(sandbox: Project, cli, character, said):
    """They were "characters the sheet's fonts cannot show", with the raw
    separator inside the quotes, which split the one-line message in two."""
    path = sandbox.root / "data" / "themes" / "04-tidspres.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('title: "Tidspres"', 'title: "Tids\\u%04x' % ord(character) + 'pres"', 1), encoding="utf-8")
    assert path.read_text(encoding="utf-8") != text
    result = cli("check", "--project", str(sandbox.root))
    assert result.exit_code == 1
    (line,) = [l for l in result.stderr.splitlines() if "error:" in l]
    assert line.startswith(f"{path}:5:") and f"'title': text contains {said}" in line, line
    assert character not in result.stderr and "fonts cannot show" not in result.stderr


@pytest.mark.parametrize("word", ["-rf", "Tema", "tema 1", "æble", ""], ids=["option", "capital", "space", "ae", "empty"])
def test_a_file_name_word_is_refused_in_plain_words(sandbox: Project, cli, word):
    """A bad `file_names` value was told with a regular expression, and "-rf"
    passed: files named -rf-04-tidspres-privat-2.pdf."""
    path = sandbox.root / "data" / "series.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  theme: tema\n", f'  theme: "{word}"\n', 1), encoding="utf-8")
    assert path.read_text(encoding="utf-8") != text
    result = cli("check", "--project", str(sandbox.root))
    assert result.exit_code == 1
    (line,) = [l for l in result.stderr.splitlines() if "error:" in l]
    assert f"'file_names.theme': '{word}' cannot begin a file name: use small letters a-z, digits and '-' only" in line, line
    assert "pattern" not in line


def test_a_refused_address_in_a_stylesheet_is_named_at_its_line(sandbox: Project, cli, tmp_path: Path):
    """It was "error: TEMA 4 (privat@2): refused to fetch http://…", no file or line."""
    css = sandbox.templates / "sheet.css"
    lines = css.read_text(encoding="utf-8").count("\n")
    with css.open("a", encoding="utf-8") as file:
        file.write(".band { background-image: url(http://example.com/x.png); }\n")
    result = cli("build", "--theme", "4", "--project", str(sandbox.root), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert f"{css}:{lines + 1}:31: error: TEMA 4 (privat@2): refused to fetch http://example.com/x.png" in result.stderr, result.stderr


def test_serve_does_not_call_a_refused_sheet_rendered(sandbox: Project):
    """The terminal said "rendered TEMA 4 (privat@2) in 1.78 s" while the page
    showed that build would not write the sheet."""
    from onepagers import serve
    from onepagers.pdf import Renderer
    from onepagers.plan import Selection

    with (sandbox.templates / "sheet.css").open("a", encoding="utf-8") as file:
        file.write(".band { background-image: url(http://example.com/x.png); }\n")
    preview = serve.Preview(sandbox, Selection(themes=(4,)))
    renderers: dict[str, Renderer] = {}

    def renderer_for(language: str) -> Renderer:
        from onepagers import profiles

        return renderers.setdefault(language, Renderer(sandbox, profiles.SCREEN, language))

    try:
        said = preview.refresh(renderer_for)
    finally:
        for renderer in renderers.values():
            renderer.close()
    assert said.startswith("rendered TEMA 4 (privat@2) in ") and "; build would refuse TEMA 4 (privat@2): " in said, said
    assert "refused to fetch http://example.com/x.png" in said


@pytest.mark.parametrize("linked", ["data", "data/themes"])
def test_a_data_folder_linked_from_outside_is_one_message(sandbox: Project, cli, tmp_path_factory, linked):
    """data/ as a link out of the project gave one error for each of its 13 files."""
    import shutil

    outside = tmp_path_factory.mktemp("elsewhere") / linked.replace("/", "-")
    shutil.move(sandbox.root / linked, outside)
    (sandbox.root / linked).symlink_to(outside, target_is_directory=True)
    result = cli("check", "--project", str(sandbox.root))
    assert result.exit_code == 1
    errors = [l for l in result.stderr.splitlines() if ": error:" in l]
    assert errors == [f"{sandbox.root / linked}: error: is a link to a folder outside the project ({outside}); nothing in it is read"
                      " (copy the folder into the project instead of linking to it)"], result.stderr
