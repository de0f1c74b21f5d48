"""The checks the receivers of a PDF run, run here first.

`print_preflight`: what a print shop's PDF/X-4 preflight rejects, and the
prepress rules it warns about: RGB in any colour-space-bearing place (content
streams, forms, shadings, patterns, images, inline images, transparency
groups, soft masks, annotations' appearances, resources), page boxes, the
output intent and its profile's class, the file's identification (header
version, GTS_PDFXVersion, Info and XMP alike, a file /ID), what PDF/X
forbids (actions, JavaScript, forms, OPI, PostScript, transfer functions and
halftones), fonts, annotations, the ink limit, the inks of small text, crop
marks visible outside the bleed and none reaching into it.

`screen_audit`: the structure a PDF/UA-1 audit reads, beyond what the adopted
checker (outloud, in the tests) covers: the running header as an artifact
(no text repeated from the page before, at the same place, as content),
list numbers in Lbl, no empty structure elements, a file /ID, and hyphens
that extract as U+002D (none as U+2010 or U+2011).

Both read a file through `open_pdf`, which turns a file that cannot be read
into a ContentError naming it; a hostile file's nesting and work are bounded.
"""

from __future__ import annotations

import html
import io
import logging
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Iterator

import pypdf
from pypdf.errors import DependencyError, PyPdfError
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, IndirectObject, NameObject, StreamObject

from . import profiles
from .diagnostics import ContentError, Diagnostic

# pypdf logs what it works around in a damaged file ("EOF marker not found")
# straight to the terminal, a line of its own above the message that names the
# file; the checks say what is wrong with it, once.
logging.getLogger("pypdf").setLevel(logging.ERROR)

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


def said(findings: Iterable[Finding]) -> list[str]:
    """Each finding on a line, as `one_line` says it; the same finding on
    several pages once, naming them ("page-boxes: pages 1, 2: …"): a print
    shop reads a problem once, not once a page."""
    pages: dict[tuple[str, str], list[int]] = {}
    for finding in findings:
        pages.setdefault((finding.rule, finding.message), []).extend([finding.page] if finding.page else [])
    return [Finding(rule, numbers[0] if numbers else None, message).one_line() if len(numbers) <= 1
            else f"{rule}: pages {', '.join(map(str, numbers))}: {message}"
            for (rule, message), numbers in pages.items()]


@dataclass(frozen=True)
class Gate:
    name: str
    findings: tuple[Finding, ...]
    # Warnings of a checker that were reviewed and do not apply to these files
    # (`REVIEWED`): shown wherever the gate is, never a failure.
    reviewed: tuple[Finding, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.findings


# A sheet's PDF is well under a megabyte and a booklet a few; a file far larger
# is not one of ours, and reading it whole could take all the memory there is.
MAX_PDF_BYTES = 256 * 1024 * 1024
# Forms inside forms, patterns inside patterns: WeasyPrint nests two or three.
MAX_DEPTH = 16
# Content-stream operators read in one file, over every page, form and pattern:
# a sheet has a few thousand, a booklet some tens of thousands; a hostile file that draws a form a million times
# over stops here, as a finding, instead of running on.
MAX_OPERATIONS = 300_000
# The pixels of one page rendered to look for the marks: an A4 page with its
# slug is 2 million at 150 dpi.
MAX_MARKS_PIXELS = 20_000_000

# What a damaged or hostile file makes pypdf raise, as it reads lazily.
_READ_ERRORS = (PyPdfError, OSError, ValueError, KeyError, IndexError, TypeError, AttributeError, AssertionError, RecursionError, UnicodeError, ZeroDivisionError, OverflowError)


def open_pdf(pdf: bytes | Path) -> pypdf.PdfReader:
    """The one way in for a PDF to check: a reader whose catalog and pages have
    been read, or ContentError naming the file and what is wrong with it."""
    path = None if isinstance(pdf, bytes) else Path(pdf)

    def refuse(problem: str) -> ContentError:
        return ContentError([Diagnostic(path, 0, 0, problem, rule="unreadable-pdf")])

    if path is not None:
        if path.is_dir():
            raise refuse("is a folder, not a PDF")
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise refuse(f"cannot be read ({exc.strerror or exc})") from None
        if size > MAX_PDF_BYTES:
            raise refuse(f"is {size // (1024 * 1024)} MB, larger than any sheet or booklet ({MAX_PDF_BYTES // (1024 * 1024)} MB at most)")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise refuse(f"cannot be read ({exc.strerror or exc})") from None
    else:
        data = pdf
    if not data:
        raise refuse("is empty (0 bytes), not a PDF")
    if b"%PDF-" not in data[:1024]:
        raise refuse("is not a PDF (no %PDF- header)")
    try:
        try:
            reader = pypdf.PdfReader(io.BytesIO(data))
        except DependencyError:  # pypdf tries the empty password on an AES-encrypted file, and needs a library for it
            raise refuse("is encrypted; the checks read an unencrypted PDF") from None
        if reader.is_encrypted:
            raise refuse("is encrypted; the checks read an unencrypted PDF")
        root = reader.trailer["/Root"].get_object()
        if not isinstance(root, DictionaryObject):
            raise refuse("has no document catalog (/Root)")
        if len(reader.pages) == 0:
            raise refuse("has no pages")
        for page in reader.pages:
            page.get("/Resources")
    except ContentError:
        raise
    except _READ_ERRORS as exc:
        raise refuse(f"is damaged and cannot be read ({_why(exc)})") from None
    return reader


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _unreadable(pdf: bytes | Path, exc: BaseException) -> ContentError:
    """A file that opened but broke while a gate read on: the same kind of message as open_pdf's."""
    path = None if isinstance(pdf, bytes) else Path(pdf)
    return ContentError([Diagnostic(path, 0, 0, f"is damaged and cannot be checked ({_why(exc)})", rule="unreadable-pdf")])


_reader = open_pdf


# Print ------------------------------------------------------------------------


def print_preflight(pdf: bytes | Path, marks: bool = True) -> Gate:
    """Raises ContentError for a file that cannot be read (open_pdf)."""
    reader = open_pdf(pdf)
    try:
        findings: list[Finding] = []
        findings += _output_intent(reader)
        findings += _identification(reader)
        findings += _forbidden(reader)
        budget = _Budget(MAX_OPERATIONS)
        for number, page in enumerate(reader.pages, start=1):
            findings += _page_boxes(page, number, marks)
            findings += _forbidden_on_page(page, number)
            annotations = _value(page.get("/Annots"))
            if annotations:
                count = len(annotations) if isinstance(annotations, list) else 1
                findings.append(Finding("annotations", number, f"{count} annotation(s); a print file has none"))
            findings += _fonts(page, number)
            painted = _Painter(page.pdf, number, budget)
            painted.page(page)
            findings += painted.findings.values()
            findings += _marks_in_bleed(page, number, painted.paths)
        if marks:
            # A page too much to read is too much to render as well (a form
            # bomb keeps PDFium busy for ever); its not-checked finding fails the gate.
            findings += _marks(pdf, reader, skip={f.page for f in findings if f.rule == "not-checked"})
    except ContentError:
        raise
    except _READ_ERRORS as exc:
        raise _unreadable(pdf, exc) from None
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
    profile = _value(intent.get("/DestOutputProfile"))
    if not isinstance(profile, StreamObject) or profile.get("/N") != 4:
        problems.append("no embedded CMYK ICC profile (DestOutputProfile with /N 4)")
    else:
        # An ICC header: the device class at bytes 12-16, the colour space at 16-20.
        header = profile.get_data()[:20]
        if header[12:16] != b"prtr" or header[16:20] != b"CMYK":
            problems.append(f"the embedded profile is a {header[12:16]!r} {header[16:20]!r} profile, not an output (prtr) CMYK one")
    return [Finding("output-intent", None, p) for p in problems]


# PDF/X-4 (ISO 15930-7) is PDF 1.6 with some of it forbidden.
PDFX_VERSION = (1, 6)
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Zz+-])(\d{2})?'?(\d{2})?'?)?")


