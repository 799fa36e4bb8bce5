"""The image-upload pipeline for filing materials (R-D2, R-D3).

Pure functions: no database, no Django models, no storage, no settings. The views call
:func:`process_upload` only; every other function is one step of it, public so that it can be
unit-tested on its own. Steps, in order:

1. :func:`sanitise_display_name` – the client's filename becomes display metadata only
   (NFKC, control/bidi characters stripped, no path parts, at most 100 characters). It is never
   used to store the file, nor to decide its type.
2. :func:`check_size` – empty files and files above the provider's byte cap.
3. :func:`check_count` – at most ``max_files`` images per material type.
4. :func:`open_header` – ``Image.open(formats=...)`` restricted to the provider's allow-list (so
   no exotic decoder ever sees the bytes), Pillow's decompression-bomb warning turned into an
   error for this call only, then format / frame / pixel-count / dimension checks on the header.
   Nothing is decoded yet, so a pixel bomb costs a few hundred bytes of reading.
5. :func:`check_container_complete` – a PNG must end with an IEND chunk and every chunk must be
   whole with a valid CRC; a JPEG must have an EOI marker after its first scan. Pillow paints
   the pixels of a PNG without IEND or a JPEG without EOI, but the rule here is "the file must be
   complete", the same for both formats (see the decision note on that function).
6. :func:`decode_fully` – ``load()`` every pixel; any exception at all means "corrupt". The
   object that failed is thrown away: Pillow can re-save a half-decoded image, so it is never
   retried.
7. :func:`check_colour` – originals only: greyscale modes and RGB images without colour are
   refused (a photocopy or a black-and-white scan).
8. :func:`check_min_size` – per-material minimum (e.g. curtain photos 800×600).
9. :func:`normalise_and_encode` – EXIF orientation applied, mode normalised (alpha flattened on
   white), re-encoded into a fresh buffer with no EXIF, no ICC profile, no comments and nothing
   after the end of the image: this is what defeats polyglots and hidden payloads.

Every refusal is a ``django.core.exceptions.ValidationError`` with a stable ``code`` (the callers
and tests depend on these), ``params["name"]`` set to the display name, and a Simplified Chinese
message that names the file, says what is wrong and how to fix it.

Thread-safety note: :func:`open_header` uses ``warnings.catch_warnings()``, which swaps the
process-wide warning filters for the duration of ``Image.open``. That is safe under the
project's sync gunicorn workers and prefork Celery; with threaded workers on Python < 3.14 another
thread could briefly see the "error" filter for DecompressionBombWarning (harmless: only Pillow
emits it).
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import re
import struct
import unicodedata
import warnings
import zlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageChops, ImageOps

from icpfiling.core.text import list_join

__all__ = [
    "ProcessedImage",
    "UploadPolicy",
    "check_colour",
    "check_container_complete",
    "check_count",
    "check_min_size",
    "check_size",
    "decode_fully",
    "normalise_and_encode",
    "open_header",
    "process_upload",
    "sanitise_display_name",
    "sniff_format",
]

logger = logging.getLogger(__name__)

# Provider-level format names (what ``Provider.upload_formats`` stores) -> Pillow plugin names.
# MPO (multi-picture JPEG written by many phone cameras) is returned by Pillow's JPEG plugin
# itself, so "jpeg" also admits it; there is no separate "MPO" opener to list.
_PILLOW_FORMATS = {"jpeg": ("JPEG",), "png": ("PNG",), "gif": ("GIF",)}
_FORMAT_ALIASES = {"jpg": "jpeg"}
# Pillow's ``im.format`` -> provider-level name.
_POLICY_FORMAT = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "GIF": "gif"}
# How formats are named to applicants.
_DISPLAY_FORMAT = {"jpeg": "JPG", "png": "PNG", "gif": "GIF"}

DISPLAY_NAME_MAX = 100
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_UNNAMED = "未命名文件"


@dataclass(frozen=True)
class UploadPolicy:
    """What one upload slot accepts. Built by the caller from provider settings and the material."""

    max_bytes: int = 4 * 1024 * 1024
    allowed_formats: frozenset[str] = frozenset({"jpeg", "png"})  # provider setting; may include "gif"
    # Own cap, header-checked before decoding. 24 MP admits 12 MP phone photos and 300 dpi A4
    # scans with room to spare, and keeps the worst accepted file (RGBA or rotated at the cap:
    # two full pixel buffers) under the 200 MB memory goal measured by the benchmark.
    max_pixels: int = 24_000_000
    min_side: int = 200
    max_aspect: float = 8.0
    min_size: tuple[int, int] | None = None  # e.g. (800, 600) for curtain photos (either orientation)
    require_colour: bool = True
    max_files: int = 3

    def __post_init__(self) -> None:
        formats = frozenset(_FORMAT_ALIASES.get(f.lower(), f.lower()) for f in self.allowed_formats)
        unknown = formats - _PILLOW_FORMATS.keys()
        if unknown or not formats:
            # A misconfiguration, not bad input: fail loudly rather than widen the allow-list.
            raise ValueError(f"allowed_formats must be a non-empty subset of {sorted(_PILLOW_FORMATS)}")
        object.__setattr__(self, "allowed_formats", formats)

    @property
    def allowed_display(self) -> str:
        """E.g. ``"JPG、PNG"`` – the accepted formats as applicants know them."""
        order = ("jpeg", "png", "gif")
        return list_join(_DISPLAY_FORMAT[f] for f in order if f in self.allowed_formats)


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes  # re-encoded output
    format: str  # "jpeg" or "png"
    extension: str  # "jpg" or "png"
    width: int
    height: int
    sha256: str  # of the output bytes
    original_name: str  # display name, sanitised (NFKC, control/bidi chars stripped, <= 100 chars)


# ---------------------------------------------------------------------------------------------
# Messages: one per code. Each names the file, says what is wrong and how to fix it.
# ---------------------------------------------------------------------------------------------

_MESSAGES = {
    "empty": _("文件“%(name)s”是空文件（0 字节），无法上传。请重新选择要上传的图片。"),
    "too_large": _(
        "文件“%(name)s”大小为 %(size)s，超过了 %(limit)s 的上限。"
        "请压缩图片或适当降低分辨率（文字仍需清晰可辨）后重新上传。"
    ),
    "too_many_files": _(
        "文件“%(name)s”未上传：每项材料最多上传 %(max)s 张图片，这一项已有 %(existing)s 张。"
        "请先删除不需要的图片，再上传新的图片。"
    ),
    "not_image": _(
        "文件“%(name)s”不是可识别的图片（网页、SVG、PDF 等文件不能作为图片上传）。"
        "请上传 %(allowed)s 格式的照片或扫描件。"
    ),
    "format_not_allowed": _(
        "文件“%(name)s”是 %(found)s 格式的图片，这里只接受 %(allowed)s 格式。"
        "请用看图或修图软件将其另存为 %(allowed)s 格式后重新上传。"
    ),
    "animated": _("文件“%(name)s”是动图（含 %(frames)s 帧），不能作为材料。请上传单张静态图片。"),
    "too_many_pixels": _(
        "文件“%(name)s”的分辨率过高（%(width)s×%(height)s 像素），"
        "超过了 %(max_megapixels)s 百万像素的上限。请将图片缩小后重新上传。"
    ),
    "bad_dimensions": _(
        "文件“%(name)s”的尺寸为 %(width)s×%(height)s 像素，不符合要求："
        "每边至少 %(min_side)s 像素，长边不超过短边的 %(max_aspect)s 倍。"
        "请上传完整的原件照片或扫描件，不要裁成细长条或过小的图片。"
    ),
    "corrupt": _(
        "文件“%(name)s”已损坏或不完整，无法读取全部图像内容。"
        "请重新从相机或扫描仪导出原始文件，或重新拍照、扫描后上传。"
    ),
    "greyscale": _(
        "文件“%(name)s”是黑白（灰度）图片。复印件或黑白扫描件不被接受，"
        "请对原件进行彩色扫描或彩色拍照后重新上传。"
    ),
    "too_small": _(
        "文件“%(name)s”的尺寸为 %(width)s×%(height)s 像素，小于这项材料要求的 "
        "%(min_width)s×%(min_height)s 像素（横拍竖拍均可）。请用更高的分辨率重新拍摄或扫描后上传。"
    ),
}


def _refusal(code: str, name: str, **params) -> ValidationError:
    # The name is sanitised again (idempotent) so that a step called on its own never echoes a raw name.
    return ValidationError(_MESSAGES[code], code=code, params={"name": sanitise_display_name(name), **params})


def _megabytes(n: int, *, round_up: bool = False) -> str:
    """``4 MB``, ``3.5 MB``; sizes are rounded up so that 4 MB + 1 byte reads "4.1 MB", not "4 MB"."""
    tenths = (math.ceil if round_up else math.floor)(n * 10 / (1024 * 1024))
    return f"{tenths / 10:g} MB"


# ---------------------------------------------------------------------------------------------
# 1. Display name
# ---------------------------------------------------------------------------------------------

# Cc control (NUL, tabs, newlines), Cf format (U+202E RTL override and the other bidi controls,
# zero-width characters, BOM), Cs surrogates, Co private use, Cn unassigned, Zl/Zp separators.
_STRIPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_PATH_SEPARATORS = re.compile(r"[/\\]")
_EXTENSION = re.compile(r"\.[0-9A-Za-z]{1,10}$")


def sanitise_display_name(name: str) -> str:
    """The client's filename as safe display metadata (never a storage name).

    NFKC first (so full-width ``／`` and ``．`` become ``/`` and ``.``), then control, format
    (bidi overrides, zero-width) and unassigned characters are dropped, anything up to the last
    ``/`` or ``\\`` is dropped, whitespace runs collapse to one space, and the result is cut to
    100 characters keeping the extension. Empty results become "未命名文件". Idempotent.
    HTML escaping is left to the templates (autoescape).
    """
    text = unicodedata.normalize("NFKC", name if isinstance(name, str) else "")
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _STRIPPED_CATEGORIES)
    text = _PATH_SEPARATORS.split(text)[-1]
    text = " ".join(text.split())
    if text in {"", ".", ".."}:
        return _UNNAMED
    if len(text) > DISPLAY_NAME_MAX:
        match = _EXTENSION.search(text)
        extension = match.group(0) if match else ""
        stem = text[: len(text) - len(extension)]
        text = stem[: DISPLAY_NAME_MAX - len(extension)].rstrip() + extension
    return text


# ---------------------------------------------------------------------------------------------
# 2-3. Size and count
# ---------------------------------------------------------------------------------------------


def check_size(data: bytes, *, name: str, policy: UploadPolicy) -> None:
    """R-D2: refuse empty files and files above ``policy.max_bytes``."""
    if not data:
        raise _refusal("empty", name)
    if len(data) > policy.max_bytes:
        raise _refusal(
            "too_large", name, size=_megabytes(len(data), round_up=True), limit=_megabytes(policy.max_bytes)
        )


def check_count(*, existing: int, name: str, policy: UploadPolicy) -> None:
    """R-D2: at most ``policy.max_files`` images per material type; ``existing`` is how many are stored."""
    if existing >= policy.max_files:
        raise _refusal("too_many_files", name, max=policy.max_files, existing=existing)


# ---------------------------------------------------------------------------------------------
# 4. Header
# ---------------------------------------------------------------------------------------------


_BMP_DIB_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})


def sniff_format(data: bytes) -> str | None:
    """Name the image format from its signature, for messages only; ``None`` if not an image.

    Used when Pillow (restricted to the allowed formats) could not open the file, to tell "a
    WebP photo, please convert it" from "not an image at all". No decoder runs on the bytes.
    Returns a provider-level name ("jpeg", "png", "gif") or a display name ("WebP", "BMP", ...).
    """
    head = bytes(data[:32])
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    # BMP: the DIB header size follows the 14-byte file header; only a handful of values exist.
    if head[:2] == b"BM" and len(head) >= 18 and struct.unpack_from("<I", head, 14)[0] in _BMP_DIB_SIZES:
        return "BMP"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "AVIF"
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"):
            return "HEIC"
    if head.startswith((b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51")):
        return "JPEG 2000"
    if head.startswith((b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n")):
        return "JPEG XL"
    if head[:4] == b"8BPS":
        return "PSD"
    return None


def _refuse_unopenable(data: bytes, name: str, policy: UploadPolicy) -> ValidationError:
    found = sniff_format(data)
    if found is None:
        return _refusal("not_image", name, allowed=policy.allowed_display)
    if found in policy.allowed_formats:
        # It starts like an allowed format but Pillow cannot even read its header.
        return _refusal("corrupt", name)
    return _refusal(
        "format_not_allowed",
        name,
        found=_DISPLAY_FORMAT.get(found, found),
        allowed=policy.allowed_display,
    )


def _refuse_pixels(name: str, width: int, height: int, policy: UploadPolicy) -> ValidationError:
    logger.warning("upload refused as a possible decompression bomb: %s×%s pixels", width, height)
    return _refusal(
        "too_many_pixels",
        name,
        width=width,
        height=height,
        max_megapixels=f"{policy.max_pixels / 1_000_000:g}",
    )


def open_header(data: bytes, *, name: str, policy: UploadPolicy) -> Image.Image:
    """R-D2/R-D3: open lazily with only the allowed decoders and check the header. No pixel is decoded.

    Refuses with "not_image", "format_not_allowed", "corrupt" (an allowed signature whose header
    Pillow cannot parse), "animated", "too_many_pixels" or "bad_dimensions". MPO files (phone
    cameras: a JPEG plus preview frames) are accepted and reduced to frame 0.
    """
    formats = [p for f in sorted(policy.allowed_formats) for p in _PILLOW_FORMATS[f]]
    im = None
    try:
        with warnings.catch_warnings():
            # Pillow only *warns* between MAX_IMAGE_PIXELS and twice that; here it is an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                im = Image.open(io.BytesIO(data), formats=formats)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise _refuse_pixels(name, *_png_or_header_size(data), policy) from exc
            except Image.UnidentifiedImageError as exc:
                raise _refuse_unopenable(data, name, policy) from exc
            except Exception as exc:  # plugins raise anything on hostile headers
                if sniff_format(data) in policy.allowed_formats:
                    raise _refusal("corrupt", name) from exc
                raise _refuse_unopenable(data, name, policy) from exc

            if im.format not in _POLICY_FORMAT or _POLICY_FORMAT[im.format] not in policy.allowed_formats:
                # Cannot happen with formats=, but the allow-list is the security boundary: check it.
                raise _refusal("format_not_allowed", name, found=im.format, allowed=policy.allowed_display)
            width, height = im.size
            if width * height > policy.max_pixels:
                raise _refuse_pixels(name, width, height, policy)
            if im.format != "MPO":
                try:
                    animated = bool(getattr(im, "is_animated", False))
                    frames = getattr(im, "n_frames", 1) if animated else 1
                    im.seek(0)
                except Exception as exc:  # frame headers are parsed lazily
                    raise _refusal("corrupt", name) from exc
                if animated:
                    raise _refusal("animated", name, frames=frames)
            if min(width, height) < policy.min_side or max(width, height) > policy.max_aspect * min(
                width, height
            ):
                raise _refusal(
                    "bad_dimensions",
                    name,
                    width=width,
                    height=height,
                    min_side=policy.min_side,
                    max_aspect=f"{policy.max_aspect:g}",
                )
    except ValidationError:
        if im is not None:
            im.close()
        raise
    return im


_JPEG_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _png_or_header_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG/GIF/JPEG header without Pillow, for the message; (0, 0) if unknown."""
    if data[:8] == _PNG_SIGNATURE and len(data) >= 24:
        return struct.unpack_from(">II", data, 16)
    if data[:3] == b"GIF" and len(data) >= 10:
        return struct.unpack_from("<HH", data, 6)
    pos = 2 if data[:2] == b"\xff\xd8" else len(data)
    while pos + 9 <= len(data) and data[pos] == 0xFF:
        marker, length = data[pos + 1], struct.unpack_from(">H", data, pos + 2)[0]
        if marker in _JPEG_SOF_MARKERS:
            height, width = struct.unpack_from(">HH", data, pos + 5)
            return width, height
        pos += 2 + length
    return 0, 0


