"""The checks the receivers of a PDF run, run here first.

`print_preflight`: what a print shop's PDF/X-4 preflight rejects, and the
prepress rules it warns about: device-dependent RGB in any content stream or
form, page boxes, the output intent, fonts, annotations, the ink limit, the
inks of small text, and crop marks visible outside the bleed.

`screen_audit`: the structure a PDF/UA-1 audit reads, beyond what the adopted
checker (outloud, in the tests) covers: the running header as an artifact,
list numbers in Lbl, no empty structure elements, a file /ID, and hyphens
that extract as U+002D.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pypdf
from pypdf.generic import ContentStream, DictionaryObject, IndirectObject

from . import profiles

MM = 72 / 25.4
A4 = (210 * MM, 297 * MM)
BLEED = 3 * MM
TOLERANCE = 0.05 * MM
INK_LIMIT = 3.0  # 300 %: FOGRA39's limit for coated paper
SMALL_TEXT_PT = 12.0
# Text whose colour has this much black or more counts as dark: it belongs in
# black ink alone. Lighter coloured text may use two inks.
DARK_K = 0.75
MAX_SMALL_TEXT_INKS = 2
# A screen this light breaks fine strokes into loose dots: small text reversed
# out of a band is paper white (no ink), not a pale tint.
LIGHT_TINT = 0.3
FOGRA39_ID = "FOGRA39"
ICC_REGISTRY = "http://www.color.org"
RGB_SPACES = {"/DeviceRGB", "/CalRGB"}


@dataclass(frozen=True)
class Finding:
    rule: str
    page: int | None  # 1-based; None for the whole file
    message: str

    def one_line(self) -> str:
        where = f"page {self.page}: " if self.page else ""
        return f"{self.rule}: {where}{self.message}"


@dataclass(frozen=True)
class Gate:
    name: str
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not self.findings


def _reader(pdf: bytes | Path) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)


# Print ------------------------------------------------------------------------


def print_preflight(pdf: bytes | Path, marks: bool = True) -> Gate:
    reader = _reader(pdf)
    findings: list[Finding] = []
    findings += _output_intent(reader)
    for number, page in enumerate(reader.pages, start=1):
        findings += _page_boxes(page, number, marks)
        if page.get("/Annots"):
            findings.append(Finding("annotations", number, f"{len(page['/Annots'])} annotation(s); a print file has none"))
        findings += _fonts(page, number)
        findings += _colours(page, number)
    if marks:
        findings += _marks(pdf, reader)
    return Gate("print (PDF/X-4 preflight)", tuple(findings))


def _output_intent(reader: pypdf.PdfReader) -> list[Finding]:
    root = reader.trailer["/Root"]
    intents = root.get("/OutputIntents") or []
    found = [i.get_object() for i in intents if i.get_object().get("/S") == "/GTS_PDFX"]
    if not found:
        return [Finding("output-intent", None, "no /GTS_PDFX output intent")]
    intent, problems = found[0], []
    if intent.get("/OutputConditionIdentifier") != FOGRA39_ID:
        problems.append(f"OutputConditionIdentifier is {intent.get('/OutputConditionIdentifier')!r}, not {FOGRA39_ID!r}")
    if intent.get("/RegistryName") != ICC_REGISTRY:
        problems.append(f"RegistryName is {intent.get('/RegistryName')!r}, not {ICC_REGISTRY!r}")
    profile = intent.get("/DestOutputProfile")
    if profile is None or profile.get_object().get("/N") != 4:
        problems.append("no embedded CMYK ICC profile (DestOutputProfile with /N 4)")
    metadata = root.get("/Metadata")
    if metadata is None or b"PDF/X-4" not in metadata.get_object().get_data():
        problems.append("the XMP metadata does not say PDF/X-4")
    return [Finding("output-intent", None, p) for p in problems]


def _box(page: DictionaryObject, name: str) -> list[float] | None:
    box = page.get(name)
    return [float(v) for v in box] if box is not None else None


def _page_boxes(page: DictionaryObject, number: int, marks: bool) -> list[Finding]:
    media, trim, bleed = (_box(page, n) for n in ("/MediaBox", "/TrimBox", "/BleedBox"))
    if trim is None or bleed is None or media is None:
        return [Finding("page-boxes", number, "TrimBox, BleedBox and MediaBox are all required")]
    problems = []
    width, height = trim[2] - trim[0], trim[3] - trim[1]
    if abs(width - A4[0]) > TOLERANCE or abs(height - A4[1]) > TOLERANCE:
        problems.append(f"TrimBox is {width / MM:.1f} × {height / MM:.1f} mm, not A4")
    expected = [trim[0] - BLEED, trim[1] - BLEED, trim[2] + BLEED, trim[3] + BLEED]
    if any(abs(a - b) > TOLERANCE for a, b in zip(bleed, expected)):
        problems.append("BleedBox is not the TrimBox + 3 mm on each side")
    inside = media[0] <= bleed[0] + TOLERANCE and media[1] <= bleed[1] + TOLERANCE and media[2] >= bleed[2] - TOLERANCE and media[3] >= bleed[3] - TOLERANCE
    if not inside:
        problems.append("MediaBox does not hold the BleedBox")
    if marks and min(bleed[0] - media[0], bleed[1] - media[1], media[2] - bleed[2], media[3] - bleed[3]) < 5 * MM:
        problems.append("MediaBox leaves no slug (5 mm or more) outside the bleed for the marks")
    return [Finding("page-boxes", number, p) for p in problems]


def _resources_fonts(resources: DictionaryObject | None) -> Iterator[tuple[str, DictionaryObject]]:
    if not resources:
        return
    for name, font in (resources.get("/Font") or {}).items():
        yield name, font.get_object()
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            yield from _resources_fonts(xobject.get("/Resources"))


def _fonts(page: DictionaryObject, number: int) -> list[Finding]:
    problems = []
    for name, font in _resources_fonts(page.get("/Resources")):
        if font.get("/Subtype") == "/Type3":
            continue
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant.get("/FontDescriptor")
        if descriptor is None or not any(k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            problems.append(Finding("fonts", number, f"font {font.get('/BaseFont', name)} is not embedded"))
    return problems


@dataclass
class _State:
    ctm: tuple[float, ...] = (1, 0, 0, 1, 0, 0)
    fill_space: str = "/DeviceGray"
    fill: tuple[float, ...] = (0,)
    font_size: float = 0.0
    text_matrix: tuple[float, ...] = (1, 0, 0, 1, 0, 0)

    def copy(self) -> "_State":
        return _State(self.ctm, self.fill_space, self.fill, self.font_size, self.text_matrix)


def _multiply(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, ...]:
    return (
        a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5],
    )  # fmt: skip


def _space_kind(name: str, resources: DictionaryObject | None) -> str:
    """'/DeviceRGB', '/DeviceCMYK', '/DeviceGray', '/RGB-ICC', '/CMYK-ICC', or the family name."""
    if name in ("/DeviceRGB", "/DeviceCMYK", "/DeviceGray", "/Pattern"):
        return name
    spaces = (resources or {}).get("/ColorSpace") or {}
    space = spaces.get(name)
    if space is None:
        return name
    space = space.get_object()
    if isinstance(space, list):
        family = space[0]
        if family == "/ICCBased":
            components = space[1].get_object().get("/N")
            return {3: "/RGB-ICC", 4: "/CMYK-ICC", 1: "/DeviceGray"}.get(components, family)
        return family
    return str(space)


def _inks(state: _State) -> tuple[float, float, float, float] | None:
    if state.fill_space in ("/DeviceCMYK", "/CMYK-ICC") and len(state.fill) == 4:
        return tuple(float(v) for v in state.fill)  # type: ignore[return-value]
    if state.fill_space == "/DeviceGray" and len(state.fill) == 1:
        return (0.0, 0.0, 0.0, 1 - float(state.fill[0]))
    return None


def _colours(page: DictionaryObject, number: int) -> list[Finding]:
    findings: dict[str, Finding] = {}  # one finding per rule and colour, not per operator
    _walk(page.get_contents(), page.get("/Resources"), page.pdf, _State(), number, findings, "page")
    return list(findings.values())


def _walk(contents, resources, pdf, state: _State, number: int, findings: dict[str, Finding], where: str) -> None:  # type: ignore[no-untyped-def]
    if contents is None:
        return
    stack: list[_State] = []

    def add(rule: str, key: str, message: str) -> None:
        findings.setdefault(f"{rule}:{key}", Finding(rule, number, message))

    def set_fill(space: str, values: tuple[float, ...]) -> None:
        state.fill_space, state.fill = space, values
        inks = _inks(state)
        if inks and sum(inks) > INK_LIMIT + 1e-6:
            add("ink-limit", str(inks), f"{_pct(inks)} in {where}: {sum(inks) * 100:.0f} % ink, over {INK_LIMIT * 100:.0f} %")

    for operands, operator in ContentStream(contents, pdf).operations:
        op = operator.decode("latin-1") if isinstance(operator, bytes) else operator
        if op == "q":
            stack.append(state.copy())
        elif op == "Q" and stack:
            state = stack.pop()
        elif op == "cm":
            state.ctm = _multiply(tuple(float(v) for v in operands), state.ctm)
        elif op in ("rg", "RG"):
            add("device-rgb", op, f"DeviceRGB colour ({op}) in {where}")
            if op == "rg":
                state.fill_space, state.fill = "/DeviceRGB", tuple(float(v) for v in operands)
        elif op in ("cs", "CS"):
            kind = _space_kind(str(operands[0]), resources)
            if kind in RGB_SPACES or kind == "/RGB-ICC":
                add("device-rgb", kind, f"RGB colour space {operands[0]} ({kind}) in {where}")
            if op == "cs":
                state.fill_space, state.fill = kind, ()
        elif op in ("sc", "scn"):
            set_fill(state.fill_space, tuple(float(v) for v in operands if not isinstance(v, str)))
        elif op in ("SC", "SCN", "K"):
            values = tuple(float(v) for v in operands if not isinstance(v, str))
            if len(values) == 4 and sum(values) > INK_LIMIT + 1e-6:
                add("ink-limit", str(values), f"{_pct(values)} stroke in {where}: over {INK_LIMIT * 100:.0f} % ink")
        elif op == "k":
            set_fill("/DeviceCMYK", tuple(float(v) for v in operands))
        elif op == "g":
            set_fill("/DeviceGray", (float(operands[0]),))
        elif op == "BT":
            state.text_matrix = (1, 0, 0, 1, 0, 0)
        elif op == "Tf":
            state.font_size = float(operands[1])
        elif op == "Tm":
            state.text_matrix = tuple(float(v) for v in operands)
        elif op in ("Tj", "TJ", "'", '"'):
            _small_text(state, add, where)
        elif op == "Do":
            xobject = ((resources or {}).get("/XObject") or {}).get(operands[0])
            if xobject is None:
                continue
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                inner = state.copy()
                if "/Matrix" in xobject:
                    inner.ctm = _multiply(tuple(float(v) for v in xobject["/Matrix"]), state.ctm)
                _walk(xobject, xobject.get("/Resources") or resources, pdf, inner, number, findings, f"form {operands[0]}")
            elif xobject.get("/Subtype") == "/Image":
                space = xobject.get("/ColorSpace")
                kind = _space_kind(str(space), resources) if not isinstance(space, list) else str(space[0])
                if kind in RGB_SPACES or kind == "/RGB-ICC" or (isinstance(space, list) and space[0] == "/ICCBased" and space[1].get_object().get("/N") == 3):
                    add("device-rgb", f"image{operands[0]}", f"RGB image {operands[0]} in {where}")


def _small_text(state: _State, add, where: str) -> None:  # type: ignore[no-untyped-def]
    matrix = _multiply(state.text_matrix, state.ctm)
    size = state.font_size * math.sqrt(abs(matrix[0] * matrix[3] - matrix[1] * matrix[2]))
    if size >= SMALL_TEXT_PT or size == 0:
        return
    inks = _inks(state)
    if inks is None:
        add("small-text-inks", f"space{state.fill_space}", f"{size:.1f} pt text in {state.fill_space} in {where}")
        return
    used = [v for v in inks if v > 0]
    if inks[3] >= DARK_K and len(used) > 1:
        add("small-text-inks", str(inks), f"dark {size:.1f} pt text in {_pct(inks)} in {where}: black ink only (0/0/0/K)")
    elif len(used) > MAX_SMALL_TEXT_INKS:
        add("small-text-inks", str(inks), f"{size:.1f} pt text in {_pct(inks)} in {where}: {len(used)} inks, at most {MAX_SMALL_TEXT_INKS}")
    elif used and max(used) < LIGHT_TINT:
        add("small-text-tint", str(inks), f"{size:.1f} pt text in a {_pct(inks)} tint in {where}: a light screen breaks up fine type; paper white (no ink) or at least {LIGHT_TINT:.0%} ink")


def _pct(inks: tuple[float, ...]) -> str:
    return "/".join(f"{v * 100:.0f}" for v in inks) + " (C/M/Y/K)"


def _marks(pdf: bytes | Path, reader: pypdf.PdfReader) -> list[Finding]:
    """Render each page and look for a dark line on both trim lines at all
    four corners, in the slug between the bleed and the paper's edge: visible
    there means visible, since nothing else is drawn outside the bleed."""
    import pypdfium2

    dpi = 150
    scale = dpi / 72
    findings = []
    document = pypdfium2.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    try:
        for index, page in enumerate(reader.pages):
            media, trim = _box(page, "/MediaBox"), _box(page, "/TrimBox")
            if media is None or trim is None:
                continue
            image = document[index].render(scale=scale, crop=(0, 0, 0, 0)).to_pil().convert("L")

            def pixel(x: float, y: float) -> tuple[int, int]:
                return round((x - media[0]) * scale), round((media[3] - y) * scale)

            missing = []
            for corner, (x, y, sx, sy) in {
                "bottom left": (trim[0], trim[1], -1, -1),
                "bottom right": (trim[2], trim[1], 1, -1),
                "top left": (trim[0], trim[3], -1, 1),
                "top right": (trim[2], trim[3], 1, 1),
            }.items():
                for along in ("horizontal", "vertical"):
                    darkest = 255
                    for step in range(int(BLEED + 1), int(min(x - media[0], media[2] - x, y - media[1], media[3] - y))):
                        for across in (-1, 0, 1):
                            px, py = (x + sx * step, y + across / scale) if along == "horizontal" else (x + across / scale, y + sy * step)
                            u, v = pixel(px, py)
                            if 0 <= u < image.width and 0 <= v < image.height:
                                darkest = min(darkest, image.getpixel((u, v)))
                    if darkest > 160:
                        missing.append(f"{along} mark at the {corner}")
            if missing:
                findings.append(Finding("marks", index + 1, "no visible crop mark outside the bleed: " + ", ".join(missing)))
    finally:
        document.close()
    return findings


# Screen -----------------------------------------------------------------------


def screen_audit(pdf: bytes | Path) -> Gate:
    """The structure checks of our own; the adopted PDF/UA checker (outloud)
    is run beside them where it is installed (`audit`)."""
    reader = _reader(pdf)
    findings: list[Finding] = []
    if "/ID" not in reader.trailer:
        findings.append(Finding("file-id", None, "no /ID in the trailer"))
    root = reader.trailer["/Root"]
    if "/StructTreeRoot" not in root:
        return Gate("screen (PDF/UA-1 structure)", (*findings, Finding("structure", None, "no structure tree")))
    elements = list(_elements(root["/StructTreeRoot"]))
    texts = marked_texts(reader)
    empty = [e for e in elements if not _kids(e)]
    if empty:
        findings.append(Finding("empty-elements", None, f"{len(empty)} structure element(s) with nothing in them ({', '.join(sorted({str(e['/S']) for e in empty}))})"))
    for element in elements:
        if element.get("/S") != "/LBody":
            continue
        first = _first_text(element, texts, reader)
        if first is not None and first.strip().rstrip(".").isdigit():
            findings.append(Finding("list-labels", None, f"a list item's number ({first.strip()!r}) is in LBody, not in Lbl"))
    return Gate("screen (PDF/UA-1 structure)", tuple(findings))


def _kids(element: DictionaryObject) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    kids = kids.get_object() if isinstance(kids, IndirectObject) else kids
    return list(kids) if isinstance(kids, list) else [kids]


def _elements(node: DictionaryObject) -> Iterator[DictionaryObject]:
    for kid in _kids(node):
        kid = kid.get_object() if isinstance(kid, IndirectObject) else kid
        if isinstance(kid, DictionaryObject) and kid.get("/Type", "/StructElem") == "/StructElem" and "/S" in kid:
            yield kid
            yield from _elements(kid)


def _first_text(element: DictionaryObject, texts: dict[tuple[int, int], str], reader: pypdf.PdfReader) -> str | None:
    page = element.get("/Pg")
    for kid in _kids(element):
        kid = kid.get_object() if isinstance(kid, IndirectObject) else kid
        if isinstance(kid, int) and page is not None:
            return texts.get((_page_index(reader, page), kid))
        if isinstance(kid, DictionaryObject) and "/S" in kid:
            return _first_text(kid, texts, reader)
    return None


def _page_index(reader: pypdf.PdfReader, page: IndirectObject) -> int:
    return [p.indirect_reference.idnum for p in reader.pages].index(page.idnum)


def _to_unicode(font: DictionaryObject) -> dict[bytes, str]:
    """Glyph code to text, from a ToUnicode CMap's bfchar entries (what WeasyPrint writes)."""
    mapping: dict[bytes, str] = {}
    if "/ToUnicode" not in font:
        return mapping
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    for code, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", data.split("beginbfchar", 1)[-1]):
        mapping[bytes.fromhex(code)] = bytes.fromhex(text).decode("utf-16-be")
    return mapping


