"""Log scrubbing (R-X5, finding 7): no bearer token, resident ID or mobile reaches a log line.

Three places use it:

- ``ScrubFilter`` on every Django log handler (settings ``LOGGING``): the formatted message and
  any traceback are scrubbed before a formatter sees them;
- ``ScrubbingGunicornLogger`` (``gunicorn.conf.py``): the access log's request line, path,
  query string and referer, and the error log;
- the console SMS backend, which prints a masked mobile and masks the code.

What is masked: the secret path segment of phone links (``/m/<token>/``), point-application
tracking links (``/vp/track/<token>/``), email confirmation and password-reset links; token-like
query parameters; ``Bearer`` credentials; mainland resident ID numbers (18 characters) and mobile
numbers (11 digits starting 13–19), which keep the same 4+4 / 3+4 characters the staff pages show.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

from icpfiling.core.masking import mask_id_number, mask_mobile

__all__ = ["ScrubFilter", "ScrubbingGunicornLogger", "mask_code", "scrub"]

MASK = "***"

# The secret segment after these prefixes (the reset link's uid stays: it is not a secret alone).
_TOKEN_PATH = re.compile(
    r"(/(?:m|vp/track|accounts/confirm|accounts/reset/[^/\s?#\"']+)/)(?!set-password/)([^/\s?#\"']{6,})"
)
_TOKEN_QUERY = re.compile(r"(?i)([?&](?:token|code|key|secret|password|sig|signature)=)[^&\s#\"']+")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d{9})(?!\d)")
_CODE = re.compile(r"(?<!\d)\d{4,8}(?!\d)")


def scrub(text: str) -> str:
    """``text`` with tokens, resident IDs and mobiles masked; anything else unchanged."""
    if not text:
        return text
    text = _TOKEN_PATH.sub(lambda m: m.group(1) + MASK, text)
    text = _TOKEN_QUERY.sub(lambda m: m.group(1) + MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    text = _RESIDENT_ID.sub(lambda m: mask_id_number(m.group(0)), text)
    return _MOBILE.sub(lambda m: mask_mobile(m.group(1)), text)


def mask_code(text: str) -> str:
    """Every run of 4–8 digits (a verification code) shown as its last two digits only."""
    return _CODE.sub(lambda m: "*" * (len(m.group(0)) - 2) + m.group(0)[-2:], text)


class ScrubFilter(logging.Filter):
    """Scrubs the record's message and traceback in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the formatter to report
            return True
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return True


class ScrubbingGunicornLogger(GunicornLogger):
    """gunicorn's logger with every access-log atom and every error-log record scrubbed."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(ScrubFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: scrub(v) if isinstance(v, str) else v for k, v in atoms.items()}
