"""The production mailer, from the one ``EMAIL_URL`` setting (django-environ's URL schemes).

Django's mailers refuse options a backend does not take ("Unknown options …"), and the refusal
comes at the first send, in the worker: an ``EMAIL_URL`` of ``consolemail://`` or
``dummymail://`` (a staging host, the load benchmark) given the SMTP options failed every
delivery. Each backend gets only the options it takes.
"""

from __future__ import annotations

from typing import Any

SMTP = "django.core.mail.backends.smtp.EmailBackend"
FILE = "django.core.mail.backends.filebased.EmailBackend"


def mailer_from_url(config: dict[str, Any]) -> dict[str, Any]:
    """One ``MAILERS`` entry from ``environ.Env.email_url_config(url)``."""
    backend = config["EMAIL_BACKEND"]
    if backend == SMTP:
        options: dict[str, Any] = {
            "host": config.get("EMAIL_HOST"),
            "port": config.get("EMAIL_PORT"),
            "username": config.get("EMAIL_HOST_USER") or None,
            "password": config.get("EMAIL_HOST_PASSWORD") or None,
            "use_tls": bool(config.get("EMAIL_USE_TLS")),
            "use_ssl": bool(config.get("EMAIL_USE_SSL")),
            "timeout": 10,  # a stuck relay must not hold a worker for the socket default
        }
    elif backend == FILE:
        # django-environ drops the path's leading slash (filemail:///var/mail -> "var/mail").
        options = {"file_path": "/" + config.get("EMAIL_FILE_PATH", "").lstrip("/")}
    else:
        options = {}  # console, locmem and dummy take none
    return {"BACKEND": backend, "OPTIONS": options}
