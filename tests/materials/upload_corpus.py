"""Generated upload test files for R-D2/R-D3: hostile or broken ones and good ones.

Everything is built in memory with Pillow, zlib and literal bytes (no files on disk), and cached,
so the whole corpus costs well under a second. Used by ``tests/materials/test_upload_pipeline.py`` (the
pipeline itself) and ``tests/materials/test_material_views.py`` (through the real upload view).

``hostile_files()`` returns ``(filename, bytes, expected_code)``. The expected code is a
``ValidationError`` code of ``icpfiling.uploads.images`` or one of two "accepted" outcomes:

* ``"accepted_stripped"`` – the file decodes fine but carries a payload (HTML or a ZIP appended
  after the PNG's IEND, ``<script>`` in a JPEG COM segment). Refusing them is not required: the
  re-encode is what neutralises them, so they are accepted and the stored bytes must not contain
  the payload (see ``PAYLOAD_MARKERS``).
* ``"accepted_sanitised"`` – a valid image with a hostile *name* (path traversal, NUL, a
  200-character Chinese name, a U+202E right-to-left override). Processing succeeds and
  ``original_name`` must be sanitised.

Some codes need a slot context: ``context_for(code)`` gives the policy and the number of files
already stored (``"too_small"`` is a curtain photo with a minimum of 800×600, ``"too_many_files"``
has 3 files already). Everything else uses the default ``UploadPolicy()`` (JPEG and PNG, 4 MB).

``good_files()`` returns ``(filename, bytes, expect)`` where ``expect`` has the output
``format``, ``width`` and ``height`` and facts about the input worth asserting.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import zipfile
import zlib

from PIL import ExifTags, Image, ImageDraw, ImageFilter

from icpfiling.uploads.images import UploadPolicy

__all__ = [
    "PAYLOAD_MARKERS",
    "animated_gif",
    "colour_image",
    "context_for",
    "good_files",
    "hostile_files",
    "jpeg_bytes",
    "png_bytes",
    "png_from_rows",
    "single_frame_gif",
]

# None of these may appear in a stored file.
PAYLOAD_MARKERS = (b"<html", b"<script", b"PK\x03\x04", b"<?php")

CURTAIN_MIN_SIZE = (800, 600)


def context_for(code: str) -> dict:
    """Policy and ``existing`` count under which a hostile file yields ``code``."""
    if code == "too_small":
        return {"policy": UploadPolicy(min_size=CURTAIN_MIN_SIZE), "existing": 0}
    if code == "too_many_files":
        return {"policy": UploadPolicy(), "existing": 3}
    return {"policy": UploadPolicy(), "existing": 0}


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------


def colour_image(size: tuple[int, int] = (1200, 900), *, seed: int = 1) -> Image.Image:
    """A clearly colour RGB image: red/green gradients plus a few saturated blocks."""
    width, height = size
    ramp = Image.linear_gradient("L")
    red = ramp.rotate(90).resize(size)
    green = ramp.resize(size)
    blue = Image.new("L", size, 40 + (seed * 53) % 160)
    im = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(im)
    rng = random.Random(seed)
    for _ in range(6):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = max(4, width // 8), max(4, height // 8)
        colour = rng.choice([(220, 30, 40), (20, 60, 200), (30, 160, 60), (240, 200, 20)])
        draw.rectangle([x, y, x + w, y + h], fill=colour)
    return im


def grey_image(size: tuple[int, int] = (1200, 900)) -> Image.Image:
    """A mode-L "document": light paper, dark text-like bars, a little blur."""
    width, height = size
    im = Image.new("L", size, 235)
    draw = ImageDraw.Draw(im)
    for y in range(height // 10, height - height // 10, max(6, height // 40)):
        draw.rectangle([width // 10, y, width * 9 // 10, y + max(2, height // 150)], fill=40)
    return im.filter(ImageFilter.GaussianBlur(1))


def jpeg_bytes(im: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", **{"quality": 90, **params})
    return buffer.getvalue()


def png_bytes(im: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, "PNG", **params)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _deflate_repeated(row: bytes, count: int) -> bytes:
    """A zlib stream of ``row * count`` without ever holding or compressing all of it.

    One block of 64 rows is compressed once and ended with Z_FULL_FLUSH (byte-aligned, no
    references to earlier data), so its bytes can simply be repeated; a final block and the
    Adler-32 of the whole (computed incrementally) close the stream. 81 MP in ~50 ms.
    """
    rows_per_block = 64
    block = row * rows_per_block
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    blocks, rest = divmod(count, rows_per_block)
    finisher = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = finisher.compress(row * rest) + finisher.flush()
    adler = 1
    for _ in range(blocks):
        adler = zlib.adler32(block, adler)
    adler = zlib.adler32(row * rest, adler)
    return b"\x78\xda" + segment * blocks + tail + struct.pack(">I", adler)


def png_from_rows(width: int, height: int, *, bit_depth: int, colour_type: int, row: bytes) -> bytes:
    """A real PNG whose every scanline (filter byte included) is ``row``; built with zlib directly."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", _deflate_repeated(row, height))
        + _chunk(b"IEND", b"")
    )


