"""Draws the app's icons: color.png (192x192, full colour) and outline.png (32x32, white on transparent).

Run `python -m manifest.make_icons` after changing the design; the PNGs are committed.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent
BLUE = (0, 92, 175, 255)
WHITE = (255, 255, 255, 255)


def _bubble(
    draw: ImageDraw.ImageDraw, size: int, fill: tuple[int, ...] | None, outline: tuple[int, ...] | None
) -> None:
    """A speech bubble with a tick: a support conversation that ends well."""
    s = size / 32
    box = [4 * s, 5 * s, 28 * s, 22 * s]
    width = max(1, round(2 * s))
    draw.rounded_rectangle(box, radius=5 * s, fill=fill, outline=outline, width=width)
    tail = [(9 * s, 21 * s), (9 * s, 27 * s), (15 * s, 21 * s)]
    draw.polygon(tail, fill=fill or outline)
    tick_colour = BLUE if fill else outline
    draw.line([(10 * s, 13.5 * s), (14 * s, 17 * s), (22 * s, 9.5 * s)], fill=tick_colour, width=width, joint="curve")


def color_icon() -> Image.Image:
    """192x192: white bubble on the partner-blue tile."""
    image = Image.new("RGBA", (192, 192), BLUE)
    _bubble(ImageDraw.Draw(image), 192, fill=WHITE, outline=None)
    return image


def outline_icon() -> Image.Image:
    """32x32: white outline on a transparent background, as Teams requires."""
    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    _bubble(ImageDraw.Draw(image), 32, fill=None, outline=WHITE)
    return image


def main() -> None:
    """Write both icons next to this file."""
    color_icon().save(HERE / "color.png")
    outline_icon().save(HERE / "outline.png")


if __name__ == "__main__":
    main()
