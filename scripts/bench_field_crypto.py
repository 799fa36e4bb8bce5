"""What R-X1's encryption costs: per value, and for the data migration (issue 17 item 5).

Run from the checkout: ``.venv/bin/python scripts/bench_field_crypto.py [--rows N]``.

It migrates a fresh database (SQLite in a temporary folder, or the database of
``DATABASE_URL`` when set: use your own, it is written to) and prints:

1. microseconds per encrypt, decrypt and blind-index hash of an 18-character ID number, against
   an unkeyed SHA-256 of the same value measured in the same run (the cost of any hash);
2. the data migration's rate: ``--rows`` registry entities written in clear (as before the
   migration) are encrypted and indexed by ``icpfiling.privacy.rows.reencrypt_model``, the
   function the migrations run, against a plain ``bulk_update`` of the same rows and batches;
3. ``rotate_field_keys`` on the same rows after a new key is put first.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def per_call_us(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=3)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()

    os.environ.setdefault("ICPFILING_VAR_DIR", tempfile.mkdtemp(prefix="icp-bench-crypto-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icpfiling.settings")
    import django

    django.setup()
    from cryptography.fernet import Fernet
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from icpfiling.privacy import keys
    from icpfiling.privacy.rows import reencrypt_model
    from icpfiling.registry.models import FiledEntity
    from icpfiling.registry.reference import reference_data_load

    call_command("migrate", verbosity=0)
    reference_data_load()
    print(f"database: {connection.vendor}, {args.rows} rows, batches of {args.batch_size}")

    # 1. Per value.
    value = "33010619900101123X"
    token = keys.encrypt(value)
    n = 20_000
    sha = per_call_us(lambda: hashlib.sha256(value.encode()).hexdigest(), n)
    enc = per_call_us(lambda: keys.encrypt(value), n)
    dec = per_call_us(lambda: keys.decrypt(token), n)
    bidx = per_call_us(lambda: keys.blind_index(value, keys.ID), n)
    print(f"baseline sha256 (unkeyed): {sha:7.2f} us")
    print(f"encrypt (Fernet):          {enc:7.2f} us   ({enc / sha:5.1f}x baseline)")
    print(f"decrypt (Fernet):          {dec:7.2f} us   ({dec / sha:5.1f}x baseline)")
    print(f"blind index (HMAC-SHA256): {bidx:7.2f} us   ({bidx / sha:5.1f}x baseline)")

    # 2. The data migration over rows written in clear. Cancelled rows: the unique constraint on
    # active entities' blind indexes comes after the data migration, and these have none yet.
    FiledEntity.objects.all().delete()
    now = timezone.now()
    rows = [
        (
            "ZJ", 4, "business_licence", f"91330106MA{i:08d}", f"公司{i}", "张三",
            f"139{i:08d}", f"浙ICP备{i:010d}号", 0, "cancelled", now, "", "",
        )
        for i in range(args.rows)
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO registry_filedentity (province_id, nature_id, certificate_type_id,"
            " certificate_number, name, principal_name, principal_mobile, entity_number, website_seq_last,"
            " status, filed_at, certificate_number_bidx, principal_mobile_bidx)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    started = time.perf_counter()
    last = 0
    while True:
        batch = list(FiledEntity.objects.filter(pk__gt=last).order_by("pk")[: args.batch_size])
        if not batch:
            break
        last = batch[-1].pk
        FiledEntity.objects.bulk_update(batch, ["name", "principal_name"])
    plain = time.perf_counter() - started
    started = time.perf_counter()
    counts = reencrypt_model(FiledEntity, batch_size=args.batch_size)
    migrate = time.perf_counter() - started
    print(f"baseline bulk_update (2 plain columns): {args.rows / plain:9.0f} rows/s ({plain:.2f} s)")
    print(
        f"data migration (2 values encrypted, 2 indexes): {args.rows / migrate:9.0f} rows/s "
        f"({migrate:.2f} s; "
        f"{counts.rewritten} rows, {counts.values} values, {counts.indexes} indexes)"
    )

    # 3. Rotation after a new key is put first.
    settings.ICPFILING_FIELD_KEYS = [Fernet.generate_key().decode(), *settings.ICPFILING_FIELD_KEYS]
    started = time.perf_counter()
    counts = reencrypt_model(FiledEntity, batch_size=args.batch_size)
    rotate = time.perf_counter() - started
    again = reencrypt_model(FiledEntity, batch_size=args.batch_size)
    print(
        f"rotation: {args.rows / rotate:9.0f} rows/s ({rotate:.2f} s; {counts.values} values re-encrypted; "
        f"a second run rewrote {again.rewritten} rows)"
    )


if __name__ == "__main__":
    main()
