"""Benchmark of the image-upload pipeline (icpfiling/uploads/images.py, R-D2/R-D3).

Run from the checkout: ``.venv/bin/python scripts/bench_upload_pipeline.py [--runs N]``.

1. Time: ``process_upload`` on a 12-megapixel photo-like JPEG (4000×3000, quality 90) against
   bare Pillow doing the minimum (open + load + exif_transpose + save JPEG q90), median of N
   runs. Goal: pipeline <= 1.2× bare Pillow.
2. Memory: each case runs in a fresh subprocess, which reports the tracemalloc peak (Python
   allocations only) and the growth of ru_maxrss while processing (the honest figure: Pillow
   allocates pixel buffers outside Python's allocator). Cases: the worst accepted files (the
   12 MP JPEG, a colour PNG just under the 40 MP cap) and the worst refused ones (an 81 MP white
   PNG and a 1-bit 30000×30000 PNG bomb). Goal: <= 200 MB.

Only Django settings are configured (``USE_I18N=False``), for ValidationError messages.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from django.conf import settings  # noqa: E402

if not settings.configured:
    settings.configure(USE_I18N=False)

from django.core.exceptions import ValidationError  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter, ImageOps  # noqa: E402

from icpfiling.uploads.images import UploadPolicy, process_upload  # noqa: E402

DEFAULT_POLICY = UploadPolicy()
MB = 1024 * 1024


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


def photo_like_jpeg(size: tuple[int, int] = (4000, 3000)) -> bytes:
    """Gradients, soft shapes and per-channel sensor noise: compresses like a phone photo."""
    width, height = size
    ramp = Image.linear_gradient("L")
    base = Image.merge("RGB", (ramp.rotate(90).resize(size), ramp.resize(size), ramp.rotate(45).resize(size)))
    draw = ImageDraw.Draw(base)
    rng = random.Random(12)  # noqa: S311 - test content, not security
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(40, 400)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randrange(256) for _ in range(3)))
    base = base.filter(ImageFilter.GaussianBlur(3))
    noise = Image.merge("RGB", [Image.effect_noise(size, 40) for _ in range(3)])
    photo = Image.blend(base, noise, 0.25)
    exif = Image.Exif()
    exif[0x0112] = 1  # Orientation: a real camera always writes it
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def cap_size(max_pixels: int) -> tuple[int, int]:
    """The largest 4:3-ish size under the pixel cap."""
    width = int((max_pixels * 4 / 3) ** 0.5)
    return width, max_pixels // width


def cap_boundary_png(max_pixels: int, *, alpha: bool = False) -> bytes:
    """A colour PNG (RGB, or RGBA with an alpha ramp) just under the pixel cap; rows of colour ramps."""
    from tests.materials.upload_corpus import png_from_rows

    width, height = cap_size(max_pixels)
    row = bytearray(b"\0")
    for x in range(width):
        ramp = x * 255 // width
        row += bytes((ramp, 255 - ramp, (x * 7) % 256))
        if alpha:
            row.append(255 - ramp // 2)
    return png_from_rows(width, height, bit_depth=8, colour_type=6 if alpha else 2, row=bytes(row))


def cap_boundary_rotated_jpeg(max_pixels: int) -> bytes:
    """A smooth colour JPEG just under the pixel cap with EXIF Orientation=6 (must be rotated)."""
    size = cap_size(max_pixels)
    ramp = Image.linear_gradient("L")
    im = Image.merge("RGB", (ramp.rotate(90).resize(size), ramp.resize(size), ramp.rotate(45).resize(size)))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# The two things being compared
# ---------------------------------------------------------------------------------------------


def bare_pillow(data: bytes, *, optimize: bool = False) -> bytes:
    """The minimum any upload handler does: decode, apply orientation, re-encode."""
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        upright = ImageOps.exif_transpose(im)
        buffer = io.BytesIO()
        upright.save(buffer, "JPEG", quality=90, optimize=optimize)
        return buffer.getvalue()


def run_pipeline(data: bytes, policy: UploadPolicy) -> str:
    try:
        result = process_upload(data, name="bench.jpg", policy=policy)
    except ValidationError as error:
        return f"refused: {error.code}"
    return f"accepted: {result.format} {result.width}×{result.height}, {len(result.data) / MB:.2f} MB"


def policy_for(data: bytes) -> UploadPolicy:
    return UploadPolicy(max_bytes=max(DEFAULT_POLICY.max_bytes, len(data)))


# ---------------------------------------------------------------------------------------------
# Memory: one fresh subprocess per case
# ---------------------------------------------------------------------------------------------


def _proc_status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak_rss() -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0); harmless where unsupported."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def child(case: str, path: str) -> None:
    data = Path(path).read_bytes()
    policy = policy_for(data)
    # Warm up imports and plugin registration on a tiny image so that they do not count.
    tiny = io.BytesIO()
    Image.new("RGB", (300, 300), (200, 30, 40)).save(tiny, "JPEG")
    run_pipeline(tiny.getvalue(), policy)
    bare_pillow(tiny.getvalue())
    _reset_peak_rss()  # this also lowers ru_maxrss on Linux, so ru_maxrss is read afterwards
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    rss_before = _proc_status_kb("VmRSS")
    tracemalloc.start()
    if case == "bare":
        bare_pillow(data)
        outcome = "(reference)"
    else:
        outcome = run_pipeline(data, policy)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result = {
        "outcome": outcome,
        "tracemalloc_peak": peak,
        "hwm_growth_kb": _proc_status_kb("VmHWM") - rss_before,
        "maxrss_delta_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - maxrss_before,
    }
    print(json.dumps(result))


def run_child(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


def generate(directory: str) -> None:
    """Writes the inputs; runs in its own process so that the parent's peak RSS stays small
    (Linux carries ru_maxrss across fork+exec, so a big parent would hide the children's peaks)."""
    from tests.materials.upload_corpus import bomb_1bit, white_81mp

    out = Path(directory)
    (out / "photo.jpg").write_bytes(photo_like_jpeg())
    (out / "cap.png").write_bytes(cap_boundary_png(DEFAULT_POLICY.max_pixels))
    (out / "cap-rgba.png").write_bytes(cap_boundary_png(DEFAULT_POLICY.max_pixels, alpha=True))
    (out / "cap-rotated.jpg").write_bytes(cap_boundary_rotated_jpeg(DEFAULT_POLICY.max_pixels))
    (out / "white81.png").write_bytes(white_81mp())
    (out / "bomb1bit.png").write_bytes(bomb_1bit())


# ---------------------------------------------------------------------------------------------


def timed(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--child", nargs=2, metavar=("CASE", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--generate", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.generate:
        generate(args.generate)
        return

    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        print("Generating inputs (in a subprocess) ...", flush=True)
        run_child("--generate", tmp)
        inputs = {path.name: path for path in Path(tmp).iterdir()}
        cap = f"{DEFAULT_POLICY.max_pixels / 1e6:g} MP cap"

        # Memory first, while this process is still small.
        cases = [
            ("12 MP JPEG, bare Pillow (reference)", "bare", "photo.jpg"),
            ("12 MP JPEG (accepted)", "pipeline", "photo.jpg"),
            (f"RGB PNG at the {cap} (accepted)", "pipeline", "cap.png"),
            (f"RGBA PNG at the {cap} (accepted, flattened)", "pipeline", "cap-rgba.png"),
            (f"JPEG at the {cap}, Orientation=6 (accepted)", "pipeline", "cap-rotated.jpg"),
            ("81 MP white PNG (refused)", "pipeline", "white81.png"),
            ("1-bit 30000×30000 PNG bomb (refused)", "pipeline", "bomb1bit.png"),
        ]
        rows = []
        for label, case, name in cases:
            result = json.loads(run_child("--child", case, str(inputs[name])))
            rows.append((label, inputs[name].stat().st_size, result))
        photo = inputs["photo.jpg"].read_bytes()

    policy = policy_for(photo)
    print(f"12 MP JPEG: 4000×3000, quality 90, {len(photo) / MB:.2f} MB")
    if len(photo) > DEFAULT_POLICY.max_bytes:
        print(
            f"NOTE: it exceeds the default {DEFAULT_POLICY.max_bytes / MB:g} MB cap, so the benchmark "
            f"policy uses max_bytes={policy.max_bytes} (the size check itself costs nothing)."
        )
    print(f"Pipeline outcome: {run_pipeline(photo, policy)}")

    # Time
    bare_pillow(photo)  # warm-up
    bare = timed(lambda: bare_pillow(photo), args.runs)
    bare_optimized = timed(lambda: bare_pillow(photo, optimize=True), args.runs)
    pipeline = timed(lambda: process_upload(photo, name="bench.jpg", policy=policy), args.runs)
    print()
    print(f"Time, median of {args.runs} runs (one core):")
    print(f"  A bare Pillow: open + load + exif_transpose + save q90           {bare * 1000:8.1f} ms")
    print(f"  B bare Pillow: same with optimize=True (reference)             {bare_optimized * 1000:8.1f} ms")
    print(f"  C process_upload (q90, the pipeline as configured)               {pipeline * 1000:8.1f} ms")
    for label, reference in (("C/A", bare), ("C/B", bare_optimized)):
        ratio = pipeline / reference
        print(f"  {label} = {ratio:.2f}×  (goal <= 1.2×: {'met' if ratio <= 1.2 else 'NOT met'})")
    print("  (A uses the same encoder settings as the pipeline; B shows what optimize=True would cost.)")

    print()
    print("Peak memory while processing, fresh subprocess per case (goal <= 200 MB):")
    header = f"  {'case':<44} {'file':>9} {'tracemalloc':>12} {'peak RSS +':>11} {'maxrss Δ':>9}  outcome"
    print(header)
    print("  " + "-" * (len(header) + 30))
    for label, size, result in rows:
        print(
            f"  {label:<44} {size / MB:>7.2f}MB {result['tracemalloc_peak'] / MB:>10.1f}MB "
            f"{result['hwm_growth_kb'] / 1024:>9.1f}MB {result['maxrss_delta_kb'] / 1024:>7.1f}MB"
            f"  {result['outcome']}"
        )
    print()
    print("tracemalloc: Python-level allocations only (input/output bytes). 'peak RSS +': VmHWM after")
    print("minus VmRSS before (peak reset through /proc/self/clear_refs), which includes Pillow's pixel")
    print("buffers (4 bytes per pixel for RGB/RGBA, 1 for L). 'maxrss Δ': ru_maxrss after minus before.")
    print(f"Python {sys.version.split()[0]}, Pillow {Image.__version__}, pid {os.getpid()}")


if __name__ == "__main__":
    main()
