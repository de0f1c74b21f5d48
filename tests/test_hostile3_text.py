"""Hostile text, third round: addresses with escapes of invisible characters,
file names that are no URLs, links with parentheses, items that print as
nothing, markup of other kinds, absurd words, and diffs of huge texts and odd
revisions. Each is refused with a Diagnostic naming file, line and field, or
published so that the reader sees the data's own words."""

from __future__ import annotations

import difflib
import html.parser
import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pypdf
import pytest
import yaml

from onepagers import diff, hyphenation, inline
from onepagers.diagnostics import ContentError
from onepagers.html import html_for, shown_url
from onepagers.library import load_library
from onepagers.plan import Selection, plan
from onepagers.source import load_yaml

THEME_4 = "04-tidspres.yaml"


def _theme_path(root: Path) -> Path:
    return root / "data" / "themes" / THEME_4


def _edit_theme(root: Path, **changes: object) -> Path:
    path = _theme_path(root)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=False, sort_keys=False, width=10_000), encoding="utf-8")
    return path


def _refused_at(root: Path, loc: tuple, field: str) -> str:
    """Load the data; it must fail with one Diagnostic at `loc` of theme 4's
    file (its line as the YAML reader places it), naming `field`."""
    path = _theme_path(root)
    line, _ = load_yaml(path).position(loc)
    with pytest.raises(ContentError) as caught:
        load_library(root / "data")
    found = [d for d in caught.value.diagnostics if d.path == path and d.line == line]
    assert found, [d.one_line() for d in caught.value.diagnostics]
    assert f"'{field}'" in found[0].message, found[0].one_line()
    return found[0].message


def _unseen(text: str) -> list[str]:
    """Characters a reader cannot see or that reorder what is around them."""
    return [f"U+{ord(ch):04X}" for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or (ch.isspace() and ch not in " \n\t")]


