"""Registry reads."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from icpfiling.registry.models import FiledEntity, FiledWebsite, Province, RegistryStatus


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


def filed_website_find(*, domain: str) -> FiledWebsite | None:
    return (
        FiledWebsite.objects.filter(domain__iexact=domain.strip(), status=RegistryStatus.ACTIVE)
        .select_related("entity")
        .first()
    )


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
