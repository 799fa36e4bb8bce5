"""Registry writes after approval (R-C1…R-C9): change, cancel, end an access record, with history.

Every write here records a ``RegistryChange`` in the same transaction (who,
when, which order, before → after). Cancelling marks records ``cancelled``
and never deletes them, so their numbers stay taken: the entity sequence and
``website_seq_last`` only ever grow (R-C9). The caller (the authority's
approval) holds the order's row lock, which makes each change happen once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from icpfiling.privacy.fields import with_blind_indexes
from icpfiling.registry.models import (
    AccessRecord,
    ChangeKind,
    FiledApp,
    FiledAppPackage,
    FiledEntity,
    FiledWebsite,
    FiledWebsiteDomain,
    FormerCertificate,
    RegistryChange,
    RegistryStatus,
)
from icpfiling.registry.search_text import search_text_refresh

# The registry columns a change may write; everything else of a diff is history only.
ENTITY_COLUMNS = {
    "entity_name": "name",
    "principal_name": "principal_name",
    "principal_mobile": "principal_mobile",
}
SERVICE_COLUMNS = {"name": "name"}


@dataclass(frozen=True)
class Who:
    """Who made a change and through which order (R-C9)."""

    provider_id: int | None = None
    order_id: int | None = None
    actor: object = None
    reason: str = ""

    @property
    def label(self) -> str:
        a = self.actor
        return (getattr(a, "full_name", "") or getattr(a, "email", "")) if a is not None else ""


def registry_history_record(
    *,
    entity: FiledEntity,
    kind: str,
    who: Who,
    before: dict,
    after: dict,
    service: FiledWebsite | None = None,
    at: datetime | None = None,
    app: FiledApp | None = None,
) -> RegistryChange:
    return RegistryChange.objects.create(
        entity=entity,
        service=service,
        app=app,
        service_kind=app.kind if app is not None else "website",
        kind=kind,
        provider_id=who.provider_id,
        order_id=who.order_id,
        actor=who.actor if getattr(who.actor, "pk", None) else None,
        actor_label=who.label[:200],
        before=before,
        after=after,
        reason=who.reason[:300],
        at=at or timezone.now(),
    )


class CertificateTaken(ValueError):
    """The new certificate number is already another entity's (current or former)."""


def _certificate_replace(entity: FiledEntity, before: dict, after: dict) -> dict:
    """R-C1 / R-O6: the new certificate (三证合一) becomes current, the old one a former certificate.

    Detection keeps finding the entity by its old number through ``FormerCertificate``. The
    unique constraints decide a clash (another active entity, or a number already kept as
    someone's former certificate); the caller gets ``CertificateTaken`` and nothing is written.
    """
    old_type = before.get("certificate_type", entity.certificate_type_id)
    old_number = before.get("certificate_number", entity.certificate_number)
    columns = {
        "certificate_type_id": after.get("certificate_type", entity.certificate_type_id),
        "certificate_number": after.get("certificate_number", entity.certificate_number),
    }
    number = columns["certificate_number"]
    if (
        # R-X1: the number is encrypted; its blind index hashes ``number`` the same way.
        FiledEntity.objects.filter(status=RegistryStatus.ACTIVE, certificate_number_bidx=number)
        .exclude(pk=entity.pk)
        .exists()
        or FormerCertificate.objects.filter(number=number).exclude(entity=entity).exists()
    ):
        raise CertificateTaken(number)
    try:
        with transaction.atomic():
            if old_number != number:
                FormerCertificate.objects.get_or_create(
                    entity=entity, number=old_number, defaults={"certificate_type_id": old_type}
                )
            FiledEntity.objects.filter(pk=entity.pk).update(**with_blind_indexes(FiledEntity, columns))
    except IntegrityError:
        raise CertificateTaken(number) from None
    return columns


@transaction.atomic
def registry_entity_change(
    *, entity: FiledEntity, before: dict, after: dict, who: Who, at: datetime | None = None
) -> FiledEntity:
    """R-C1: apply an approved entity diff; numbers never change.

    A certificate change (三证合一, validated by the order's checks) keeps the old number as a
    former certificate; raises ``CertificateTaken`` when the new number is no longer free.
    """
    if "certificate_number" in after or "certificate_type" in after:
        for k, v in _certificate_replace(entity, before, after).items():
            setattr(entity, k, v)
    columns = {ENTITY_COLUMNS[k]: v for k, v in after.items() if k in ENTITY_COLUMNS}
    if columns:
        # R-X1: a changed mobile moves its blind index too (R-V3 looks it up there).
        FiledEntity.objects.filter(pk=entity.pk).update(**with_blind_indexes(FiledEntity, columns))
        for k, v in columns.items():
            setattr(entity, k, v)
        if "name" in columns:
            search_text_refresh(entity_id=entity.pk)
    registry_history_record(
        entity=entity, kind=ChangeKind.CHANGE_ENTITY, who=who, before=before, after=after, at=at
    )
    return entity


