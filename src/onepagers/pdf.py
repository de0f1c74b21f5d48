"""HTML to PDF with WeasyPrint: only the project's own files are read, nothing else.

Importing this module imports WeasyPrint (about half a second), so the CLI
imports it only when it has something to render.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import re
import shutil
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from .environment import EnvironmentProblem, shared_libraries_from_ldconfig

with shared_libraries_from_ldconfig():
    import weasyprint
import pydyf
from weasyprint.css.counters import CounterStyle
from weasyprint.text.fonts import FontConfiguration, get_hb_object_data
from weasyprint.urls import URLFetcher

from . import finish, fit, fonts, hyphenation, linebreak
from .diagnostics import ContentError
from .profiles import Profile
from .project import Project

if TYPE_CHECKING:
    from . import compose


# fontTools warns about the Lato files' old 'created' timestamps on every
# subset; it is noise to an editor.
logging.getLogger("fontTools").setLevel(logging.ERROR)
linebreak.install()


class UnreadableFont(EnvironmentProblem):
    """A font WeasyPrint laid a sheet out in cannot be read: not the text's fault."""


class ProjectFetcher(URLFetcher):
    """Serves files under the allowed folders; refuses and records everything else."""

    def __init__(self, allowed: tuple[Path, ...]) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.allowed = tuple(p.resolve() for p in allowed)
        self.refused: list[str] = []
        self.missing: list[Path] = []

    def fetch(self, url: str, headers: object = None):  # type: ignore[override]
        parts = urlsplit(url)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(url2pathname(parts.path)).resolve()
            if any(path.is_relative_to(folder) for folder in self.allowed):
                if not path.is_file():
                    self.missing.append(path)
                    raise FileNotFoundError(path)
                return super().fetch(url, headers)
        self.refused.append(url)
        raise ValueError(f"onepagers reads only the project's templates and fonts; refused {url}")


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    page_sizes_mm: list[tuple[float, float]]
    overflows: list[fit.Overflow]
    refused: list[str] = field(default_factory=list)
    missing: list[Path] = field(default_factory=list)
    lost_letters: int = 0  # letters of the HTML that the layout does not hold
    fonts: dict[str, str] = field(default_factory=dict)  # see `Renderer.write`


def stable_ids(seed: str):
    """A finisher: WeasyPrint writes a random XMP DocumentID for PDF/X-4 (and
    the file's /ID follows from it); make it follow from the content instead,
    so that the same input gives the same bytes."""
    document_id = uuid.uuid5(uuid.NAMESPACE_URL, "onepagers:" + seed)

    def finish(document: object, pdf: object) -> None:
        for obj in pdf.objects:  # type: ignore[attr-defined]
            if isinstance(obj, pydyf.Stream) and obj.extra.get("Type") == "/Metadata":
                obj.stream = [_XMP_ID.sub(f"xmp.did:{document_id}".encode(), chunk) for chunk in obj.stream]

    return finish


_XMP_ID = re.compile(rb"xmp\.did:[0-9a-f-]{36}")


class _ProfileStream(pydyf.Stream):
    """An ICC profile's stream, compressed once per process: the output
    intent's profile is the same in every print PDF, and zlib at level 9 took
    a fifth of a second over it, twice a sheet: half the time a print sheet
    took to write."""

    _written: dict[bytes, bytes] = {}

    @property
    def data(self) -> bytes:
        key = hashlib.sha256(b"".join(self.stream) + repr((sorted(self.extra.items()), self.compress)).encode()).digest()
        if key not in self._written:
            self._written[key] = super().data
        return self._written[key]


def profiles_as_shipped(shipped: dict[str, bytes]) -> finish.Finisher:
    """A finisher: each ICC profile is embedded as the file it was read from
    (`shipped`, by URL), compressed once per process. WeasyPrint embeds
    LittleCMS's re-serialisation of it instead (451 KB for the 198 KB file),
    whose description tag grows once the profile's name has been read: a
    print PDF's bytes then depended on which sheets the renderer had made
    before it."""

    def embed(document: Any, pdf: pydyf.PDF) -> None:
        for profile in document.color_profiles.values():
            original = shipped.get(profile.src)
            if original is not None and profile.pdf_reference is not None:
                stream = pdf.objects[int(profile.pdf_reference.split()[0])]
                stream.stream = [original]
                stream.__class__ = _ProfileStream

    return embed


