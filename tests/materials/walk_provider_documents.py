"""Tenant-walk recipes for the provider's extra materials (seed 001: 信息安全协议).

Beta has one document with a template; alpha's roles must meet it exactly as a missing
one (404) and change nothing about it.
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from filings.models import ProviderDocument
from filings.provider_documents.services import provider_document_save
from icpfiling.tenancy.context import tenant_scope

_MISSING = 987654


def _beta_document(w) -> ProviderDocument:
    cached = getattr(w, "_provider_doc_beta", None)
    if cached:
        return cached
    with tenant_scope(w.beta.provider):
        w._provider_doc_beta = provider_document_save(
            actor=w.beta.users["provider_admin"],
            tenant=w.beta.provider,
            document=None,
            name="SECRET-BETA 信息安全协议",
            description="SECRET-BETA 说明",
            copies=2,
            applies_to="all",
            template=SimpleUploadedFile("secret-beta.pdf", b"%PDF-1.4 SECRET-BETA", "application/pdf"),
        )
    return w._provider_doc_beta


def _document(w):
    return {"document_id": _beta_document(w).pk}, {"document_id": _MISSING}


FOREIGN = {
    "provider_docs:edit": _document,
    "provider_docs:toggle": _document,
    "provider_docs:template": _document,
}

NO_OBJECT = {"provider_docs:list"}


def snapshot(w) -> object:
    doc = _beta_document(w)
    with tenant_scope(w.beta.provider):
        return list(
            ProviderDocument.objects.filter(pk=doc.pk).values_list(
                "name", "description", "copies", "applies_to", "template_name", "active"
            )
        )
