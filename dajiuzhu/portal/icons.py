"""Draws the portal's app icons (PNG) with Pillow: ``python -m dajiuzhu.portal.icons`` writes them into
``static/portal/icons/`` (committed; run again only to change the design)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

RED, WHITE = (180, 35, 24), (255, 255, 255)


def draw(size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), RED)
    d = ImageDraw.Draw(image)
    s = size / 192
    # A house (a family) with a heart-shaped door: help reaching home.
    d.polygon([(96 * s, 34 * s), (160 * s, 92 * s), (32 * s, 92 * s)], fill=WHITE)
    d.rectangle([48 * s, 90 * s, 144 * s, 158 * s], fill=WHITE)
    d.ellipse([76 * s, 104 * s, 98 * s, 126 * s], fill=RED)
    d.ellipse([94 * s, 104 * s, 116 * s, 126 * s], fill=RED)
    d.polygon([(78 * s, 120 * s), (114 * s, 120 * s), (96 * s, 142 * s)], fill=RED)
    return image


def main() -> None:
    out = Path(__file__).resolve().parents[2] / "static" / "portal" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size).save(out / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
