"""Test settings: the real settings plus what makes the suite fast and isolated.

DATABASE_URL (PostgreSQL in CI) and REDIS_URL come from the environment as usual;
without them the suite runs on SQLite with the embedded defaults.
"""

import os
import tempfile

os.environ.setdefault("CELERY_TRACE_LOG_LEVEL", "WARNING")
os.environ.setdefault("ICPFILING_VAR_DIR", tempfile.mkdtemp(prefix="icpfiling-test-"))

from icpfiling.settings import *  # noqa: F403
from icpfiling.settings import CACHES

# Argon2 costs ~125 ms per hash here; tests hash thousands of times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run inline after commit, exactly where production would enqueue them.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Each test process gets its own cache so that lockouts and host lookups never leak between tests.
CACHES["default"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "KEY_FUNCTION": "icpfiling.tenancy.cache.make_tenant_key",
}
WHITENOISE_AUTOREFRESH = True

# SMS "sent" in tests is kept in icpfiling.notifications.sms.sent (delivered code
# messages are blanked in the outbox, so a test reads codes where a phone would).
SMS_BACKEND = "icpfiling.notifications.sms.LocmemSmsBackend"
