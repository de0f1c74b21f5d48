"""What WeasyPrint 70 leaves undone in a PDF, done on its object graph before it is written.

Print (PDF/X-4): WeasyPrint's own crop marks are a form XObject drawn in
DeviceRGB, under the content and inside the bleed, so the bleeding bands hide
them. We ask it for none (`marks: none` in print.css) and draw our own here,
in black ink only, on top of everything, in a slug outside the bleed; and we
give the output intent the registered FOGRA39 identification.

Screen (PDF/UA-1): a line-end hyphenation break gets /ActualText with a soft
hyphen, so the word extracts whole; the hyphen glyph maps to U+002D; the
running header on a sheet's later pages becomes a /Pagination artifact; an
ordered list's number goes into Lbl; empty structure elements go; a link's
/Contents says the address its title gives, not the escaped href.

These finishers need to know which layout box drew which marked-content
sequence, which WeasyPrint forgets once it has built the structure tree; the
patch at the bottom keeps a note of it. WeasyPrint is pinned (pyproject.toml),
and tests/test_accessibility_pdf.py fails if the note goes missing.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pydyf
from weasyprint.pdf import stream as weasyprint_stream

from .profiles import Profile

MM = 72 / 25.4
BLEED_MM = 3.0
# Marks start a little past the bleed, so that no cutting tolerance brings the
# bleeding colour onto them, and run 5 mm out; the slug holds them.
MARK_GAP_MM = 0.5
MARK_LENGTH_MM = 5.0
SLUG_MM = MARK_GAP_MM + MARK_LENGTH_MM + 1.5
MARK_WIDTH_PT = 0.25
# Black ink only: registration colour (all four inks) would put 400 % ink on
# the marks, past the 300 % limit the preflight holds every colour to.
MARK_INK = (0, 0, 0, 1)

# The characterization data set registered at the ICC (www.color.org) that
# templates/FOGRA39-onepagers.icc is made from; a RIP matches the condition by
# this identifier and registry, and uses the embedded profile otherwise.
FOGRA39 = {
    "OutputConditionIdentifier": "FOGRA39",
    "RegistryName": "http://www.color.org",
    "OutputCondition": "Offset commercial and specialty printing according to ISO 12647-2:2004 / Amd 1, "
    "paper type 1 or 2 (coated), 115 g/m2, screen ruling 60/cm",
    "Info": "Coated FOGRA39 (ISO 12647-2:2004)",
}

HYPHENATION_CHARACTER = "\u2010"  # sheet.css's hyphenate-character; data/ never uses it
SOFT_HYPHEN = "\u00ad"


Finisher = Callable[[Any, pydyf.PDF], None]


def for_profile(profile: Profile) -> tuple[Finisher, dict[str, Any]]:
    """The finisher a profile's PDFs get, and the options WeasyPrint writes them with."""
    variant = profile.pdf_variant or ""
    if variant.startswith("pdf/x"):
        return print_finisher(marks=profile.marks), {"pdf_variant": variant}
    if variant.startswith("pdf/ua"):
        # a file /ID, from the content (PDF/UA and most validators ask for one)
        return screen_finisher, {"pdf_variant": variant, "pdf_identifier": True}
    return _nothing, ({"pdf_variant": variant} if variant else {})


def _nothing(document: Any, pdf: pydyf.PDF) -> None:
    pass


def chain(*finishers: Finisher) -> Finisher:
    def finish(document: Any, pdf: pydyf.PDF) -> None:
        for finisher in finishers:
            finisher(document, pdf)

    return finish


# Print ------------------------------------------------------------------------


def mark_segments(trim: tuple[float, float, float, float]) -> list[tuple[float, float, float, float]]:
    """Two lines at each corner of the trim, on its edges' extensions, outside the bleed."""
    left, bottom, right, top = trim
    start, end = (BLEED_MM + MARK_GAP_MM) * MM, (BLEED_MM + MARK_GAP_MM + MARK_LENGTH_MM) * MM
    segments = []
    for x, outward_x in ((left, -1), (right, 1)):
        for y, outward_y in ((bottom, -1), (top, 1)):
            segments.append((x + outward_x * start, y, x + outward_x * end, y))  # on the horizontal trim line
            segments.append((x, y + outward_y * start, x, y + outward_y * end))  # on the vertical one
    return segments


