"""Valid-looking identity numbers for demo data: a 17-character body plus its check digit."""

from __future__ import annotations

from stdnum.cn import ric, uscc


def demo_uscc(body17: str) -> str:
    """A unified social credit code (GB 32100) with a correct check character."""
    return body17 + uscc.calc_check_digit(body17)


def demo_ric(body17: str) -> str:
    """A resident ID number (GB 11643) with a correct check digit."""
    return body17 + ric.calc_check_digit(body17 + "0")  # stdnum expects a check-digit slot
