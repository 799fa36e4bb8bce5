"""Stored-file names carry the tenant (R-T5, R-D4).

Names are generated: the client's filename is display data only and never
reaches the storage path, so it cannot traverse folders or collide.
"""

from __future__ import annotations

import re
import uuid

_KIND = re.compile(r"^[a-z0-9_]{1,40}$")
_EXT = {"jpeg": "jpg", "jpg": "jpg", "png": "png", "gif": "gif", "pdf": "pdf", "csv": "csv"}


def tenant_file_name(*, tenant_id: int, kind: str, extension: str) -> str:
    """``t<tenant>/<kind>/<yyyy>/<uuid>.<ext>`` — e.g. ``t3/id_front/2026/5f0c….jpg``."""
    from django.utils import timezone

    if not isinstance(tenant_id, int) or tenant_id <= 0:
        raise ValueError("a stored file needs its tenant")
    if not _KIND.match(kind):
        raise ValueError(f"invalid file kind {kind!r}")
    ext = _EXT.get(extension.lower().lstrip("."))
    if ext is None:
        raise ValueError(f"unsupported file extension {extension!r}")
    return f"t{tenant_id}/{kind}/{timezone.localdate().year}/{uuid.uuid4().hex}.{ext}"


def tenant_of_file_name(name: str) -> int:
    """The tenant a stored name belongs to; a view compares it with the viewer's tenant."""
    match = re.match(r"^t(\d+)/", name)
    if not match:
        raise ValueError(f"{name!r} is not a tenant file name")
    return int(match.group(1))