def print_finisher(marks: bool) -> Finisher:
    def finish(document: Any, pdf: pydyf.PDF) -> None:
        for page in _pages(pdf):
            trim = tuple(float(v) for v in page["TrimBox"])
            bleed = BLEED_MM * MM
            page["BleedBox"] = pydyf.Array(_grow(trim, bleed))
            if marks:
                page["MediaBox"] = pydyf.Array(_grow(trim, bleed + SLUG_MM * MM))
                _draw_on_top(pdf, page, _marks_content(trim))
            else:
                page["MediaBox"] = pydyf.Array(_grow(trim, bleed))
        for intent in pdf.catalog.get("OutputIntents", ()):
            for key, value in FOGRA39.items():
                intent[key] = pydyf.String(value)

    return finish


def _grow(box: tuple[float, ...], by: float) -> list[float]:
    left, bottom, right, top = box
    return [round(left - by, 4), round(bottom - by, 4), round(right + by, 4), round(top + by, 4)]


def _marks_content(trim: tuple[float, ...]) -> bytes:
    c, m, y, k = MARK_INK
    lines = [b"q", f"{MARK_WIDTH_PT} w 0 J [] 0 d {c} {m} {y} {k} K".encode()]
    for x1, y1, x2, y2 in mark_segments(trim):  # type: ignore[arg-type]
        lines.append(f"{x1:.3f} {y1:.3f} m {x2:.3f} {y2:.3f} l S".encode())
    lines.append(b"Q")
    return b"\n".join(lines)


def _draw_on_top(pdf: pydyf.PDF, page: pydyf.Dictionary, content: bytes) -> None:
    """Append a content stream, after wrapping the page's own in q/Q so that
    its transformations do not reach ours."""
    before, after = pydyf.Stream([b"q"]), pydyf.Stream([b"Q", content])
    pdf.add_object(before)
    pdf.add_object(after)
    page["Contents"] = pydyf.Array([before.reference, page["Contents"], after.reference])


def _pages(pdf: pydyf.PDF) -> Iterator[pydyf.Dictionary]:
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Page":
            yield obj


# Screen -----------------------------------------------------------------------


@dataclass
class _Marked:
    """A marked-content sequence: its box, and where in the stream its BDC's
    tag and property list are."""

    box: Any
    items: list
    start: int

    def retag(self, tag: str, properties: pydyf.Dictionary) -> None:
        self.items[self.start : self.start + 2] = [f"/{tag}", properties]

    @property
    def properties(self) -> pydyf.Dictionary:
        return self.items[self.start + 1]


def screen_finisher(document: Any, pdf: pydyf.PDF) -> None:
    _hyphen_maps_to_hyphen_minus(pdf)
    for obj in pdf.objects:
        # Without the Print flag a link is hidden from print and, to PDF/UA
        # (7.18.1), from readers that follow it.
        if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Annot":
            obj["F"] = 4
    root = pdf.catalog.get("StructTreeRoot")
    if root is None:
        return
    objects = {obj.number: obj for obj in pdf.objects if getattr(obj, "number", None) is not None}
    tree = _objects(objects, root)["ParentTree"]
    parent_tree = _objects(objects, tree)["Nums"]
    parents = _parent_map(document)
    _links_say_where_they_go(document, parents)
    _annotations_into_their_links(objects, parent_tree)
    colophon_seen_on: int | None = None
    for page_number, stream in enumerate(_page_streams(pdf)):
        marks: dict[int, _Marked] = getattr(stream, "onepagers_marked", {})
        numbers = parent_tree[parent_tree.index(page_number) + 1]
        for mcid, marked in marks.items():
            element = objects[_number(numbers[mcid])]
            running = _running(marked.box, parents)
            if running == "Footer":
                # The colophon is content where it first appears; a booklet repeats it.
                colophon_seen_on = page_number if colophon_seen_on is None else colophon_seen_on
                running = running if page_number > colophon_seen_on else None
            elif running == "Footline":
                running = "Footer"  # page 1's slim footer repeats the colophon's line: page furniture
            if running and element["S"] != "/Link":  # a link stays content, wherever it is
                # A pull quote repeats a sentence of the cases for the eye;
                # read aloud it would be said twice (preflight.REPEATS).
                kind = {"Type": "/Layout"} if running == "Quote" else {"Type": "/Pagination", "Subtype": f"/{running}"}
                marked.retag("Artifact", pydyf.Dictionary(kind))
                _detach(objects, element)
                numbers[mcid] = "null"
                continue
            text = getattr(marked.box, "text", "")
            if text.endswith(HYPHENATION_CHARACTER):
                marked.properties["ActualText"] = pydyf.String(text[: -len(HYPHENATION_CHARACTER)] + SOFT_HYPHEN)
            if (marked.box.element_tag or "").endswith("::before") and _is_list_number(objects, element):
                _number_into_label(objects, element)
            if _shown(marked.box).strip().rstrip(".").isdigit():
                _says_it_is_numbered(objects, element)
    document_element = objects[_number(_objects(objects, root)["K"][0])]
    _drop_empty(objects, document_element)


