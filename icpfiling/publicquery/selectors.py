"""Reads of the public query (R-Q1): public fields of active filings only.

Every search is a keyset page over websites (newest filing first) plus a count
capped at ``COUNT_CAP``, so a broad term costs the same as a narrow one. On
PostgreSQL a name piece goes through the bigram GIN indexes of migration
``registry.0004`` (``icp_bigrams(name) @> icp_bigrams(term)``, then LIKE as the
recheck); on SQLite (the embedded run) the same LIKE scans the table.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import date

import idna
from django.db import connection
from django.db.models import BooleanField, Count, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone

from icpfiling.publicquery.parse import Query
from icpfiling.registry.models import (
    AccessRecord,
    FiledApp,
    FiledEntity,
    FiledWebsite,
    FiledWebsiteDomain,
    RegistryStatus,
)

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


STATS_TTL_SECONDS = 600
_stats: dict[str, object] = {"at": 0.0, "freqs": (), "rows": 0.0}


def _name_stats() -> tuple[tuple[dict[str, float], ...], float]:
    """Each name index's most common bigrams with their row shares, and the number of websites.

    From PostgreSQL's own ANALYZE: ``pg_stats`` keeps, for an expression index over an array,
    its most common elements and their frequencies (a bigram missing there is rarer than every
    one listed), and ``pg_class`` the table's row estimate. Read at most every ten minutes.
    """
    now = time.monotonic()
    if now - float(_stats["at"]) < STATS_TTL_SECONDS and _stats["freqs"]:
        return _stats["freqs"], float(_stats["rows"])  # type: ignore[return-value]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
            " WHERE tablename IN ('filed_entity_name_bigrams', 'filed_website_name_bigrams')"
            " AND most_common_elems IS NOT NULL"
        )
        freqs = tuple(dict(zip(elems, shares, strict=False)) for elems, shares in cur.fetchall())
        cur.execute("SELECT reltuples FROM pg_class WHERE relname = 'registry_filedwebsite'")
        row = cur.fetchone()
    _stats.update(at=now, freqs=freqs, rows=max(float(row[0]) if row else 0.0, 0.0))
    return freqs, float(_stats["rows"])


def name_share(term: str) -> float:
    """The estimated share of names holding ``term``: its rarest bigram's share, in the larger table."""
    bigrams = {term[i : i + 2] for i in range(len(term) - 1)}
    freqs, _rows = _name_stats()
    if not bigrams or not freqs:
        return 0.0
    return max(min(table.get(b, 0.0) for b in bigrams) for table in freqs)


def is_dense(term: str) -> bool:
    """Whether walking the newest websites finds matches sooner than collecting them all.

    Collecting costs about share × rows; walking until the capped count is reached costs about
    cap / share rows. They are equal at share = sqrt(cap / rows): 1.6 % at 4,000,000 websites.
    """
    _freqs, rows = _name_stats()
    return rows > 0 and name_share(term) >= math.sqrt((COUNT_CAP + 1) / rows)


# Few matches: collect them through the bigram GIN indexes (LIKE rechecks each candidate).
_SELECTIVE = """
    SELECT id FROM registry_filedwebsite
     WHERE icp_bigrams(name) @> icp_bigrams(%s) AND lower(name) LIKE %s
    UNION
    SELECT w.id FROM registry_filedwebsite w
     WHERE w.entity_id IN (SELECT id FROM registry_filedentity
                            WHERE icp_bigrams(name) @> icp_bigrams(%s) AND lower(name) LIKE %s)
"""
# Many matches: test each website, newest first. The entity's name and status are read by a
# correlated subquery on purpose: the planner cannot estimate LIKE '%…%' and would otherwise hash
# join both tables whole; a per-row subquery keeps the walk down the primary key, which stops
# after the page (or the capped count) is found.
_DENSE = """
    (SELECT e.status = 'active' AND (lower(registry_filedwebsite.name) LIKE %s OR lower(e.name) LIKE %s)
       FROM registry_filedentity e WHERE e.id = registry_filedwebsite.entity_id)
"""