# ---------------------------------------------------------------------------------------------
# 5. Container completeness
# ---------------------------------------------------------------------------------------------


def _png_is_complete(data: bytes) -> bool:
    view = memoryview(data)
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(view):
        length, kind = struct.unpack_from(">I4s", view, pos)
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(view):
            return False
        (crc,) = struct.unpack_from(">I", view, end - 4)
        if zlib.crc32(view[pos + 4 : end - 4]) != crc:
            return False
        if kind == b"IEND":
            return True  # anything after IEND is ignored here and dropped by the re-encode
        pos = end
    return False


def check_container_complete(data: bytes, *, name: str, source_format: str) -> None:
    """R-D3: refuse files whose container ends early, even when Pillow can paint the pixels.

    Decision (consistent for both formats): a PNG must consist of whole chunks with valid CRCs up
    to an IEND chunk, and a JPEG must contain an EOI marker after its first start-of-scan.
    Pillow 13 always decodes a PNG without IEND, and decodes a JPEG missing only its final EOI
    for some files and not others (it depends on where the last entropy-coded bytes fall in
    its read buffer), so without this step the outcome for a truncated file would be arbitrary.
    Bytes *after* IEND/EOI (polyglots, phone trailers, the MPO preview frames) are allowed: the
    re-encode drops them. GIF has no such step (decode errors still refuse it). Costs one CRC
    pass over at most ``max_bytes``: about a millisecond.
    """
    if source_format == "PNG":
        complete = _png_is_complete(data)
    elif source_format in {"JPEG", "MPO"}:
        scan = data.find(b"\xff\xda")
        complete = scan != -1 and data.find(b"\xff\xd9", scan) != -1
    else:
        complete = True
    if not complete:
        raise _refusal("corrupt", name)