def animated_gif() -> bytes:
    frames = [colour_image((400, 300), seed=s).quantize(16) for s in (1, 2, 3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    return buffer.getvalue()


def single_frame_gif() -> bytes:
    buffer = io.BytesIO()
    colour_image((400, 300)).quantize(32).save(buffer, "GIF")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Hostile and broken files
# ---------------------------------------------------------------------------------------------


@functools.cache
def _base_jpeg() -> bytes:
    return jpeg_bytes(colour_image())


@functools.cache
def _base_png() -> bytes:
    return png_bytes(colour_image((600, 450), seed=2))


def _corrupt_midstream(jpeg: bytes) -> bytes:
    """Bytes overwritten in the middle of the entropy-coded data, so that ``load()`` fails.

    Plain bit flips are not enough: libjpeg resynchronises on restart/Huffman errors with only a
    warning and Pillow then returns garbage pixels without an exception. Here 32 bytes are
    inverted *and* a second SOI marker lands in the scan, which libjpeg treats as fatal
    ("broken data stream"); ``test_r_d3_corpus_midstream_corruption_breaks_bare_pillow`` checks it.
    """
    scan = jpeg.find(b"\xff\xda")
    middle = (scan + len(jpeg)) // 2
    data = bytearray(jpeg)
    for i in range(middle - 32, middle):
        data[i] ^= 0xFF
    data[middle : middle + 2] = b"\xff\xd8"
    return bytes(data)


def _with_comment(jpeg: bytes) -> bytes:
    """The same JPEG with a COM segment carrying a script, right after SOI."""
    comment = b"<script>alert(1)</script>"
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


def _with_zip_payload(png: bytes) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("shell.php", "<?php system($_GET['c']); ?>")
    return png + archive.getvalue()


@functools.cache
def _hostile() -> tuple[tuple[str, bytes, str], ...]:
    jpeg, png = _base_jpeg(), _base_png()
    small = colour_image((600, 450), seed=3)
    noise = Image.effect_noise((1200, 900), 6)  # scanner noise for the greyscale "scans"
    grey = Image.blend(grey_image(), noise, 0.1)
    tinted = Image.merge(  # a black-and-white copy scanned in colour on yellowish paper
        "RGB", (grey.point(lambda v: min(255, v + 8)), grey, grey.point(lambda v: max(0, v - 14)))
    )
    header_bomb = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(b""))
        + _chunk(b"IEND", b"")
    )
    files = [
        # R-D2: size and type decided from content
        ("empty.jpg", b"", "empty"),
        ("too-large.jpg", jpeg + b"\0" * (4 * 1024 * 1024 + 1 - len(jpeg)), "too_large"),
        ("fourth-file.jpg", jpeg, "too_many_files"),
        ("page-renamed.jpg", b"<!DOCTYPE html><html><body><script>alert(1)</script></body>", "not_image"),
        (
            "svg-onload.png",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)">'
            b'<rect width="300" height="300" fill="red"/></svg>',
            "not_image",
        ),
        (
            "document-renamed.jpg",
            b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
            "not_image",
        ),
        ("webp-renamed.jpg", _encode(small, "WEBP", quality=80), "format_not_allowed"),
        ("bmp-renamed.jpg", _encode(small, "BMP"), "format_not_allowed"),
        ("tiff-renamed.jpg", _encode(small, "TIFF"), "format_not_allowed"),
        ("animated.gif", animated_gif(), "format_not_allowed"),
        # R-D3: broken files
        ("truncated-half.jpg", jpeg[: len(jpeg) // 2], "corrupt"),
        ("corrupt-midstream.jpg", _corrupt_midstream(jpeg), "corrupt"),
        ("missing-eoi.jpg", jpeg[:-2], "corrupt"),
        ("truncated-half.png", png[: len(png) // 2], "corrupt"),
        ("missing-iend.png", png[:-12], "corrupt"),
        ("apng.png", _apng(), "animated"),
        # R-D3: decompression bombs
        ("header-bomb-20000x20000.png", header_bomb, "too_many_pixels"),
        ("bomb-1bit-30000x30000.png", bomb_1bit(), "too_many_pixels"),
        ("white-9000x9000.png", white_81mp(), "too_many_pixels"),
        # R-D3: dimensions, colour, per-material minimum
        ("strip-4000x100.jpg", jpeg_bytes(colour_image((4000, 100))), "bad_dimensions"),
        ("aspect-2400x250.jpg", jpeg_bytes(colour_image((2400, 250))), "bad_dimensions"),
        ("tiny-150x150.png", png_bytes(colour_image((150, 150))), "bad_dimensions"),
        ("greyscale-scan.jpg", jpeg_bytes(grey), "greyscale"),
        ("grey-as-rgb.jpg", jpeg_bytes(grey.convert("RGB")), "greyscale"),
        ("tinted-photocopy.jpg", jpeg_bytes(tinted), "greyscale"),
        ("greyscale-16bit.png", png_bytes(grey.resize((600, 450)).convert("I;16")), "greyscale"),
        ("curtain-640x480.jpg", jpeg_bytes(colour_image((640, 480))), "too_small"),
        # Payloads that decode fine: accepted, and the re-encode drops them
        ("polyglot-html.png", png + b"<html><script>alert(document.cookie)</script>", "accepted_stripped"),
        ("polyglot-zip.png", _with_zip_payload(png), "accepted_stripped"),
        ("com-script.jpg", _with_comment(jpeg), "accepted_stripped"),
        # Hostile names on valid images
        ("../../etc/passwd.jpg", jpeg, "accepted_sanitised"),
        ("id\x00.php.jpg", jpeg, "accepted_sanitised"),
        ("营业执照" * 49 + "扫描件.jpg", jpeg, "accepted_sanitised"),
        ("身份证\u202egpj.exe", jpeg, "accepted_sanitised"),
    ]
    return tuple(files)


def hostile_files() -> list[tuple[str, bytes, str]]:
    """``(filename, bytes, expected_code)`` for every hostile or broken upload; see the module doc."""
    return list(_hostile())


def _encode(im: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt, **params)
    return buffer.getvalue()


def _apng() -> bytes:
    frames = [colour_image((400, 300), seed=s) for s in (4, 5)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


@functools.cache
def bomb_1bit() -> bytes:
    """A real 1-bit 30000×30000 PNG (900 MP of zeros) of about 110 KB."""
    return png_from_rows(30_000, 30_000, bit_depth=1, colour_type=0, row=b"\0" * (1 + 30_000 // 8))


@functools.cache
def white_81mp() -> bytes:
    """A real white 9000×9000 RGB PNG (81 MP, under Pillow's own limit) of about 260 KB."""
    return png_from_rows(9_000, 9_000, bit_depth=8, colour_type=2, row=b"\0" + b"\xff" * (9_000 * 3))


# ---------------------------------------------------------------------------------------------
# Good files
# ---------------------------------------------------------------------------------------------


def _exif_rotated_with_gps() -> bytes:
    """Stored sideways with Orientation=6 (rotate 90° clockwise to view) and a GPS block.

    Upright, the photo is 900×1200 with a red square in its top-left corner.
    """
    upright = colour_image((900, 1200), seed=6)
    ImageDraw.Draw(upright).rectangle([0, 0, 149, 149], fill=(255, 0, 0))
    stored = upright.rotate(90, expand=True)  # what the sensor wrote: 1200×900
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 5.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 12.25)
    return jpeg_bytes(stored, exif=exif)


def _mpo() -> bytes:
    main, preview = colour_image(seed=7), colour_image((600, 450), seed=8)
    buffer = io.BytesIO()
    main.save(buffer, "MPO", save_all=True, append_images=[preview], quality=90)
    return buffer.getvalue()


def _alpha_png() -> bytes:
    im = colour_image((800, 600), seed=9).convert("RGBA")
    im.putalpha(Image.linear_gradient("L").resize((800, 600)))
    return png_bytes(im)


def _palette_png(*, transparent: bool) -> bytes:
    im = colour_image((800, 600), seed=10).quantize(64)
    if transparent:
        return png_bytes(im, transparency=0)
    return png_bytes(im)


@functools.cache
def _good() -> tuple[tuple[str, bytes, dict], ...]:
    plain = {"width": 1200, "height": 900}
    png_as_jpg = {"format": "png", "source_format": "PNG", "width": 600, "height": 450}
    files = [
        ("baseline.jpg", _base_jpeg(), {"format": "jpeg", "source_format": "JPEG", **plain}),
        (
            "progressive.jpg",
            jpeg_bytes(colour_image(seed=11), progressive=True),
            {"format": "jpeg", "source_format": "JPEG", **plain},
        ),
        (
            "cmyk-scan.jpg",
            jpeg_bytes(colour_image(seed=12).convert("CMYK")),
            {"format": "jpeg", "source_format": "JPEG", "source_mode": "CMYK", **plain},
        ),
        ("IMG_0001.JPG", _mpo(), {"format": "jpeg", "source_format": "MPO", "source_frames": 2, **plain}),
        (
            "rotated-gps.jpg",
            _exif_rotated_with_gps(),
            {
                "format": "jpeg",
                "source_format": "JPEG",
                "width": 900,
                "height": 1200,
                "source_orientation": 6,
                "source_has_gps": True,
                "top_left_red": True,
            },
        ),
        (
            "alpha.png",
            _alpha_png(),
            {"format": "png", "source_format": "PNG", "source_mode": "RGBA", "width": 800, "height": 600},
        ),
        (
            "palette.png",
            _palette_png(transparent=False),
            {"format": "png", "source_format": "PNG", "source_mode": "P", "width": 800, "height": 600},
        ),
        (
            "palette-transparent.png",
            _palette_png(transparent=True),
            {"format": "png", "source_format": "PNG", "source_mode": "P", "width": 800, "height": 600},
        ),
        # The type comes from the content, never the name: a PNG named .jpg is stored as PNG.
        ("png-named.jpg", _base_png(), png_as_jpg),
    ]
    return tuple(files)


def good_files() -> list[tuple[str, bytes, dict]]:
    """``(filename, bytes, expect)`` for uploads that must be accepted under the default policy."""
    return [(name, data, dict(expect)) for name, data, expect in _good()]
