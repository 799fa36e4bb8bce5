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

from icpfiling.registry.models import (
    AccessRecord,
    ChangeKind,
    FiledEntity,
    FiledWebsite,
    FiledWebsiteDomain,
    FormerCertificate,
    RegistryChange,
    RegistryStatus,
)

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
) -> RegistryChange:
    return RegistryChange.objects.create(
        entity=entity,
        service=service,
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
        FiledEntity.objects.filter(status=RegistryStatus.ACTIVE, certificate_number=number)
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
            FiledEntity.objects.filter(pk=entity.pk).update(**columns)
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
        FiledEntity.objects.filter(pk=entity.pk).update(**columns)
        for k, v in columns.items():
            setattr(entity, k, v)
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
    """R-C4: cancel the entity and every website under it."""
    at = at or timezone.now()
    for service in entity.websites.filter(status=RegistryStatus.ACTIVE).order_by("seq"):
        registry_service_cancel(service=service, who=who, at=at)
    FiledEntity.objects.filter(pk=entity.pk).update(status=RegistryStatus.CANCELLED)
    entity.status = RegistryStatus.CANCELLED
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
    """R-C7: an active entity with no active website left (空壳主体)."""
    return (
        entity.status == RegistryStatus.ACTIVE
        and not entity.websites.filter(status=RegistryStatus.ACTIVE).exists()
    )
