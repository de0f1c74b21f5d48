"""PNG pictures of PDF pages, rasterised with PDFium (pypdfium2): thumbnails
for people, and the reference renders that catch a change of look."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # Pillow is imported when a picture is made, not at start-up
    from PIL.Image import Image


# A sheet's page at 600 dpi is 35 million pixels; a page far larger than that
# is not a sheet, and rendering it could take all the memory there is.
MAX_PIXELS = 40_000_000
# The gallery's cards: a page 330 pixels wide.
THUMB_DPI = 40


class DamagedPdf(Exception):
    """A file named .pdf that PDFium cannot read: damaged, emptied, or not a PDF."""


def each_page(pdf: Path, dpi: float, first: int | None = None) -> Iterator["Image"]:
    """Pictures of the PDF's pages (only the `first` so many, if given), one
    at a time: a picture is let go before the next is made, so a PDF of any
    length takes the memory of one page (a list of 1000 pages took 4.6 GB)."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(str(pdf))
    except (pypdfium2.PdfiumError, OSError) as exc:
        raise DamagedPdf(f"{pdf}: not a PDF that can be read ({exc}); build it again") from None
    try:
        scale = dpi / 72
        count = min(len(document), first) if first is not None else len(document)
        if count == 0:
            raise DamagedPdf(f"{pdf}: has no pages; build it again")
        for index in range(count):
            page = document[index]
            width, height = page.get_size()
            if width * height * scale * scale > MAX_PIXELS:
                raise DamagedPdf(f"{pdf}: a page of {width:.0f} x {height:.0f} pt is not a sheet's; not rendered")
            try:
                yield page.render(scale=scale).to_pil().convert("RGB")
            except MemoryError:
                raise DamagedPdf(f"{pdf}: page {index + 1} is too large to render in the memory there is") from None
            finally:
                page.close()
    except pypdfium2.PdfiumError as exc:
        raise DamagedPdf(f"{pdf}: a page cannot be rendered ({exc}); build it again") from None
    finally:
        document.close()


def pages(pdf: Path, dpi: float, first: int | None = None) -> list["Image"]:
    """Every picture at once: for the few pages of a sheet (tests, thumbnails)."""
    return list(each_page(pdf, dpi, first))


def png_bytes(image: "Image", optimize: bool = True) -> bytes:
    """PNG; `optimize` makes it a few per cent smaller at five times the cost,
    worth it for files kept in git, not for thumbnails made on every build."""
    buffer = BytesIO()
    image.save(buffer, format="PNG", optimize=optimize)
    return buffer.getvalue()


def thumbnail(pdf: Path) -> Path:
    """The gallery's picture of a sheet, `<variant>/thumbs/<name>.png`,
    made again only when the PDF is newer. Raises DamagedPdf for a PDF that cannot be read."""
    from .files import write_atomically

    thumb = pdf.parent / "thumbs" / f"{pdf.stem}.png"
    if not thumb.is_file() or thumb.stat().st_mtime < pdf.stat().st_mtime:
        write_atomically(thumb, png_bytes(pages(pdf, THUMB_DPI, first=1)[0], optimize=False), inside=pdf.parent)
    return thumb


def png_path(pdf: Path, out_dir: Path, number: int) -> Path:
    return out_dir / f"{pdf.stem}-p{number}.png"


def png_paths(pdf: Path, out_dir: Path, count: int) -> list[Path]:
    return [png_path(pdf, out_dir, n) for n in range(1, count + 1)]


def write(pdf: Path, out_dir: Path, dpi: float) -> list[Path]:
    """One PNG per page beside each other in `out_dir`: `<name>-p1.png`,
    `<name>-p2.png`; each written as soon as it is rendered."""
    from .files import write_atomically

    paths = []
    for number, image in enumerate(each_page(pdf, dpi), start=1):
        path = png_path(pdf, out_dir, number)
        write_atomically(path, png_bytes(image))
        paths.append(path)
    return paths


def difference(a: "Image", b: "Image", threshold: int = 40) -> tuple[float, "Image"]:
    """The share of pixels that differ by more than `threshold` (0-255) in any
    channel, and a picture of them in red over the faded reference."""
    from PIL import Image, ImageChops

    if a.size != b.size:
        return 1.0, b
    diff = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > threshold else 0)
    changed = (a.size[0] * a.size[1] - diff.histogram()[0]) / (a.size[0] * a.size[1])
    overlay = Image.blend(a, Image.new("RGB", a.size, "white"), 0.7)
    overlay.paste(Image.new("RGB", a.size, (220, 0, 0)), mask=diff)
    return changed, overlay


def check_targets(out: Path, to: Path | None, pdfs: list[Path]) -> None:
    """Refuse, before any picture is written, a `--to` that is the output
    folder itself or a folder the build keeps for itself (its record, the
    gallery's thumbnails), one that is a file, and two PDFs whose pictures
    would be one file: the same name, or names that differ only in case or
    Unicode normalisation (one file on macOS and Windows)."""
    import os

    from .diagnostics import SelectionError
    from .plan import same_file_key

    if to is not None:
        where, built = Path(os.path.realpath(to)), Path(os.path.realpath(out))
        if to.exists() and not to.is_dir():
            raise SelectionError(f"--to {to} is a file, not a folder: name a folder for the pictures (it is made if missing)")
        if where == built:
            raise SelectionError(f"--to {to} is the output folder itself ({out}), where the gallery and the variant folders are: "
                                 "leave --to out to put each page's picture beside its PDF, or name another folder")
        if where.is_relative_to(built) and ({".onepagers", "thumbs"} & set(where.relative_to(built).parts)):
            raise SelectionError(f"--to {to} is a folder the build keeps for itself: name another folder")
    seen: dict[str, Path] = {}
    for pdf in pdfs:
        key = same_file_key((to or pdf.parent) / pdf.stem)
        if key in seen:
            raise SelectionError(f"{seen[key]} and {pdf} would have their pictures written to the same files "
                                 f"in {to or pdf.parent} ({pdf.stem}-p1.png, …): rename one, or leave --to out")
        seen[key] = pdf
