"""Generated sample images for the demo data (clearly marked: never real documents)."""

from __future__ import annotations

import io
import zlib

from PIL import Image, ImageDraw, ImageFont


def sample_image(label: str, *, size: tuple[int, int] = (1200, 800), fmt: str = "JPEG") -> bytes:
    """A colourful image saying SAMPLE, so nobody mistakes it for a real document."""
    w, h = size
    seed = zlib.crc32(label.encode())
    base = ((seed >> 16) & 0x7F) + 64, ((seed >> 8) & 0x7F) + 64, (seed & 0x7F) + 64
    im = Image.new("RGB", size, base)
    draw = ImageDraw.Draw(im)
    for i in range(0, w, 40):  # colour stripes keep it clearly a colour image
        draw.rectangle([i, 0, i + 19, h], fill=(base[2], base[0], base[1]))
    font = ImageFont.load_default(size=max(24, h // 10))
    draw.rectangle([w // 10, h // 3, w * 9 // 10, h * 2 // 3], fill=(255, 255, 255))
    draw.text((w // 8, h // 3 + h // 20), f"SAMPLE - DEMO ONLY\n{label}", fill=(200, 0, 0), font=font)
    buf = io.BytesIO()
    im.save(buf, fmt, quality=85)
    return buf.getvalue()
