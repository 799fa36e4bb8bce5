"""Registry writes: the number allocator and filing records (R-S6).

Numbers come from counters incremented by a single conditional UPDATE inside
the caller's transaction. On PostgreSQL the UPDATE takes the row lock, so a
concurrent approval waits and then increments the committed value; on SQLite
writers are serialised. Unique constraints on the numbers are the backstop:
no check-then-insert anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from icpfiling.core.validators import registered_domain
from icpfiling.registry.models import (
    AccessRecord,
    CertificateType,
    EntityNature,
    EntityNumberSequence,
    FiledApp,
    FiledAppDomain,
    FiledAppPackage,
    FiledEntity,
    FiledWebsite,
    FiledWebsiteDomain,
    Province,
    RegistryStatus,
)
from icpfiling.registry.search_text import search_text_of
from icpfiling.registry.selectors import domains_taken
from icpfiling.tenancy.models import Provider

SEQUENCE_DIGITS = 6


def format_entity_number(province: Province, year: int, value: int) -> str:
    """``浙ICP备2026000001号``: prefix, ICP备, year, six-digit sequence, 号."""
    if not 0 < value < 10**SEQUENCE_DIGITS:
        raise ValueError(f"entity sequence {value} does not fit {SEQUENCE_DIGITS} digits")
    return f"{province.icp_prefix}ICP备{year:04d}{value:0{SEQUENCE_DIGITS}d}号"


def format_website_number(entity_number: str, seq: int) -> str:
    return f"{entity_number}-{seq}"


def entity_number_allocate(*, province: Province, year: int | None = None) -> str:
    """Next entity number for the province (per-province, per-year sequence, never reused)."""
    year = year or timezone.localdate().year
    with transaction.atomic():
        # Creating the counter row races harmlessly: the unique constraint lets
        # exactly one insert win and the others do nothing.
        EntityNumberSequence.objects.bulk_create(
            [EntityNumberSequence(province=province, year=year, last_value=0)], ignore_conflicts=True
        )
        updated = EntityNumberSequence.objects.filter(province=province, year=year).update(
            last_value=F("last_value") + 1
        )
        if updated != 1:
            raise RuntimeError("entity number sequence row missing")
        value = (
            EntityNumberSequence.objects.filter(province=province, year=year)
            .values_list("last_value", flat=True)
            .get()
        )
    return format_entity_number(province, year, value)


def website_seq_allocate(*, entity: FiledEntity) -> int:
    """Next ``-N`` for the entity (never reused, even after a website is cancelled)."""
    with transaction.atomic():
        FiledEntity.objects.filter(pk=entity.pk).update(website_seq_last=F("website_seq_last") + 1)
        seq = FiledEntity.objects.filter(pk=entity.pk).values_list("website_seq_last", flat=True).get()
    entity.website_seq_last = seq
    return seq


@transaction.atomic
def registry_entity_file(
    *,
    province: Province,
    nature: EntityNature,
    certificate_type: CertificateType,
    certificate_number: str,
    name: str,
    principal_name: str,
    principal_mobile: str = "",
    filed_at: datetime | None = None,
) -> FiledEntity:
    """Record a newly approved entity with a freshly allocated number."""
    filed_at = filed_at or timezone.now()
    return FiledEntity.objects.create(
        province=province,
        nature=nature,
        certificate_type=certificate_type,
        certificate_number=certificate_number.strip().upper(),
        name=name,
        principal_name=principal_name,
        principal_mobile=principal_mobile,
        entity_number=entity_number_allocate(province=province, year=timezone.localtime(filed_at).year),
        filed_at=filed_at,
    )


def _search_text(service_name: str, entity: FiledEntity) -> str:
    """A new service's search text (R-Q1): searchable as soon as its approval commits."""
    return search_text_of(service_name, entity.name) if entity.status == RegistryStatus.ACTIVE else ""


