"""Which external services this run has.

Tests that need PostgreSQL, Redis or Chromium carry a marker (so a run can
select them) and skip locally when the service is absent. In CI nothing may
skip: conftest turns any skip into a failed run.
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "")


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def _both(marker, skip):
    def apply(fn):
        return marker(skip(fn))

    return apply


requires_postgres = _both(
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
)
requires_redis = _both(
    pytest.mark.redis, pytest.mark.skipif(not redis_url(), reason="needs Redis (set REDIS_URL)")
)
CHROMIUM_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="needs Chromium (scripts/test.sh installs it)"),
]
requires_chromium = _both(
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="needs Chromium (scripts/test.sh installs it)"),
)
