"""R-X2: identity images and personal data of orders that ended without approval are purged."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.utils import timezone

from filings.deadlines import deadlines_sweep, retention_purge_sweep
from filings.models import IDENTITY_KINDS, FilingOrder, MaterialFile, OrderStatus
from filings.workflow import TransitionError, order_transition
from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled
from tests.factories import complete_order


def _age(order, *, status, days, now):
    with tenant_scopes_disabled():
        FilingOrder.objects.filter(pk=order.pk).update(
            status=status, status_changed_at=now - timedelta(days=days)
        )


def _identity_files(order) -> list[str]:
    with tenant_scopes_disabled():
        return list(
            MaterialFile.objects.filter(order_id=order.pk, kind__in=IDENTITY_KINDS).values_list(
                "storage_name", flat=True
            )
        )


def _row(order) -> FilingOrder:
    with tenant_scopes_disabled():
        return FilingOrder.objects.get(pk=order.pk)


def test_r_x2_purge_after_the_providers_retention_period(
    alpha, beta, caplog, django_capture_on_commit_callbacks
):
    # given alpha keeps 30 days, beta the default 180; an expired order at each, 31 days old,
    # and an approved alpha order just as old
    alpha.provider.retention_days = 30
    alpha.provider.save(update_fields=["retention_days"])
    now = timezone.now()
    expired_alpha = complete_order(alpha)
    expired_beta = complete_order(beta)
    approved_alpha = complete_order(alpha)
    _age(expired_alpha, status=OrderStatus.EXPIRED, days=31, now=now)
    _age(expired_beta, status=OrderStatus.EXPIRED, days=31, now=now)
    _age(approved_alpha, status=OrderStatus.APPROVED, days=400, now=now)
    files = _identity_files(expired_alpha)
    secret_id, secret_mobile = _row(expired_alpha).principal_id_number, _row(expired_alpha).principal_mobile
    assert files
    assert secret_id
    assert secret_mobile
    storage = storages["default"]
    assert all(storage.exists(name) for name in files)
    # when the sweep runs
    with (
        caplog.at_level(logging.INFO, logger="icpfiling.retention"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        purged = retention_purge_sweep(now=now)
    # then only alpha's expired order is purged: images deleted from rows and storage, data blanked
    assert purged == 1
    assert _identity_files(expired_alpha) == []
    assert not any(storage.exists(name) for name in files)
    row = _row(expired_alpha)
    assert (row.principal_id_number, row.principal_mobile, row.emergency_mobile) == ("", "", "")
    assert row.identity_purged_at == now
    assert row.status == OrderStatus.EXPIRED
    # beta's (within its 180 days) and alpha's approved order keep everything
    assert _identity_files(expired_beta) != []
    assert _row(expired_beta).principal_id_number != ""
    assert _identity_files(approved_alpha) != []
    assert _row(approved_alpha).identity_purged_at is None
    # and the log says what happened without the data itself
    text = caplog.text
    assert f"order {expired_alpha.pk}" in text
    assert secret_id not in text
    assert secret_mobile not in text
    assert not any(name in text for name in files)
    # and a second sweep (or the full deadline sweep) changes nothing
    assert retention_purge_sweep(now=now + timedelta(minutes=1)) == 0
    assert deadlines_sweep(now=now + timedelta(minutes=2))["identity_purged"] == 0


def test_r_x2_an_order_within_retention_is_kept_and_a_purged_one_cannot_be_reactivated(alpha, beta):
    now = timezone.now()
    recent = complete_order(alpha)
    old = complete_order(alpha)
    _age(recent, status=OrderStatus.EXPIRED, days=179, now=now)
    _age(old, status=OrderStatus.EXPIRED, days=181, now=now)
    # when the sweep runs with the default 180 days
    assert retention_purge_sweep(now=now) == 1
    assert _row(recent).identity_purged_at is None
    # then the purged order refuses reactivation, the recent one can still come back
    with tenant_scope(alpha.provider):
        with pytest.raises(TransitionError):
            order_transition(
                order=_row(old), action="reactivate", actor=alpha.users["applicant"], actor_kind="applicant"
            )
        order_transition(
            order=_row(recent), action="reactivate", actor=alpha.users["applicant"], actor_kind="applicant"
        )
    assert _row(old).status == OrderStatus.EXPIRED
    assert _row(recent).status == OrderStatus.DRAFT