class _Links(html.parser.HTMLParser):
    """Every <a href> of a page with the text inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._open: list[str] | None = None
        self._href = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "a":
            self._href, self._open = dict(attrs).get("href") or "", []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.links.append((self._href, "".join(self._open)))
            self._open = None


def _links(page: str) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(page)
    return parser.links


# What RFC 3986 lets a URL hold as it stands; anything else must be escaped.
_URL_CHARACTERS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _is_encoded_url(href: str) -> bool:
    return bool(_URL_CHARACTERS.match(href)) and not _BAD_ESCAPE.search(href) and "#" not in href.partition("#")[2]


def _sheet_html(root: Path, theme: int = 4) -> str:
    from onepagers.project import Project

    project = Project(root)
    library = load_library(project.data)
    job = plan(library, root / "out", Selection(themes=(theme,)))[0]
    return html_for(library, project, job)


def _actual_texts(reader: pypdf.PdfReader) -> list[str]:
    """Every /ActualText of the pages' marked content, decoded."""
    found = []
    for page in reader.pages:
        content = page.get_contents()
        data = content.get_data() if content is not None else b""
        for hexadecimal, literal in re.findall(rb"/ActualText\s*(?:<([0-9A-Fa-f\s]*)>|\(((?:\\.|[^\\)])*)\))", data):
            raw = bytes.fromhex(hexadecimal.decode()) if hexadecimal else literal
            found.append(raw[2:].decode("utf-16-be", "replace") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1"))
    return found


# --- percent-escapes of invisible characters in addresses -------------------

INVISIBLE_ESCAPES = [
    "%00", "%1B", "%1b%5B2J", "%7F", "%C2%85", "%C2%9B", "%C2%AD", "%E2%80%8B", "%E2%80%8D", "%E2%80%8E",
    "%E2%80%AE", "%E2%81%A6", "%E2%80%A8", "%EF%BB%BF", "%E3%80%80", "%C2%A0", "%E1%85%9F", "%CC%81",
]


@pytest.mark.parametrize("escape", INVISIBLE_ESCAPES)
def test_a_shown_address_never_decodes_an_invisible_character(escape):
    url = f"https://bfakontor.dk/media/{escape}Rapport.pdf"
    shown = shown_url(url)
    assert not _unseen(shown) and not any(unicodedata.category(ch)[0] == "M" for ch in shown), shown
    assert escape in shown  # kept as written, so the reader still sees that something is there
    assert inline.href(url) == url  # and the link goes where the data says


def test_a_shown_address_still_reads_its_letters():
    assert shown_url("https://x.dk/S%C3%A5dan+gik+det.pdf") == "https://x.dk/Sådan+gik+det.pdf"
    # A letter that reads as URL syntax (a fullwidth solidus) stays encoded: it would fake a path.
    assert shown_url("https://x.dk/a%EF%BC%8Fb") == "https://x.dk/a%EF%BC%8Fb"


def test_an_address_with_escaped_bidi_and_control_characters_publishes_none_of_them(cli, sandbox, tmp_path):
    url = "https://bfakontor.dk/media/%E2%80%AEfdp.exe%00%1B%C2%AD.pdf"
    _edit_theme(sandbox.root, references=[{"text": "Vejledning", "url": url}])
    out = tmp_path / "out"
    for profile in ("screen", "web"):
        result = cli("build", "--theme", "4", "--profile", profile, "--out", str(out), "--project", str(sandbox.root))
        assert result.exit_code == 0, result.output
    pdf = next(out.rglob("tema-04-*.pdf"))
    reader = pypdf.PdfReader(pdf)
    text = " ".join(page.extract_text() for page in reader.pages)
    actual = " ".join(_actual_texts(reader))
    for published in (text, actual):
        assert not {"\u202e", "\x00", "\x1b", "\u200b"} & set(published)
    # The reference's words are the link; its /Contents says the address, escapes kept.
    said = [str(annot.get_object().get("/Contents", "")) for page in reader.pages for annot in page.get("/Annots", [])]
    assert url in said and not {"\u202e", "\x00", "\x1b", "\u200b"} & set("".join(said)), said
    uris = [str(annot.get_object()["/A"]["/URI"]) for page in reader.pages for annot in page.get("/Annots", []) if "/A" in annot.get_object()]
    assert url in uris, uris
    page = next(out.rglob("tema-04-*.html")).read_text(encoding="utf-8")
    assert "\u202e" not in page and "\x00" not in page and "\x1b" not in page and "\u00ad" not in page
    assert (url, "Vejledning") in _links(page) and f'title="{url}"' in page


@pytest.mark.parametrize("character", ["\u202e", "\u200b", "\u2066", "\u0085", "\u00ad", "\ufeff", "\u2028"])
def test_an_address_holding_an_invisible_character_itself_is_refused_at_its_line(sandbox, character):
    _edit_theme(sandbox.root, references=[{"text": "Vejledning", "url": f"https://bfakontor.dk/a{character}b"}])
    message = _refused_at(sandbox.root, ("references", 0, "url"), "references[1].url")
    assert f"U+{ord(character):04X}" in message


# --- links made from file names that are no URLs ------------------------------

PASTED = "https://bfakontor.dk/media/Trivsel på kontoret \"ny\" 100%.pdf"


def test_an_address_pasted_from_a_file_name_links_encoded_and_reads_as_written(sandbox):
    _edit_theme(sandbox.root, references=[{"text": "BFA Kontor: Trivsel på kontoret", "url": PASTED}],
                cases=["Se [rapporten om trivsel](https://bfakontor.dk/media/Trivsel-på-kontoret.pdf) fra BFA."])
    links = _links(_sheet_html(sandbox.root))
    by_text = {text: href for href, text in links}
    assert by_text["BFA Kontor: Trivsel på kontoret"] == "https://bfakontor.dk/media/Trivsel%20p%C3%A5%20kontoret%20%22ny%22%20100%25.pdf"
    assert by_text["rapporten om trivsel"] == "https://bfakontor.dk/media/Trivsel-p%C3%A5-kontoret.pdf"
    for href, _ in links:
        assert _is_encoded_url(href), href


def test_an_international_host_name_links_in_its_ascii_form():
    assert inline.href("https://sundhed.æøå.dk/side") == "https://sundhed.xn--5cab8c.dk/side"
    assert inline.href("https://x.dk/a#b#c") == "https://x.dk/a#b%23c"  # only the first # begins the fragment


def test_the_web_page_links_sibling_files_whose_names_are_no_urls(cli, sandbox, tmp_path):
    odd = "04-tids pres #1?%'\"å.yaml"
    _theme_path(sandbox.root).rename(sandbox.root / "data" / "themes" / odd)
    out = tmp_path / "out"
    for profile in ("screen", "web"):
        result = cli("build", "--theme", "4", "--profile", profile, "--out", str(out), "--project", str(sandbox.root))
        assert result.exit_code == 0, result.output
    pages = sorted(out.rglob("*.html"))
    assert len(pages) == 2  # the sheet's web page and the gallery
    pdf_links = []
    for page_path in pages:
        for href, _ in _links(page_path.read_text(encoding="utf-8")):
            if urlsplit(href).scheme or href.startswith("#"):
                continue
            assert _is_encoded_url(href) and " " not in href and "?" not in href and "#" not in href, (page_path, href)
            assert (page_path.parent / unquote(href)).is_file(), (page_path, href)
            pdf_links += [href] if href.endswith(".pdf") else []
    assert len(pdf_links) == 2, pdf_links  # the web page's and the gallery's


# --- links with parentheses -------------------------------------------------

WIKI = "https://da.wikipedia.org/wiki/Stress_(psykologi)"


@pytest.mark.parametrize(
    ("text", "before", "after"),
    [
        (f"Læs om [stress]({WIKI}).", "Læs om ", "."),
        (f"Mange oplever det (se [stress]({WIKI})).", "Mange oplever det (se ", ")."),
        (f"(Læs [mere]({WIKI}))", "(Læs ", ")"),
        ("(se [vejledningen](https://bfakontor.dk/vejledninger/stress))", "(se ", ")"),
        ("Se [Fitts' lov](https://en.wikipedia.org/wiki/Fitts%27s_law_(HCI_(model))) her.", "Se ", " her."),
    ],
)
def test_a_link_keeps_the_parentheses_of_its_address_and_the_sentence_its_own(text, before, after):
    spans = inline.parse(text)
    linked = [s for s in spans if s.url is not None]
    assert len(linked) == 1
    url = linked[0].url
    assert url is not None and url.count("(") == url.count(")") and text.count(url) == 1
    assert spans[0].text == before and spans[-1].text == after
    assert inline.to_plain(text) == before + linked[0].text + after
    assert f'href="{inline.href(url)}"' in str(inline.to_html(text))


def test_a_link_with_parentheses_in_the_data_is_linked_whole(sandbox):
    _edit_theme(sandbox.root, cases=[f"Stress rammer mange (se [stress på Wikipedia]({WIKI}))."])
    links = _links(_sheet_html(sandbox.root))
    assert (WIKI, "stress på Wikipedia") in links


def test_a_link_whose_parentheses_do_not_pair_is_refused_at_its_line(sandbox):
    _edit_theme(sandbox.root, cases=["Se [stress](https://da.wikipedia.org/wiki/Stress_(psykologi) her."])
    _refused_at(sandbox.root, ("cases", 0), "cases[1]")


# --- items that print as nothing -----------------------------------------------

INVISIBLE_ONLY = [
    "\u200b", "\u200c\u200d", "\u2060", "\ufeff", "\u00ad", "\u0301", "\u200b\u3000\u200b", "\u200e\u200f",
    "\u2062\u2063", "\u3164", "\u2800", "\u180e", "\u034f", "\ufe0f", "\u200b \u00ad",
]


@pytest.mark.parametrize("invisible", INVISIBLE_ONLY, ids=[" ".join(f"U+{ord(c):04X}" for c in t) for t in INVISIBLE_ONLY])
@pytest.mark.parametrize(
    ("field", "loc", "name"),
    [
        ("actions", ("actions", 1), "actions[2]"),
        ("title", ("title",), "title"),
        ("references", ("references", 0, "text"), "references[1].text"),
    ],
)
def test_an_item_of_invisible_characters_only_is_refused_at_its_line(sandbox, invisible, field, loc, name):
    data = yaml.safe_load(_theme_path(sandbox.root).read_text(encoding="utf-8"))
    if field == "actions":
        data["actions"][1] = invisible
    elif field == "title":
        data["title"] = invisible
    else:
        data["references"][0]["text"] = invisible
    _edit_theme(sandbox.root, **{field: data[field]})
    assert "visible" in _refused_at(sandbox.root, loc, name)


@pytest.mark.parametrize("text", ["Se **\u200b** her", "Se [\u2060\u200b](https://bfakontor.dk) her"])
def test_bold_or_link_text_of_invisible_characters_is_refused(sandbox, text):
    _edit_theme(sandbox.root, cases=[text])
    assert "visible" in _refused_at(sandbox.root, ("cases", 0), "cases[1]")


def test_the_command_line_reports_an_invisible_item_with_its_line(cli, sandbox):
    data = yaml.safe_load(_theme_path(sandbox.root).read_text(encoding="utf-8"))
    data["questions"][0] = "\u200b\u200d"
    path = _edit_theme(sandbox.root, questions=data["questions"])
    line, column = load_yaml(path).position(("questions", 0))
    result = cli("build", "--theme", "4", "--out", str(sandbox.root / "out"), "--project", str(sandbox.root))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"04-tidspres.yaml:{line}:{column}: error: 'questions[1]'" in result.stderr, result.stderr
    assert not (sandbox.root / "out").exists()


# --- markup the text does not have -------------------------------------------

FOREIGN_MARKUP = [
    "*fremhævet*", "_fremhævet_", "__fed__", "~~slettet~~", "`kode`", "**fed uden slut",
    "<b>fed</b>", "<br/>", "<br>", '<span style="color:red">rød</span>', "<!-- note -->", "<script>x()</script>",
    "&amp;", "&nbsp;", "&#8211;", "&#x2013;",
    "{{ titel }}", "{% if x %}", "{# note #}",
    "[vejledning] (https://bfakontor.dk)", "[vejledning](https://bfakontor.dk", "[vejledning][1]",
    "![billede](https://bfakontor.dk/x.png)", "<https://bfakontor.dk>", "** fed**",
    "[**fed link**](https://bfakontor.dk)", "**se [her](https://bfakontor.dk)**",
]


@pytest.mark.parametrize("markup", FOREIGN_MARKUP)
def test_markup_the_text_does_not_have_is_refused_at_its_line(sandbox, markup):
    _edit_theme(sandbox.root, cases=[f"Tekst med {markup} i midten."])
    _refused_at(sandbox.root, ("cases", 0), "cases[1]")


def test_a_markdown_heading_is_refused(sandbox):
    _edit_theme(sandbox.root, lead="# Overskrift i stedet for indledning")
    _refused_at(sandbox.root, ("lead",), "lead")


@pytest.mark.parametrize(
    "text",
    ["5 * 3 * 2 = 30", "Kilde*: Arbejdstilsynet", "[sic] (2019)", "A --> B", "R&D og M&A", "80 % af kaldene",
     "fil_navn_2024.pdf", "**Fed** og [et link](https://bfakontor.dk/a?b=1&c=2)", "< 5 minutter og > 2"],
)
def test_text_that_only_resembles_markup_is_kept(text):
    assert inline.markup_problems(text) == []


def test_check_names_the_line_of_foreign_markup(cli, sandbox):
    path = _edit_theme(sandbox.root, cases=["Tekst med <b>fed</b> i."])
    line, _ = load_yaml(path).position(("cases", 0))
    result = cli("check", "--project", str(sandbox.root))
    assert result.exit_code == 1 and f"04-tidspres.yaml:{line}:" in result.output and "'cases[1]'" in result.output, result.output


# --- absurd words --------------------------------------------------------------

LONG_WORD = ("medarbejderrepræsentant" * 70)[:1500]


def test_a_word_of_1500_letters_is_refused_at_its_line(sandbox):
    _edit_theme(sandbox.root, cases=[LONG_WORD])
    assert "1500 letters" in _refused_at(sandbox.root, ("cases", 0), "cases[1]")


def test_a_word_joined_by_soft_hyphens_or_digits_counts_as_one(sandbox):
    _edit_theme(sandbox.root, cases=["\u00ad".join(["medarbejder"] * 40), "1".join(["ord"] * 100)])
    _refused_at(sandbox.root, ("cases", 0), "cases[1]")


def test_a_long_word_is_offered_no_break_to_try(project):
    """WeasyPrint lays a line out once for each break pyphen offers in a word
    that does not fit: a 1,500-letter word must be offered none."""
    import pyphen

    hyphenation.install(project.templates / "hyphenation.txt", "da")
    dictionary = pyphen.Pyphen(lang="da", left=3, right=3)  # as WeasyPrint makes it
    assert list(dictionary.iterate(LONG_WORD)) == []
    assert list(dictionary.iterate(LONG_WORD.upper())) == []
    assert dictionary.inserted("arbejdsmiljøorganisationen") != "arbejdsmiljøorganisationen"  # real words still break


# --- diff of long texts ---------------------------------------------------------


class _BoundedMatcher(difflib.SequenceMatcher):
    """difflib's matcher, failing the test when asked to match more than any
    bounded diff needs (its work grows with the product of the lengths)."""

    most = 4_000_000

    def get_matching_blocks(self):  # type: ignore[override]
        assert len(self.a) * len(self.b) <= self.most, f"matching {len(self.a)} x {len(self.b)} tokens"
        return super().get_matching_blocks()


@pytest.fixture
def bounded(monkeypatch):
    monkeypatch.setattr(diff.difflib, "SequenceMatcher", _BoundedMatcher)
    calls = {"ratio": 0}
    real = diff._ratio

    def counted(x: str, y: str) -> float:
        calls["ratio"] += 1
        assert calls["ratio"] <= 200_000, "items compared each with each"
        return real(x, y)

    monkeypatch.setattr(diff, "_ratio", counted)
    return calls


def test_a_20000_word_item_is_diffed_with_bounded_work(bounded):
    words = [f"ord{i % 2500}" for i in range(20_000)]
    old, new = " ".join(words), " ".join(words[:12_000] + ["nyt"] + words[12_000:])
    changes = [(c.op, c.a.strip(), c.b.strip()) for row in diff.diff_items([old], [new]) for c in row.changes if c.op != "equal"]
    assert changes and all("nyt" in b for _, _, b in changes)
    assert "".join(c.b for row in diff.diff_items([old], [new]) for c in row.changes).strip() == new


def test_thousands_of_items_are_diffed_with_bounded_work(bounded):
    old = [f"Punkt nummer {i} handler om noget bestemt" for i in range(3000)]
    new = [f"Et helt andet emne {i * 7} med andre ord" for i in range(3000)]
    rows = list(diff.diff_items(old, new))
    assert ["".join(c.a for c in r.changes).strip() for r in rows if r.in_a] == old
    assert ["".join(c.b for c in r.changes).strip() for r in rows if r.in_b] == new
    assert bounded["ratio"] <= 20 * 3000


# --- diff --since with odd revisions -------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture
def repository(sandbox) -> Path:
    root = sandbox.root
    _git(root, "init", "-q")
    _git(root, "add", "data")
    _git(root, "commit", "-q", "-m", "data")
    return root


@needs_git
@pytest.mark.parametrize(
    ("revision", "says"),
    [
        ("--output={tmp}/written", "is not a revision"),
        ("-p", "is not a revision"),
        ("--exec=touch {tmp}/written", "is not a revision"),
        ("HEAD^{{tree}}", "not a commit"),
        ("HEAD:data/series.yaml", "not a commit"),
        ("no-such-revision", "no such commit"),
        ("HEAD~7", "no such commit"),
        ("twice", "ambiguous"),
        ("", "is not a revision"),
        ("HEAD\nmain", "is not a revision"),
    ],
)
def test_diff_since_refuses_what_is_no_commit_with_a_message(cli, repository, tmp_path, revision, says):
    _git(repository, "tag", "twice")
    _git(repository, "branch", "twice")
    revision = revision.format(tmp=tmp_path)
    result = cli("diff", "--since", revision, "--project", str(repository))
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output
    assert not (tmp_path / "written").exists()


@needs_git
def test_diff_since_in_an_empty_repository_or_none_says_so(cli, sandbox, tmp_path):
    result = cli("diff", "--since", "HEAD", "--project", str(sandbox.root))
    assert result.exit_code == 2 and "not in a git repository" in result.output, result.output
    _git(sandbox.root, "init", "-q")
    result = cli("diff", "--since", "HEAD", "--project", str(sandbox.root))
    assert result.exit_code == 2 and "no commits" in result.output, result.output


@needs_git
def test_diff_since_in_a_shallow_clone_says_why_an_old_revision_is_missing(cli, repository, tmp_path):
    _git(repository, "commit", "-q", "--allow-empty", "-m", "second")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repository}", str(clone)], check=True, capture_output=True)
    for part in ("templates", "fonts"):
        shutil.copytree(repository / part, clone / part)
    result = cli("diff", "--since", "HEAD~1", "--project", str(clone))
    assert result.exit_code == 2 and "shallow" in result.output, result.output


