"""Backfill (or repair) the dashboard's rollups from the orders and their events (R-M3)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from filings.dashboard.services import dashboard_rollups_rebuild
from icpfiling.tenancy.context import tenant_scopes_disabled


class Command(BaseCommand):
    help = "Recompute every dashboard rollup cell from the orders, their events and return reasons."

    def handle(self, *args, **options) -> None:
        with tenant_scopes_disabled():  # the rollups of every provider are rebuilt at once
            counts = dashboard_rollups_rebuild()
        self.stdout.write(", ".join(f"{k}={v}" for k, v in counts.items()))