@transaction.atomic
def registry_service_change(
    *,
    service: FiledWebsite,
    before: dict,
    after: dict,
    who: Who,
    kind: str = ChangeKind.CHANGE_SERVICE,
    at: datetime | None = None,
) -> FiledWebsite:
    """R-C2 / R-C3: apply an approved website (or access) diff; numbers never change.

    ``domains`` in ``after`` is the list the website keeps (R-C2: only removal); raises
    ``ValueError`` for anything else, with nothing written.
    """
    columns = {SERVICE_COLUMNS[k]: v for k, v in after.items() if k in SERVICE_COLUMNS}
    if "domains" in after:
        columns["domain"] = _domains_keep(service, after["domains"])
    if columns:
        FiledWebsite.objects.filter(pk=service.pk).update(**columns)
        for k, v in columns.items():
            setattr(service, k, v)
        if "name" in columns:
            search_text_refresh(entity_id=service.entity_id)
    registry_history_record(
        entity=service.entity, service=service, kind=kind, who=who, before=before, after=after, at=at
    )
    return service


def _domains_keep(service: FiledWebsite, keep: list[str]) -> str:
    """R-C2: deactivate the website's domains not in ``keep``; the main domain (the first kept).

    Domains can only be removed, and one always stays: the order's checks say so to the
    applicant, this refuses anything else (``ValueError``) so the registry can never gain a
    domain, or lose its last one, by a change.
    """
    rows = list(service.domains.filter(active=True))
    if not rows:  # a website filed before domains had rows: its main domain is its one row
        rows = [FiledWebsiteDomain.objects.create(website=service, domain=service.domain.lower())]
    current = [r.domain for r in sorted(rows, key=lambda r: (r.domain != service.domain.lower(), r.pk))]
    kept = [d.lower() for d in keep if d]
    if not kept or not set(kept) <= set(current):
        raise ValueError("domains can only be removed, and one must stay")
    gone = FiledWebsiteDomain.objects.filter(website=service, active=True).exclude(domain__in=kept)
    gone.update(active=False)
    return service.domain if service.domain.lower() in kept else kept[0]


def _open_access(service: FiledWebsite) -> QuerySet[AccessRecord]:
    return AccessRecord.objects.filter(website=service, ended_at__isnull=True)


def _providers(service: FiledWebsite) -> list[int]:
    return sorted(_open_access(service).values_list("provider_id", flat=True))


@transaction.atomic
def registry_service_cancel(*, service: FiledWebsite, who: Who, at: datetime | None = None) -> FiledWebsite:
    """R-C5: cancel one website and end its access records; its number is never reused."""
    at = at or timezone.now()
    before = {"status": service.status, "access": _providers(service)}
    _open_access(service).update(ended_at=at, end_reason=who.reason[:300])
    FiledWebsite.objects.filter(pk=service.pk).update(status=RegistryStatus.CANCELLED)
    # Its domains are free again (R-C2); the rows stay as history.
    FiledWebsiteDomain.objects.filter(website=service, active=True).update(active=False)
    service.status = RegistryStatus.CANCELLED
    search_text_refresh(entity_id=service.entity_id)  # gone from the public query at commit
    registry_history_record(
        entity=service.entity,
        service=service,
        kind=ChangeKind.CANCEL_SERVICE,
        who=who,
        before=before,
        after={"status": RegistryStatus.CANCELLED, "access": []},
        at=at,
    )
    return service


@transaction.atomic
def registry_entity_cancel(*, entity: FiledEntity, who: Who, at: datetime | None = None) -> FiledEntity:
    """R-C4: cancel the entity and every website and app under it."""
    at = at or timezone.now()
    for service in entity.websites.filter(status=RegistryStatus.ACTIVE).order_by("seq"):
        registry_service_cancel(service=service, who=who, at=at)
    for app in entity.apps.filter(status=RegistryStatus.ACTIVE).order_by("seq"):  # R-AP1: apps too
        registry_app_cancel(app=app, who=who, at=at)
    FiledEntity.objects.filter(pk=entity.pk).update(status=RegistryStatus.CANCELLED)
    entity.status = RegistryStatus.CANCELLED
    search_text_refresh(entity_id=entity.pk)
    registry_history_record(
        entity=entity,
        kind=ChangeKind.CANCEL_ENTITY,
        who=who,
        before={"status": RegistryStatus.ACTIVE},
        after={"status": RegistryStatus.CANCELLED},
        at=at,
    )
    return entity


