"""Every page looks as it did when its reference render was made (`make references`).

WeasyPrint changes rendering between versions and nobody re-reads twenty
pages after an upgrade: this compares fresh renders with the pictures in
tests/reference/, allowing for anti-aliasing, and writes a diff picture
(changed pixels in red) for every page that moved.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from onepagers import preview

REFERENCE = Path(__file__).parent / "reference"
DPI = 36
TOLERANCE = 0.004  # share of pixels allowed to differ: anti-aliasing, not a moved line


def test_every_page_matches_its_reference_render(built, tmp_path_factory):
    diffs = tmp_path_factory.mktemp("reference-diffs")
    moved, missing = [], []
    for result in built:
        images = preview.pages(result.job.path, DPI)
        for image, png in zip(images, preview.png_paths(result.job.path, REFERENCE, len(images))):
            if not png.exists():
                missing.append(png.name)
                continue
            share, picture = preview.difference(Image.open(png).convert("RGB"), image)
            if share > TOLERANCE:
                picture.save(diffs / png.name)
                moved.append(f"{png.name}: {share:.1%} of pixels changed, see {diffs / png.name}")
    assert not missing, f"no reference render for {missing}: run `make references`"
    assert not moved, "pages look different from their reference renders (after a deliberate change: `make references`):\n" + "\n".join(moved)


def test_the_comparison_sees_a_moved_line(built):
    """The check above can fail: the same page shifted by two pixels is caught."""
    image = preview.pages(built[0].job.path, DPI)[0]
    shifted = Image.new("RGB", image.size, "white")
    shifted.paste(image, (0, 2))
    share, _ = preview.difference(image, shifted)
    assert share > TOLERANCE
