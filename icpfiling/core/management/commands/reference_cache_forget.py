"""Make every web process read its reference data again (after an edit made outside the portal)."""

from django.core.management.base import BaseCommand

from icpfiling.core.refcache import forget_everywhere


class Command(BaseCommand):
    help = (
        "Drop every process's copies of province rules, ID types and providers' material lists. "
        "Run after changing those tables by SQL; edits made in the portal do this themselves."
    )

    def handle(self, *args, **options):
        names = forget_everywhere()
        self.stdout.write(f"forgotten in every process: {', '.join(names)}")