@transaction.atomic
def registry_access_end(
    *,
    service: FiledWebsite,
    provider_id: int,
    who: Who,
    kind: str = ChangeKind.ACCESS_ENDED,
    at: datetime | None = None,
) -> bool:
    """End ``provider_id``'s access record (R-C6, R-C8). Returns True when the filing itself ended.

    The filing survives while another provider is still connected; otherwise the
    website's filing is cancelled (and its entity may become 空壳, R-C7).
    """
    at = at or timezone.now()
    before = _providers(service)
    ended = (
        _open_access(service).filter(provider_id=provider_id).update(ended_at=at, end_reason=who.reason[:300])
    )
    if ended != 1:
        raise ValueError("no open access record for this provider")
    after = _providers(service)
    registry_history_record(
        entity=service.entity,
        service=service,
        kind=kind,
        who=who,
        before={"access": before},
        after={"access": after},
        at=at,
    )
    if after:
        return False
    registry_service_cancel(service=service, who=who, at=at)
    return True


def entity_is_empty_shell(entity: FiledEntity) -> bool:
    """R-C7: an active entity with no active service left, website or app (空壳主体, R-AP1)."""
    return entity.status == RegistryStatus.ACTIVE and entity_active_services(entity) == 0


def entity_active_services(entity: FiledEntity) -> int:
    """How many filed services (websites, apps, mini-programs) the entity still has (R-C5, R-AP1)."""
    return (
        entity.websites.filter(status=RegistryStatus.ACTIVE).count()
        + entity.apps.filter(status=RegistryStatus.ACTIVE).count()
    )


# --- apps, mini-programs and quick apps as services (R-AP1, R-AP5, R-C2, R-C5, R-C6) ----------


class PackageTaken(ValueError):
    """R-AP5: the entity already files this platform + package name (or AppID) in another app."""


@transaction.atomic
def registry_app_change(
    *,
    app: FiledApp,
    before: dict,
    after: dict,
    who: Who,
    packages: list[tuple[str, str, str]] | None = None,
    at: datetime | None = None,
) -> FiledApp:
    """Apply an approved app diff; the number never changes (R-C2 for apps).

    ``packages`` (platform, package, fingerprint) replaces the app's active builds
    when the diff changed them: the old rows are kept inactive (history), and the
    per-entity unique constraint still decides R-AP5 — a clash raises PackageTaken.
    """
    if "name" in after:
        FiledApp.objects.filter(pk=app.pk).update(name=after["name"])
        app.name = after["name"]
        search_text_refresh(entity_id=app.entity_id)
    if packages is not None:
        FiledAppPackage.objects.filter(app=app, active=True).update(active=False)
        try:
            with transaction.atomic():
                FiledAppPackage.objects.bulk_create(
                    [
                        FiledAppPackage(
                            app=app, entity_id=app.entity_id, platform=p, package_name=n, fingerprint=f
                        )
                        for p, n, f in packages
                    ]
                )
        except IntegrityError:
            raise PackageTaken("platform + package already filed by this entity") from None
        mini = next((p for p in packages if p[0].startswith("mini:")), None)
        if mini is not None:
            FiledApp.objects.filter(pk=app.pk).update(mini_platform=mini[0][5:], mini_appid=mini[1])
    registry_history_record(
        entity=app.entity, app=app, kind=ChangeKind.CHANGE_APP, who=who, before=before, after=after, at=at
    )
    return app


@transaction.atomic
def registry_app_cancel(
    *, app: FiledApp, who: Who, kind: str = ChangeKind.CANCEL_APP, at: datetime | None = None
) -> FiledApp:
    """R-C5 for apps: cancel one app; its number stays taken (the entity's sequence only grows), and its
    platform + package names are freed for a later filing under a new number (R-AP5)."""
    at = at or timezone.now()
    before = {"status": app.status, "access": [app.provider_id]}
    FiledApp.objects.filter(pk=app.pk).update(status=RegistryStatus.CANCELLED)
    FiledAppPackage.objects.filter(app=app, active=True).update(active=False)
    app.status = RegistryStatus.CANCELLED
    search_text_refresh(entity_id=app.entity_id)
    registry_history_record(
        entity=app.entity,
        app=app,
        kind=kind,
        who=who,
        before=before,
        after={"status": RegistryStatus.CANCELLED, "access": []},
        at=at,
    )
    return app


def app_is_hosted_by(app: FiledApp, provider_id: int) -> bool:
    """An app has one provider, the one that filed it (R-AP4): its access record."""
    return app.status == RegistryStatus.ACTIVE and app.provider_id == provider_id


@transaction.atomic
def registry_app_access_end(*, app: FiledApp, provider_id: int, who: Who, at: datetime | None = None) -> bool:
    """R-C6 for apps: end ``provider_id``'s access. An app has no other provider, so its filing ends.

    Returns True (the filing ended), like ``registry_access_end`` for a website left with no provider;
    raises ValueError when the app is not (or no longer) accessed through ``provider_id``.
    """
    locked = FiledApp.objects.select_for_update().get(pk=app.pk)
    if not app_is_hosted_by(locked, provider_id):
        raise ValueError("no open access of this provider")
    registry_app_cancel(app=app, who=who, kind=ChangeKind.ACCESS_ENDED, at=at)
    return True
