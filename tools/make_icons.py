"""Draw the app's PNG icons (the web app manifest's 192 and 512 px, maskable) from the shapes of icons/unclench.svg.

Run: .venv/bin/python tools/make_icons.py — writes src/unclench/web/static/icons/unclench-{192,512}.png.
Pillow draws the two arcs of the SVG (a calm mouth and brow) at 4× and scales down, for smooth edges.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parents[1] / "src" / "unclench" / "web" / "static" / "icons"
ACCENT = "#2f6e65"
PAPER = "#f6f4ef"


def draw(size: int) -> Image.Image:
    scale = 4
    big = size * scale
    unit = big / 64  # the SVG's 64-unit box
    image = Image.new("RGBA", (big, big), ACCENT)  # full bleed: a maskable icon is cropped by the launcher
    pen = ImageDraw.Draw(image)
    width = round(5 * unit)
    # Lower arc (M18 36 … 46 36 through y 48) and upper arc (M22 24 … 42 24 through y 18), as ellipse arcs,
    # drawn inside the maskable safe zone (the middle 80 %).
    pen.arc([18 * unit, 24 * unit, 46 * unit, 48 * unit], start=20, end=160, fill=PAPER, width=width)
    pen.arc([22 * unit, 18 * unit, 42 * unit, 30 * unit], start=200, end=340, fill=PAPER, width=width)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    for size in (192, 512):
        draw(size).save(ICONS / f"unclench-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
