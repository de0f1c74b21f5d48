"""The text of a web page as a reader gets it: blocks in document order, each
with the section of the sheet it belongs to (`data-section`), leaving out the
navigation that only the web page has (`data-web-only`) and the head."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"br", "meta", "link", "img", "input", "hr", "source", "wbr"}
# A block ends where one of these starts or ends: items, paragraphs, headings.
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "header", "footer", "main", "nav", "div", "body", "br", "title", "style"}


class _Blocks(HTMLParser):
    def __init__(self, bold: str = "") -> None:
        super().__init__(convert_charrefs=True)
        self.bold = bold
        self.stack: list[tuple[str, str | None, bool]] = []  # tag, section, hidden
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
        self.stack.append((tag, attrs.get("data-section", section), hidden))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if tag == "strong" and self.bold and not self._state()[1]:
            self.buffer.append(self.bold)
        closing = self.stack[-1][1] if self.stack else None
        if tag in BLOCKS or closing != (self.stack[-2][1] if len(self.stack) > 1 else None):
            self._flush()
        while self.stack:
            if self.stack.pop()[0] == tag:
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


def blocks(page: str, bold: str = "") -> list[tuple[str | None, str]]:
    """[(section, text)] in document order; `bold="**"` writes bold text as the data does."""
    parser = _Blocks(bold)
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
