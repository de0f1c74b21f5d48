"""The text of a web page as a reader gets it: blocks in document order, each
with the section of the sheet it belongs to (`data-section`), leaving out the
navigation that only the web page has (`data-web-only`) and the head.

A link's title is what a reader gets on pointing at it and what a screen
reader says after its words: where it says the sheet's text (a reference's
address, the link's `data-title-section` naming its section), `titles=True`
reads it as a block of its own, after the link's words."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"br", "meta", "link", "img", "input", "hr", "source", "wbr"}
# A block ends where one of these starts or ends: items, paragraphs, headings.
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "header", "footer", "main", "nav", "div", "body", "br", "title", "style"}


class _Blocks(HTMLParser):
    def __init__(self, bold: str = "", titles: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.bold = bold
        self.titles = titles
        self.stack: list[tuple[str, str | None, bool, tuple[str, str] | None]] = []  # tag, section, hidden, (section, title)
        self.blocks: list[tuple[str | None, str]] = []
        self.buffer: list[str] = []
        self.section: str | None = None
        self.tags: list[str] = []

    def _flush(self) -> None:
        text = " ".join("".join(self.buffer).split())
        if text:
            self.blocks.append((self.section, text))
        self.buffer = []

    def _state(self) -> tuple[str | None, bool]:
        return (self.stack[-1][1], self.stack[-1][2]) if self.stack else (None, False)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        section, hidden = self._state()
        if tag in BLOCKS or "data-section" in attrs:
            self._flush()
        if tag in VOID:
            return
        if tag == "strong" and self.bold and not hidden:
            self.buffer.append(self.bold)
        hidden = hidden or "data-web-only" in attrs or tag in ("head", "title", "style")
        title = (attrs["data-title-section"], attrs.get("title") or "") if self.titles and not hidden and "data-title-section" in attrs else None
        self.stack.append((tag, attrs.get("data-section", section), hidden, title))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if tag == "strong" and self.bold and not self._state()[1]:
            self.buffer.append(self.bold)
        closing = self.stack[-1][1] if self.stack else None
        if tag in BLOCKS or closing != (self.stack[-2][1] if len(self.stack) > 1 else None):
            self._flush()
        while self.stack:
            popped = self.stack.pop()
            if popped[3] is not None:
                self._flush()
                self.blocks.append((popped[3][0], " ".join(popped[3][1].split())))
            if popped[0] == tag:
                break

    def handle_data(self, data):
        section, hidden = self._state()
        if hidden:
            return
        if self.buffer and section != self.section:
            self._flush()
        self.section = section
        self.buffer.append(data)

    def close(self):
        super().close()
        self._flush()


def blocks(page: str, bold: str = "", titles: bool = False) -> list[tuple[str | None, str]]:
    """[(section, text)] in document order; `bold="**"` writes bold text as the
    data does; `titles` reads the titles that say the sheet's text (above)."""
    parser = _Blocks(bold, titles)
    parser.feed(page)
    parser.close()
    return parser.blocks


def tags(page: str) -> list[str]:
    """Every start tag of the page, in order."""
    parser = _Blocks()
    parser.feed(page)
    parser.close()
    return parser.tags


def text(page: str) -> str:
    """Everything the page says outside its navigation, one block a line."""
    return "\n".join(t for _, t in blocks(page))
