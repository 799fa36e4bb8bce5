"""Benchmark of the APK reader (filings/mobile/apk.py, R-AP2).

Run from the checkout: ``.venv/bin/python scripts/bench_apk_extract.py [--runs N] [--mb M]``.

1. A large APK on disk (v1 + v2 signed, 2,000 small entries and one stored random asset, M MB in
   all, default 150): ``apk_extract`` against the baseline of reading the whole file once
   (streaming MD5 in 1 MB chunks), median of N runs, and the tracemalloc peak of each. Goal: the
   reader touches only the directory, the manifest and the signatures, so it stays far below
   the baseline in time and in memory whatever the APK's size.
2. Hostile manifests: ``manifest_package`` on a 1 MB crafted string pool (250,000 offsets at one
   64 KB string, the input that cost apkInspector 59 s in our trial) against a normal manifest.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icpfiling.settings_test")

import django  # noqa: E402

django.setup()

from filings.mobile.apk import apk_extract, manifest_package  # noqa: E402
from tests.mobile.apkbuild import (  # noqa: E402
    V2_ID,
    binary_manifest,
    insert_signing_block,
    make_signer,
    pkcs7_block,
    scheme_block,
    signing_block,
)
from tests.mobile.test_apk import _crafted_string_pool  # noqa: E402


def build_large_apk(path: Path, megabytes: int) -> None:
    signer = make_signer("Bench Signing")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("AndroidManifest.xml", binary_manifest("cn.bench.large"))
        for i in range(2000):
            zf.writestr(f"res/drawable/icon_{i}.xml", b"\x03\x00\x08\x00" + os.urandom(200))
        with zf.open(zipfile.ZipInfo("assets/blob.bin"), "w") as out:
            for _ in range(megabytes):
                out.write(os.urandom(1024 * 1024))
        zf.writestr("META-INF/CERT.SF", b"Signature-Version: 1.0\r\n\r\n")
        zf.writestr("META-INF/CERT.RSA", pkcs7_block(signer))
    # The signing block goes before the central directory: rewrite the tail only.
    data_tail_start = _central_directory_offset(path)
    with path.open("rb") as f:
        f.seek(data_tail_start)
        tail = f.read()
    block = signing_block({V2_ID: scheme_block(signer)})
    shifted = insert_signing_block(b"\0" * data_tail_start + tail, block)[data_tail_start:]
    with path.open("r+b") as f:
        f.seek(data_tail_start)
        f.write(shifted)


def _central_directory_offset(path: Path) -> int:
    with path.open("rb") as f:
        f.seek(-22, os.SEEK_END)
        return int.from_bytes(f.read(22)[16:20], "little")


def timed(fn, runs: int) -> tuple[float, float]:
    """(median seconds, tracemalloc peak MB of one run)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak / (1024 * 1024)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--mb", type=int, default=150)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.apk"
        build_large_apk(path, args.mb)
        size = path.stat().st_size

        def read_all():
            digest = hashlib.md5()  # noqa: S324 - a baseline read, not security
            with path.open("rb") as f:
                while chunk := f.read(1024 * 1024):
                    digest.update(chunk)

        def extract():
            with path.open("rb") as f:
                facts = apk_extract(f, size=size)
            if (facts.package_name, facts.scheme) != ("cn.bench.large", "v2"):
                raise SystemExit(f"wrong facts: {facts}")

        base_t, base_m = timed(read_all, args.runs)
        ext_t, ext_m = timed(extract, args.runs)
        print(f"APK of {size / 1048576:.1f} MB, 2,005 entries, v1 + v2 signed; median of {args.runs} runs")
        print(f"  baseline, read the whole file once: {base_t * 1000:8.1f} ms  peak {base_m:6.2f} MB")
        print(
            f"  apk_extract:                        {ext_t * 1000:8.1f} ms  peak {ext_m:6.2f} MB"
            f"  ({ext_t / base_t:.3f}× the baseline)"
        )

    normal = binary_manifest("cn.bench.normal")
    crafted = _crafted_string_pool()

    def parse_crafted():
        with contextlib.suppress(ValueError):
            manifest_package(crafted)

    n_t, _ = timed(lambda: manifest_package(normal), args.runs)
    c_t, c_m = timed(parse_crafted, args.runs)
    print(f"Manifests, median of {args.runs} runs")
    print(f"  baseline, normal manifest ({len(normal)} bytes):     {n_t * 1e6:9.1f} µs")
    print(f"  crafted 1 MB string pool ({len(crafted):,} bytes): {c_t * 1e6:9.1f} µs  peak {c_m:.2f} MB")


if __name__ == "__main__":
    main()