@needs_git
def test_diff_since_reads_a_link_in_the_old_data_as_a_link_and_refuses_it(cli, repository):
    link = repository / "data" / "themes" / "11-link.yaml"
    os.symlink("/etc/passwd", link)
    _git(repository, "add", "data")
    _git(repository, "commit", "-q", "-m", "link")
    link.unlink()
    result = cli("diff", "--since", "HEAD", "--project", str(repository))
    assert result.exit_code == 2 and "HEAD:data/themes/11-link.yaml" in result.output and "outside the project" in result.output, result.output
    assert "Traceback" not in result.output


@needs_git
def test_diff_since_never_asks_git_for_the_whole_data_at_once(cli, repository, monkeypatch):
    theme = _theme_path(repository)
    theme.write_text(theme.read_text(encoding="utf-8").replace("konstant stort", "konstant meget stort", 1), encoding="utf-8")
    asked: list[list[str]] = []
    real = subprocess.run

    def run(args, *rest, **kw):
        asked.append(list(args))
        return real(args, *rest, **kw)

    monkeypatch.setattr(subprocess, "run", run)
    result = cli("diff", "--since", "HEAD", "--project", str(repository))
    assert result.exit_code == 0 and "meget" in result.output, result.output
    assert not [a for a in asked if "archive" in a]
    verified = [a for a in asked if "rev-parse" in a and "--verify" in a]
    assert verified and verified[0][-2:] == ["--end-of-options", "HEAD^{commit}"]