# ---------------------------------------------------------------------------------------------
# 6. Full decode
# ---------------------------------------------------------------------------------------------


def decode_fully(im: Image.Image, *, name: str) -> Image.Image:
    """R-D3: decode every pixel; any exception means "corrupt" and the object must be discarded.

    ``verify()`` does not read JPEG scan data, so ``load()`` is the real check. ``draft()`` is not
    used: it can only shrink by 1/2, 1/4 or 1/8 and the full-size image is what gets stored; memory
    is already bounded by the header pixel cap (``max_pixels``) checked before this step.
    ``ImageFile.LOAD_TRUNCATED_IMAGES`` is left at its default (False).
    """
    try:
        im.load()
    except Exception as exc:  # every decoder failure is the same refusal
        im.close()
        raise _refusal("corrupt", name) from exc
    return im


# ---------------------------------------------------------------------------------------------
# 7. Colour
# ---------------------------------------------------------------------------------------------

_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})
# The colour test runs on a box-averaged thumbnail about this many pixels on its long side.
_COLOUR_THUMB_SIDE = 256
# A thumbnail pixel is "coloured" when its chroma (|Cb - c| + |Cr - c|, 0-255 scale) differs from
# the image's median chroma by more than _CHROMA_DELTA, or from neutral grey by more than
# _CHROMA_STRONG. The image is colour when at least _COLOUR_FRACTION of the thumbnail is coloured.
# Why these numbers (calibrated on synthetic A4 scans at 300 dpi, see test_upload_pipeline.py):
# * A black-and-white copy scanned or photographed in colour is not exactly neutral. JPEG chroma
#   noise and sensor noise are a few levels per pixel and box-averaging ~10×10 pixels into one
#   thumbnail pixel removes them (measured: 0 pixels above 8). Colour fringes at text edges
#   (scanner line misregistration, lens CA) are thin and opposite-signed on both sides of a stroke,
#   so they mostly average out too: with a 1-2 px misregistration < 0.1 % of pixels exceed 32.
# * Paper tint and white balance shift pixels by roughly the same amount (yellowish paper is ~20
#   away from neutral, dark text on it ~4), so chroma is measured against the image's median, not
#   against neutral: a tinted photocopy has a spread < 20, below _CHROMA_DELTA = 32.
# * A uniformly coloured original (a blue backdrop filling the frame) has no spread around its
#   median; _CHROMA_STRONG = 48 (more saturated than any paper tint, about skin tone, half of a red
#   seal's ~90) still counts it as colour.
# * The colour that proves an *original* document is often small: a black-printed letter whose
#   only colour is a red seal ring (~0.3 % of an A4 thumbnail) or ink. 0.2 % accepts such a seal
#   and refuses fringes and specks; erring towards acceptance is deliberate, because a reviewer
#   looks at every image anyway while a false refusal blocks the applicant.
_CHROMA_DELTA = 32
_CHROMA_STRONG = 48
_COLOUR_FRACTION = 0.002


