"""Which external services this run has; tests needing one skip locally, never in CI."""

from __future__ import annotations

import os
import shutil

import pytest
from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "")


requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL); CI always provides it"
)
requires_redis = pytest.mark.skipif(not redis_url(), reason="needs Redis (set REDIS_URL); CI always provides it")


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
