"""The palette's one source: the print colours, and the screen colours derived from them.

The designer sets each colour once, in CMYK, in templates/print.css: the inks
the press lays down. The screen value of each name in templates/palette.css
is what those inks look like on coated paper (the FOGRA39 output profile of
templates/), converted to sRGB with relative colorimetric intent, paper white
as screen white. `scripts/palette` writes palette.css from print.css; the tests
check that the two agree, and that every pair is within ΔE2000 3 when both are
measured back to CIELAB, so an ink the screen cannot show is caught too.

littleCMS (through Pillow) works in 8 bits per channel here: a quantisation of
at most 0.4 in L* and 0.5 in a* or b*, well inside the tolerance.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.ImageCms import ImageCmsTransform

MAX_DELTA_E = 3.0
PROFILE = "FOGRA39-onepagers.icc"

Lab = tuple[float, float, float]
CMYK = tuple[float, float, float, float]

_CMYK = re.compile(r"(--[a-z-]+):\s*device-cmyk\(\s*([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s*\)")
_HEX = re.compile(r"(--[a-z-]+):(\s*)#([0-9a-fA-F]{6})\b")


def print_colours(css: str) -> dict[str, CMYK]:
    """The CMYK of every name that print.css sets, as fractions of full ink."""
    return {m[1]: (float(m[2]), float(m[3]), float(m[4]), float(m[5])) for m in _CMYK.finditer(css)}


def screen_colours(css: str) -> dict[str, str]:
    """The sRGB of every name that palette.css sets, as lower-case #rrggbb."""
    return {m[1]: "#" + m[3].lower() for m in _HEX.finditer(css)}


@cache
def _transforms(templates: Path) -> dict[str, "ImageCmsTransform"]:
    from PIL import ImageCms

    press = ImageCms.getOpenProfile(str(templates / PROFILE))
    lab = ImageCms.createProfile("LAB", 5000)  # D50, the ICC connection space
    srgb = ImageCms.createProfile("sRGB")
    relative = ImageCms.Intent.RELATIVE_COLORIMETRIC
    return {
        "cmyk>rgb": ImageCms.buildTransform(press, srgb, "CMYK", "RGB", relative),
        "cmyk>lab": ImageCms.buildTransform(press, lab, "CMYK", "LAB", relative),
        "rgb>lab": ImageCms.buildTransform(srgb, lab, "RGB", "LAB", relative),
    }


def _apply(templates: Path, name: str, mode: str, pixel: tuple[int, ...]) -> tuple[int, ...]:
    from PIL import Image, ImageCms

    return ImageCms.applyTransform(Image.new(mode, (1, 1), pixel), _transforms(templates)[name]).getpixel((0, 0))


def _bytes(cmyk: CMYK) -> tuple[int, ...]:
    return tuple(round(v * 255) for v in cmyk)


def _lab(pixel: tuple[int, ...]) -> Lab:
    # Pillow's LAB: L* scaled to 0..255, a* and b* offset by 128.
    return (pixel[0] * 100 / 255, pixel[1] - 128.0, pixel[2] - 128.0)


def lab_of_print(cmyk: CMYK, templates: Path) -> Lab:
    return _lab(_apply(templates, "cmyk>lab", "CMYK", _bytes(cmyk)))


def lab_of_screen(hex_colour: str, templates: Path) -> Lab:
    rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return _lab(_apply(templates, "rgb>lab", "RGB", rgb))


def screen_of_print(cmyk: CMYK, templates: Path) -> str:
    return "#{:02x}{:02x}{:02x}".format(*_apply(templates, "cmyk>rgb", "CMYK", _bytes(cmyk)))


def delta_e_2000(one: Lab, other: Lab) -> float:
    """CIEDE2000 (Sharma, Wu and Dalal 2005), with kL = kC = kH = 1."""
    l1, a1, b1 = one
    l2, a2, b2 = other
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean**7 / (c_mean**7 + 25**7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = math.hypot(a1, b1), math.hypot(a2, b2)
    h1 = math.degrees(math.atan2(b1, a1)) % 360 if c1 else 0.0
    h2 = math.degrees(math.atan2(b2, a2)) % 360 if c2 else 0.0
    if c1 * c2 == 0:
        dh, h_mean = 0.0, h1 + h2
    else:
        dh = h2 - h1
        if dh > 180:
            dh -= 360
        elif dh < -180:
            dh += 360
        h_mean = (h1 + h2) / 2 if abs(h1 - h2) <= 180 else (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    d_l, d_c = l2 - l1, c2 - c1
    d_h = 2 * math.sqrt(c1 * c2) * math.sin(math.radians(dh / 2))
    l_mean, c_mean2 = (l1 + l2) / 2, (c1 + c2) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_mean - 30))
        + 0.24 * math.cos(math.radians(2 * h_mean))
        + 0.32 * math.cos(math.radians(3 * h_mean + 6))
        - 0.20 * math.cos(math.radians(4 * h_mean - 63))
    )
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * c_mean2
    s_h = 1 + 0.015 * c_mean2 * t
    r_t = -2 * math.sqrt(c_mean2**7 / (c_mean2**7 + 25**7)) * math.sin(math.radians(60 * math.exp(-(((h_mean - 275) / 25) ** 2))))
    return math.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h))


def mismatches(templates: Path) -> list[str]:
    """Every way palette.css and print.css disagree: a name only one of them
    sets, or a pair further apart than ΔE2000 3."""
    inks = print_colours((templates / "print.css").read_text(encoding="utf-8"))
    screen = screen_colours((templates / "palette.css").read_text(encoding="utf-8"))
    problems = [f"{name} is in {where} only" for name, where in sorted({**{n: "print.css" for n in inks.keys() - screen.keys()}, **{n: "palette.css" for n in screen.keys() - inks.keys()}}.items())]
    for name in sorted(inks.keys() & screen.keys()):
        distance = delta_e_2000(lab_of_print(inks[name], templates), lab_of_screen(screen[name], templates))
        if distance > MAX_DELTA_E:
            problems.append(f"{name}: {screen[name]} on screen is ΔE2000 {distance:.1f} from device-cmyk{inks[name]} in print (at most {MAX_DELTA_E:g})")
    return problems


def derived_palette(templates: Path) -> str:
    """palette.css with every screen value replaced by the one derived from print.css."""
    inks = print_colours((templates / "print.css").read_text(encoding="utf-8"))
    css = (templates / "palette.css").read_text(encoding="utf-8")
    return _HEX.sub(lambda m: f"{m[1]}:{m[2]}{screen_of_print(inks[m[1]], templates)}" if m[1] in inks else m[0], css)
