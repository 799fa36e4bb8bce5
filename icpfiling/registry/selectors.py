"""Registry reads."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from icpfiling.registry.models import FiledEntity, FiledWebsite, FiledWebsiteDomain, Province, RegistryStatus


def filed_entity_find(*, certificate_number: str) -> FiledEntity | None:
    """The active entity with this certificate number, current or pre-三证合一 (R-O6)."""
    number = certificate_number.strip().upper()
    return (
        FiledEntity.objects.filter(status=RegistryStatus.ACTIVE)
        # R-X1: the certificate number is encrypted; its blind index hashes ``number`` the same way.
        .filter(Q(certificate_number_bidx=number) | Q(former_certificates__number=number))
        .select_related("province", "nature", "certificate_type")
        .first()
    )


def domains_taken(domains: list[str], *, exclude_website_id: int | None = None) -> list[str]:
    """Which of ``domains`` an active filed website already carries (main or further domain)."""
    wanted = {d.strip().lower() for d in domains if d}
    rows = FiledWebsiteDomain.objects.alias(d=Lower("domain")).filter(d__in=wanted, active=True)
    mains = FiledWebsite.objects.alias(d=Lower("domain")).filter(d__in=wanted, status=RegistryStatus.ACTIVE)
    if exclude_website_id is not None:
        rows = rows.exclude(website_id=exclude_website_id)
        mains = mains.exclude(pk=exclude_website_id)
    found = {d.lower() for d in rows.values_list("domain", flat=True)}
    found |= {d.lower() for d in mains.values_list("domain", flat=True)}
    return sorted(found)


def filed_website_find(*, domain: str) -> FiledWebsite | None:
    """The active website carrying ``domain``, as its main domain or a further one (R-C2)."""
    domain = domain.strip()
    found = (
        FiledWebsite.objects.filter(domain__iexact=domain, status=RegistryStatus.ACTIVE)
        .select_related("entity")
        .first()
    )
    if found is None:
        # Through the active-domain constraint's index on lower(domain).
        rows = FiledWebsiteDomain.objects.alias(d=Lower("domain")).filter(d=domain.lower(), active=True)
        found = (
            FiledWebsite.objects.filter(status=RegistryStatus.ACTIVE, pk__in=rows.values("website_id"))
            .select_related("entity")
            .first()
        )
    return found


def filed_entity_list_for_provinces(
    *, provinces: QuerySet[Province] | list[Province]
) -> QuerySet[FiledEntity]:
    return FiledEntity.objects.filter(province__in=provinces).select_related("province").order_by("-filed_at")


def filed_website_list_for_provider(*, provider_id: int) -> QuerySet[FiledWebsite]:
    """Websites this provider currently hosts."""
    return (
        FiledWebsite.objects.filter(
            access_records__provider_id=provider_id, access_records__ended_at__isnull=True
        )
        .select_related("entity")
        .order_by("website_number")
    )


def filed_app_package_find(*, entity_id: int, platform: str, package_name: str):
    """The active filing of this platform + package name by this entity, if any (R-AP5)."""
    from icpfiling.registry.models import FiledAppPackage

    return (
        FiledAppPackage.objects.filter(
            entity_id=entity_id, platform=platform, package_name__iexact=package_name.strip(), active=True
        )
        .select_related("app")
        .first()
    )
