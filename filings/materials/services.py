"""Materials: storing uploads through the pipeline, serving them privately, phone hand-off.

Stored names are generated and tenant-prefixed; the client's filename is
display data only (R-D4). A file is written to storage first and its row in the
same transaction after; if the row fails, the file is removed again, so nothing
half-written stays behind.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from filings.materials.requirements import requirements_for
from filings.models import EDITABLE_STATUSES, FileAccessLog, FilingOrder, MaterialFile, PhoneUploadLink
from filings.workflow import order_touch
from icpfiling.tenancy.storage import tenant_file_name
from icpfiling.uploads.images import UploadPolicy, process_upload

PHONE_LINK_MINUTES = 30


def _storage():
    return storages["default"]


def _read_bounded(uploaded: UploadedFile, limit: int) -> bytes:
    """At most ``limit + 1`` bytes: enough to tell "too large" without reading a huge body."""
    uploaded.seek(0)
    return uploaded.read(limit + 1)


@transaction.atomic
def material_upload(
    *, order: FilingOrder, slot: str, uploaded: UploadedFile, actor=None, via_phone: bool = False
) -> MaterialFile:
    """Run the pipeline on one upload and store it for ``slot``. Raises ValidationError."""
    # Serialise uploads per order so "at most 3 files" holds under concurrency. Only the order row:
    # FOR UPDATE on the join would also lock the provider and province rows, serialising every
    # upload of a provider and deadlocking two of them (issue 17's load test).
    order = (
        FilingOrder.objects.select_for_update(of=("self",))
        .select_related("tenant", "province", "certificate_type")  # the licence item names its type
        .get(pk=order.pk)
    )
    if order.status not in EDITABLE_STATUSES:
        raise ValidationError(
            _("订单当前状态为“%(s)s”，不能再上传材料。") % {"s": order.get_status_display()}
        )
    order_touch(order=order)
    requirement = next((r for r in requirements_for(order) if r.slot == slot), None)
    if requirement is None or requirement.later:
        raise ValidationError(_("该订单不需要这项材料，请刷新页面后重试。"))
    tenant = order.tenant
    policy = UploadPolicy(
        max_bytes=tenant.upload_max_bytes,
        allowed_formats=frozenset(tenant.upload_formats),
        min_size=requirement.min_size,
    )
    return material_store(
        order=order,
        uploaded=uploaded,
        policy=policy,
        existing=len(requirement.files),
        kind=requirement.kind,
        slot=slot,
        website=requirement.website,
        actor=actor,
        via_phone=via_phone,
        already=[f.sha256 for f in requirement.files],
    )


def material_store(
    *,
    order: FilingOrder,
    uploaded: UploadedFile,
    policy: UploadPolicy,
    existing: int,
    kind: str,
    slot: str,
    website=None,
    actor=None,
    via_phone: bool = False,
    already: list[str] | None = None,
) -> MaterialFile:
    """Run one upload through the pipeline and store it as ``kind`` with its audit row.

    ``already`` holds the digests of the files this item has: the same picture sent
    twice (a double tap, a phone and a laptop) is refused rather than kept twice.

    Every image the portal keeps goes through here (applicant materials, curtain
    photos taken at a point or sent remotely), so each is checked, re-encoded,
    stored under a tenant-prefixed generated name and audited the same way.
    The stored bytes are removed again if the rows cannot be written; the
    caller runs inside a transaction and cleans up on a later failure.
    """
    tenant = order.tenant
    data = _read_bounded(uploaded, policy.max_bytes)
    processed = process_upload(data, name=uploaded.name or "", policy=policy, existing=existing)
    if already and processed.sha256 in already:
        raise ValidationError(_("这个文件已经上传到本项材料，无需重复上传。如需更换，请先删除原文件。"))
    name = tenant_file_name(tenant_id=tenant.pk, kind=kind, extension=processed.extension)
    stored = _storage().save(name, ContentFile(processed.data))
    try:
        material = MaterialFile.objects.create(
            tenant=tenant,
            order=order,
            website=website,
            kind=kind,
            slot=slot,
            storage_name=stored,
            original_name=processed.original_name,
            image_format=processed.format,
            size=len(processed.data),
            width=processed.width,
            height=processed.height,
            sha256=processed.sha256,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
            via_phone=via_phone,
        )
        FileAccessLog.objects.create(
            tenant=tenant,
            actor=material.uploaded_by,
            order=order,
            material=material,
            kind=material.kind,
            action="upload",
            via_phone=via_phone,
        )
    except Exception:
        _storage().delete(stored)
        raise
    return material


@transaction.atomic
def material_delete(*, order: FilingOrder, material: MaterialFile, actor) -> None:
    if order.status not in EDITABLE_STATUSES:
        raise ValidationError(_("订单当前状态为“%(s)s”，不能删除材料。") % {"s": order.get_status_display()})
    from verification_points.models import VerificationCheck

    # A photo a verification check rests on is evidence of that check (R-S4): it stays.
    if (
        material.slot.startswith("curtain_photo:")
        or VerificationCheck.objects.filter(curtain_photo=material).exists()
    ):
        raise ValidationError(_("该照片是身份核验的记录，不能删除。"))
    name = material.storage_name
    FileAccessLog.objects.create(
        tenant_id=order.tenant_id,
        actor=actor,
        order=order,
        material=None,
        kind=material.kind,
        action="delete",
    )
    material.delete()
    # The row is gone in this transaction; the bytes go once it commits.
    transaction.on_commit(lambda: _storage().delete(name))


def material_open(*, material: MaterialFile, actor, action: str = "view", via_phone: bool = False):
    """Open the stored bytes for a permission-checked view, writing the audit row (R-D4)."""
    FileAccessLog.objects.create(
        tenant_id=material.tenant_id,
        actor=actor if getattr(actor, "pk", None) else None,
        order_id=material.order_id,
        material=material,
        kind=material.kind,
        action=action,
        via_phone=via_phone,
    )
    return _storage().open(material.storage_name, "rb")


# --- phone hand-off (R-D6) ---------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _short_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


@transaction.atomic
def phone_link_create(
    *, order: FilingOrder | None, actor=None, tenant_id: int
) -> tuple[PhoneUploadLink, str]:
    """A new link (order may be None: a phone waiting for its code to be typed on the desktop)."""
    token = secrets.token_urlsafe(32)
    link = PhoneUploadLink.objects.create(
        tenant_id=tenant_id,
        order=order,
        token_hash=_hash(token),
        short_code=_short_code(),
        created_by=actor if getattr(actor, "pk", None) else None,
        expires_at=timezone.now() + timedelta(minutes=PHONE_LINK_MINUTES),
    )
    return link, token


def phone_link_resolve(*, token: str) -> PhoneUploadLink | None:
    """The live link for ``token`` within the current tenant scope, or None."""
    return (
        PhoneUploadLink.objects.filter(
            token_hash=_hash(token), revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("order", "order__province", "order__tenant")
        .first()
    )


@transaction.atomic
def phone_link_claim(*, order: FilingOrder, code: str) -> bool:
    """Bind a waiting phone (shown ``code``) to ``order``. True when a phone was bound."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 8:
        return False
    return (
        PhoneUploadLink.objects.filter(
            tenant_id=order.tenant_id,
            short_code=code,
            order__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).update(order=order, expires_at=timezone.now() + timedelta(minutes=PHONE_LINK_MINUTES))
        == 1
    )


def phone_link_revoke(*, order: FilingOrder) -> int:
    return PhoneUploadLink.objects.filter(order=order, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
