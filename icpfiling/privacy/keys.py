"""Encryption and keyed hashes for resident ID numbers and mobiles (R-X1).

* Values are encrypted with Fernet (AES-128-CBC plus HMAC-SHA256, from ``cryptography``)
  through a ``MultiFernet`` over ``settings.ICPFILING_FIELD_KEYS``: the first key encrypts,
  every key decrypts, so a new key is put first, ``rotate_field_keys`` re-encrypts every
  row, and the old key is dropped after it.
* Equality look-ups and uniqueness use a blind index: HMAC-SHA256 under
  ``settings.ICPFILING_BLIND_INDEX_KEY`` of the normalised value, with the kind of value
  in the message so an ID number and a mobile never share a digest.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import unicodedata

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# A Fernet token is URL-safe base64 of a version byte 0x80 and a timestamp: it starts "gAAAAA".
TOKEN_PREFIX = "gAAAAA"  # noqa: S105 - a format marker, not a secret
_HEX64 = re.compile(r"[0-9a-f]{64}")
_WHITESPACE = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D")

ID = "id"  # resident ID and certificate numbers: NFKC, no whitespace, upper case (the X)
MOBILE = "mobile"  # digits only, without the +86 / 0086 country code
KEY = "key"  # an opaque key built by the code (R-O5's entity key): hashed as given
KINDS = (ID, MOBILE, KEY)


def normalise(value: str, kind: str) -> str:
    value = unicodedata.normalize("NFKC", value)
    if kind == ID:
        return _WHITESPACE.sub("", value).upper()
    if kind == MOBILE:
        digits = _NON_DIGITS.sub("", value)
        for prefix in ("0086", "86"):
            if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
                return digits[len(prefix) :]
        return digits
    if kind == KEY:
        return value
    raise ValueError(f"unknown blind index kind {kind!r}; expected one of {KINDS}")


@functools.lru_cache(maxsize=4)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    if not keys:
        raise ImproperlyConfigured("ICPFILING_FIELD_KEYS is empty: no key to encrypt identity data with")
    try:
        fernets = [Fernet(key) for key in keys]
    except ValueError as exc:
        raise ImproperlyConfigured(
            "every ICPFILING_FIELD_KEYS entry must be a Fernet key (32 bytes, URL-safe base64)"
        ) from exc
    return MultiFernet(fernets), fernets[0]


def _current() -> tuple[MultiFernet, Fernet]:
    return _fernets(tuple(settings.ICPFILING_FIELD_KEYS))


def is_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX)


def encrypt(plaintext: str) -> str:
    return _current()[0].encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current()[0].decrypt(token.encode()).decode()
    except InvalidToken as exc:
        # Never the token itself in the message: only that no configured key opens it.
        raise ImproperlyConfigured(
            "an encrypted value cannot be opened with any key in ICPFILING_FIELD_KEYS "
            "(a key was removed before rotate_field_keys ran?)"
        ) from exc


def reveal(value: str | None) -> str:
    """A column read by hand-written SQL: the plaintext of a token, anything else as it is."""
    if value and is_token(value):
        return decrypt(value)
    return value or ""


def under_current_key(token: str) -> bool:
    """Whether the first (encrypting) key opens ``token``: rotation leaves those alone."""
    try:
        _current()[1].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def blind_index(value: str, kind: str) -> str:
    """The keyed hash of the normalised value; ``""`` for an empty value (nothing to find)."""
    normalised = normalise(value or "", kind)
    if not normalised:
        return ""
    key = settings.ICPFILING_BLIND_INDEX_KEY.encode()
    return hmac.new(key, f"{kind}\x00{normalised}".encode(), hashlib.sha256).hexdigest()


def is_digest(value: str) -> bool:
    return bool(_HEX64.fullmatch(value))
