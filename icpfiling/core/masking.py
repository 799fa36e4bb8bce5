"""Masking of identity numbers and mobiles on staff pages (R-D4: seen only when revealed)."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """``330106199001011234`` -> ``3301**********1234``: enough to compare with the papers, not to copy."""
    value = (value or "").strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_mobile(value: str) -> str:
    """``13812345678`` -> ``138****5678``."""
    value = (value or "").strip()
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_value(value) -> str:
    """Any sensitive field by its length: ID numbers keep 4+4 characters, mobiles 3+4."""
    text = str(value or "")
    n = len(text)
    if n == 0:
        return ""
    if n >= 15:
        return text[:4] + "*" * (n - 8) + text[-4:]
    if n >= 11:
        return text[:3] + "*" * (n - 7) + text[-4:]
    if n >= 7:
        return text[:2] + "*" * (n - 4) + text[-2:]
    return "*" * n
