"""Helpers for ``access_<entity>_by_id`` functions.

"Missing" and "not yours" must be indistinguishable (R-T2, Zulip's
``access_stream_by_id``): both raise ``Http404``, and the attempt is logged.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import models
from django.http import Http404

log = logging.getLogger("icpfiling.access")


def get_or_404[M: models.Model](queryset: models.QuerySet[M], *, actor: Any, **lookup: Any) -> M:
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        log.warning(
            "denied %s %s to user %s",
            queryset.model._meta.label,
            lookup,
            getattr(actor, "pk", None),
        )
        raise Http404 from None
