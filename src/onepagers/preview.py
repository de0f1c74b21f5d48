"""PNG pictures of PDF pages, rasterised with PDFium (pypdfium2): thumbnails
for people, and the reference renders that catch a change of look."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow is imported when a picture is made, not at start-up
    from PIL.Image import Image


def pages(pdf: Path, dpi: float, first: int | None = None) -> list["Image"]:
    """Pictures of the PDF's pages (only the `first` so many, if given)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        chosen = list(document)[:first]
        return [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in chosen]
    finally:
        document.close()


def png_bytes(image: "Image", optimize: bool = True) -> bytes:
    """PNG; `optimize` makes it a few per cent smaller at five times the cost,
    worth it for files kept in git, not for thumbnails made on every build."""
    buffer = BytesIO()
    image.save(buffer, format="PNG", optimize=optimize)
    return buffer.getvalue()


def png_paths(pdf: Path, out_dir: Path, count: int) -> list[Path]:
    return [out_dir / f"{pdf.stem}-p{n}.png" for n in range(1, count + 1)]


def write(pdf: Path, out_dir: Path, dpi: float) -> list[Path]:
    """One PNG per page beside each other in `out_dir`: `<name>-p1.png`, `<name>-p2.png`."""
    from .files import write_atomically

    images = pages(pdf, dpi)
    paths = png_paths(pdf, out_dir, len(images))
    for image, path in zip(images, paths):
        write_atomically(path, png_bytes(image))
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
