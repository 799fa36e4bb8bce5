"""Reads of the provider's own extra materials (seed 001: 信息安全协议)."""

from __future__ import annotations

from django.db.models import QuerySet

from filings.models import ProviderDocument
from icpfiling.tenancy.access import get_or_404
from icpfiling.tenancy.models import Provider


def provider_document_list(*, tenant: Provider, active_only: bool = False) -> QuerySet[ProviderDocument]:
    qs = ProviderDocument.objects.filter(tenant=tenant)
    return qs.filter(active=True) if active_only else qs


def access_provider_document_by_id(*, tenant: Provider, document_id: int, actor) -> ProviderDocument:
    """404 for a missing id and for another tenant's alike (logged)."""
    return get_or_404(ProviderDocument.objects.filter(tenant=tenant), actor=actor, pk=document_id)
