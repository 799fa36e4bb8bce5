"""URL-walk recipes for the verification-point application programme (vp:*, R-T2).

Beta gets one application in the agreement step (scans, a generated agreement), so
every alpha request that leaked would find something to show or change.
"""

from __future__ import annotations

from decimal import Decimal

from icpfiling.accounts.models import Role
from icpfiling.tenancy.context import tenant_scope
from verification_points.applications import services as svc
from verification_points.models.applications import (
    ApplicationEvent,
    ApplicationScan,
    Blacklist,
    PointAgreement,
    PointApplication,
)

_MISSING = 987654


def _beta(w) -> dict:
    """Beta's application, made once per World."""
    cached = getattr(w, "_vp_beta", None)
    if cached:
        return cached
    from tests.points.test_vp_application import T0, submit

    beta = w.beta
    app, token = submit(beta)
    admin = beta.users[Role.PROVIDER_ADMIN]
    with tenant_scope(beta.provider):
        PointApplication.objects.filter(pk=app.pk).update(company_name="SECRET-BETA 申请主体")
        svc.application_accept(application=PointApplication.objects.get(pk=app.pk), actor=admin, now=T0)
        svc.application_record_inspection(
            application=PointApplication.objects.get(pk=app.pk),
            actor=admin,
            premises_match=True,
            equipment_ok=True,
            staff_know_process=True,
            passed=True,
            now=T0,
        )
        svc.application_agreement_generate(
            application=PointApplication.objects.get(pk=app.pk),
            actor=admin,
            business_scope="SECRET-BETA 业务范围",
            price_low=Decimal("1"),
            price_mid=Decimal("2"),
            price_high=Decimal("3"),
        )
        scan_id = ApplicationScan.objects.filter(application_id=app.pk).values_list("pk", flat=True).first()
    cached = {"application_id": app.pk, "token": token, "scan_id": scan_id}
    w._vp_beta = cached
    return cached


def _token(w):
    return {"token": _beta(w)["token"]}, {"token": "x" * 43}


def _app(w):
    return {"application_id": _beta(w)["application_id"]}, {"application_id": _MISSING}


FOREIGN = {
    "vp:track": _token,
    "vp:track_supplement": _token,
    "vp:track_reinspection": _token,
    "vp:track_agreement": _token,
    "vp:track_scan": lambda w: (
        {"token": _beta(w)["token"], "scan_id": _beta(w)["scan_id"]},
        {"token": "x" * 43, "scan_id": _MISSING},
    ),
    "vp:admin_scan": lambda w: (
        {"application_id": _beta(w)["application_id"], "scan_id": _beta(w)["scan_id"]},
        {"application_id": _MISSING, "scan_id": _MISSING},
    ),
}
for _name in (
    "admin_detail",
    "admin_accept",
    "admin_supplement",
    "admin_schedule",
    "admin_inspection",
    "admin_agreement",
    "admin_agreement_pdf",
    "admin_agreement_signed",
    "admin_training",
    "admin_activate",
    "admin_refuse",
    "admin_reveal",
):
    FOREIGN[f"vp:{_name}"] = _app

NO_OBJECT = {"vp:apply", "vp:admin_list"}


def snapshot(w) -> object:
    """Everything about beta's applications an alpha request could change."""
    _beta(w)
    with tenant_scope(w.beta.provider):
        return (
            list(
                PointApplication.objects.order_by("pk").values_list(
                    "pk", "status", "status_changed_at", "point_id"
                )
            ),
            list(ApplicationScan.objects.order_by("pk").values_list("pk", "storage_name")),
            list(ApplicationEvent.objects.order_by("pk").values_list("pk", "kind")),
            list(PointAgreement.objects.order_by("pk").values_list("pk", "storage_name", "signed_at")),
            list(Blacklist.objects.order_by("pk").values_list("pk", "credit_code")),
        )
