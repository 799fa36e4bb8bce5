from django.core.management.base import BaseCommand

from icpfiling.demo.changes import demo_change_examples
from icpfiling.demo.seed import demo_detection_examples, demo_seed


class Command(BaseCommand):
    help = "Create or refresh the demo providers, accounts and registry entries (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the login table")
        # make run serves on PORTAL_PORT; the printed logins must point where it listens.
        parser.add_argument("--port", type=int, default=8000, help="port the portal serves on")

    def handle(self, *args, **options):
        logins = demo_seed()
        if options["quiet_logins"]:
            return
        self.stdout.write("Demo logins (password for every account: demo-pass-2026):")
        for host, email, label in logins:
            self.stdout.write(f"  http://{host}:{options['port']}/accounts/login/  {email:<28} {label}")
        self.stdout.write("Order type detection examples for applicant@alpha.demo (新建备案):")
        for line in demo_detection_examples():
            self.stdout.write(f"  {line}")
        self.stdout.write("Change and cancel orders (R-C1…R-C9):")
        for line in demo_change_examples():
            self.stdout.write(f"  {line}")