def _instant(text: str) -> datetime | None:
    """A PDF date (D:YYYYMMDDHHmmSS+HH'mm') or an XMP one (ISO 8601), as a moment; None if neither."""
    text = text.strip()
    if match := _PDF_DATE.fullmatch(text):
        year, month, day, hour, minute, second, sign, off_h, off_m = match.groups()
        offset = 0 if sign in (None, "Z", "z") else (1 if sign == "+" else -1) * (int(off_h or 0) * 60 + int(off_m or 0))
        try:
            return datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=timezone(timedelta(minutes=offset)))
        except ValueError:
            return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _xmp_value(xmp: str, name: str) -> str | None:
    """An XMP property's value, written as an element (for a language
    alternative, its first entry) or as an attribute."""
    name = re.escape(name)
    match = re.search(rf"<{name}(?:\s[^>]*)?>\s*(?:<rdf:Alt>\s*<rdf:li[^>]*>)?([^<]*)<", xmp) or re.search(rf"\s{name}=\"([^\"]*)\"", xmp)
    return html.unescape(match.group(1)).strip() if match else None


def _identification(reader: pypdf.PdfReader) -> list[Finding]:
    """What says the file is PDF/X-4, and which file it is: a header of PDF 1.6
    at most, the XMP's GTS_PDFXVersion, a title, trapping and dates that the
    Info dictionary and the XMP give alike, and a file identifier."""
    problems = []
    header = re.fullmatch(r"%PDF-(\d+)\.(\d+)", (reader.pdf_header or "").strip())
    if header is None or (int(header[1]), int(header[2])) > PDFX_VERSION:
        problems.append(f"the header says {(reader.pdf_header or '').strip()!r}: a PDF/X-4 file is PDF 1.6 at most")
    metadata = _get(reader.trailer["/Root"], "/Metadata")
    xmp = metadata.get_data().decode("utf-8", "replace") if isinstance(metadata, StreamObject) else ""
    if (version := _xmp_value(xmp, "pdfxid:GTS_PDFXVersion")) != "PDF/X-4":
        problems.append(f"the XMP's pdfxid:GTS_PDFXVersion is {version!r}, not 'PDF/X-4'")
    info = _value(reader.trailer.get("/Info"))
    info = info if isinstance(info, DictionaryObject) else DictionaryObject()
    title, xmp_title = info.get("/Title"), _xmp_value(xmp, "dc:title")
    if not title or not xmp_title:
        problems.append("a title in both Info (/Title) and the XMP (dc:title) is required")
    elif str(title) != xmp_title:
        problems.append(f"Info's /Title {str(title)!r} is not the XMP's dc:title {xmp_title!r}")
    trapped, xmp_trapped = info.get("/Trapped"), _xmp_value(xmp, "pdf:Trapped")
    if trapped not in ("/True", "/False"):
        problems.append(f"Info's /Trapped is {trapped!r}: it must say /True or /False")
    elif trapped[1:] != xmp_trapped:
        problems.append(f"Info's /Trapped {trapped} is not the XMP's pdf:Trapped {xmp_trapped!r}")
    for key, name in (("/CreationDate", "xmp:CreateDate"), ("/ModDate", "xmp:ModifyDate")):
        given, said = info.get(key), _xmp_value(xmp, name)
        moment = _instant(str(given)) if given is not None else None
        if moment is None or said is None or moment != _instant(said):
            problems.append(f"Info's {key} ({given!r}) and the XMP's {name} ({said!r}) must give one moment")
    identifier = _value(reader.trailer.get("/ID"))
    if not isinstance(identifier, ArrayObject) or len(identifier) != 2:
        problems.append("the trailer has no file identifier (/ID)")
    return [Finding("identification", None, p) for p in problems]


def _forbidden(reader: pypdf.PdfReader) -> list[Finding]:
    """What PDF/X forbids in the catalog: actions and JavaScript (nothing may
    run or change the page on the press), and interactive forms."""
    root = _value(reader.trailer["/Root"])
    found = [f"the catalog has {key}" for key in ("/OpenAction", "/AA", "/AcroForm") if key in root]
    if _get(_get(root, "/Names"), "/JavaScript") is not None:
        found.append("the catalog names JavaScript")
    return [Finding("forbidden", None, f) for f in found]


def _resource_dicts(resources, seen: set | None = None, depth: int = 0) -> Iterator[DictionaryObject]:  # type: ignore[no-untyped-def, type-arg]
    """A resource dictionary and those of its forms (and theirs), each once."""
    seen = set() if seen is None else seen
    resources = _value(resources)
    if not isinstance(resources, DictionaryObject) or _key(resources) in seen or depth > MAX_DEPTH:
        return
    seen.add(_key(resources))
    yield resources
    for _, xobject in _entries(_get(resources, "/XObject")):
        if _get(xobject, "/Subtype") == "/Form":
            yield from _resource_dicts(_get(xobject, "/Resources"), seen, depth + 1)


