"""Generated images with words in them (screenshots, receipts, signs) for the text-in-photo tests.

``text_image`` draws lines of text on a plain background and returns where each line was drawn,
so a test can check both the words read and their boxes.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def font(size: int, path: Path = FONT) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The font at ``path`` (DejaVu Sans by default), or Pillow's own scalable font when it is missing."""
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        return ImageFont.load_default(size)


def text_image(
    lines: list[str], *, size: tuple[int, int] = (640, 400), text_px: int = 28,
    background: tuple[int, int, int] = (250, 250, 250), colour: tuple[int, int, int] = (20, 20, 20),
) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """An image with ``lines`` drawn top to bottom, and each line's (left, top, right, bottom) box."""
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    face = font(text_px)
    boxes = []
    y = text_px
    for line in lines:
        box = draw.textbbox((text_px, y), line, font=face)
        draw.text((text_px, y), line, fill=colour, font=face)
        boxes.append((int(box[0]), int(box[1]), int(box[2]), int(box[3])))
        y += int(text_px * 2)
    return image, boxes


def write_text_image(path: Path, lines: list[str], **kwargs: object) -> list[tuple[int, int, int, int]]:
    """Save ``text_image(lines)`` at ``path`` (format from the suffix); returns the lines' boxes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image, boxes = text_image(lines, **kwargs)  # type: ignore[arg-type]
    image.save(path)
    return boxes
