"""R-D2/R-D3: the image-upload pipeline (icpfiling/uploads/images.py), without the web layer.

The files come from ``tests/materials/upload_corpus.py``; the view-level tests in
``test_material_views.py`` post the same corpus through the real upload view.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import unicodedata
import warnings

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageChops, ImageDraw

from icpfiling.uploads.images import (
    ProcessedImage,
    UploadPolicy,
    check_colour,
    check_count,
    check_size,
    open_header,
    process_upload,
    sanitise_display_name,
)
from tests.materials.upload_corpus import (
    PAYLOAD_MARKERS,
    animated_gif,
    colour_image,
    context_for,
    good_files,
    grey_image,
    hostile_files,
    jpeg_bytes,
    png_bytes,
    png_from_rows,
    single_frame_gif,
)

HOSTILE = hostile_files()
GOOD = good_files()


def _case_id(name: str, code: str) -> str:
    return f"{code}-{re.sub(r'[^A-Za-z0-9.]+', '_', name.encode('unicode_escape').decode())[:40]}"


def _cases(*, accepted: bool, code: str | None = None):
    return [
        pytest.param(name, data, expected, id=_case_id(name, expected))
        for name, data, expected in HOSTILE
        if expected.startswith("accepted") == accepted and (code is None or expected == code)
    ]


def _refusal(data: bytes, name: str = "证件.jpg", **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        process_upload(data, name=name, **{"policy": UploadPolicy(), **kwargs})
    return info.value


# ---------------------------------------------------------------------------------------------
# The corpus through process_upload
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data", "code"), _cases(accepted=False))
def test_r_d2_r_d3_hostile_file_is_refused_with_its_code_and_a_message_naming_it(name, data, code):
    # given the slot context the code needs (curtain minimum, three files already stored)
    context = context_for(code)
    # when / then
    with pytest.raises(ValidationError) as info:
        process_upload(data, name=name, policy=context["policy"], existing=context["existing"])
    error = info.value
    assert error.code == code
    assert error.params["name"] == sanitise_display_name(name)
    [message] = error.messages
    assert f"“{sanitise_display_name(name)}”" in message
    assert "请" in message  # every message says what to do next


@pytest.mark.parametrize(("name", "data", "code"), _cases(accepted=True, code="accepted_stripped"))
def test_r_d3_polyglot_and_comment_payloads_are_accepted_and_stripped_by_the_reencode(name, data, code):
    # given a file that decodes fine but carries HTML, a ZIP or a <script> comment
    assert any(marker in data for marker in PAYLOAD_MARKERS)
    # when
    result = process_upload(data, name=name, policy=UploadPolicy())
    # then nothing of the payload survives and the output ends where the image ends
    for marker in PAYLOAD_MARKERS:
        assert marker not in result.data
    assert result.data.endswith(b"\xff\xd9" if result.format == "jpeg" else b"IEND\xaeB`\x82")
    with Image.open(io.BytesIO(result.data)) as im:
        im.load()
        assert "comment" not in im.info


@pytest.mark.parametrize(("name", "data", "code"), _cases(accepted=True, code="accepted_sanitised"))
def test_r_d2_hostile_filename_is_only_display_metadata_and_is_sanitised(name, data, code):
    result = process_upload(data, name=name, policy=UploadPolicy())
    shown = result.original_name
    assert 0 < len(shown) <= 100
    assert not set(shown) & {"/", "\\", "\x00"}
    assert not any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in shown)
    assert ".." not in shown.split("/")
    assert shown.endswith((".jpg", ".exe"))
    assert result.extension == "jpg"  # the stored type comes from the content, not the name


def test_r_d2_hostile_filenames_sanitise_to_these_display_names():
    names = {name: sanitise_display_name(name) for name, _, code in HOSTILE if code == "accepted_sanitised"}
    assert names["../../etc/passwd.jpg"] == "passwd.jpg"
    assert names["id\x00.php.jpg"] == "id.php.jpg"
    assert names["身份证\u202egpj.exe"] == "身份证gpj.exe"
    [long_name] = [n for n in names if len(n) > 100]
    assert len(names[long_name]) == 100
    assert names[long_name].endswith("营业执照.jpg")


@pytest.mark.parametrize(("name", "data", "expect"), [pytest.param(*case, id=case[0]) for case in GOOD])
def test_r_d3_good_file_is_stored_upright_single_frame_without_metadata(name, data, expect):
    # given the input really has what the case is about
    with Image.open(io.BytesIO(data)) as source:
        assert source.format == expect["source_format"]
        if "source_mode" in expect:
            assert source.mode == expect["source_mode"]
        if "source_frames" in expect:
            assert source.n_frames == expect["source_frames"]
        if "source_orientation" in expect:
            assert source.getexif()[ExifTags.Base.Orientation] == expect["source_orientation"]
        if expect.get("source_has_gps"):
            assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    # when
    result = process_upload(data, name=name, policy=UploadPolicy())
    # then
    assert isinstance(result, ProcessedImage)
    assert result.format == expect["format"]
    assert (result.width, result.height) == (expect["width"], expect["height"])
    assert result.extension == {"jpeg": "jpg", "png": "png"}[result.format]
    assert result.sha256 == hashlib.sha256(result.data).hexdigest()
    assert result.original_name == name
    with Image.open(io.BytesIO(result.data)) as out:
        assert out.format == expect["format"].upper()
        assert getattr(out, "n_frames", 1) == 1
        assert out.size == (result.width, result.height)
        assert len(out.getexif()) == 0
        assert not out.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert not {"icc_profile", "exif", "comment", "transparency", "dpi"} & out.info.keys()
        assert out.mode in {"RGB", "L"}
        if expect.get("top_left_red"):  # orientation applied: the marker is where a viewer sees it
            r, g, b = out.convert("RGB").getpixel((20, 20))
            assert r > 200
            assert max(g, b) < 60
    assert b"MPF\x00" not in result.data  # MPO reduced to its first frame, stored as plain JPEG


# ---------------------------------------------------------------------------------------------
# The corpus is what it claims to be
# ---------------------------------------------------------------------------------------------


def _bare_pillow_loads(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
    except Exception:
        return False
    return True


def _corpus(name: str) -> bytes:
    return next(data for n, data, _ in HOSTILE if n == name)


def test_r_d3_corpus_midstream_corruption_and_truncation_break_bare_pillow_load():
    assert not _bare_pillow_loads(_corpus("corrupt-midstream.jpg"))
    assert not _bare_pillow_loads(_corpus("truncated-half.jpg"))


def test_r_d3_missing_iend_and_eoi_are_refused_whatever_bare_pillow_does():
    # given a PNG without IEND, which Pillow decodes without complaint
    assert _bare_pillow_loads(_corpus("missing-iend.png"))
    # and JPEGs without their final EOI: Pillow decodes some of them and not others (it depends
    # on where the last bytes fall in its read buffer; the smooth gradient is one it decodes)
    ramp = Image.linear_gradient("L").resize((1200, 900))
    gradient = Image.merge("RGB", (ramp, ramp.rotate(90), Image.new("L", (1200, 900), 128)))
    jpegs = [_corpus("missing-eoi.jpg"), jpeg_bytes(gradient)[:-2]]
    # then the pipeline's rule is the same for all: the container must be complete
    assert _refusal(_corpus("missing-iend.png"), name="a.png").code == "corrupt"
    for data in jpegs:
        assert _refusal(data).code == "corrupt"


def test_r_d3_corpus_bombs_are_real_pngs_of_the_claimed_size():
    for name, size in (("bomb-1bit-30000x30000.png", 30_000), ("white-9000x9000.png", 9_000)):
        data = _corpus(name)
        assert len(data) < 300_000
        assert data[16:24] == size.to_bytes(4, "big") * 2


def test_r_d3_png_from_rows_builds_a_stream_pillow_decodes_exactly():
    # given a small image built with the same repeated-deflate trick as the 81 MP bomb
    row = b"\0" + bytes(range(256)) * 3 + bytes(3 * 44)  # 300 px RGB, filter type 0
    data = png_from_rows(300, 1000, bit_depth=8, colour_type=2, row=row)
    # then Pillow decodes every row back
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        assert im.size == (300, 1000)
        assert im.getpixel((10, 999)) == (30, 31, 32)
        assert im.crop((0, 0, 300, 1)).tobytes() == im.crop((0, 999, 300, 1000)).tobytes()


# ---------------------------------------------------------------------------------------------
# Single steps
# ---------------------------------------------------------------------------------------------


def test_r_d2_size_limit_is_inclusive_and_count_limit_is_three():
    policy = UploadPolicy(max_bytes=10)
    check_size(b"x" * 10, name="a.jpg", policy=policy)
    with pytest.raises(ValidationError) as info:
        check_size(b"x" * 11, name="a.jpg", policy=policy)
    assert info.value.code == "too_large"
    check_count(existing=2, name="a.jpg", policy=UploadPolicy())
    with pytest.raises(ValidationError) as info:
        check_count(existing=3, name="a.jpg", policy=UploadPolicy())
    assert info.value.code == "too_many_files"


def test_r_d2_too_large_message_does_not_round_down_to_the_limit():
    error = _refusal(b"\0" * (4 * 1024 * 1024 + 1))
    assert "4.1 MB" in error.messages[0]
    assert "4 MB 的上限" in error.messages[0]


def test_r_d2_gif_is_refused_by_default_and_accepted_as_png_when_the_provider_allows_it():
    gif_policy = UploadPolicy(allowed_formats=frozenset({"jpeg", "png", "gif"}))
    error = _refusal(single_frame_gif(), name="a.gif")
    assert error.code == "format_not_allowed"
    assert error.params["found"] == "GIF"
    result = process_upload(single_frame_gif(), name="a.gif", policy=gif_policy)
    assert (result.format, result.extension) == ("png", "png")
    assert _refusal(animated_gif(), name="b.gif", policy=gif_policy).code == "animated"


def test_r_d2_a_provider_taking_only_png_refuses_jpeg_naming_the_format_found():
    error = _refusal(jpeg_bytes(colour_image()), policy=UploadPolicy(allowed_formats=frozenset({"png"})))
    assert error.code == "format_not_allowed"
    assert "JPG" in error.messages[0]
    assert "只接受 PNG 格式" in error.messages[0]


def test_r_d2_policy_rejects_unknown_formats_and_accepts_the_jpg_alias():
    assert UploadPolicy(allowed_formats=frozenset({"JPG", "png"})).allowed_formats == {"jpeg", "png"}
    with pytest.raises(ValueError, match="allowed_formats"):
        UploadPolicy(allowed_formats=frozenset({"jpeg", "webp"}))
    with pytest.raises(ValueError, match="allowed_formats"):
        UploadPolicy(allowed_formats=frozenset())


def test_r_d3_signature_of_an_allowed_format_that_pillow_cannot_parse_is_corrupt():
    png = png_bytes(colour_image((300, 300)))
    broken_ihdr = png[:20] + b"\xff" + png[21:]  # IHDR CRC no longer matches
    assert _refusal(broken_ihdr, name="a.png").code == "corrupt"
    assert _refusal(b"\xff\xd8\xff\xe0garbage", name="a.jpg").code == "corrupt"


def test_r_d3_pillow_bomb_warning_is_an_error_only_inside_open_header():
    # given a header between Pillow's warning (89 MP) and error (179 MP) limits, and an own cap above it
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 10_000, 10_000, 8, 2, 0, 0, 0))
        + chunk(b"IEND", b"")
    )
    filters_before, limit_before = list(warnings.filters), Image.MAX_IMAGE_PIXELS
    # when
    with pytest.raises(ValidationError) as info:
        open_header(header, name="a.png", policy=UploadPolicy(max_pixels=150_000_000))
    # then the warning was turned into a refusal, and nothing global changed
    assert info.value.code == "too_many_pixels"
    assert info.value.params["width"] == 10_000
    assert warnings.filters == filters_before
    assert limit_before == Image.MAX_IMAGE_PIXELS


def test_r_d3_jpeg_bomb_message_names_its_dimensions_from_the_sof_header():
    # A 1×1 JPEG whose SOF is patched to claim 20000×20000 pixels.
    data = bytearray(jpeg_bytes(Image.new("RGB", (1, 1), (255, 0, 0))))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (20_000).to_bytes(2, "big") * 2
    error = _refusal(bytes(data))
    assert error.code == "too_many_pixels"
    assert (error.params["width"], error.params["height"]) == (20_000, 20_000)


def test_r_d3_minimum_size_accepts_either_orientation():
    policy = UploadPolicy(min_size=(800, 600))
    for size in ((800, 600), (600, 800)):
        assert process_upload(jpeg_bytes(colour_image(size)), name="c.jpg", policy=policy).width == size[0]
    assert _refusal(jpeg_bytes(colour_image((799, 600))), policy=policy).code == "too_small"


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
def test_r_d3_broken_exif_block_is_ignored_not_a_server_error():
    # given a valid JPEG with an APP1 "Exif" segment full of garbage right after SOI
    jpeg = jpeg_bytes(colour_image((400, 300)))
    app1 = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff" + b"\xab" * 40
    data = jpeg[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + jpeg[2:]
    # when
    result = process_upload(data, name="exif.jpg", policy=UploadPolicy())
    # then
    with Image.open(io.BytesIO(result.data)) as out:
        assert len(out.getexif()) == 0


def test_r_d3_greyscale_is_allowed_when_the_policy_does_not_require_colour():
    policy = UploadPolicy(require_colour=False)
    sixteen_bit = grey_image((600, 450)).convert("I").point(lambda v: v * 257).convert("I;16")
    assert sixteen_bit.getpixel((300, 225)) > 255
    result = process_upload(png_bytes(sixteen_bit), name="g.png", policy=policy)
    with Image.open(io.BytesIO(result.data)) as out:
        assert out.mode == "RGB"
        # 16-bit values scaled to 8 bits (Pillow's own I;16 -> L conversion would clip them)
        assert out.getpixel((0, 0)) == grey_image((600, 450)).convert("RGB").getpixel((0, 0))
        assert out.getpixel((300, 225))[0] < 255


# ---------------------------------------------------------------------------------------------
# R-D3 colour detection: calibration on synthetic A4 scans (2480×1754 at 300 dpi)
# ---------------------------------------------------------------------------------------------


def _scan(im: Image.Image) -> Image.Image:
    with Image.open(io.BytesIO(jpeg_bytes(im))) as out:
        out.load()
        return out


def _letter() -> Image.Image:
    return grey_image((2480, 1754)).convert("RGB")


def _is_colour(im: Image.Image) -> bool:
    try:
        check_colour(_scan(im), name="x.jpg", policy=UploadPolicy())
    except ValidationError as error:
        if error.code != "greyscale":
            raise
        return False
    return True


def test_r_d3_black_printed_letter_with_a_red_seal_ring_counts_as_colour():
    # given an original letter: black print, one red seal drawn as a 12 px ring (~0.3 % of the page)
    letter = _letter()
    radius = int(math.sqrt(0.01 * letter.width * letter.height / math.pi))
    ImageDraw.Draw(letter).ellipse(
        [1800 - radius, 1200 - radius, 1800 + radius, 1200 + radius], outline=(200, 30, 40), width=12
    )
    # then
    assert _is_colour(letter)


def test_r_d3_photocopy_scanned_in_colour_with_fringes_is_greyscale():
    # given a black-and-white page whose red and blue sensor lines are 1 px out of register
    r, g, b = _letter().split()
    fringed = Image.merge("RGB", (ImageChops.offset(r, 1, 0), g, ImageChops.offset(b, -1, 0)))
    # then
    assert not _is_colour(fringed)


def test_r_d3_uniform_colour_and_photos_count_as_colour():
    assert _is_colour(Image.new("RGB", (800, 600), (40, 80, 200)))
    assert _is_colour(colour_image())


def test_r_d3_palette_and_cmyk_images_are_checked_by_their_colours():
    grey_palette = grey_image((600, 450)).convert("RGB").quantize(16)
    with pytest.raises(ValidationError):
        check_colour(grey_palette, name="p.png", policy=UploadPolicy())
    check_colour(colour_image((600, 450)).quantize(16), name="p.png", policy=UploadPolicy())
    check_colour(colour_image((600, 450)).convert("CMYK"), name="c.jpg", policy=UploadPolicy())


# ---------------------------------------------------------------------------------------------
# Display names
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("营业执照.jpg", "营业执照.jpg"),
        ("ｉｄ．ｊｐｇ", "id.jpg"),  # full-width folded by NFKC
        ("..\\..\\windows\\win.ini.jpg", "win.ini.jpg"),
        ("C:\\Users\\张三\\身份证 正面.png", "身份证 正面.png"),
        ("a／b.jpg", "b.jpg"),  # full-width solidus is a path separator after NFKC
        ("  scan\t\n  2024 .jpg  ", "scan 2024 .jpg"),
        ("zero\u200bwidth\ufeff.jpg", "zerowidth.jpg"),
        ("\u2066isolate\u2069\u200e.png", "isolate.png"),
        ("", "未命名文件"),
        ("../", "未命名文件"),
        ("..", "未命名文件"),
        ("a" * 150, "a" * 100),
        ("b" * 150 + ".jpeg", "b" * 95 + ".jpeg"),
    ],
)
def test_r_d2_sanitise_display_name(raw, shown):
    assert sanitise_display_name(raw) == shown


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=300))
def test_r_d2_sanitised_names_are_short_clean_and_stable(raw):
    shown = sanitise_display_name(raw)
    assert 0 < len(shown) <= 100
    assert not set(shown) & {"/", "\\"}
    assert not any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for ch in shown)
    assert sanitise_display_name(shown) == shown


# ---------------------------------------------------------------------------------------------
# Property: whatever the bytes, the answer is a ProcessedImage or a ValidationError
# ---------------------------------------------------------------------------------------------

_SMALL_JPEG = jpeg_bytes(colour_image((240, 240), seed=21))
_SMALL_PNG = png_bytes(colour_image((240, 240), seed=22))
_PREFIXES = [b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"RIFF\0\0\0\0WEBP", b"BM", b"II*\0"]


_FUZZ_CODES = frozenset(
    {"empty", "not_image", "format_not_allowed", "animated", "too_many_pixels", "bad_dimensions", "corrupt"}
    | {"greyscale"}
)


def _outcome(data: bytes) -> None:
    try:
        result = process_upload(data, name="fuzz.jpg", policy=UploadPolicy())
    except ValidationError as error:
        if error.code not in _FUZZ_CODES:
            raise
        return
    assert result.sha256 == hashlib.sha256(result.data).hexdigest()
    with Image.open(io.BytesIO(result.data)) as out:
        out.load()


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_PREFIXES), st.binary(max_size=4096))
def test_r_d3_arbitrary_bytes_never_raise_anything_but_validation_error(prefix, body):
    _outcome(prefix + body)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([_SMALL_JPEG, _SMALL_PNG]),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), min_size=1, max_size=8),
    st.one_of(st.none(), st.integers(min_value=1)),
)
def test_r_d3_mutated_valid_images_never_raise_anything_but_validation_error(base, flips, cut):
    data = bytearray(base)
    for position, mask in flips:
        data[position % len(data)] ^= mask
    if cut is not None:
        data = data[: cut % len(data)]
    _outcome(bytes(data))