# Bump when what is stored changes shape.
LAYOUT_CACHE_FORMAT = 2


def layout_from(stored: Any) -> compose.Layout | None:
    """The Layout a record (from the cache folder or layouts.lock) holds; None
    if it is not one, in shape or in range (a hand-merged lock, a record of
    an older format): it is then only not used, and the sheet searched for."""
    from . import compose

    def whole(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def pair(value: Any, kind: Callable[[Any], bool]) -> bool:
        return isinstance(value, list) and len(value) == 2 and all(kind(v) for v in value)

    def number(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    try:
        fits = (
            whole(stored["placement"]) and stored["placement"] >= 0
            and whole(stored["step"]) and 0 <= stored["step"] < len(compose.STEPS)
            and pair(stored["splits"], lambda v: v is None or whole(v))
            and pair(stored["stretch"], lambda v: pair(v, number))
            and pair(stored["carries"], lambda v: v is None or whole(v))
            and pair(stored["foot"], number)
            and stored["panel"] in ("", *compose.PANEL_SIZES)
        )
    except (KeyError, TypeError):
        return None
    if not fits:
        return None
    return compose.Layout(
        placement=stored["placement"],
        step=stored["step"],
        splits=tuple(stored["splits"]),
        stretch=tuple(tuple(s) for s in stored["stretch"]),
        carries=tuple(stored["carries"]),
        foot=tuple(stored["foot"]),
        panel=stored["panel"],
    )


def record(key: str, project: Project) -> dict | None:
    """The record of the layout chosen before for this key, if it reads as
    one: from the user's cache folder (~/.cache/onepagers, as the font
    metrics), else from the project's layouts.lock (`layouts`). The cache
    folder comes first: where a locked record no longer lays out whole, the
    search's record there is what the next build uses."""
    try:
        cached = json.loads(remembered_path(key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cached = None
    return next((stored for stored in (cached, locked(project).get(key)) if layout_from(stored) is not None), None)


def _remembered(key: str, project: Project) -> compose.Layout | None:
    """The layout chosen before for this key (`record`): searching for it
    costs three to fourteen layouts a sheet, laying it out one."""
    return layout_from(record(key, project))


# Bump when layouts.lock changes shape.
LOCK_FORMAT = 1


def locked(project: Project) -> Mapping[str, Any]:
    """The records of the project's layouts.lock (which `layouts.lock` writes),
    by key; none if it is missing or unreadable."""
    try:
        info = project.layouts_lock.stat()
    except OSError:
        return {}
    return _read_lock(project.layouts_lock, info.st_ino, info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=4)
def _read_lock(path: Path, inode: int, size: int, mtime_ns: int) -> Mapping[str, Any]:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored["format"] == LOCK_FORMAT:
            return MappingProxyType({entry["key"]: entry["layout"] for entry in stored["sheets"]})
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return {}


def remembered_path(key: str) -> Path:
    return fonts._cache_folder() / f"layout-{key}.json"


def _remember(key: str, layout: compose.Layout) -> None:
    from .files import OutputError, write_atomically

    with contextlib.suppress(OSError, OutputError):
        write_atomically(remembered_path(key), json.dumps(dataclasses.asdict(layout)).encode("utf-8"))


def layout_key(html: str, project: Project, profile: Profile) -> str:
    """What the layout `compose.fitted` chooses depends on: the sheet's first
    guess (its text and template), the resolved sheet (the series panel's
    text is not in the first guess's HTML), and the looks (`looks`). Not the
    date in the document's metadata (SOURCE_DATE_EPOCH's, in CI): it sets
    no line, and would make every build in CI miss the lock."""
    date = getattr(html, "date", "")
    stamp = hashlib.sha256()
    for part in (html.replace(date, "") if date else html, repr(getattr(html, "sheet", "")), looks(project, profile)):
        stamp.update(str(part).encode("utf-8") + b"\0")
    return stamp.hexdigest()


def looks(project: Project, profile: Profile) -> str:
    """Everything but the text that sets how tall a block comes out or which
    layout is chosen: the templates, stylesheets, fonts and hyphenation, the
    profile, every module of onepagers (compose chooses, but fit measures,
    breaks judges line ends, html writes each layout, profiles names the
    stylesheets: hashing them all cannot miss one), and the versions of
    WeasyPrint, Pango (which sets the lines) and Pyphen (its Danish patterns).
    A layout chosen with any of them otherwise is searched for again."""
    import pyphen
    from weasyprint.text.ffi import pango

    stamp = hashlib.sha256()
    for part in (profile.name, weasyprint.__version__, pango.pango_version(), pyphen.__version__, LAYOUT_CACHE_FORMAT):
        stamp.update(str(part).encode("utf-8") + b"\0")
    files = sorted(project.templates.glob("*.css")) + sorted(project.templates.glob("*.j2"))
    files += [project.templates / "hyphenation.txt"]
    files += sorted(p for p in project.fonts.iterdir() if p.is_file()) if project.fonts.is_dir() else []
    files += sorted(Path(__file__).parent.glob("*.py"))
    for path in files:
        with contextlib.suppress(OSError, ContentError):
            stamp.update(path.name.encode("utf-8") + fonts._digest(path).encode("ascii"))
    return stamp.hexdigest()


class Renderer:
    """One per process and profile: WeasyPrint's fonts and the profile's
    stylesheets are loaded once and serve every sheet rendered here."""

    def __init__(self, project: Project, profile: Profile, language: str) -> None:
        self.project = project
        self.profile = profile
        self.language = language
        hyphenation.install(project.templates / "hyphenation.txt", language)
        self._load()

    def _load(self) -> None:
        """WeasyPrint's fonts (its copies of fonts/, in /tmp/weasyprint-*) and the
        profile's stylesheets: parsing them (and their @font-face rules) cost
        more than a third of a sheet's render when every sheet did it again."""
        self.fonts = FontConfiguration()
        self._fetcher = ProjectFetcher((self.project.templates, self.project.fonts))
        # What the stylesheets declare beside their rules (@color-profile for
        # the output intent, @counter-style) is kept here and given to every render.
        self.counter_style = CounterStyle()
        self.color_profiles: dict = {}
        self.stylesheets = []
        for name in self.profile.stylesheets:
            path = self.project.templates / name
            if path.is_file():
                self.stylesheets.append(
                    weasyprint.CSS(
                        filename=str(path),
                        url_fetcher=self._fetcher,
                        font_config=self.fonts,
                        counter_style=self.counter_style,
                        color_profiles=self.color_profiles,
                    )
                )
            else:
                self._fetcher.missing.append(path.resolve())
        # The fetcher let only files of templates/ through.
        self._shipped = {p.src: Path(url2pathname(urlsplit(p.src).path)).read_bytes() for p in self.color_profiles.values()}
        folder = getattr(self.fonts, "_folder", None)
        self._font_copies = sorted(Path(folder).iterdir()) if folder else []

    def _font_copies_in_place(self) -> bool:
        # Pango opens a copy the first time a sheet sets text in that weight or
        # style, which may be many sheets after they were made: one removed
        # meanwhile (a /tmp cleaner, a close() from another thread) would be
        # read as an empty font, every letter zero wide.
        return all(copy.is_file() for copy in self._font_copies)

    def close(self) -> None:
        """Remove the font copies WeasyPrint keeps in /tmp/weasyprint-* for this renderer."""
        folder = getattr(self.fonts, "_folder", None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
            self.fonts._folder = None

    def layout(self, html: str) -> tuple[weasyprint.Document, Rendered]:
        """Lay the HTML out and measure it; the returned Rendered has no PDF yet.
        A theme sheet is laid out at the layout remembered for it (the cache
        folder, layouts.lock), or else at the few layouts `compose.fitted`
        tries, and the one its measures choose is returned. A sheet that asks
        for a file refused or missing is laid out once, as it comes: it fails
        on that whatever its layout (verify.layout says only that)."""
        if not self._font_copies_in_place():
            self.close()
            self._load()
        remake = getattr(html, "remake", None)
        if remake is None:
            return self._layout_once(html)
        from . import compose

        key = layout_key(html, self.project, self.profile)
        known = _remembered(key, self.project)
        # Laid out before, from the same text and look: what was chosen; else the first guess.
        document, rendered = self._layout_once(html if known is None else remake(layout=known))
        if rendered.refused or rendered.missing:
            # A file refused or missing fails the sheet whatever its layout: the
            # search's three to fourteen layouts would only delay the error.
            return document, rendered
        if known is not None and not (rendered.overflows or rendered.lost_letters):
            return document, rendered
        # The search lays out the first guess first: laid out already, unless a remembered layout was.
        first = [] if known is not None else [(document, rendered)]

        def lay_out(candidate: str) -> tuple[weasyprint.Document, Rendered]:
            return first.pop() if first and candidate is html else self._layout_once(candidate)

        document, rendered, _, chosen = compose.fitted(lay_out, html.sheet, lambda layout: remake(layout=layout), html,  # type: ignore[attr-defined]
                                                       looks=looks(self.project, self.profile))
        if not (rendered.overflows or rendered.lost_letters):
            _remember(key, chosen)
        return document, rendered

    def _layout_once(self, html: str) -> tuple[weasyprint.Document, Rendered]:
        fetcher = ProjectFetcher((self.project.templates, self.project.fonts))
        source = weasyprint.HTML(
            string=html,
            base_url=self.project.templates.resolve().as_uri() + "/",
            url_fetcher=fetcher,
        )
        document = source.render(**self._context(self.stylesheets))
        sizes = [(p.width / fit.PX_PER_MM, p.height / fit.PX_PER_MM) for p in document.pages]
        overflows = fit.overflows(document.pages)
        lost = fit.letters_in_html(html) - fit.letters_laid_out(document.pages)
        if overflows or lost > 0 or len(document.pages) > fit.design_pages(document.pages):
            measure = [*self.stylesheets, weasyprint.CSS(string=fit.MEASURE_CSS)]
            measured = source.render(**self._context(measure))
            overflows = fit.overflows(measured.pages) or overflows
        # Each once: the measuring render above asks for them again.
        refused = list(dict.fromkeys([*self._fetcher.refused, *fetcher.refused]))
        missing = list(dict.fromkeys([*self._fetcher.missing, *fetcher.missing]))
        return document, Rendered(b"", len(document.pages), sizes, overflows, refused, missing, max(lost, 0))

    def _context(self, stylesheets: list[weasyprint.CSS]) -> dict:
        return {
            "font_config": self.fonts,
            "counter_style": self.counter_style,
            "color_profiles": self.color_profiles,
            "stylesheets": stylesheets,
        }

    def write(self, document: weasyprint.Document, seed: str) -> tuple[bytes, dict[str, str]]:
        """The PDF, and the fonts it embeds: each font's name in the PDF and the
        sha256 of the whole file WeasyPrint read it from (a file of fonts/, or
        a system font it fell back to), known here without parsing the PDF again."""
        finisher, options = finish.for_profile(self.profile)
        data = document.write_pdf(finisher=finish.chain(stable_ids(seed), finisher, profiles_as_shipped(self._shipped)), **options)
        used = {}
        for font in document.fonts.values():
            name = font.name.decode("latin-1").lstrip("/")
            # HarfBuzz reads a font file it cannot open (gone, emptied) as an
            # empty font, and its bytes as nothing: the layout set in it is wrong.
            whole = get_hb_object_data(font.hb_face)
            if not whole:
                raise UnreadableFont(
                    f"the font {font.family} ({name.partition('+')[2]}) could not be read back from the copy "
                    f"WeasyPrint made of it in {getattr(self.fonts, '_folder', None) or 'the temporary folder'}: "
                    "was it removed while rendering (a cleaner of /tmp)? Nothing was written; build again"
                )
            used[name] = hashlib.sha256(whole).hexdigest()
        return data, used

    def render(self, html: str) -> Rendered:
        document, rendered = self.layout(html)
        rendered.pdf, rendered.fonts = self.write(document, hashlib.sha256(html.encode("utf-8")).hexdigest())
        return rendered