def _colour_thumbnail(im: Image.Image) -> Image.Image:
    width, height = im.size
    factor = max(1, max(width, height) // _COLOUR_THUMB_SIDE)
    size = (max(1, width // factor), max(1, height // factor))
    if im.mode in {"RGB", "RGBA", "CMYK", "YCbCr", "LAB", "HSV", "RGBX", "RGBa", "PA"}:
        thumb = im.reduce(factor) if factor > 1 else im
    else:  # P and anything else reduce() does not take: nearest neighbour, then convert
        thumb = im.resize(size, Image.Resampling.NEAREST)
    if thumb.mode in {"RGBA", "RGBa", "PA"} or (thumb.mode == "P" and "transparency" in thumb.info):
        rgba = thumb.convert("RGBA")
        thumb = Image.new("RGB", rgba.size, (255, 255, 255))
        thumb.paste(rgba, mask=rgba)
    return thumb.convert("RGB")


def _median(histogram: list[int]) -> int:
    half, seen = sum(histogram) / 2, 0
    for value, count in enumerate(histogram):
        seen += count
        if seen >= half:
            return value
    return 128


def _distance_lut(centre: int) -> list[int]:
    return [abs(v - centre) for v in range(256)]


def _threshold_lut(limit: int) -> list[int]:
    return [255 if v > limit else 0 for v in range(256)]


def colour_fraction(im: Image.Image) -> float:
    """Share of the (thumbnailed) image that is clearly coloured; 0.0 for greyscale modes."""
    if im.mode in _GREY_MODES:
        return 0.0
    thumb = _colour_thumbnail(im)
    _, cb, cr = thumb.convert("YCbCr").split()
    cb_median, cr_median = _median(cb.histogram()), _median(cr.histogram())
    spread = ImageChops.add(cb.point(_distance_lut(cb_median)), cr.point(_distance_lut(cr_median)))
    saturation = ImageChops.add(cb.point(_distance_lut(128)), cr.point(_distance_lut(128)))
    coloured = ImageChops.lighter(
        spread.point(_threshold_lut(_CHROMA_DELTA)), saturation.point(_threshold_lut(_CHROMA_STRONG))
    )
    return coloured.histogram()[255] / (thumb.width * thumb.height)


def check_colour(im: Image.Image, *, name: str, policy: UploadPolicy) -> None:
    """R-D3: originals must be colour; greyscale modes and colourless RGB images are refused."""
    if not policy.require_colour:
        return
    if colour_fraction(im) < _COLOUR_FRACTION:
        raise _refusal("greyscale", name)


# ---------------------------------------------------------------------------------------------
# 8. Minimum size
# ---------------------------------------------------------------------------------------------


def check_min_size(im: Image.Image, *, name: str, policy: UploadPolicy) -> None:
    """R-D3: at least ``policy.min_size`` pixels, in either orientation (800×600 or 600×800)."""
    if policy.min_size is None:
        return
    need_long, need_short = max(policy.min_size), min(policy.min_size)
    width, height = im.size
    if max(width, height) < need_long or min(width, height) < need_short:
        raise _refusal(
            "too_small",
            name,
            width=width,
            height=height,
            min_width=policy.min_size[0],
            min_height=policy.min_size[1],
        )


# ---------------------------------------------------------------------------------------------
# 9. Normalise and re-encode
# ---------------------------------------------------------------------------------------------

_JPEG_QUALITY = 90


def _flatten_on_white(im: Image.Image) -> Image.Image:
    if im.mode not in {"RGBA", "LA"}:  # PA, RGBa, La, RGB/L with a transparent colour key
        im = im.convert("RGBA")
    background = Image.new("RGB", im.size, (255, 255, 255))
    background.paste(im, mask=im)  # the alpha band of ``im`` is the mask
    return background


def _flatten_palette_on_white(im: Image.Image) -> Image.Image:
    """P with transparency: blend the *palette* with white, then convert once (P + RGB in memory,
    instead of P + RGBA + RGB)."""
    rgba = im.getpalette("RGBA") or []
    transparency = im.info.pop("transparency", None)
    colours = []
    for index in range(len(rgba) // 4):
        r, g, b, alpha = rgba[4 * index : 4 * index + 4]
        if isinstance(transparency, int) and index == transparency:
            alpha = 0
        elif isinstance(transparency, bytes) and index < len(transparency):
            alpha = min(alpha, transparency[index])
        colours += [round((c * alpha + 255 * (255 - alpha)) / 255) for c in (r, g, b)]
    im.putpalette(colours, "RGB")
    return im.convert("RGB")


def _to_output_mode(im: Image.Image) -> Image.Image:
    """RGB for everything, except that greyscale L (and 1) stays L. Alpha is flattened on white."""
    mode, transparent = im.mode, "transparency" in im.info
    if mode == "P" and transparent:
        return _flatten_palette_on_white(im)
    if mode in {"RGBA", "LA", "PA", "RGBa", "La"} or (mode in {"RGB", "L"} and transparent):
        return _flatten_on_white(im)
    if mode in {"RGB", "L"}:
        return im
    if mode == "1":
        return im.convert("L")
    if mode.startswith("I") or mode == "F":
        # Pillow's I;16 -> L conversion clips at 255 instead of scaling; scale 16 bits down to 8.
        scale = 1 / 256 if im.getextrema()[1] > 255 else 1
        return im.convert("I").point(lambda v: v * scale).convert("L").convert("RGB")
    return im.convert("RGB")  # P, CMYK (scanners), YCbCr, LAB, HSV ...


def normalise_and_encode(im: Image.Image, *, source_format: str) -> tuple[bytes, str]:
    """R-D3: upright, normalised mode, re-encoded without any metadata. Returns (bytes, "jpeg"|"png").

    ``im`` must be fully loaded; it is consumed (rotated in place, its ``info`` cleared) to avoid
    holding two full-size copies. JPEG and MPO sources become a baseline JPEG (quality 90,
    optimised Huffman tables); PNG and GIF sources become PNG. ``exif=``, ``icc_profile=`` and
    ``comment=`` are never passed and ``info`` is emptied because Pillow copies COM comments (JPEG)
    and ICC profiles and transparency (PNG) from it: the output carries zero EXIF tags (no GPS,
    no orientation), no ICC profile, no comments, no text chunks and nothing after EOI/IEND.
    Dropping the ICC profile can make wide-gamut (Display P3) photos look slightly duller; that is
    accepted for document images.
    """
    try:
        ImageOps.exif_transpose(im, in_place=True)
    except Exception:  # a malformed EXIF block must not become a 500
        logger.info("upload: unreadable EXIF orientation ignored")
    out = _to_output_mode(im)
    if out is not im:
        im.close()  # frees the decoded pixels of the source before encoding
    out.info = {}
    buffer = io.BytesIO()
    if source_format in {"JPEG", "MPO"}:
        # optimize=True shrinks files by a few per cent but nearly doubles encode time
        # (benchmark: 240 ms vs 128 ms for 12 MP); speed on a 2-core box matters more.
        out.save(buffer, "JPEG", quality=_JPEG_QUALITY)
        return buffer.getvalue(), "jpeg"
    out.save(buffer, "PNG")
    return buffer.getvalue(), "png"


# ---------------------------------------------------------------------------------------------
# The pipeline
# ---------------------------------------------------------------------------------------------

_EXTENSIONS = {"jpeg": "jpg", "png": "png"}


def process_upload(data: bytes, *, name: str, policy: UploadPolicy, existing: int = 0) -> ProcessedImage:
    """R-D2/R-D3: run every step; return the re-encoded image or raise ValidationError.

    ``name`` is the client's filename (display only), ``existing`` how many images the material
    already has. The stored name must be generated by the caller from ``extension``.
    """
    display = sanitise_display_name(name)
    check_size(data, name=display, policy=policy)
    check_count(existing=existing, name=display, policy=policy)
    im = open_header(data, name=display, policy=policy)
    try:
        source_format = im.format
        check_container_complete(data, name=display, source_format=source_format)
        im = decode_fully(im, name=display)
        check_colour(im, name=display, policy=policy)
        check_min_size(im, name=display, policy=policy)
        output, fmt = normalise_and_encode(im, source_format=source_format)
    finally:
        im.close()
    with Image.open(io.BytesIO(output)) as result:  # header only: the stored dimensions
        width, height = result.size
    return ProcessedImage(
        data=output,
        format=fmt,
        extension=_EXTENSIONS[fmt],
        width=width,
        height=height,
        sha256=hashlib.sha256(output).hexdigest(),
        original_name=display,
    )
