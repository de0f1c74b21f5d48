"""Making known-bad PDFs from good ones, for the tests that show a check failing."""

from __future__ import annotations

import io
from typing import Callable

import pikepdf


def edit(good: bytes, change: Callable[[pikepdf.Pdf], None]) -> bytes:
    """The bytes of `good` after `change` (which edits the open file in place)."""
    with pikepdf.open(io.BytesIO(good)) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


# Planted defects for the print preflight and the screen audit --------------------
# Each edits an open file in place (use with `edit`), on the last page unless
# said otherwise, and plants one defect of a kind a checker must see.


def _draw(pdf: pikepdf.Pdf, content: bytes, page: int = -1) -> None:
    pdf.pages[page].contents_add(pdf.make_stream(content), prepend=False)


def _resource(pdf: pikepdf.Pdf, category: str, name: str, value: pikepdf.Object, page: int = -1) -> None:
    resources = pdf.pages[page].Resources
    if category not in resources or not isinstance(resources[category], pikepdf.Dictionary):
        resources[category] = pikepdf.Dictionary()
    resources[category][name] = value


def _rgb_axial(pdf: pikepdf.Pdf, space: pikepdf.Object = pikepdf.Name.DeviceRGB) -> pikepdf.Object:
    """An axial shading from red to blue in `space`."""
    function = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[1, 0, 0], C1=[0, 0, 1], N=1)
    return pdf.make_indirect(pikepdf.Dictionary(ShadingType=2, ColorSpace=space, Coords=[0, 0, 100, 0], Function=function))


def _icc_rgb(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """[/ICCBased <stream, N 3>]: the profile's bytes do not matter to a preflight, its component count does."""
    return pikepdf.Array([pikepdf.Name.ICCBased, pdf.make_stream(b"\0" * 128, N=3, Alternate=pikepdf.Name.DeviceRGB)])


def rgb_shading_painted(pdf: pikepdf.Pdf) -> None:
    """`sh` paints an RGB shading."""
    _resource(pdf, "/Shading", "/ShRGB", _rgb_axial(pdf))
    _draw(pdf, b"q 10 10 50 50 re W n /ShRGB sh Q")


def rgb_shading_pattern(pdf: pikepdf.Pdf) -> None:
    """A rectangle filled with a shading pattern whose shading is ICC-based RGB."""
    pattern = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Pattern, PatternType=2, Shading=_rgb_axial(pdf, _icc_rgb(pdf))))
    _resource(pdf, "/Pattern", "/PRGB", pattern)
    _draw(pdf, b"q /Pattern cs /PRGB scn 10 10 50 50 re f Q")


def rgb_tiling_pattern(pdf: pikepdf.Pdf) -> None:
    """A tiling pattern whose cell is painted in an RGB space of its own resources (CalRGB)."""
    cal_rgb = pikepdf.Array([pikepdf.Name.CalRGB, pikepdf.Dictionary(WhitePoint=[0.9505, 1, 1.089])])
    cell = pdf.make_stream(
        b"/Cal cs 0 1 0 sc 0 0 4 4 re f",
        Type=pikepdf.Name.Pattern, PatternType=1, PaintType=1, TilingType=1, BBox=[0, 0, 8, 8], XStep=8, YStep=8,
        Resources=pikepdf.Dictionary(ColorSpace=pikepdf.Dictionary(Cal=cal_rgb)),
    )  # fmt: skip
    _resource(pdf, "/Pattern", "/Tile", cell)
    _draw(pdf, b"q /Pattern cs /Tile scn 10 10 50 50 re f Q")


def rgb_inline_image(pdf: pikepdf.Pdf) -> None:
    """One red pixel, an inline image in the abbreviated /RGB space."""
    _draw(pdf, b"q 5 0 0 5 10 10 cm\nBI /W 1 /H 1 /CS /RGB /BPC 8 ID \xff\x00\x00\nEI Q")