def _links_say_where_they_go(document: Any, parents: dict[int, Any]) -> None:
    """A link's /Contents (its description, PDF/UA 7.18.5) is its element's
    title: the address in full as a reader should see it (inline.shown), where
    the link's words are a title ("Indflydelse"). WeasyPrint 70 writes the
    href there, percent-escapes and all, and gives every box inside a link
    (a bold word, the span that keeps the last word whole) an annotation of
    its own: each takes the title of the link it is in."""
    for page in document.pages:
        for _kind, _target, _rectangle, box in page.links:
            annotation = getattr(box, "link_annotation", None)
            element = box.element
            while element is not None and element.get("href") is None:
                element = parents.get(id(element))
            title = element.get("title") if element is not None else None
            if annotation is not None and title and "Contents" in annotation:
                annotation["Contents"] = pydyf.String(title)


def _annotations_into_their_links(objects: dict[int, Any], parent_tree: pydyf.Array) -> None:
    """WeasyPrint 70 gives a box inside a link (the span that keeps a
    paragraph's last word whole, say) a link annotation of its own, and tags it
    under that box's element, a Span: PDF/UA (7.18.5) wants every link
    annotation in a Link. Each moves up into the Link it lies in; its area
    lies inside the link's own, so nothing is lost."""
    for position in range(0, len(parent_tree) - 1, 2):
        key, value = parent_tree[position], parent_tree[position + 1]
        if not (isinstance(value, bytes) and value.endswith(b" R")):
            continue  # a page's array of marked-content parents
        element = objects.get(_number(value))
        if not isinstance(element, pydyf.Dictionary) or element.get("S") == "/Link":
            continue
        link = element
        while isinstance(link, pydyf.Dictionary) and link.get("S") != "/Link" and "P" in link:
            link = _objects(objects, link["P"])
        if not isinstance(link, pydyf.Dictionary) or link.get("S") != "/Link":
            continue
        for kid in list(element.get("K", ())):
            marker = objects.get(_number(kid)) if isinstance(kid, bytes) and kid.endswith(b" R") else None
            if isinstance(marker, pydyf.Dictionary) and marker.get("Type") == "/OBJR":
                annotation = objects.get(_number(marker["Obj"]))
                if isinstance(annotation, pydyf.Dictionary) and annotation.get("StructParent") == key:
                    element["K"].remove(kid)
                    link["K"].append(kid)
        parent_tree[position + 1] = link.reference


def _hyphen_maps_to_hyphen_minus(pdf: pydyf.PDF) -> None:
    """Lato draws U+002D and U+2010 with one glyph; the ToUnicode map keeps
    whichever came first. The text has only U+002D (a break is ActualText)."""
    old = f"<{HYPHENATION_CHARACTER.encode('utf-16-be').hex()}>".encode()
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and b"/CMapName /Adobe-Identity-UCS def" in obj.stream:
            obj.stream = [line.replace(old, b"<002d>") if isinstance(line, bytes) else line for line in obj.stream]


def _objects(objects: dict[int, Any], value: Any) -> Any:
    """A value, or the object an indirect reference (b'12 0 R') points to."""
    if isinstance(value, bytes) and value.endswith(b" R"):
        return objects[_number(value)]
    return value


def _number(reference: bytes) -> int:
    return int(reference.split()[0])


