"""Re-encrypts every encrypted value under the first key of ICPFILING_FIELD_KEYS (R-X1).

Rotation: put the new key first in ICPFILING_FIELD_KEYS (keeping the old ones after it),
deploy, run this command, then remove the old keys. It also fills blind indexes that are
missing or stale. Batched by primary key, idempotent: a second run rewrites nothing.
"""

from django.apps import apps
from django.core.management.base import BaseCommand

from icpfiling.privacy.rows import RowCounts, protected_fields, reencrypt_model
from icpfiling.tenancy.context import tenant_scopes_disabled


class Command(BaseCommand):
    help = "Re-encrypt identity data under the first ICPFILING_FIELD_KEYS key and refresh blind indexes."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="rows read and written per batch")

    def handle(self, *args, **options):
        batch_size = options["batch_size"]
        if batch_size < 1:
            self.stderr.write("--batch-size must be at least 1")
            raise SystemExit(2)
        total = RowCounts()
        # A platform maintenance command: it must reach every tenant's rows.
        with tenant_scopes_disabled():
            for model in apps.get_models():
                if not any(protected_fields(model)):
                    continue
                counts = reencrypt_model(model, batch_size=batch_size)
                self.stdout.write(
                    f"{model._meta.label}: {counts.rows} rows read, {counts.rewritten} rewritten "
                    f"({counts.values} values re-encrypted, {counts.indexes} blind indexes refreshed)"
                )
                for name in ("rows", "rewritten", "values", "indexes"):
                    setattr(total, name, getattr(total, name) + getattr(counts, name))
        self.stdout.write(
            f"total: {total.rows} rows read, {total.rewritten} rewritten "
            f"({total.values} values re-encrypted, {total.indexes} blind indexes refreshed)"
        )
