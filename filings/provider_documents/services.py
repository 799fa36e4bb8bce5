"""Writes of the provider's extra materials: the provider admin keeps the list (seed 001)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from filings.materials.requirements import PROVIDER_DOCUMENTS_CACHE
from filings.models import ProviderDocument
from icpfiling.accounts.models import Membership, Role
from icpfiling.tenancy.models import Provider
from icpfiling.tenancy.storage import tenant_file_name

TEMPLATE_MAX_BYTES = 2 * 1024 * 1024


def _require_admin(actor, tenant: Provider) -> None:
    if not Membership.objects.filter(
        tenant=tenant, user=actor, role=Role.PROVIDER_ADMIN, user__is_active=True
    ).exists():
        raise PermissionDenied


def _read_template(uploaded: UploadedFile) -> bytes:
    """A PDF of at most 2 MB: checked by its content, not by its name."""
    if uploaded.size is not None and uploaded.size > TEMPLATE_MAX_BYTES:
        raise ValidationError({"template": [_("模板文件不能超过 2 MB。")]})
    data = uploaded.read(TEMPLATE_MAX_BYTES + 1)
    if len(data) > TEMPLATE_MAX_BYTES:
        raise ValidationError({"template": [_("模板文件不能超过 2 MB。")]})
    if not data.startswith(b"%PDF-"):
        raise ValidationError({"template": [_("模板文件须为 PDF 格式，请另存为 PDF 后上传。")]})
    return data


@transaction.atomic
def provider_document_save(
    *,
    actor,
    tenant: Provider,
    document: ProviderDocument | None,
    name: str,
    description: str,
    copies: int,
    applies_to: str,
    template: UploadedFile | None = None,
) -> ProviderDocument:
    """Create (``document`` None) or update one extra material; a new template replaces the old."""
    _require_admin(actor, tenant)
    document = document or ProviderDocument(tenant=tenant)
    document.name, document.description = name.strip(), description.strip()
    document.copies, document.applies_to = copies, applies_to
    old = ""
    if template is not None:
        data = _read_template(template)
        old = document.template_name
        stored = storages["default"].save(
            tenant_file_name(tenant_id=tenant.pk, kind="provider_template", extension="pdf"),
            ContentFile(data),
        )
        document.template_name = stored
        document.template_original_name = (template.name or "template.pdf")[-100:]
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        if template is not None:
            storages["default"].delete(document.template_name)
        raise ValidationError({"name": [_("已有同名材料，请换一个名称。")]}) from None
    if old:
        transaction.on_commit(lambda: storages["default"].delete(old))
    return document


@transaction.atomic
def provider_document_set_active(*, actor, document: ProviderDocument, active: bool) -> ProviderDocument:
    """Stop (or resume) asking for a material; orders already holding files keep them."""
    _require_admin(actor, document.tenant)
    ProviderDocument.objects.filter(pk=document.pk, tenant_id=document.tenant_id).update(active=active)
    PROVIDER_DOCUMENTS_CACHE.invalidate()  # an UPDATE sends no signal
    document.active = active
    return document


def provider_document_template(*, document: ProviderDocument):
    """The template's bytes as an open file (the caller streams and closes it)."""
    return storages["default"].open(document.template_name, "rb")