def _name_matching(term: str) -> QuerySet[FiledWebsite]:
    if connection.vendor != "postgresql":
        # SQLite (the embedded run) scans; icontains escapes % and _ itself.
        return _base().filter(Q(name__icontains=term) | Q(entity__name__icontains=term))
    like = escape_like(term)
    if is_dense(term):
        dense = RawSQL(_DENSE, [like, like], output_field=BooleanField())  # noqa: S611 - fixed SQL, bound params
        return FiledWebsite.objects.filter(status=RegistryStatus.ACTIVE).filter(dense)
    selective = RawSQL(_SELECTIVE, [term, like, term, like])  # noqa: S611 - fixed SQL, bound params
    return _base().filter(pk__in=selective)


def _base() -> QuerySet[FiledWebsite]:
    return FiledWebsite.objects.filter(status=RegistryStatus.ACTIVE, entity__status=RegistryStatus.ACTIVE)


def _matching(query: Query) -> QuerySet[FiledWebsite] | None:
    if query.kind == "domain":
        # R-C2: a website is found by any of its active domains, not only its main one. Both
        # lookups go through their lower(domain) indexes; the further ones are few (ids inline).
        further = list(
            FiledWebsiteDomain.objects.alias(d=Lower("domain"))
            .filter(d=query.value, active=True)
            .values_list("website_id", flat=True)[:10]
        )
        by_domain = Q(domain_lower=query.value)
        if further:
            by_domain |= Q(pk__in=further)
        return _base().alias(domain_lower=Lower("domain")).filter(by_domain)
    if query.kind == "service_number":
        return _base().filter(website_number=query.value)
    if query.kind == "entity_number":
        return _base().filter(entity__entity_number=query.value)
    if query.kind == "name":
        return _name_matching(query.value)
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
    page.cap = COUNT_CAP
    if query.kind == "entity_number":
        # The entity and its count in one query, so every kind of search costs the same three.
        page.entity = (
            FiledEntity.objects.filter(entity_number=query.value, status=RegistryStatus.ACTIVE)
            .annotate(active_sites=Count("websites", filter=Q(websites__status=RegistryStatus.ACTIVE)))
            .first()
        )
        counted = page.entity.active_sites if page.entity else 0
    else:
        counted = matching.values("pk")[: COUNT_CAP + 1].count()
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


# --- apps, mini-programs and quick apps (R-AP4) -------------------------------------------
# Shown beside the websites on the first page of a search: far fewer rows than websites, so
# one capped list instead of a second keyset; a name search scans app names (no bigram index).
APP_PAGE_SIZE = 20


def _public_app(app: FiledApp) -> PublicService:
    entity = app.entity
    return PublicService(
        pk=app.pk,
        kind=app.kind,
        entity_number=entity.entity_number,
        entity_name=entity.name,
        nature=entity.nature.name,
        province=entity.province.name,
        service_number=app.service_number,
        service_name=app.name,
        address="",
        approved_on=timezone.localdate(app.filed_at),
        providers=(app.provider.name,),
    )


def _apps_base() -> QuerySet[FiledApp]:
    return FiledApp.objects.filter(status=RegistryStatus.ACTIVE, entity__status=RegistryStatus.ACTIVE)


def public_app_search(*, query: Query) -> list[PublicService]:
    """Active apps matching a service number (``…号-NA``/``-NX``), an entity number or a name piece."""
    if query.kind == "service_number":
        apps = _apps_base().filter(service_number=query.value)
    elif query.kind == "entity_number":
        apps = _apps_base().filter(entity__entity_number=query.value)
    elif query.kind == "name":
        apps = _apps_base().filter(Q(name__icontains=query.value) | Q(entity__name__icontains=query.value))
    else:
        return []
    rows = apps.select_related("entity__nature", "entity__province", "provider").order_by("-pk")
    return [_public_app(a) for a in rows[:APP_PAGE_SIZE]]


def public_entity_apps(*, entity: FiledEntity) -> list[PublicService]:
    """The entity's active apps for its detail page, in number order."""
    rows = _apps_base().filter(entity=entity).select_related("entity__nature", "entity__province", "provider")
    return [_public_app(a) for a in rows.order_by("seq")]
