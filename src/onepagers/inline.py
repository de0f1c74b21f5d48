"""The only markup a text may carry: `**bold**` and `[text](url)` links.

Everything else, HTML included, is text and is escaped, so nothing typed into
the data can become a tag, a script or a request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup, escape

LINK_SCHEMES = ("https", "http", "mailto")

_TOKEN = re.compile(r"\*\*(?P<bold>.+?)\*\*|\[(?P<label>[^\]\n]+)\]\((?P<url>[^)\s]*)\)")


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


def url_problem(url: str) -> str | None:
    """Why `url` may not be a link, or None when it may."""
    if any(ch.isspace() for ch in url):
        return "a link address may not contain spaces"
    parts = urlsplit(url)
    if parts.scheme.lower() not in LINK_SCHEMES:
        return f"a link must start with {', '.join(s + ':' for s in LINK_SCHEMES)}"
    if parts.scheme.lower() != "mailto" and "." not in parts.netloc:
        return "a web address needs a host name, such as https://bfakontor.dk/…"
    if parts.scheme.lower() == "mailto" and "@" not in parts.path:
        return "a mailto: link needs an e-mail address"
    return None


def link_problems(text: str) -> list[str]:
    return [p for span in parse(text) if span.url is not None if (p := url_problem(span.url))]


def to_html(text: str, links: bool = True) -> Markup:
    """Escaped text with <strong> for bold and <a> for links (plain text when
    `links` is false: a print file has nothing to click)."""
    out = []
    for span in parse(text):
        piece = escape(span.text)
        if span.bold:
            piece = Markup("<strong>{}</strong>").format(piece)
        elif links and span.url is not None and url_problem(span.url) is None:
            piece = Markup('<a href="{}">{}</a>').format(span.url, piece)
        out.append(piece)
    return Markup("").join(out)


def to_plain(text: str) -> str:
    """The words a reader sees: markup removed."""
    return "".join(span.text for span in parse(text))