def _forbidden_on_page(page: DictionaryObject, number: int) -> list[Finding]:
    """What PDF/X forbids on a page: actions; OPI comments and PostScript
    XObjects (the press would not see what the proof shows); transfer
    functions and halftones in a graphics state (the press sets its own)."""
    found = ["the page has additional actions (/AA)"] if "/AA" in page else []
    for resources in _resource_dicts(page.get("/Resources")):
        for name, xobject in _entries(_get(resources, "/XObject")):
            if _get(xobject, "/Subtype") == "/PS" or _get(xobject, "/Subtype2") == "/PS":
                found.append(f"XObject {name} is PostScript")
            if _get(xobject, "/OPI") is not None:
                found.append(f"XObject {name} has OPI comments")
        for name, state in _entries(_get(resources, "/ExtGState")):
            for key in ("/TR", "/TR2"):
                if _get(state, key) not in (None, "/Default"):
                    found.append(f"graphics state {name} sets a transfer function ({key})")
            if _get(state, "/HTP") is not None or _get(state, "/HT") not in (None, "/Default"):
                found.append(f"graphics state {name} sets a halftone")
    return [Finding("forbidden", number, f) for f in found]


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


def _fonts(page: DictionaryObject, number: int) -> list[Finding]:
    problems = []
    fonts = ((name, font) for resources in _resource_dicts(page.get("/Resources")) for name, font in _entries(_get(resources, "/Font")) if isinstance(font, DictionaryObject))
    for name, font in fonts:
        if font.get("/Subtype") == "/Type3":
            continue
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant.get("/FontDescriptor")
        if descriptor is None or not any(k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            problems.append(Finding("fonts", number, f"font {font.get('/BaseFont', name)} is not embedded"))
    return problems


def _value(value):  # type: ignore[no-untyped-def]
    """The object an indirect reference points to; any other value as it is."""
    return value.get_object() if isinstance(value, IndirectObject) else value


def _get(container, key: str):  # type: ignore[no-untyped-def]
    """container[key], resolved; None where either is missing or not a dictionary."""
    container = _value(container)
    return _value(container.get(key)) if isinstance(container, DictionaryObject) else None


def _key(value) -> tuple[int, int] | int:  # type: ignore[no-untyped-def]
    """What identifies an object, to see it again: its object number, or for a direct object its identity."""
    if isinstance(value, IndirectObject):
        return (value.idnum, value.generation)
    reference = getattr(value, "indirect_reference", None)
    if isinstance(reference, IndirectObject):
        return (reference.idnum, reference.generation)
    return id(value)


def _entries(dictionary) -> list[tuple[str, object]]:  # type: ignore[no-untyped-def]
    """A resource category's names and values, resolved; none for anything but a dictionary."""
    dictionary = _value(dictionary)
    return [(str(name), _value(value)) for name, value in dictionary.items()] if isinstance(dictionary, DictionaryObject) else []


def _numbers(operands: list) -> tuple[float, ...]:  # type: ignore[type-arg]
    return tuple(float(v) for v in operands if not isinstance(v, str))


# Colour spaces named by their families, as content streams and inline images write them.
_PLAIN_SPACES = {"/DeviceCMYK", "/CMYK", "/DeviceGray", "/G", "/Pattern", "/Lab"}
_RGB_NAMES = {"/DeviceRGB": "DeviceRGB", "/RGB": "DeviceRGB", "/CalRGB": "CalRGB"}


def _rgb(space, resources, depth: int = 0) -> str | None:  # type: ignore[no-untyped-def]
    """Why the colour space `space` is RGB ("DeviceRGB", "Indexed on
    ICCBased with 3 components", ...), or None if it is not. A name is looked
    up in `resources`; an Indexed space's base, a Separation's or DeviceN's
    alternate (and DeviceN's process space and colorants), and an uncoloured
    pattern's underlying space all count."""
    space = _value(space)
    if depth > MAX_DEPTH or space is None:
        return None
    if isinstance(space, str):
        name = str(space)
        if name in _RGB_NAMES:
            return _RGB_NAMES[name]
        if name in _PLAIN_SPACES:
            return None
        named = _get(_get(resources, "/ColorSpace"), name)
        # The definition of a named space names families, not other resources.
        inner = _rgb(named, None, depth + 1) if named is not None and not isinstance(named, str) or named in _RGB_NAMES else None
        return f"{name} = {inner}" if inner else None
    if not isinstance(space, list) or not space:
        return None
    family = str(_value(space[0]))
    part = lambda i: _value(space[i]) if len(space) > i else None  # noqa: E731
    if family in _RGB_NAMES:
        return _RGB_NAMES[family]
    if family == "/ICCBased":
        profile = part(1)
        components = _get(profile, "/N") if isinstance(profile, DictionaryObject) else None
        return "ICCBased with 3 components (RGB)" if components == 3 else None
    if family in ("/Indexed", "/I"):
        inner = _rgb(part(1), resources, depth + 1)
        return f"Indexed on {inner}" if inner else None
    if family == "/Separation":
        inner = _rgb(part(2), resources, depth + 1)
        return f"Separation {part(1)} with a {inner} alternate" if inner else None
    if family == "/DeviceN":
        inner = _rgb(part(2), resources, depth + 1)
        if inner:
            return f"DeviceN with a {inner} alternate"
        attributes = part(4)
        process = _get(_get(attributes, "/Process"), "/ColorSpace")
        inner = _rgb(process, resources, depth + 1)
        if inner:
            return f"DeviceN with a {inner} process space"
        colorants = _get(attributes, "/Colorants")
        for colorant in (colorants.values() if isinstance(colorants, DictionaryObject) else ()):
            inner = _rgb(colorant, resources, depth + 1)
            if inner:
                return f"DeviceN with a colorant in {inner}"
        return None
    if family == "/Pattern":
        inner = _rgb(part(1), resources, depth + 1)
        return f"Pattern on {inner}" if inner else None
    return None


def _space_kind(name: str, resources) -> str:  # type: ignore[no-untyped-def]
    """'/DeviceRGB', '/DeviceCMYK', '/DeviceGray', '/RGB-ICC', '/CMYK-ICC', or the family name."""
    if name in ("/DeviceRGB", "/DeviceCMYK", "/DeviceGray", "/Pattern"):
        return name
    space = _get(_get(resources, "/ColorSpace"), name)
    if space is None:
        return name
    if isinstance(space, list) and space:
        family = str(_value(space[0]))
        if family == "/ICCBased" and len(space) > 1:
            components = _get(space[1], "/N")
            return {3: "/RGB-ICC", 4: "/CMYK-ICC", 1: "/DeviceGray"}.get(components, family)  # type: ignore[call-overload]
        return family
    return str(space)


@dataclass
class _State:
    ctm: tuple[float, ...] = (1, 0, 0, 1, 0, 0)
    fill_space: str = "/DeviceGray"
    fill: tuple[float, ...] = (0,)
    font_size: float = 0.0
    text_matrix: tuple[float, ...] = (1, 0, 0, 1, 0, 0)
    line_width: float = 1.0
    clip: tuple[float, float, float, float] | None = None  # the clipping path's bounds, on the page

    def copy(self) -> "_State":
        return _State(self.ctm, self.fill_space, self.fill, self.font_size, self.text_matrix, self.line_width, self.clip)


def _multiply(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, ...]:
    return (
        a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5],
    )  # fmt: skip


