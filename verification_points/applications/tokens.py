"""The company's tracking link: a random bearer token, of which only the hash is stored."""

from __future__ import annotations

import hashlib


def token_hash(token: str) -> str:
    """SHA-256 of the token: what the application row keeps and what a lookup compares."""
    return hashlib.sha256(token.encode()).hexdigest()