def _page_streams(pdf: pydyf.PDF) -> list[Any]:
    streams = {obj.number: obj for obj in pdf.objects if isinstance(obj, weasyprint_stream.Stream)}
    return [streams[_number(page["Contents"])] for page in _pages(pdf)]


def _parent_map(document: Any) -> dict[int, Any]:
    parents: dict[int, Any] = {}
    roots = {id(page._page_box.children[0].element): page._page_box.children[0].element for page in document.pages}
    for html in roots.values():
        for parent in html.iter():
            for child in parent:
                parents[id(child)] = parent
    return parents


def _running(box: Any, parents: dict[int, Any]) -> str | None:
    """'Header' for the band repeated on a sheet's second page (it says again
    what page 1 said), 'Footer' for the colophon, 'Footline' for page 1's slim
    footer, 'Quote' for a pull quote, else None."""
    element, inside = box.element, None
    while element is not None:
        classes = (element.get("class") or "").split()
        if "colophon" in classes:
            return "Footer"
        if "pull-quote" in classes:
            return "Quote"
        if "footline" in classes:
            return "Footline"
        inside = inside or ("Header" if "band" in classes else None)
        if "page" in classes:
            return inside if "page-2" in classes else None
        element = parents.get(id(element))
    return None


def _detach(objects: dict[int, Any], element: pydyf.Dictionary) -> None:
    parent = _objects(objects, element["P"])
    parent["K"][:] = [kid for kid in parent["K"] if kid != element.reference]


def _is_list_number(objects: dict[int, Any], span: pydyf.Dictionary) -> bool:
    holder = _objects(objects, span["P"])
    body = _objects(objects, holder["P"])
    return body["S"] == "/LBody" and _objects(objects, body["P"])["S"] == "/LI"


def _number_into_label(objects: dict[int, Any], span: pydyf.Dictionary) -> None:
    """LI > LBody > [NonStruct(number), …] becomes LI > [Lbl(number), LBody > …]."""
    holder = _objects(objects, span["P"])
    body = _objects(objects, holder["P"])
    item = _objects(objects, body["P"])
    _detach(objects, holder)
    holder["S"] = "/Lbl"
    holder["P"] = item.reference
    item["K"].insert(item["K"].index(body.reference), holder.reference)


def _shown(box: Any) -> str:
    """The text a box sets, its children's included."""
    return getattr(box, "text", None) or "".join(_shown(child) for child in getattr(box, "children", ()))


def _says_it_is_numbered(objects: dict[int, Any], element: pydyf.Dictionary) -> None:
    """A list whose label (`element`, or the Lbl it is in) is a number says so
    (ListNumbering): a reader takes a list without it for one with bullets."""
    label = element if element["S"] == "/Lbl" else _objects(objects, element["P"])
    if label.get("S") != "/Lbl":
        return
    listing = _objects(objects, _objects(objects, label["P"])["P"])
    if listing.get("S") == "/L":
        listing["A"] = pydyf.Dictionary({"O": "/List", "ListNumbering": "/Decimal"})


def _drop_empty(objects: dict[int, Any], element: pydyf.Dictionary) -> bool:
    """Remove structure elements with nothing in them; True if `element` is one."""
    kids = element.get("K")
    if not isinstance(kids, pydyf.Array):
        return False
    kept = []
    for kid in kids:
        child = objects.get(_number(kid)) if isinstance(kid, bytes) else None
        if isinstance(child, pydyf.Dictionary) and child.get("Type") == "/StructElem" and _drop_empty(objects, child):
            continue
        kept.append(kid)
    kids[:] = kept
    return not kept


# WeasyPrint numbers marked content per page and builds the structure tree
# from its own record of which box drew which number, then drops that record.
# Keep a copy on the stream, with the stream items of the BDC operator, so the
# screen finisher can retag what it must.
_original_marked = weasyprint_stream.Stream.marked


@contextmanager
def _remember_marked(self: Any, box: Any, tag: str) -> Iterator[None]:
    start, mcid = len(self.stream), (len(self._tags) if self._tags is not None else None)
    with _original_marked(self, box, tag):
        if mcid is not None:
            self.__dict__.setdefault("onepagers_marked", {})[mcid] = _Marked(box, self.stream, start)
        yield


weasyprint_stream.Stream.marked = _remember_marked  # type: ignore[method-assign]
