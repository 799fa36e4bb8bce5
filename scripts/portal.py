"""Runs the portal in its embedded default: web server + Celery worker with beat.

Started by ``make run`` after bootstrap. Migrates SQLite, seeds the demo, prints
the URLs and logins, then supervises the two processes: Ctrl-C (or either
process dying) stops both cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PORT = int(os.environ.get("PORTAL_PORT", "8000"))


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def _stop(signum, frame):
    raise KeyboardInterrupt


def prepare(var: Path) -> None:
    """Folders, migrations and the demo, whose printed logins carry the port we serve on."""
    for sub in ("celery/queue", "celery/processed", "celery/control", "private"):
        (var / sub).mkdir(parents=True, exist_ok=True)
    manage("migrate", "--no-input", "-v", "0")
    manage("seed_demo", "--port", str(PORT))


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icpfiling.settings")
    # Links in emails point at this port (never at the port of a request's Host header).
    os.environ.setdefault("ICPFILING_LINK_PORT", str(PORT))
    var = Path(os.environ.get("ICPFILING_VAR_DIR", ROOT / "var"))
    prepare(var)
    procs = {
        "web": subprocess.Popen(
            [
                PY,
                "-m",
                "gunicorn",
                "icpfiling.wsgi",
                "--bind",
                f"127.0.0.1:{PORT}",
                # One process with threads: local-memory caches (host resolution, rate limits)
                # are then shared by every request of the embedded run.
                "--workers",
                "1",
                "--threads",
                "8",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
        ),
        "worker": subprocess.Popen(
            [
                PY,
                "-m",
                "celery",
                "-A",
                "icpfiling",
                "worker",
                "--beat",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--schedule",
                str(var / "celerybeat-schedule"),
            ],
            cwd=ROOT,
        ),
    }
    print(
        f"\nPortal running (embedded mode: SQLite, Celery worker+beat on a file broker, console email/SMS).\n"
        f"  provider alpha:  http://alpha.localhost:{PORT}/\n"
        f"  provider beta:   http://beta.localhost:{PORT}/\n"
        f"  platform:        http://localhost:{PORT}/  (authority, operator: /operator/)\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
    code = 0
    try:
        while True:
            for name, p in procs.items():
                if p.poll() is not None:
                    print(f"{name} exited with {p.returncode}; stopping the portal", file=sys.stderr)
                    code = p.returncode or 1
                    raise KeyboardInterrupt
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
        print("Portal stopped.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
