"""Settings for the ICP filing portal.

One module for every mode. ``ICPFILING_MODE`` picks the mode:

* ``embedded`` (default): SQLite, a Celery broker on the local file system (no
  Redis), console email and SMS, a secret key generated once into ``var/``.
* ``production``: everything comes from the environment and missing pieces stop
  the process at start-up instead of silently falling back to a toy default.

Every variable is listed in ``.env.example``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path

import environ
from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from icpfiling.core.mailers import mailer_from_url

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

MODE = env.str("ICPFILING_MODE", default="embedded")
if MODE not in {"embedded", "production"}:
    raise ImproperlyConfigured(f"ICPFILING_MODE must be 'embedded' or 'production', not {MODE!r}")
PRODUCTION = MODE == "production"
VAR_DIR = Path(env.str("ICPFILING_VAR_DIR", default=str(BASE_DIR / "var")))


def _required(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when ICPFILING_MODE=production")
    return value


def _embedded_secret_key() -> str:
    # A per-checkout key keeps sessions valid across restarts of the demo without
    # ever committing a key; production must bring its own (see below).
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = (
    _required("DJANGO_SECRET_KEY")
    if PRODUCTION
    else env.str("DJANGO_SECRET_KEY", default="") or (_embedded_secret_key())
)
if PRODUCTION and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters long in production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production")

# Tenants are resolved from the host (R-T1). Provider host names live in the
# database (operators add them at run time), so the exact allow-list check is
# TenantMiddleware's: any host that is neither a platform host nor an active
# provider's host gets a bare 404. DJANGO_ALLOWED_HOSTS can narrow it further.
# In production the list must be given (finding 6): "*" would let any Host header through
# to the tenant resolver; emails never use the Host header anyway (icpfiling/tenancy/links.py).
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["*"])
if PRODUCTION and (not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS):
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must list the platform and provider host names (or a leading-dot domain) "
        "in production; '*' is refused"
    )
# Absolute links in emails and SMS: scheme and port are configuration, the host is the provider's.
ICPFILING_LINK_SCHEME = env.str("ICPFILING_LINK_SCHEME", default="https" if PRODUCTION else "http")
ICPFILING_LINK_PORT = env.str("ICPFILING_LINK_PORT", default="")
PLATFORM_HOSTS = env.list("ICPFILING_PLATFORM_HOSTS", default=["localhost", "127.0.0.1", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    # R-X3: TOTP second factor and single-use recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "icpfiling.core",
    "icpfiling.privacy",
    "icpfiling.tenancy",
    "icpfiling.accounts",
    "icpfiling.registry",
    "icpfiling.notifications",
    "filings",
    "verification_points",
    "icpfiling.providers",
    "icpfiling.operator",
    "icpfiling.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "icpfiling.tenancy.middleware.TenantMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "icpfiling.core.middleware.CookieLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "icpfiling.accounts.middleware.AccountGuardMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "icpfiling.accounts.second_factor.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Axes last: it turns a lockout raised by the backend into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "icpfiling.urls"
WSGI_APPLICATION = "icpfiling.wsgi.application"

# <select> built in Python (icpfiling/core/forms_renderer.py): same markup, a fraction of the CPU.
FORM_RENDERER = "icpfiling.core.forms_renderer.PortalFormRenderer"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "icpfiling.portal.context_processors.portal",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------
if PRODUCTION:
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production")
else:
    DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections: a new connection per request costs ~5 ms here
    # (performance reference A.1); health checks drop dead ones.
    _db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("TEST", {})["NAME"] = env.str("DATABASE_TEST_NAME", default="test_icpfiling")
    # No JIT and no parallel workers: a page's statements run in milliseconds, and PostgreSQL
    # compiles (about 100 ms here) whenever a plan's estimate passes jit_above_cost, as the
    # public query's statement does through fallback branches that almost never run; starting
    # parallel workers costs a request several milliseconds, on cores the web workers already use.
    _options = _db.setdefault("OPTIONS", {})
    _extra = "-c jit=off -c max_parallel_workers_per_gather=0"
    _options["options"] = f"{_options.get('options', '')} {_extra}".strip()
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the embedded worker read while the other writes;
    # IMMEDIATE transactions make writers queue instead of failing with "locked".
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Email is unique per provider (see accounts.User); TenantEmailBackend handles it.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

# --- Cache, Celery ---------------------------------------------------------
REDIS_URL = _required("REDIS_URL") if PRODUCTION else env.str("REDIS_URL", default="")
if REDIS_URL:
    # Django's Redis backend, building its client once per pool (icpfiling/core/redis_cache.py).
    _REDIS_CACHE = "icpfiling.core.redis_cache.SharedClientRedisCache"
    CACHES = {
        "default": {
            "BACKEND": _REDIS_CACHE,
            "LOCATION": REDIS_URL,
            "KEY_FUNCTION": "icpfiling.tenancy.cache.make_tenant_key",
        }
    }
    # Rate limits (public query) count in Redis so that every web worker shares them; no tenant
    # prefix: an address is limited across hosts.
    CACHES["ratelimit"] = {"BACKEND": _REDIS_CACHE, "LOCATION": REDIS_URL}
    # Generation counters of the web processes' reference caches (icpfiling/core/refcache.py):
    # shared by every worker, one key whatever tenant the request is for.
    CACHES["reference"] = {
        "BACKEND": _REDIS_CACHE,
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "refcache",
    }
    # Sessions are read on every request: from Redis first, the database row kept as the record
    # (a flushed Redis costs a re-read, not a logout). Their own alias: a session is read before
    # the tenant is known, so its key must not carry a tenant.
    CACHES["sessions"] = {
        "BACKEND": _REDIS_CACHE,
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "session",
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "sessions"
    CELERY_BROKER_URL = REDIS_URL
    # Longer than any task runs, so Redis never redelivers a task that is still
    # running; deadlines never ride on ETA tasks (reliability reference §4).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "icpfiling.tenancy.cache.make_tenant_key",
        }
    }
    # The embedded run serves from one gunicorn process (threads), so local memory is shared by
    # every request it serves (scripts/portal.py).
    CACHES["ratelimit"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "ratelimit",
    }
    CACHES["reference"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "reference",
    }
    # Embedded mode: a real Celery worker and beat, with the broker kept in files
    # under var/ so that no Redis is needed (kombu's filesystem transport).
    _queue = VAR_DIR / "celery"
    # Any command that enqueues (seed_demo, a shell) needs the folders, not only the run script.
    for _sub in ("queue", "processed", "control"):
        (_queue / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue / "queue"),
        "data_folder_out": str(_queue / "queue"),
        "processed_folder": str(_queue / "processed"),
        "control_folder": str(_queue / "control"),
        "store_processed": False,
    }
# The filesystem transport has no broadcast exchange for remote control.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = bool(REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # The outbox sweep resends anything whose after-commit dispatch was lost
    # (worker down, broker down): deadlines and deliveries catch up after downtime.
    "outbox-sweep": {"task": "icpfiling.notifications.tasks.outbox_sweep", "schedule": 60.0},
    # Order deadlines (SMS 24 h, idle expiry and reminders, review SLA) are columns
    # on the rows; this sweep enforces them every minute (R-B1). No task is ever
    # scheduled with a long countdown or ETA: a lost or early-fired ETA would miss
    # or double a deadline (reliability reference §4).
    "order-deadlines": {"task": "filings.tasks.order_deadlines_sweep", "schedule": 60.0},
    # Servers expiring within 30 days remind their owner once per expiry date (R-M5).
    "server-expiry-reminders": {"task": "filings.tasks.server_expiry_reminders", "schedule": 3600.0},
    # Verification points (R-K4): the month's settlement (due on the 1st; running
    # daily settles a missed 1st the next day) and two weeks of bookable slots ahead.
    "vp-settlement": {
        "task": "verification_points.tasks.settlement_monthly",
        "schedule": crontab(hour=1, minute=15),
    },
    # Point applications: late supplement answers and lapsed rectification periods (R-K3).
    "vp-applications-sweep": {
        "task": "verification_points.applications.tasks.applications_sweep_task",
        "schedule": 300.0,
    },
    "vp-slots-roll-forward": {
        "task": "verification_points.tasks.slots_roll_forward_task",
        "schedule": crontab(hour=0, minute=30),
    },
}

# --- Auth ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "icpfiling.accounts.backends.TenantEmailBackend",
]
PASSWORD_HASHERS = [
    # Argon2id at OWASP's parameters (icpfiling/accounts/hashers.py); also verifies Django's.
    "icpfiling.accounts.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
EMAIL_CONFIRMATION_MAX_AGE = 60 * 60 * 24 * 3

# django-axes (R-A2): a lockout per (account on this host, address) pair, and a higher limit per
# address over all accounts (icpfiling/accounts/lockout.py says why the pair, not either one).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "icpfiling.accounts.lockout.PairAndAddressHandler"
AXES_USERNAME_CALLABLE = "icpfiling.accounts.backends.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "errors/429.html"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)

# Staff sessions (reviewers, admins, points, authority, operator) end after this
# much inactivity; applicants keep the browser-session default (R-A2).
# R-X3: staff, authority reviewers and the operator sign in with a TOTP second factor. The embedded
# demo lets the demo accounts in with email and password alone through this one setting, and
# production refuses to start with it on.
ICPFILING_DEMO_PASSWORD_ONLY_LOGIN = env.bool("ICPFILING_DEMO_PASSWORD_ONLY_LOGIN", default=not PRODUCTION)
if PRODUCTION and ICPFILING_DEMO_PASSWORD_ONLY_LOGIN:
    raise ImproperlyConfigured(
        "ICPFILING_DEMO_PASSWORD_ONLY_LOGIN is for the embedded demo only; "
        "production requires a second factor"
    )
OTP_TOTP_ISSUER = "ICP备案"

# R-X1: resident ID numbers and mobiles are encrypted at rest (icpfiling/privacy). ICPFILING_FIELD_KEYS
# lists Fernet keys, comma-separated: the first encrypts, all decrypt; to rotate, put a new key
# first, run `manage.py rotate_field_keys`, then drop the old one. ICPFILING_BLIND_INDEX_KEY keys
# the hashes that equality look-ups and unique constraints use (R-V3, detection, R-O5).
# The embedded run and the tests use fixed DEVELOPMENT keys derived from public strings below:
# they protect nothing (anyone with this source can open the demo's data), and production
# refuses to start with them or without keys of its own.
_DEV_FIELD_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"icpfiling embedded development field key - public, not a secret").digest()
).decode()
_DEV_BLIND_INDEX_KEY = hashlib.sha256(b"icpfiling embedded development blind index key - public").hexdigest()
if PRODUCTION:
    ICPFILING_FIELD_KEYS = [k.strip() for k in _required("ICPFILING_FIELD_KEYS").split(",") if k.strip()]
    ICPFILING_BLIND_INDEX_KEY = _required("ICPFILING_BLIND_INDEX_KEY")
else:
    ICPFILING_FIELD_KEYS = env.list("ICPFILING_FIELD_KEYS", default=[_DEV_FIELD_KEY])
    ICPFILING_BLIND_INDEX_KEY = env.str("ICPFILING_BLIND_INDEX_KEY", default=_DEV_BLIND_INDEX_KEY)
if PRODUCTION:
    for _key in ICPFILING_FIELD_KEYS:
        try:
            Fernet(_key)
        except ValueError:
            raise ImproperlyConfigured(
                "every ICPFILING_FIELD_KEYS entry must be a Fernet key (32 bytes, URL-safe base64)"
            ) from None
    if _DEV_FIELD_KEY in ICPFILING_FIELD_KEYS:
        raise ImproperlyConfigured("ICPFILING_FIELD_KEYS holds the public development key; use your own")
    if len(ICPFILING_BLIND_INDEX_KEY) < 32 or ICPFILING_BLIND_INDEX_KEY == _DEV_BLIND_INDEX_KEY:
        raise ImproperlyConfigured(
            "ICPFILING_BLIND_INDEX_KEY must be a secret of at least 32 characters in production "
            "(not the development key)"
        )
STAFF_IDLE_TIMEOUT_SECONDS = env.int("STAFF_IDLE_TIMEOUT_SECONDS", default=30 * 60)
SESSION_COOKIE_AGE = 60 * 60 * 24 * 7
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- i18n (R-L1) -------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static and uploaded files -------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded files are identity documents: never under a public URL (R-D4).
# MEDIA_URL stays unset; files are served only by permission-checked views.
PRIVATE_FILES_ROOT = Path(env.str("PRIVATE_FILES_ROOT", default=str(VAR_DIR / "private")))
if PRODUCTION:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _required("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "access_key": _required("S3_ACCESS_KEY_ID"),
            "secret_key": _required("S3_SECRET_ACCESS_KEY"),
            "region_name": env.str("S3_REGION", default="cn-north-1"),
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="path"),
            "signature_version": "s3v4",
            "default_acl": None,  # private: objects inherit the bucket's private policy
            "querystring_auth": True,
            "querystring_expire": 300,
            # Every stored name is generated with a random UUID (tenancy.storage.tenant_file_name):
            # no name is ever reused, so the existence check (one more round trip to the bucket
            # per upload, 13 % of an upload's time under the load test) has nothing to find.
            "file_overwrite": True,
            # Identity images are at most 5 MB, below boto3's multipart threshold (8 MB): one PUT.
            # Without this, every upload starts and joins a thread pool around that one PUT.
            "use_threads": False,
        },
    }
    _static_backend = "whitenoise.storage.CompressedManifestStaticFilesStorage"
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_FILES_ROOT), "base_url": None},
    }
    _static_backend = "django.contrib.staticfiles.storage.StaticFilesStorage"
STORAGES = {"default": _default_storage, "staticfiles": {"BACKEND": _static_backend}}
WHITENOISE_USE_FINDERS = not PRODUCTION
FILE_UPLOAD_PERMISSIONS = 0o600
# Small bodies stay in memory; a file of a larger one goes to a temporary file that is never
# written past the largest size any page accepts (a provider's limit is at most 20 MB; the APK
# page has its own cap): a body of any size sent to any form cannot fill the disk.
ICPFILING_UPLOAD_FILE_CAP = 20 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "icpfiling.uploads.handlers.SiteCappedUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# An applicant's Android APK, read for its package name and signing certificate and never kept (R-AP2).
ICPFILING_APK_MAX_BYTES = env.int("ICPFILING_APK_MAX_BYTES", default=200 * 1024 * 1024)

# --- Email and SMS -----------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ICP备案平台 <noreply@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
if PRODUCTION:
    _mail = env.email_url("EMAIL_URL", default="smtp://localhost:25")
    MAILERS = {"default": mailer_from_url(_mail)}
else:
    # Readable in the terminal: headers plus the decoded text (Django's prints base64).
    MAILERS = {"default": {"BACKEND": "icpfiling.notifications.console.EmailBackend"}}
SMS_BACKEND = env.str(
    "SMS_BACKEND",
    default="icpfiling.notifications.sms.HttpSmsBackend"
    if PRODUCTION
    else "icpfiling.notifications.sms.ConsoleSmsBackend",
)
# The console SMS gateway (embedded run) logs a masked line and keeps the full text here (R-X5).
CONSOLE_SMS_DIR = str(VAR_DIR / "sms")
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=10.0)
OUTBOX_MAX_ATTEMPTS = 8

# --- Security ------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # The container health check talks plain HTTP to gunicorn from inside.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Logging: every record carries the tenant (R-T5) -------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "tenant": {"()": "icpfiling.tenancy.logging.TenantLogFilter"},
        # R-X5: tokens in URLs, resident IDs and mobiles are masked in every line (icpfiling/core/scrub.py).
        "scrub": {"()": "icpfiling.core.scrub.ScrubFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [tenant=%(tenant)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["tenant", "scrub"], "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "celery.app.trace": {"level": env.str("CELERY_TRACE_LOG_LEVEL", default="INFO")},
    },
}

ICPFILING_DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - documented demo logins, embedded data only

# django-ratelimit counts in its own cache alias (above).
RATELIMIT_USE_CACHE = "ratelimit"
