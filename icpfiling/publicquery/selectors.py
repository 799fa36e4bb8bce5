"""Reads of the public query (R-Q1): public fields of active filings only.

Every search is a keyset page over websites (newest filing first) plus a count
capped at ``COUNT_CAP``, so a broad term costs the same as a narrow one. On
PostgreSQL a name piece goes through the bigram GIN indexes of migration
``registry.0004`` (``icp_bigrams(name) @> icp_bigrams(term)``, then LIKE as the
recheck); on SQLite (the embedded run) the same LIKE scans the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import idna
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone

from icpfiling.publicquery.parse import Query
from icpfiling.registry.models import AccessRecord, FiledEntity, FiledWebsite, RegistryStatus

PAGE_SIZE = 20
COUNT_CAP = 1000


@dataclass(frozen=True)
class PublicService:
    """One filed service as the public may see it (no certificate numbers, people or phones)."""

    pk: int
    kind: str  # "website" today; apps and mini-programs share the shape
    entity_number: str
    entity_name: str
    nature: str
    province: str
    service_number: str
    service_name: str
    address: str  # the domain, in its Unicode form
    approved_on: date
    providers: tuple[str, ...]


@dataclass
class SearchPage:
    query: Query
    results: list[PublicService] = field(default_factory=list)
    count: int = 0
    capped: bool = False
    cap: int = 0
    next_after: int | None = None
    entity: FiledEntity | None = None  # an entity-number search names the entity even without services


def escape_like(term: str) -> str:
    """A LIKE pattern matching ``term`` literally anywhere (``%``, ``_`` and ``\\`` escaped)."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _name_match(term: str) -> Q:
    if connection.vendor == "postgresql":
        like = escape_like(term)
        sites = RawSQL(
            "SELECT id FROM registry_filedwebsite WHERE icp_bigrams(name) @> icp_bigrams(%s)"
            " AND lower(name) LIKE %s",
            [term, like],
        )
        entities = RawSQL(
            "SELECT id FROM registry_filedentity WHERE icp_bigrams(name) @> icp_bigrams(%s)"
            " AND lower(name) LIKE %s",
            [term, like],
        )
        return Q(pk__in=sites) | Q(entity_id__in=entities)
    # icontains escapes % and _ itself.
    return Q(name__icontains=term) | Q(entity__name__icontains=term)


def _base() -> QuerySet[FiledWebsite]:
    return FiledWebsite.objects.filter(status=RegistryStatus.ACTIVE, entity__status=RegistryStatus.ACTIVE)


def _matching(query: Query) -> QuerySet[FiledWebsite] | None:
    if query.kind == "domain":
        return _base().alias(domain_lower=Lower("domain")).filter(domain_lower=query.value)
    if query.kind == "service_number":
        return _base().filter(website_number=query.value)
    if query.kind == "entity_number":
        return _base().filter(entity__entity_number=query.value)
    if query.kind == "name":
        return _base().filter(_name_match(query.value))
    return None


def _with_public_relations(sites: QuerySet[FiledWebsite]) -> QuerySet[FiledWebsite]:
    """The entity, nature, province and current providers a result shows, in two queries."""
    current = AccessRecord.objects.filter(ended_at__isnull=True).select_related("provider").order_by("since")
    return sites.select_related("entity__nature", "entity__province").prefetch_related(
        Prefetch("access_records", queryset=current, to_attr="current_access")
    )


def _display_domain(domain: str) -> str:
    try:
        return idna.decode(domain)
    except (idna.IDNAError, UnicodeError):
        return domain


def _public(site: FiledWebsite) -> PublicService:
    entity = site.entity
    return PublicService(
        pk=site.pk,
        kind="website",
        entity_number=entity.entity_number,
        entity_name=entity.name,
        nature=entity.nature.name,
        province=entity.province.name,
        service_number=site.website_number,
        service_name=site.name,
        address=_display_domain(site.domain),
        approved_on=timezone.localdate(site.filed_at),
        providers=tuple(r.provider.name for r in site.current_access),
    )


def public_search(*, query: Query, after: int | None = None) -> SearchPage:
    """One page of matches (newest first) after the keyset ``after``, and the capped count."""
    page = SearchPage(query=query)
    matching = _matching(query)
    if matching is None:
        return page
    if query.kind == "entity_number":
        page.entity = (
            FiledEntity.objects.filter(entity_number=query.value, status=RegistryStatus.ACTIVE)
            .select_related("nature", "province")
            .first()
        )
    counted = matching.values("pk")[: COUNT_CAP + 1].count()
    page.cap = COUNT_CAP
    page.count = min(counted, COUNT_CAP)
    page.capped = counted > COUNT_CAP
    rows = matching.order_by("-pk")
    if after is not None:
        rows = rows.filter(pk__lt=after)
    sites = list(_with_public_relations(rows)[: PAGE_SIZE + 1])
    page.results = [_public(s) for s in sites[:PAGE_SIZE]]
    if len(sites) > PAGE_SIZE:
        page.next_after = page.results[-1].pk
    return page


def public_entity(*, entity_number: str) -> tuple[FiledEntity | None, list[PublicService]]:
    """An active entity and its active services, for its detail page."""
    entity = (
        FiledEntity.objects.filter(entity_number=entity_number, status=RegistryStatus.ACTIVE)
        .select_related("nature", "province")
        .first()
    )
    if entity is None:
        return None, []
    sites = _with_public_relations(_base().filter(entity=entity).order_by("seq"))
    return entity, [_public(s) for s in sites]