def _apply(m: tuple[float, ...], x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


def _inks(state: _State) -> tuple[float, float, float, float] | None:
    if state.fill_space in ("/DeviceCMYK", "/CMYK-ICC") and len(state.fill) == 4:
        return tuple(float(v) for v in state.fill)  # type: ignore[return-value]
    if state.fill_space == "/DeviceGray" and len(state.fill) == 1:
        return (0.0, 0.0, 0.0, 1 - float(state.fill[0]))
    return None


Box = tuple[float, float, float, float]  # left, bottom, right, top
# A filled shape this thin or thinner is a line: a mark drawn as a filled rectangle.
MARK_MAX_WIDTH = 1.0


@dataclass(frozen=True)
class _Painted:
    """A path painted on the page: its segments (on the page, points of a
    curve's control polygon) and how far its stroke reaches either side."""

    segments: tuple[tuple[float, float, float, float], ...]
    reach: float  # half the stroke's width on the page; 0 for a fill
    clip: Box | None


class _Exhausted(Exception):
    """The file asked for more work than MAX_OPERATIONS."""


@dataclass
class _Budget:
    """The work left for one file, and each content stream parsed once (a form drawn a thousand times is read once)."""

    remaining: int
    parsed: dict[tuple[int, int] | int, list] = field(default_factory=dict)  # type: ignore[type-arg]

    def spend(self, count: int) -> None:
        self.remaining -= count
        if self.remaining < 0:
            raise _Exhausted


class _Painter:
    """Reads one page as a printer would paint it: every content stream the
    page draws (its own, forms, tiling patterns, soft masks' groups,
    annotations' appearances), and every colour-space-bearing thing it holds
    (colour spaces, shadings, patterns, images, inline images, transparency
    groups). Collects the colour findings, and the paths painted on the page
    itself for the check of the marks."""

    def __init__(self, pdf, number: int, budget: _Budget) -> None:  # type: ignore[no-untyped-def]
        self.pdf = pdf
        self.number = number
        self.budget = budget
        self.findings: dict[str, Finding] = {}  # one per rule and colour, not per operator
        self.paths: list[_Painted] = []
        self.active: set[tuple[int, int] | int] = set()  # the streams being read: a form that draws itself draws nothing
        self.seen: set[tuple[int, int] | int] = set()  # dictionaries already looked at

    def add(self, rule: str, key: str, message: str) -> None:
        self.findings.setdefault(f"{rule}:{key}", Finding(rule, self.number, message))

    def page(self, page: DictionaryObject) -> None:
        resources = _get(page, "/Resources")
        try:
            self.group(_get(page, "/Group"), "the page")
            self.content(page.get_contents(), resources, _State(), "page", depth=0, geometry=True)
            self.resources(resources, "page", 0)
            for annotation in _get(page, "/Annots") or []:
                appearances = _get(annotation, "/AP")
                for kind in ("/N", "/R", "/D"):
                    appearance = _get(appearances, kind)
                    states = [appearance] if isinstance(appearance, StreamObject) else list((appearance or {}).values()) if isinstance(appearance, DictionaryObject) else []
                    for state in states:
                        self.form(state, resources, _State(), "an annotation's appearance", 1, geometry=False)
        except _Exhausted:
            self.add("not-checked", "budget", f"more than {MAX_OPERATIONS:,} drawing operations in the file; the rest is not checked")

    def space(self, space, resources, what: str) -> None:  # type: ignore[no-untyped-def]
        why = _rgb(space, resources)
        if why:
            self.add("device-rgb", f"{what}:{why}", f"RGB colour ({why}) in {what}")

    def group(self, group, what: str) -> None:  # type: ignore[no-untyped-def]
        if _get(group, "/S") == "/Transparency":
            why = _rgb(_get(group, "/CS"), None)
            if why:
                self.add("device-rgb", f"group:{what}:{why}", f"RGB transparency group colour space ({why}) of {what}")

    def deeper(self, depth: int, what: str) -> bool:
        if depth > MAX_DEPTH:
            self.add("not-checked", "depth", f"{what} is nested more than {MAX_DEPTH} deep; not checked")
            return False
        return True

    def resources(self, resources, where: str, depth: int) -> None:  # type: ignore[no-untyped-def]
        """Everything colour-bearing a resource dictionary holds, drawn or not:
        what a page or form carries may be printed by an imposition or a RIP."""
        resources = _value(resources)
        if not isinstance(resources, DictionaryObject) or _key(resources) in self.seen or not self.deeper(depth, where):
            return
        self.seen.add(_key(resources))
        self.budget.spend(1)
        for name, space in _entries(_get(resources, "/ColorSpace")):
            self.space(space, None, f"colour space {name} of {where}")
        for name, shading in _entries(_get(resources, "/Shading")):
            self.shading(shading, resources, f"shading {name} of {where}")
        for name, pattern in _entries(_get(resources, "/Pattern")):
            self.pattern(pattern, resources, _State(), f"pattern {name} of {where}", depth + 1)
        for name, xobject in _entries(_get(resources, "/XObject")):
            if _get(xobject, "/Subtype") == "/Image":
                self.image(xobject, resources, f"image {name} of {where}")
            elif _get(xobject, "/Subtype") == "/Form":
                self.form(xobject, resources, _State(), f"form {name} of {where}", depth + 1, geometry=False)
        for name, graphics_state in _entries(_get(resources, "/ExtGState")):
            self.soft_mask(_get(graphics_state, "/SMask"), resources, f"the soft mask of graphics state {name} of {where}", depth + 1)

    def shading(self, shading, resources, what: str) -> None:  # type: ignore[no-untyped-def]
        self.space(_get(shading, "/ColorSpace"), resources, what)

    def image(self, image, resources, what: str) -> None:  # type: ignore[no-untyped-def]
        image = _value(image)
        if not isinstance(image, DictionaryObject) or _key(image) in self.seen:
            return
        self.seen.add(_key(image))
        self.space(_get(image, "/ColorSpace"), resources, what)
        mask = _get(image, "/SMask")
        if isinstance(mask, DictionaryObject):
            self.space(_get(mask, "/ColorSpace"), resources, f"the soft mask of {what}")

    def soft_mask(self, mask, resources, what: str, depth: int) -> None:  # type: ignore[no-untyped-def]
        if isinstance(mask, DictionaryObject):
            self.form(_get(mask, "/G"), resources, _State(), what, depth, geometry=False)

    def pattern(self, pattern, resources, state: _State, what: str, depth: int) -> None:  # type: ignore[no-untyped-def]
        pattern = _value(pattern)
        if not isinstance(pattern, DictionaryObject):
            return
        if _get(pattern, "/PatternType") == 2:
            self.shading(_get(pattern, "/Shading"), resources, f"the shading of {what}")
            self.soft_mask(_get(_get(pattern, "/ExtGState"), "/SMask"), resources, f"the soft mask of {what}", depth + 1)
        elif isinstance(pattern, StreamObject):
            # A tiling pattern paints its cell with its own content: a form in all but name.
            self.form(pattern, resources, state, what, depth, geometry=False)

    def form(self, form, resources, state: _State, what: str, depth: int, geometry: bool) -> None:  # type: ignore[no-untyped-def]
        form = _value(form)
        if not isinstance(form, StreamObject) or not self.deeper(depth, what):
            return
        key = _key(form)
        if key in self.active:
            return
        self.group(_get(form, "/Group"), what)
        inner = state.copy()
        matrix = _get(form, "/Matrix")
        if isinstance(matrix, list) and len(matrix) == 6:
            inner.ctm = _multiply(tuple(float(_value(v)) for v in matrix), state.ctm)
        own = _get(form, "/Resources")
        self.active.add(key)
        try:
            # Forms read as part of a page's resources are read once; drawn ones each time they are drawn.
            if geometry or key not in self.seen:
                self.seen.add(key)
                self.content(form, own if own is not None else resources, inner, what, depth, geometry)
            self.resources(own, what, depth + 1)
        finally:
            self.active.discard(key)

    def content(self, contents, resources, state: _State, where: str, depth: int, geometry: bool) -> None:  # type: ignore[no-untyped-def]
        if contents is None:
            return
        key = _key(contents)
        operations = self.budget.parsed.get(key)
        if operations is None:
            try:
                operations = ContentStream(contents, self.pdf).operations
            except _READ_ERRORS as exc:
                self.add("unreadable-content", where, f"the content of {where} cannot be read ({_why(exc)})")
                return
            if isinstance(key, tuple):  # an identity may be reused once its object is gone: not a key to keep
                self.budget.parsed[key] = operations
        self.budget.spend(max(len(operations), 1))
        stack: list[_State] = []
        path: list[tuple[float, float, float, float]] = []
        start = current = (0.0, 0.0)
        clipping = False

        def set_fill(space: str, values: tuple[float, ...]) -> None:
            state.fill_space, state.fill = space, values
            inks = _inks(state)
            if inks and sum(inks) > INK_LIMIT + 1e-6:
                self.add("ink-limit", str(inks), f"{_pct(inks)} in {where}: {sum(inks) * 100:.0f} % ink, over {INK_LIMIT * 100:.0f} %")

        def line_to(x: float, y: float) -> None:
            nonlocal current
            point = _apply(state.ctm, x, y)
            path.append((*current, *point))
            current = point

        for operands, operator in operations:
            op = operator.decode("latin-1") if isinstance(operator, bytes) else str(operator)
            try:
                if op == "q":
                    stack.append(state.copy())
                elif op == "Q" and stack:
                    state = stack.pop()
                elif op == "cm":
                    state.ctm = _multiply(_numbers(operands), state.ctm)
                elif op == "w":
                    state.line_width = float(operands[0])
                elif op == "m":
                    current = start = _apply(state.ctm, float(operands[0]), float(operands[1]))
                elif op == "l":
                    line_to(float(operands[0]), float(operands[1]))
                elif op in ("c", "v", "y"):
                    values = _numbers(operands)
                    for i in range(0, len(values) - 1, 2):  # the control polygon holds the curve
                        line_to(values[i], values[i + 1])
                elif op == "re":
                    x, y, w, h = _numbers(operands)
                    current = start = _apply(state.ctm, x, y)
                    for px, py in ((x + w, y), (x + w, y + h), (x, y + h), (x, y)):
                        line_to(px, py)
                elif op in ("h", "s", "b", "b*"):
                    path.append((*current, *start))
                    current = start
                if op in ("W", "W*"):
                    clipping = True
                elif op in ("S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "n"):
                    if clipping and path:
                        state.clip = _intersect(state.clip, _bounds(path))
                    if geometry and path and op != "n":
                        stroked = op in ("S", "s", "B", "B*", "b", "b*")
                        scale = math.sqrt(abs(state.ctm[0] * state.ctm[3] - state.ctm[1] * state.ctm[2]))
                        self.paths.append(_Painted(tuple(path), state.line_width * scale / 2 if stroked else 0.0, state.clip))
                    path, clipping = [], False
                elif op in ("rg", "RG"):
                    self.add("device-rgb", op, f"DeviceRGB colour ({op}) in {where}")
                    if op == "rg":
                        state.fill_space, state.fill = "/DeviceRGB", _numbers(operands)
                elif op in ("cs", "CS"):
                    kind = _space_kind(str(operands[0]), resources)
                    why = _rgb(operands[0], resources)
                    if why:
                        self.add("device-rgb", kind, f"RGB colour space {operands[0]} ({why}) in {where}")
                    if op == "cs":
                        state.fill_space, state.fill = kind, ()
                elif op in ("sc", "scn", "SC", "SCN"):
                    if operands and isinstance(operands[-1], str):
                        pattern = _get(_get(resources, "/Pattern"), str(operands[-1]))
                        self.pattern(pattern, resources, state, f"pattern {operands[-1]} in {where}", depth + 1)
                    if op in ("sc", "scn"):
                        set_fill(state.fill_space, _numbers(operands))
                    else:
                        values = _numbers(operands)
                        if len(values) == 4 and sum(values) > INK_LIMIT + 1e-6:
                            self.add("ink-limit", str(values), f"{_pct(values)} stroke in {where}: over {INK_LIMIT * 100:.0f} % ink")
                elif op == "K":
                    values = _numbers(operands)
                    if len(values) == 4 and sum(values) > INK_LIMIT + 1e-6:
                        self.add("ink-limit", str(values), f"{_pct(values)} stroke in {where}: over {INK_LIMIT * 100:.0f} % ink")
                elif op == "k":
                    set_fill("/DeviceCMYK", _numbers(operands))
                elif op == "g":
                    set_fill("/DeviceGray", (float(operands[0]),))
                elif op == "sh":
                    self.shading(_get(_get(resources, "/Shading"), str(operands[0])), resources, f"shading {operands[0]} in {where}")
                elif op == "gs":
                    mask = _get(_get(_get(resources, "/ExtGState"), str(operands[0])), "/SMask")
                    self.soft_mask(mask, resources, f"the soft mask of graphics state {operands[0]} in {where}", depth + 1)
                elif op == "INLINE IMAGE":
                    settings = operands.get("settings") if isinstance(operands, dict) else None
                    space = _get(settings, "/CS") if _get(settings, "/CS") is not None else _get(settings, "/ColorSpace")
                    self.space(space, resources, f"an inline image in {where}")
                elif op == "BT":
                    state.text_matrix = (1, 0, 0, 1, 0, 0)
                elif op == "Tf":
                    state.font_size = float(operands[1])
                elif op == "Tm":
                    state.text_matrix = _numbers(operands)
                elif op in ("Tj", "TJ", "'", '"'):
                    _small_text(state, self.add, where)
                elif op == "Do":
                    xobject = _get(_get(resources, "/XObject"), str(operands[0]))
                    if _get(xobject, "/Subtype") == "/Form":
                        self.form(xobject, resources, state, f"form {operands[0]}", depth + 1, geometry)
                    elif _get(xobject, "/Subtype") == "/Image":
                        self.image(xobject, resources, f"image {operands[0]} in {where}")
            except (ValueError, TypeError, IndexError, KeyError, AttributeError, ZeroDivisionError, OverflowError):
                self.add("unreadable-content", f"{where}:{op}", f"the operator {op} in {where} has operands it cannot have")


def _bounds(segments) -> Box:  # type: ignore[no-untyped-def]
    xs = [v for s in segments for v in (s[0], s[2])]
    ys = [v for s in segments for v in (s[1], s[3])]
    return (min(xs), min(ys), max(xs), max(ys))


def _intersect(a: Box | None, b: Box | None) -> Box | None:
    if a is None or b is None:
        return a or b
    return (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))


def _marks_in_bleed(page: DictionaryObject, number: int, paths: list[_Painted]) -> list[Finding]:
    """Whatever line is painted in the slug (partly outside the BleedBox) is a
    mark, stroked or filled thin, since nothing else belongs there; and no part of a mark may reach inside
    the BleedBox, where it would print on the bleeding colour and, after a
    cutting tolerance, on the sheet. Read from the drawn paths, with their
    transformations, their strokes' width and their clipping."""
    bleed = _box(page, "/BleedBox")
    if bleed is None:
        return []
    inside = (bleed[0] + TOLERANCE, bleed[1] + TOLERANCE, bleed[2] - TOLERANCE, bleed[3] - TOLERANCE)
    reaching = 0
    for painted in paths:
        whole = _painted_box(painted, painted.segments)
        if whole is None:
            continue  # clipped away
        in_slug = whole[0] < bleed[0] - TOLERANCE or whole[1] < bleed[1] - TOLERANCE or whole[2] > bleed[2] + TOLERANCE or whole[3] > bleed[3] + TOLERANCE
        if not in_slug:
            continue
        if not painted.reach and min(whole[2] - whole[0], whole[3] - whole[1]) > MARK_MAX_WIDTH:
            continue  # a filled area, not a line: covering the slug is what the rendering above sees
        # A stroke segment by segment (a mark's two lines drawn as one path
        # cross nothing between them); a fill as a whole.
        parts = [(segment,) for segment in painted.segments] if painted.reach else [painted.segments]
        if any((box := _painted_box(painted, part)) is not None and box[0] < inside[2] and box[2] > inside[0] and box[1] < inside[3] and box[3] > inside[1] for part in parts):
            reaching += 1
    if not reaching:
        return []
    return [Finding("marks-in-bleed", number, f"{reaching} mark(s) drawn in the slug reach inside the BleedBox; marks stay outside the bleed")]


def _painted_box(painted: _Painted, segments) -> Box | None:  # type: ignore[no-untyped-def]
    """The bounds of `segments` as painted: widened by the stroke, cut by the clip; None if nothing is left."""
    left, bottom, right, top = _bounds(segments)
    r = painted.reach
    box = _intersect(painted.clip, (left - r, bottom - r, right + r, top + r))
    assert box is not None
    return box if box[0] <= box[2] and box[1] <= box[3] else None


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


def _marks(pdf: bytes | Path, reader: pypdf.PdfReader, skip: set[int | None] = set()) -> list[Finding]:  # noqa: B006
    """Render each page and look for a dark line on both trim lines at all
    four corners, in the slug between the bleed and the paper's edge: visible
    there means visible, since nothing else is drawn outside the bleed."""
    import pypdfium2

    dpi = 150
    scale = dpi / 72
    findings = []
    try:
        document = pypdfium2.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    except pypdfium2.PdfiumError as exc:
        raise _unreadable(pdf, exc) from None
    try:
        for index, page in enumerate(reader.pages):
            media, trim = _box(page, "/MediaBox"), _box(page, "/TrimBox")
            if media is None or trim is None or index + 1 in skip:
                continue
            if (media[2] - media[0]) * (media[3] - media[1]) * scale * scale > MAX_MARKS_PIXELS:
                findings.append(Finding("marks", index + 1, f"a page of {(media[2] - media[0]) / MM:.0f} × {(media[3] - media[1]) / MM:.0f} mm is far larger than a sheet's; its marks are not looked at"))
                continue
            try:
                image = document[index].render(scale=scale, crop=(0, 0, 0, 0)).to_pil().convert("L")
            except pypdfium2.PdfiumError as exc:
                raise _unreadable(pdf, exc) from None

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
    is run beside them where it is installed (`audit`). Raises ContentError
    for a file that cannot be read (open_pdf)."""
    reader = open_pdf(pdf)
    try:
        return Gate("screen (PDF/UA-1 structure)", tuple(_screen_findings(reader)))
    except ContentError:
        raise
    except _READ_ERRORS as exc:
        raise _unreadable(pdf, exc) from None


def _screen_findings(reader: pypdf.PdfReader) -> list[Finding]:
    findings: list[Finding] = []
    if "/ID" not in reader.trailer:
        findings.append(Finding("file-id", None, "no /ID in the trailer"))
    root = reader.trailer["/Root"]
    texts, origins = _marked(reader)
    findings += _running_content(texts, origins)
    findings += _hyphens(texts)
    if "/StructTreeRoot" not in root:
        return [*findings, Finding("structure", None, "no structure tree")]
    elements = list(_elements(root["/StructTreeRoot"]))
    empty = [e for e in elements if not _kids(e)]
    if empty:
        findings.append(Finding("empty-elements", None, f"{len(empty)} structure element(s) with nothing in them ({', '.join(sorted({str(e['/S']) for e in empty}))})"))
    for element in elements:
        if element.get("/S") != "/LBody":
            continue
        first = _first_text(element, texts, reader)
        if first is not None and first.strip().rstrip(".").isdigit():
            findings.append(Finding("list-labels", None, f"a list item's number ({first.strip()!r}) is in LBody, not in Lbl"))
    for element in elements:
        if element.get("/S") != "/L":
            continue
        labels = [_first_text(label, texts, reader) for item in _children(element, "/LI") for label in _children(item, "/Lbl")]
        numbered = [label.strip() for label in labels if label and label.strip().rstrip(".").isdigit()]
        attributes = element.get("/A")
        attributes = attributes.get_object() if attributes is not None else {}
        if numbered and attributes.get("/ListNumbering") in (None, "/None"):
            findings.append(Finding("list-numbering", None, f"a list labelled {', '.join(numbered)} does not say it is numbered (no /ListNumbering)"))
    return findings


# How far apart two runs of text may start and still be "the same place" on two pages.
SAME_PLACE_PT = 1.0


def _running_content(texts: dict[tuple[int, int | str], str], origins: dict[tuple[int, int | str], tuple[float, float]]) -> list[Finding]:
    """A running header or footer is page furniture, an /Artifact: a line of
    text that a page repeats whole from the page before, word for word at the
    same place, and that both tag as content, is one that was not marked so (a
    reader would read it out again on every page)."""
    by_page: dict[int, list[tuple[str, tuple[float, float]]]] = {}
    for (page, key), text in texts.items():
        if isinstance(key, int) and text.strip() and (page, key) in origins:
            by_page.setdefault(page, []).append((text.strip(), origins[page, key]))
    findings = []
    for page, runs in sorted(by_page.items()):
        before = by_page.get(page - 1, [])
        again = {
            index for index, (text, (x, y)) in enumerate(runs)
            if any(text == old and abs(x - ox) <= SAME_PLACE_PT and abs(y - oy) <= SAME_PLACE_PT for old, (ox, oy) in before)
        }  # fmt: skip
        # A whole line said again: a booklet's sheet opens with a band that
        # shares the series name with the page before, beside its own number.
        repeated = [
            runs[index][0] for index in sorted(again)
            if all(other in again for other, (_, (_, y)) in enumerate(runs) if abs(y - runs[index][1][1]) <= SAME_PLACE_PT)
        ]  # fmt: skip
        if repeated:
            findings.append(Finding("running-header", page + 1, f"repeats {', '.join(repr(t[:40]) for t in repeated)} from page {page} at the same place as content; a running header or footer is an /Artifact"))
    return findings


# Hyphens that extract as themselves and not as U+002D: the hyphen (U+2010)
# and the non-breaking hyphen (U+2011), what a layout engine draws at a break.
_FOREIGN_HYPHENS = {"\u2010": "U+2010", "\u2011": "U+2011"}


def _hyphens(texts: dict[tuple[int, int | str], str]) -> list[Finding]:
    """Every hyphen of the content extracts as U+002D; a word broken at a
    line's end extracts whole, with a soft hyphen (its /ActualText)."""
    findings: dict[int, Finding] = {}
    for (page, key), text in sorted(texts.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        if not isinstance(key, int):
            continue
        found = [name for character, name in _FOREIGN_HYPHENS.items() if character in text]
        if found and page not in findings:
            findings[page] = Finding("hyphens", page + 1, f"{' and '.join(found)} in the text ({text.strip()[:40]!r}): hyphens copy as U+002D, a line-end break as a soft hyphen in /ActualText")
    return list(findings.values())


def _kids(element: DictionaryObject) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    kids = kids.get_object() if isinstance(kids, IndirectObject) else kids
    return list(kids) if isinstance(kids, list) else [kids]


def _children(element: DictionaryObject, role: str) -> list[DictionaryObject]:
    """The structure elements directly under `element` of one role."""
    kids = (kid.get_object() if isinstance(kid, IndirectObject) else kid for kid in _kids(element))
    return [kid for kid in kids if isinstance(kid, DictionaryObject) and kid.get("/S") == role]


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
    return _marked(reader)[0]


def _marked(reader: pypdf.PdfReader) -> tuple[dict[tuple[int, int | str], str], dict[tuple[int, int | str], tuple[float, float]]]:
    """marked_texts, and where on the page each sequence's text starts (the
    first glyph's origin, in the page's coordinates)."""
    texts: dict[tuple[int, int | str], str] = {}
    origins: dict[tuple[int, int | str], tuple[float, float]] = {}
    for index, page in enumerate(reader.pages):
        fonts = {name: _to_unicode(_value(font)) for name, font in _entries(_get(_get(page, "/Resources"), "/Font"))}
        stack: list[tuple[int | str | None, str | None]] = []
        font: dict[bytes, str] = {}
        ctm: tuple[float, ...] = (1, 0, 0, 1, 0, 0)
        saved: list[tuple[float, ...]] = []
        line = matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        leading = 0.0
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            try:
                if operator == b"q":
                    saved.append(ctm)
                elif operator == b"Q" and saved:
                    ctm = saved.pop()
                elif operator == b"cm":
                    ctm = _multiply(_numbers(operands), ctm)
                elif operator == b"BT":
                    line = matrix = (1, 0, 0, 1, 0, 0)
                elif operator == b"Tm":
                    line = matrix = _numbers(operands)
                elif operator in (b"Td", b"TD", b"T*"):
                    tx, ty = (0.0, -leading) if operator == b"T*" else _numbers(operands)
                    leading = -ty if operator == b"TD" else leading
                    line = matrix = _multiply((1, 0, 0, 1, tx, ty), line)
                elif operator == b"TL":
                    leading = float(operands[0])
            except (ValueError, TypeError, IndexError):
                continue  # a position the checks below do without
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
                if key is None:
                    continue
                if (index, key) not in origins:
                    origins[index, key] = _apply(_multiply(matrix, ctm), 0, 0)
                if actual is not None:
                    continue
                strings = operands[0] if operator == b"TJ" else [operands[0]]
                for piece in strings:
                    if isinstance(piece, (bytes, str)) and not isinstance(piece, (int, float)):
                        raw = piece.original_bytes if hasattr(piece, "original_bytes") else bytes(piece, "latin-1")
                        text = "".join(font.get(raw[i : i + 2], "\ufffd") for i in range(0, len(raw), 2))
                        texts[index, key] = texts.get((index, key), "") + text
    return texts, origins


# Which gates a file passes ------------------------------------------------------

# outloud's warnings are heuristics: its own verdict for one is "review", not
# "fail". Every warning fails here too (most name real faults: reading order,
# text no element announces) unless it was reviewed for these files and found
# not to apply. Then it is listed here, as narrowly as its message allows,
# with why; `audit`, `accessibility` and the tests show it as reviewed.
REVIEWED: dict[str, tuple[re.Pattern[str], str]] = {
    "PAG-001": (
        re.compile(r"running header or footer line\(s\) are tagged as content"),
        "a booklet is two-page sheets one after another: the band that opens each sheet "
        "(the series name and \"TEMA n/10\") and a section heading that stands near the top "
        "of a sheet's second page recur at the same place on three or more pages, which "
        "outloud takes for a running header; both are the sheet's content, read once per "
        "sheet. The real running header (page 2's band) and the colophon repeated on every "
        "sheet are artifacts (tests/test_accessibility_pdf.py). Page numbers tagged as "
        "content are not covered.",
    ),
}


# outloud's TAG-002 (prose marked /Artifact, "skipped by every reader") is an
# error, and stays one, except where the artifact is a pull quote: layout
# (/Layout) whose every word the page's tagged text says, in order. It is
# read there, once; tagged too, it would be read twice.
REPEATS = ("a pull quote: a layout artifact repeating, word for word, a sentence the tagged "
           "text of the sheet says (read once, where it stands in the cases)")


def _letters(text: str) -> str:
    return re.sub(r"[^\w]", "", text.replace("\u00ad", "").replace("\u2010", "")).lower()


def repeats_tagged_text(texts: dict[tuple[int, int | str], str], page: int) -> bool:
    """Is every /Layout artifact of `page` (0-based) text that the document's
    tagged content says, word for word? False where the page has none."""
    quoted = _letters(texts.get((page, "artifact:/Layout"), ""))
    tagged = _letters(" ".join(texts[key] for key in sorted(k for k in texts if isinstance(k[1], int))))
    return bool(quoted) and quoted in tagged


def gates(path: Path) -> list[Gate]:
    """The gates a PDF's receiver would run: the print preflight for a PDF/X
    file (marks expected unless it is a print-nomarks file), else the screen
    structure audit and, where it is installed, the PDF/UA-1 checker outloud.
    `audit`, `accessibility` and the tests all judge a file by these. A file
    that cannot be read raises ContentError (open_pdf)."""
    root = open_pdf(path).trailer["/Root"]
    if any(i.get_object().get("/S") == "/GTS_PDFX" for i in root.get("/OutputIntents") or []):
        return [print_preflight(path, marks=not path.stem.endswith(profiles.PRINT_NOMARKS.suffix))]
    return [screen_audit(path), _outloud(path)]


def _outloud(path: Path) -> Gate:
    """outloud's errors and unreviewed warnings fail; reviewed warnings are kept apart."""
    name = "screen (PDF/UA-1, outloud)"
    try:
        import outloud
    except ImportError:
        return Gate(name, (Finding("not-run", None, "outloud is not installed (pip install -e '.[test]')"),))
    result = outloud.check(str(path))
    if result.error:
        return Gate(name, (Finding("outloud", None, result.error),))
    failing, reviewed = [], []
    texts: dict[tuple[int, int | str], str] | None = None
    for f in result.findings:
        if f.severity not in ("error", "warning"):
            continue
        said = f"{f.severity}: {f.message}" + (f" ({f.evidence})" if f.evidence else "")
        review = REVIEWED.get(f.rule) if f.severity == "warning" else None
        if f.rule == "TAG-002" and f.page is not None:
            texts = texts if texts is not None else marked_texts(open_pdf(path))
        if review is not None and review[0].search(f.message):
            reviewed.append(Finding(f.rule, f.page, f"{said}; reviewed, not a failure: {review[1]}"))
        elif f.rule == "TAG-002" and f.page is not None and texts is not None and repeats_tagged_text(texts, f.page - 1):
            reviewed.append(Finding(f.rule, f.page, f"{said}; reviewed, not a failure: {REPEATS}"))
        else:
            failing.append(Finding(f.rule, f.page, said))
    return Gate(name, tuple(failing), tuple(reviewed))
