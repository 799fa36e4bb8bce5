from django.core.management.base import BaseCommand

from icpfiling.registry.reference import reference_data_load


class Command(BaseCommand):
    help = "Load provinces, entity natures, certificate and personal ID types (idempotent)."

    def handle(self, *args, **options):
        counts = reference_data_load()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
