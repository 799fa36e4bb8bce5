"""URLs for many rows at once."""

from __future__ import annotations

from django.urls import reverse

# Stands for the id while reversing; any int the URL converters accept would do.
_MARK = 2_147_483_647


def id_url_template(name: str, *, urlconf: str | None = None) -> str:
    """``name``'s URL for one integer id, with ``%s`` where the id goes.

    One reverse() for a page of rows or a batch of messages, then ``template % pk``
    per row (reverse() per row was a visible share of the queue page and the sweeps).
    """
    return reverse(name, urlconf=urlconf, args=[_MARK]).replace(str(_MARK), "%s")
