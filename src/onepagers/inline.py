"""The only markup a text may carry: `**bold**` and `[text](url)` links.

Everything else, HTML included, is text and is escaped, so nothing typed into
the data can become a tag, a script or a request. Text that looks like markup
of another kind (`*emphasis*`, `<b>`, `&amp;`, `{{ … }}`, a link written
wrong) is refused by `markup_problems`: it would print its markup characters.

An address is written into a link's `href` encoded (`href`): a file name
pasted with spaces, letters like "å", or a stray "%" still makes a correct
URL. Where an address is shown (`shown`), only percent-escapes of visible
letters are decoded: one of a control, format or bidi character stays encoded.
A live link's words are the link and its `title` says the address; on paper
the address follows the words, as a reader would type it (`on_paper`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import Markup, escape

LINK_SCHEMES = ("https", "http", "mailto")

# A link's address may hold parentheses in pairs, two deep
# ("…/wiki/Stress_(psykologi)"); the first unpaired ")" closes the link, so a
# link at the end of a parenthesised sentence leaves the sentence's ")" as text.
_URL = r"(?:[^()\s]|\((?:[^()\s]|\([^()\s]*\))*\))*"
_TOKEN = re.compile(r"\*\*(?P<bold>.+?)\*\*|\[(?P<label>[^\]\n]+)\]\((?P<url>" + _URL + r")\)")


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    url: str | None = None


def parse(text: str) -> list[Span]:
    spans: list[Span] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() > pos:
            spans.append(Span(text[pos : match.start()]))
        if match["bold"] is not None:
            spans.append(Span(match["bold"], bold=True))
        else:
            spans.append(Span(match["label"], url=match["url"]))
        pos = match.end()
    if pos < len(text):
        spans.append(Span(text[pos:]))
    return spans


# Characters a reader cannot see, or that reorder or hide what is around them.
_UNSEEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me", "Mc"})
# Letters and symbols that print as nothing (Hangul fillers, the blank Braille cell).
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _unseen(ch: str) -> bool:
    return ch.isspace() or ch in _BLANK or unicodedata.category(ch) in _UNSEEN_CATEGORIES


def _named(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '(unnamed)')}"


def visibility_problem(text: str) -> str | None:
    """Why `text` (or its bold or link text) would print as nothing, or None."""
    for span in parse(text):
        if (span.bold or span.url is not None) and all(_unseen(ch) for ch in span.text):
            kind = "bold text" if span.bold else "a link's text"
            return f"{kind} has no visible characters" + _only(span.text)
    plain = to_plain(text)
    if all(_unseen(ch) for ch in plain):
        return "text has no visible characters" + _only(plain)
    return None


def _only(text: str) -> str:
    shown = [_named(ch) for ch in dict.fromkeys(text) if ch != " "]
    return f" (only {', '.join(shown[:3])}{', …' if len(shown) > 3 else ''})" if shown else ""


# Markup of kinds this text does not have, looked for in each run of text
# that `parse` leaves (a link's and a bold text's too): each would print its characters.
_FOREIGN_MARKUP: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--|<![A-Za-z\[]|<\?[A-Za-z]"),
     "HTML ({found}) is not markup here and would print as it stands: write the text without it; only **bold** and [text](https://…) are markup"),
    (re.compile(r"<(?:https?:|mailto:|www\.)[^<>\s]*>"),
     "an address in <…> ({found}) is not a link here: write [text](https://…)"),
    (re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"),
     "an HTML entity ({found}) would print as it stands: type the character itself"),
    # The common ones without their ";" (a browser reads "&amp " as "&"; the sheet prints it).
    (re.compile(r"&(?:amp|lt|gt|quot|apos|nbsp|shy|ndash|mdash|#[0-9]{1,7})(?![;\w])"),
     "an HTML entity ({found}) would print as it stands: type the character itself"),
    (re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}"),
     "template syntax ({found}) would print as it stands: the data is text, not a template"),
    # A placeholder ("{title}") opened and not closed: it would print its brace.
    (re.compile(r"\{[A-Za-z_]+(?![A-Za-z_])(?![^{}]*\})"),
     "'{found}' opens a placeholder without closing it: write {{number}}, {{title}} or {{title_lower}}, or leave the brace out"),
    # A link with its "]" missing: "[x(https://…)".
    (re.compile(r"\[[^\]\n]*\((?:https?:|mailto:|www\.)"),
     "'{found}…' is written like a link but is not one: write [text](https://…), no space between ] and (, none in the address, parentheses in pairs"),
    (re.compile(r"(?:\[[^\]\n]*)?(?:\]\(|\]\[|\]\s+\((?:https?:|mailto:|www\.))"),
     "'{found}…' is written like a link but is not one: write [text](https://…), no space between ] and (, none in the address, parentheses in pairs"),
    (re.compile(r"\*\*"),
     "'**' without its partner would print as it stands: bold is **text**, with both pairs in the same text"),
    (re.compile(r"(?<![\w*])\*(?:[^\s*]|[^\s*][^*\n]*?[^\s*])\*(?![\w*])"),
     "{found} is not markup here and would print its asterisks: only **bold** is (two on each side)"),
    (re.compile(r"(?<!\w)(__?)(?:[^\s_]|[^\s_][^_\n]*?[^\s_])\1(?!\w)"),
     "{found} is not markup here and would print its underscores: only **bold** is"),
    (re.compile(r"~~[^~\n]+~~"),
     "{found} (struck out) is not markup here and would print its tildes"),
    (re.compile(r"`[^`\n]+`"),
     "{found} (code) is not markup here and would print its backticks"),
)
# Looked for in the whole text: markup that `parse` would take part of.
_WHOLE_TEXT_MARKUP: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[[^\]\n]*\]\("), "an image ({found}…) cannot be part of the text"),
    (re.compile(r"^#{1,6}\s"), "'{found}' at the start (a heading) is not markup here and would print as it stands"),
)


def markup_problems(text: str) -> list[str]:
    """Markup the text does not have, or its own written wrong: never printed raw."""
    problems: list[str] = []
    for pattern, message in _WHOLE_TEXT_MARKUP:
        if found := pattern.search(text):
            problems.append(message.format(found=_shorten(found.group().strip())))
    for span in parse(text):
        if span.bold and span.text != span.text.strip():
            problems.append(f"'**{_shorten(span.text)}**': bold text may not start or end with a space (write **text**)")
        for pattern, message in _FOREIGN_MARKUP:
            if found := pattern.search(span.text):
                problems.append(message.format(found=_shorten(found.group().strip())))
    return list(dict.fromkeys(problems))


def _shorten(text: str, most: int = 40) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


# Characters a URL holds as they stand (RFC 3986's reserved and unreserved, and
# "%" of an escape); any other is percent-encoded in an href.
_URL_CHARACTERS = "-._~:/?#[]@!$&'()*+,;=%"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_AUTHORITY = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*:)(?P<slashes>//)?(?P<authority>[^/?#]*)(?P<rest>.*)$", re.S)
_ENTITY_IN_URL = re.compile(r"&(?:amp|lt|gt|quot|apos|#[0-9]+|#[xX][0-9A-Fa-f]+);")


def href(url: str) -> str:
    """`url` as a link's target: what a URL may not hold as it stands (spaces,
    quotes, non-ASCII letters, a "%" that starts no escape, a second "#")
    percent-encoded, an international host name in its xn-- form; escapes
    already there are kept. Raises UnicodeError for a host that has no such form."""
    parts = _AUTHORITY.match(url)
    if not parts:
        return _encoded(url)
    authority = parts["authority"]
    if parts["slashes"]:
        user, at, host = authority.rpartition("@")
        if not host.isascii():
            host_name, colon, port = host.partition(":")
            host = host_name.encode("idna").decode("ascii") + colon + port
        authority = (_encoded(user) + at if at else "") + host
    return parts["scheme"] + (parts["slashes"] or "") + _encoded(authority) + _encoded(parts["rest"])


def _encoded(text: str) -> str:
    text = _LONE_PERCENT.sub("%25", text)
    before, hash_, fragment = text.partition("#")
    # Only the first "#" starts the fragment; one after it is a character of it.
    return quote(before, safe=_URL_CHARACTERS) + hash_ + quote(fragment, safe=_URL_CHARACTERS.replace("#", ""))


_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
# A character that reads as part of a URL's syntax (a fullwidth "/", a
# fraction slash): decoded, it would make the shown address say another one.
_URL_SYNTAX = set("/?#@:%.&=\\")


def shown(url: str) -> str:
    """An address as a reader should see it: escapes of visible letters and
    signs decoded ("S%C3%A5dan+gik+det.pdf" reads "Sådan+gik+det.pdf"); every
    other escape (a control, format or bidi character, a space, invalid
    UTF-8, any ASCII) stays as written."""
    return _ESCAPES.sub(lambda run: _decoded(run.group(), url[run.start() - 1 : run.start()].isalpha()), url)


def _decoded(run: str, after_letter: bool) -> str:
    data = bytes.fromhex(run.replace("%", ""))
    out: list[str] = []
    i = 0
    previous_shown = after_letter
    while i < len(data):
        lead = data[i]
        size = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4 if 0xF0 <= lead <= 0xF4 else 1
        try:
            ch = data[i : i + size].decode("utf-8") if size > 1 else None
        except UnicodeDecodeError:
            ch = None
        if ch is not None and _readable(ch, previous_shown):
            out.append(ch)
            i += size
            previous_shown = True
        else:
            out.append(run[3 * i : 3 * i + 3])
            i += 1
            previous_shown = False
    return "".join(out)


def _readable(ch: str, after_letter: bool) -> bool:
    category = unicodedata.category(ch)
    if category[0] == "M":
        return after_letter  # a combining mark on a letter shown, never alone
    if _unseen(ch) or category[0] not in "LNPS":
        return False
    return not (_URL_SYNTAX & set(unicodedata.normalize("NFKC", ch)))


def url_problem(url: str) -> str | None:
    """Why `url` may not be a link, or None when it may."""
    if url != url.strip():
        return "a link address may not start or end with a space"
    for previous, ch in zip(" " + url, url):
        if unicodedata.category(ch)[0] == "M" and previous.isalpha():
            continue  # a decomposed letter ("a" and a ring above) in a pasted file name
        if ch != " " and _unseen(ch):
            return f"a link address may not contain {_named(ch)} (an invisible or control character)"
    if re.search(r" (?:https?:|mailto:|www\.)", url):
        return "two addresses in one: give each its own reference"
    if url.startswith("//") or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url):
        return f"a link must start with {', '.join(s + ':' for s in LINK_SCHEMES)}"
    scheme, _, rest = url.partition(":")
    if scheme.lower() not in LINK_SCHEMES:
        return f"a link must start with {', '.join(s + ':' for s in LINK_SCHEMES)}"
    if scheme.lower() == "mailto":
        if "@" not in rest:
            return "a mailto: link needs an e-mail address"
    else:
        authority = _AUTHORITY.match(url)["authority"].rpartition("@")[2] if rest.startswith("//") else ""  # type: ignore[index]
        host, _, port = authority.partition(":")
        if "." not in host:
            return "a web address needs a host name, such as https://bfakontor.dk/…"
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            return f"':{port}' is no port (a number from 1 to 65535): is something missing after the host name?"
        if problem := _host_problem(host):
            return problem
    if entity := _ENTITY_IN_URL.search(url):
        return f"'{entity.group()}' in an address is HTML: write the character itself"
    try:
        href(url)
    except UnicodeError:
        return "the host name is not a valid international domain name"
    return None


# A label of a host name as DNS has it: letters, digits and hyphens, not at
# either end, at most 63 (RFC 1035, RFC 5890 for the xn-- form of "æøå");
# an underscore too, which some hosts have and browsers accept.
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


def _host_problem(host: str) -> str | None:
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return "the host name is not a valid international domain name"
    for label in ascii_host.rstrip(".").split("."):
        if not _LABEL.match(label):
            return f"'{label}' is not a part a host name may have (letters, digits and inner hyphens, at most 63)"
        if label.startswith("xn--"):
            try:
                label.encode("ascii").decode("idna")
            except UnicodeError:
                return f"'{label}' is not a valid international domain name part"
    return None


def link_problems(text: str) -> list[str]:
    return [p for span in parse(text) if span.url is not None if (p := url_problem(span.url))]


_UPPER, _LOWER = "A-ZÆØÅÄÖÜÉ", "a-zæøåäöüé"
# What a line must not end inside (a designer's no-break rules): a double
# first name ("Inger-Marie"), a name with an initial ("Ole H. Sørensen"), a
# number and the short word it counts ("40 KPI’er"), a word of one letter
# and the short word after it ("Hvad kan I gøre?": never "I" alone at a
# line's end), and the space before a dash (a line never begins with a dash:
# "supervisors –", not "– kompetencer"; the word before it stays free to
# hyphenate). Set in a span that does not wrap (class "keep"), so the text
# itself is unchanged. The word kept with a number or a letter is of 12
# letters at most: a longer one must stay free to hyphenate.
_KEEP = re.compile(
    rf"\b[{_UPPER}][{_LOWER}]+-[{_UPPER}][{_LOWER}]+\b"
    rf"|(?:\b[{_UPPER}][{_LOWER}]+ )?\b[{_UPPER}]\. [{_UPPER}][{_LOWER}]+"
    rf"|(?<![\w.,])\d+(?:[.,]\d+)? [{_UPPER}{_LOWER}]\S{{0,11}}(?!\S)"
    rf"|(?<!\S)[{_UPPER}{_LOWER}] [{_UPPER}{_LOWER}][{_LOWER}]{{0,11}}(?![\w-])"
    rf"|(?<=\S) [–—](?!\S)"
)


def kept(text: str) -> Markup:
    """Escaped text, what `_KEEP` names in a span a line does not break."""
    out, at = [], 0
    for match in _KEEP.finditer(text):
        out += [escape(text[at:match.start()]), Markup('<span class="keep">{}</span>').format(match.group())]
        at = match.end()
    return Markup("").join([*out, escape(text[at:])])


def to_html(text: str, links: bool = True) -> Markup:
    """Escaped text with <strong> for bold and <a> for links.

    A live link (`links`: screen PDF, web page) is its own words; its `title`
    (the PDF link's /Contents, the page's tooltip) says where it goes, the
    address as `shown`. Paper (`links` false) cannot be clicked: the words are
    followed by the address, set as on paper (`on_paper`), in parentheses,
    unless the words already are that address."""
    out = []
    for span in parse(text):
        piece = kept(span.text)
        if span.bold:
            piece = Markup("<strong>{}</strong>").format(piece)
        elif span.url is not None and url_problem(span.url) is None:
            if links:
                piece = Markup('<a href="{}" title="{}">{}</a>').format(href(span.url), shown(span.url), piece)
            elif not names_its_address(span.text, span.url):
                piece += Markup('<span class="address"> ({})</span>').format(on_paper(span.url))
        out.append(piece)
    return Markup("").join(out)


def to_unlinked_html(text: str) -> Markup:
    """Escaped text with <strong> for bold, a link's words only: for text that
    is itself inside a link (a link cannot hold another)."""
    return Markup("").join(Markup("<strong>{}</strong>").format(kept(s.text)) if s.bold else kept(s.text) for s in parse(text))


_SCHEME = re.compile(r"^(?:https?://|mailto:)", re.I)


def on_paper(url: str) -> str:
    """An address as it is set where it cannot be clicked: as `shown`, without
    the scheme a reader does not type ("https://", "http://", "mailto:") and
    without a trailing "/" ("sammenomtrivsel.nu/temaer/indflydelse-pa-arbejdet2")."""
    return _SCHEME.sub("", shown(url)).removesuffix("/")


def names_its_address(words: str, url: str) -> bool:
    """Do a link's words already say its address ("kropogkontor.dk" for
    https://www.kropogkontor.dk/)? Then paper need not say it twice."""

    def bare(text: str) -> str:
        text = _SCHEME.sub("", text.strip()).casefold()
        return text.removeprefix("www.").rstrip("/")

    return bare(words) == bare(shown(url))


def to_plain(text: str) -> str:
    """The words a reader sees: markup removed."""
    return "".join(span.text for span in parse(text))