def rgb_indexed_image(pdf: pikepdf.Pdf) -> None:
    """An image XObject whose palette is RGB."""
    space = pikepdf.Array([pikepdf.Name.Indexed, pikepdf.Name.DeviceRGB, 0, pikepdf.String(b"\xff\x00\x00")])
    image = pdf.make_stream(b"\x00", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=1, Height=1, BitsPerComponent=8, ColorSpace=space)
    _resource(pdf, "/XObject", "/Pal", image)
    _draw(pdf, b"q 5 0 0 5 10 10 cm /Pal Do Q")


def rgb_separation(pdf: pikepdf.Pdf) -> None:
    """A spot colour whose alternate is DeviceRGB."""
    tint = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[1, 1, 1], C1=[1, 0, 0], N=1)
    _resource(pdf, "/ColorSpace", "/Spot", pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name("/Spot Red"), pikepdf.Name.DeviceRGB, tint]))
    _draw(pdf, b"q /Spot cs 1 scn 10 10 5 5 re f Q")


def rgb_page_group(pdf: pikepdf.Pdf) -> None:
    """The page's transparency group blends in DeviceRGB."""
    pdf.pages[-1].Group = pikepdf.Dictionary(Type=pikepdf.Name.Group, S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceRGB)


def rgb_form_group(pdf: pikepdf.Pdf) -> None:
    """A transparency group form, all CMYK inside, that blends in DeviceRGB."""
    group = pikepdf.Dictionary(Type=pikepdf.Name.Group, S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceRGB)
    form = pdf.make_stream(b"0 0 0 1 k 0 0 5 5 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 5, 5], Group=group)
    _resource(pdf, "/XObject", "/Blend", form)
    _draw(pdf, b"q /Blend Do Q")


def rgb_soft_mask_group(pdf: pikepdf.Pdf) -> None:
    """A luminosity soft mask whose group is RGB, set by `gs`."""
    group = pikepdf.Dictionary(Type=pikepdf.Name.Group, S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceRGB)
    mask_form = pdf.make_stream(b"1 g 0 0 5 5 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 5, 5], Group=group)
    state = pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, SMask=pikepdf.Dictionary(Type=pikepdf.Name.Mask, S=pikepdf.Name.Luminosity, G=mask_form))
    _resource(pdf, "/ExtGState", "/Masked", state)
    _draw(pdf, b"q /Masked gs 0 0 0 1 k 10 10 5 5 re f Q")


def rgb_nested_form(pdf: pikepdf.Pdf) -> None:
    """DeviceRGB three forms deep: a form drawing a form drawing a form."""
    inner = pdf.make_stream(b"0 0 1 rg 0 0 5 5 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 5, 5])
    for _ in range(2):
        inner = pdf.make_stream(
            b"q /Inner Do Q", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 5, 5],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Inner=inner)),
        )  # fmt: skip
    _resource(pdf, "/XObject", "/Outer", inner)
    _draw(pdf, b"q /Outer Do Q")


def rgb_annotation_appearance(pdf: pikepdf.Pdf) -> None:
    """An annotation whose appearance stream paints in DeviceRGB."""
    appearance = pdf.make_stream(b"1 0 0 rg 0 0 10 10 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 10, 10])
    annotation = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Square, Rect=[10, 10, 20, 20], AP=pikepdf.Dictionary(N=appearance))
    pdf.pages[-1].Annots = pdf.make_indirect([pdf.make_indirect(annotation)])


def rgb_unused_shading(pdf: pikepdf.Pdf) -> None:
    """An RGB shading the page holds but does not paint (an imposition or a RIP may)."""
    _resource(pdf, "/Shading", "/Idle", _rgb_axial(pdf))


def form_that_draws_itself(pdf: pikepdf.Pdf) -> None:
    """A form whose resources name itself: drawing it never ends."""
    form = pdf.make_stream(b"q /Self Do Q", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 5, 5])
    form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Self=form))
    _resource(pdf, "/XObject", "/Self", form)
    _draw(pdf, b"q /Self Do Q")