def marked_texts(reader: pypdf.PdfReader) -> dict[tuple[int, int | str], str]:
    """The text of every marked-content sequence: (page index, MCID) → text,
    and (page index, 'artifact:<type>') → the artifacts' text of that type.
    /ActualText, where given, stands for the glyphs it covers."""
    texts: dict[tuple[int, int | str], str] = {}
    for index, page in enumerate(reader.pages):
        fonts = {name: _to_unicode(font.get_object()) for name, font in ((page.get("/Resources") or {}).get("/Font") or {}).items()}
        stack: list[tuple[int | str | None, str | None]] = []
        font: dict[bytes, str] = {}
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator in (b"BDC", b"BMC"):
                tag = str(operands[0])
                props = operands[1] if operator == b"BDC" and isinstance(operands[1], DictionaryObject) else {}
                key: int | str | None = props.get("/MCID") if tag != "/Artifact" else "artifact:" + str(props.get("/Type", "/None"))
                actual = props.get("/ActualText")
                stack.append((key, str(actual) if actual is not None else None))
                if actual is not None and key is not None:
                    texts[index, key] = texts.get((index, key), "") + str(actual)
            elif operator == b"EMC" and stack:
                stack.pop()
            elif operator == b"Tf":
                font = fonts.get(operands[0], {})
            elif operator in (b"Tj", b"TJ") and stack:
                key, actual = next(((k, a) for k, a in reversed(stack) if k is not None), (None, None))
                if key is None or actual is not None:
                    continue
                strings = operands[0] if operator == b"TJ" else [operands[0]]
                for piece in strings:
                    if isinstance(piece, (bytes, str)) and not isinstance(piece, (int, float)):
                        raw = piece.original_bytes if hasattr(piece, "original_bytes") else bytes(piece, "latin-1")
                        text = "".join(font.get(raw[i : i + 2], "\ufffd") for i in range(0, len(raw), 2))
                        texts[index, key] = texts.get((index, key), "") + text
    return texts


# Which gates a file passes ------------------------------------------------------

def gates(path: Path) -> list[Gate]:
    """The gates a PDF's receiver would run: the print preflight for a PDF/X
    file (marks expected unless it is a print-nomarks file), else the screen
    structure audit and, where it is installed, the PDF/UA-1 checker outloud."""
    root = pypdf.PdfReader(path).trailer["/Root"]
    if any(i.get_object().get("/S") == "/GTS_PDFX" for i in root.get("/OutputIntents") or []):
        return [print_preflight(path, marks=not path.stem.endswith(profiles.PRINT_NOMARKS.suffix))]
    return [screen_audit(path), _outloud(path)]


def _outloud(path: Path) -> Gate:
    name = "screen (PDF/UA-1, outloud)"
    try:
        import outloud
    except ImportError:
        return Gate(name, (Finding("not-run", None, "outloud is not installed (pip install -e '.[test]')"),))
    result = outloud.check(str(path))
    if result.error:
        return Gate(name, (Finding("outloud", None, result.error),))
    return Gate(
        name,
        tuple(Finding(f.rule, f.page, f"{f.severity}: {f.message}") for f in result.findings if f.severity in ("error", "warning")),
    )