class DomainTaken(ValueError):
    """A domain is already on an active filed website (R-C2: one website per active domain)."""

    def __init__(self, domain: str) -> None:
        super().__init__(domain)
        self.domain = domain


@transaction.atomic
def registry_website_file(
    *,
    entity: FiledEntity,
    domain: str,
    name: str,
    provider: Provider,
    filed_at: datetime | None = None,
    extra_domains: list[str] | tuple[str, ...] = (),
) -> FiledWebsite:
    """Record a newly approved website under ``entity`` and connect it to ``provider``.

    ``extra_domains`` are the website's further domains (R-C2). Raises ``DomainTaken`` when
    one is on another active website; the unique constraints decide a race.
    """
    filed_at = filed_at or timezone.now()
    main = domain.strip().lower()
    domains = list(dict.fromkeys([main, *(d.strip().lower() for d in extra_domains if d)]))
    taken = domains_taken(domains)
    if taken:
        raise DomainTaken(taken[0])
    seq = website_seq_allocate(entity=entity)
    website = FiledWebsite.objects.create(
        entity=entity,
        seq=seq,
        website_number=format_website_number(entity.entity_number, seq),
        domain=main,
        name=name,
        filed_at=filed_at,
        search_text=_search_text(name, entity),
    )
    FiledWebsiteDomain.objects.bulk_create([FiledWebsiteDomain(website=website, domain=d) for d in domains])
    AccessRecord.objects.create(website=website, provider=provider, since=filed_at)
    return website


@transaction.atomic
def registry_access_add(
    *, website: FiledWebsite, provider: Provider, since: datetime | None = None
) -> AccessRecord:
    """Connect an already filed website to another provider (新增接入)."""
    record, _ = AccessRecord.objects.get_or_create(
        website=website, provider=provider, ended_at=None, defaults={"since": since or timezone.now()}
    )
    return record


# The letter after ``-N`` per kind of filed app (R-AP4); websites have none.
APP_NUMBER_SUFFIX = {"app": "A", "mini_program": "X", "quick_app": "X"}


def format_app_number(entity_number: str, seq: int, kind: str) -> str:
    """``浙ICP备2026000001号-2A`` (app) / ``…号-3X`` (mini-program, quick app)."""
    return f"{entity_number}-{seq}{APP_NUMBER_SUFFIX[kind]}"


@transaction.atomic
def registry_app_file(
    *,
    entity: FiledEntity,
    kind: str,
    name: str,
    provider: Provider,
    packages: list[tuple[str, str, str]],
    mini_platform: str = "",
    mini_appid: str = "",
    domains: Sequence[str] = (),
    filed_at: datetime | None = None,
) -> FiledApp:
    """Record a newly approved app under ``entity``; ``packages`` are (platform, package, fingerprint).

    The ``-N`` comes from the entity's one sequence, shared with its websites, so
    numbers never collide and are never reused (R-AP4). The per-entity unique
    constraint on platform + package name refuses a second filing (R-AP5).
    ``domains`` are the domains the app uses (R-AP2, R-AP3); the public query finds the
    app by each one's registered domain.
    """
    filed_at = filed_at or timezone.now()
    seq = website_seq_allocate(entity=entity)
    app = FiledApp.objects.create(
        entity=entity,
        kind=kind,
        seq=seq,
        service_number=format_app_number(entity.entity_number, seq, kind),
        name=name,
        mini_platform=mini_platform,
        mini_appid=mini_appid,
        provider=provider,
        filed_at=filed_at,
        search_text=_search_text(name, entity),
    )
    FiledAppPackage.objects.bulk_create(
        [
            FiledAppPackage(app=app, entity=entity, platform=p, package_name=pkg, fingerprint=fp)
            for p, pkg, fp in packages
        ]
    )
    registered = {registered_domain(d) or d.strip().lower() for d in domains if d and d.strip()}
    FiledAppDomain.objects.bulk_create([FiledAppDomain(app=app, domain=d) for d in sorted(registered)])
    return app