def forms_nested_deep(pdf: pikepdf.Pdf, depth: int = 60) -> None:
    """Forms inside forms, far deeper than any real file nests them."""
    inner = pdf.make_stream(b"0 0 0 1 k 0 0 5 5 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 5, 5])
    for _ in range(depth):
        inner = pdf.make_stream(
            b"q /In Do Q", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 5, 5],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(In=inner)),
        )  # fmt: skip
    _resource(pdf, "/XObject", "/Deep", inner)
    _draw(pdf, b"q /Deep Do Q")


def forms_drawn_exponentially(pdf: pikepdf.Pdf, levels: int = 30) -> None:
    """Each form draws the one below it four times: 4^30 paintings from a few hundred bytes."""
    inner = pdf.make_stream(b"0 0 0 1 k 0 0 5 5 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 5, 5])
    for _ in range(levels):
        inner = pdf.make_stream(
            b"/In Do /In Do /In Do /In Do", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 5, 5],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(In=inner)),
        )  # fmt: skip
    _resource(pdf, "/XObject", "/Bomb", inner)
    _draw(pdf, b"q /Bomb Do Q")


def mark_into_bleed(pdf: pikepdf.Pdf) -> None:
    """A crop mark at the bottom left, on the trim line, that runs from the
    slug 2 mm into the bleed (drawn under a translation, as a mark form would be)."""
    mm = 72 / 25.4
    _draw(pdf, f"q 1 0 0 1 -30 0 cm 0.25 w 0 J 0 0 0 1 K {30 - 8.5 * mm:.3f} 0 m {30 - 1 * mm:.3f} 0 l S Q".encode())


def mark_outside_bleed(pdf: pikepdf.Pdf) -> None:
    """The same mark, drawn where it belongs: from 8.5 mm to 3.5 mm out, all in the slug."""
    mm = 72 / 25.4
    _draw(pdf, f"q 1 0 0 1 -30 0 cm 0.25 w 0 J 0 0 0 1 K {30 - 8.5 * mm:.3f} 0 m {30 - 3.5 * mm:.3f} 0 l S Q".encode())


def _page_content(page: pikepdf.Page) -> bytes:
    contents = page.obj.Contents
    return b"\n".join(c.read_bytes() for c in contents) if isinstance(contents, pikepdf.Array) else contents.read_bytes()


def running_header_as_content(pdf: pikepdf.Pdf) -> None:
    """Page 2's repeat of the band tagged as content (a Span with an MCID), not
    as a /Pagination artifact: what WeasyPrint writes without the screen finisher."""
    import re
    from itertools import count

    numbers = count(900)
    page = pdf.pages[1]
    data, found = re.subn(rb"/Artifact\s*<<[^>]*/Header[^>]*>>\s*BDC", lambda m: b"/Span <</MCID %d>> BDC" % next(numbers), _page_content(page))
    assert found, "no running header artifact on page 2 to turn into content"
    page.obj.Contents = pdf.make_stream(data)


def hyphen_extracts_as_u2010(pdf: pikepdf.Pdf) -> None:
    """The hyphen glyph mapped to U+2010 in the fonts' ToUnicode maps, as
    WeasyPrint maps it once a break has drawn it: every hyphen then copies as U+2010."""
    import re

    changed = 0
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and b"/CMapName /Adobe-Identity-UCS def" in obj.read_bytes():
            data, found = re.subn(rb"(<[0-9a-fA-F]+>\s*)<002[dD]>", rb"\1<2010>", obj.read_bytes())
            obj.write(data)
            changed += found
    assert changed, "no hyphen in any ToUnicode map"


def filled_mark_into_bleed(pdf: pikepdf.Pdf) -> None:
    """A crop mark drawn as a thin filled rectangle, from the slug 2 mm into the bleed."""
    mm = 72 / 25.4
    _draw(pdf, f"q 0 0 0 1 k {-8.5 * mm:.3f} -0.125 {7.5 * mm:.3f} 0.25 re f Q".encode())
