"""Who returned an order, and the provider's resubmission window (R-M1, R-S3; seed 001).

Seed 001: "退回信息...根据退回信息做修改后请在5日内再次提交" and it tells 退回主办者修改
(the provider) from 管局退回 (the authority). The window is the provider's setting
(default 5 days); it is a timestamp swept like every other deadline: one reminder a
day before it closes, then the order expires (it can be reactivated and resubmitted).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from filings.authority.services import RejectItem, authority_reject
from filings.deadlines import deadlines_sweep
from filings.models import FilingOrder, OrderEvent, OrderStatus
from filings.workflow import order_transition
from icpfiling.notifications.models import Channel, OutboxMessage
from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled
from tests.factories import advance, complete_order

pytestmark = pytest.mark.django_db


def provider_return(tenant, order) -> FilingOrder:
    order = advance(tenant, order, "provider_review")
    with tenant_scope(tenant.provider):
        return order_transition(
            order=FilingOrder.objects.get(pk=order.pk),
            action="provider_return",
            actor=tenant.users["reviewer"],
            actor_kind="reviewer",
            message="请补充材料",
        )


def authority_return(tenant, order, authority) -> FilingOrder:
    order = advance(tenant, order, "authority_review")
    authority_reject(order=order, reviewer=authority, items=[RejectItem("order", "网站名称不规范", "")])
    with tenant_scope(tenant.provider):
        return FilingOrder.objects.get(pk=order.pk)


def fresh(order) -> FilingOrder:
    with tenant_scopes_disabled():
        return FilingOrder.objects.get(pk=order.pk)


def outbox(order, part: str) -> list[tuple[str, str]]:
    with tenant_scopes_disabled():
        return sorted(
            OutboxMessage.objects.filter(dedupe_key__startswith=f"order:{order.pk}:{part}").values_list(
                "channel", "subject"
            )
        )


def test_r_m1_resubmission_window_is_the_providers_setting(alpha, beta):
    # given alpha allows 3 days and beta keeps the default 5 (seed 001)
    alpha.provider.resubmission_window_days = 3
    alpha.provider.save(update_fields=["resubmission_window_days"])
    # when each returns an order
    a = provider_return(alpha, complete_order(alpha))
    b = provider_return(beta, complete_order(beta))
    # then each order's deadline counts from the return with its own provider's window
    assert a.resubmit_due_at == a.status_changed_at + timedelta(days=3)
    assert b.resubmit_due_at == b.status_changed_at + timedelta(days=5)
    # and the deadline is cleared once resubmitted
    with tenant_scope(alpha.provider):
        order_transition(order=a, action="resubmit", actor=alpha.users["applicant"], actor_kind="applicant")
    assert (fresh(a).resubmit_due_at, fresh(a).returned_by) == (None, "")


def test_r_m1_one_reminder_before_the_window_closes_then_the_order_expires(alpha, beta):
    # given a returned order at each provider, beta's returned later
    a = provider_return(alpha, complete_order(alpha))
    b = provider_return(beta, complete_order(beta))
    with tenant_scopes_disabled():
        FilingOrder.objects.filter(pk=b.pk).update(resubmit_due_at=a.resubmit_due_at + timedelta(days=3))
    # when the sweep runs 2 days, then 12 hours, before alpha's deadline
    assert deadlines_sweep(now=a.resubmit_due_at - timedelta(days=2))["resubmit_reminders"] == 0
    result = deadlines_sweep(now=a.resubmit_due_at - timedelta(hours=12))
    # then alpha's applicant is reminded once, on every channel, and beta's not yet
    assert result["resubmit_reminders"] == 1
    assert [c for c, _s in outbox(a, "resubmit:")] == [Channel.EMAIL, Channel.INBOX, Channel.SMS]
    assert outbox(b, "resubmit:") == []
    assert deadlines_sweep(now=a.resubmit_due_at - timedelta(hours=1))["resubmit_reminders"] == 0
    assert len(outbox(a, "resubmit:")) == 3
    # when the window has passed
    result = deadlines_sweep(now=a.resubmit_due_at + timedelta(minutes=1))
    # then alpha's order expires, once, with the reason in its timeline; beta's stays returned
    assert result["resubmit_expired"] == 1
    assert fresh(a).status == OrderStatus.EXPIRED
    assert fresh(b).status == OrderStatus.RETURNED
    with tenant_scopes_disabled():
        event = OrderEvent.objects.filter(order_id=a.pk).latest("pk")
    assert (event.kind, event.message) == (
        "expire",
        "未在接入商规定的期限内修改并重新提交，订单已失效；可重新激活后修改提交。",
    )
    assert deadlines_sweep(now=a.resubmit_due_at + timedelta(minutes=2))["resubmit_expired"] == 0
    # and the applicant can reactivate it
    with tenant_scope(alpha.provider):
        order = order_transition(
            order=fresh(a), action="reactivate", actor=alpha.users["applicant"], actor_kind="applicant"
        )
    assert order.status == OrderStatus.DRAFT


def test_seed001_provider_return_and_authority_return_are_told_apart(alpha, beta, platform_users):
    # given one order returned by the provider and one by the authority
    by_provider = provider_return(alpha, complete_order(alpha))
    by_authority = authority_return(alpha, complete_order(alpha), platform_users["authority"])
    other = provider_return(beta, complete_order(beta))
    assert (by_provider.returned_by, by_authority.returned_by) == ("provider", "authority")
    # then the notifications say who returned it and by when to resubmit
    assert (
        outbox(by_provider, "provider_return:")[0][1]
        == f"备案订单 #{by_provider.pk}：已退回待修改（接入商退回）"
    )
    assert (
        outbox(by_authority, "authority_reject:")[0][1]
        == f"备案订单 #{by_authority.pk}：已退回待修改（管局退回）"
    )
    # the applicant's list and order page say it
    applicant = alpha.client("applicant")
    listing = applicant.get("/orders/").content.decode()
    assert "已退回待修改 · 接入商退回" in listing
    assert "已退回待修改 · 管局退回" in listing
    page = applicant.get(f"/orders/{by_authority.pk}/").content.decode()
    assert "<strong>已退回待修改 · 管局退回</strong>" in page
    # the reviewer's queue filters on each
    reviewer = alpha.client("reviewer")
    r = reviewer.get("/review/", {"status": "returned:authority"})
    assert [row["pk"] for row in r.context["rows"]] == [by_authority.pk]
    assert r.context["rows"][0]["status"] == "已退回待修改 · 管局退回"
    r = reviewer.get("/review/", {"status": "returned:provider"})
    assert [row["pk"] for row in r.context["rows"]] == [by_provider.pk]  # never beta's
    assert "管局退回" in reviewer.get(f"/review/{by_authority.pk}/").content.decode()
    # an unknown filter value is a form error, not a 500
    assert reviewer.get("/review/", {"status": "returned:nobody"}).status_code == 200
    assert other.returned_by == "provider"
