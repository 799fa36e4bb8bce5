"""R-K4: monthly tiered settlement of verification points, its statements, CSV and PDF."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from icpfiling.accounts.models import Role
from icpfiling.notifications.models import OutboxMessage
from icpfiling.tenancy.context import tenant_scope
from tests.factories import complete_order
from tests.points.test_vp_operations import make_checks, make_point, sh
from verification_points.models import MonthlyStatement, PointStatus, StatementStatus, VerificationPoint
from verification_points.operations.documents import csv_safe
from verification_points.operations.settlement import (
    settlement_catch_up,
    settlement_run,
    statement_mark_paid,
    tier_for,
)
from verification_points.tasks import settlement_monthly

OCTOBER = date(2026, 10, 1)
PRICES = {"price_low": Decimal("12.50"), "price_mid": Decimal("11.00"), "price_high": Decimal("9.99")}


def october_point(tenant, name="西湖核验点", **kw) -> VerificationPoint:
    """A point that existed before October 2026 (created_at is auto_now_add: moved back)."""
    point = make_point(tenant, name=name, **{**PRICES, **kw})
    with tenant_scope(tenant.provider):
        VerificationPoint.objects.filter(pk=point.pk).update(created_at=sh(2026, 9, 1))
        point.refresh_from_db()
    return point


def statements(tenant) -> list[tuple]:
    with tenant_scope(tenant.provider):
        return list(
            MonthlyStatement.objects.order_by("point__name", "month").values_list(
                "point__name", "month", "checks", "tier", "unit_price", "amount", "due_on", "status"
            )
        )


@pytest.mark.parametrize(
    ("n", "tier", "unit", "amount"),
    [
        (49, "low", Decimal("12.50"), Decimal("612.50")),
        (50, "mid", Decimal("11.00"), Decimal("550.00")),
        (100, "mid", Decimal("11.00"), Decimal("1100.00")),
        (101, "high", Decimal("9.99"), Decimal("1008.99")),
    ],
)
def test_r_k4_settlement_tiers_at_49_50_100_and_101_checks(alpha, beta, n, tier, unit, amount):
    # given a point with n checks in October 2026
    point = october_point(alpha)
    make_checks(alpha, point, sh(2026, 10, 15, 10), n=n)
    # when October is settled
    created = settlement_run(month=OCTOBER, today=date(2026, 11, 1))
    # then one statement prices all n checks at the tier's unit price, due on 15 November
    assert created == 1
    assert statements(alpha) == [
        ("西湖核验点", OCTOBER, n, tier, unit, amount, date(2026, 11, 15), StatementStatus.UNPAID)
    ]
    assert statements(beta) == []


def test_r_k4_tier_boundaries():
    assert [tier_for(n) for n in (0, 49, 50, 100, 101, 500)] == ["low", "low", "mid", "mid", "high", "high"]


def test_r_k4_month_is_counted_on_shanghai_boundaries(alpha):
    # given checks just either side of October's start and end in Asia/Shanghai
    point = october_point(alpha)
    order = complete_order(alpha, materials=False)
    make_checks(alpha, point, sh(2026, 9, 30, 23, 59, 59), order=order)  # September
    make_checks(alpha, point, sh(2026, 10, 1, 0, 0, 0), order=order)  # = 30 Sept 16:00 UTC, October
    make_checks(alpha, point, sh(2026, 10, 31, 23, 59, 59), order=order)  # October
    make_checks(alpha, point, sh(2026, 11, 1, 0, 0, 0), order=order)  # November
    # when October and September are settled
    settlement_run(month=date(2026, 10, 20), today=date(2026, 11, 1))  # any day of the month names it
    settlement_run(month=date(2026, 9, 1), today=date(2026, 11, 1))
    # then October counts exactly its two checks and September its one
    assert [(s[1], s[2], s[5], s[6]) for s in statements(alpha)] == [
        (date(2026, 9, 1), 1, Decimal("12.50"), date(2026, 10, 15)),
        (OCTOBER, 2, Decimal("25.00"), date(2026, 11, 15)),
    ]


def test_r_k4_second_run_for_the_same_month_changes_nothing(alpha, beta):
    # given October settled for both tenants
    a_point = october_point(alpha)
    b_point = october_point(beta, name="SECRET-BETA 核验点")
    make_checks(alpha, a_point, sh(2026, 10, 3, 10), n=3)
    make_checks(beta, b_point, sh(2026, 10, 3, 10), n=60)
    assert settlement_run(month=OCTOBER, today=date(2026, 11, 1)) == 2
    with tenant_scope(alpha.provider):
        before_a = list(MonthlyStatement.objects.values_list("pk", "checks", "amount", "created_at"))
    before_b = statements(beta)
    outbox_before = OutboxMessage.objects.count()
    # and a late check for October turns up, and a price changes
    make_checks(alpha, a_point, sh(2026, 10, 31, 12), n=1)
    with tenant_scope(alpha.provider):
        VerificationPoint.objects.filter(pk=a_point.pk).update(price_low=Decimal("99.00"))
    # when October is settled again
    assert settlement_run(month=OCTOBER, today=date(2026, 11, 2)) == 0
    # then every statement is exactly as before, and nobody is notified twice
    with tenant_scope(alpha.provider):
        assert list(MonthlyStatement.objects.values_list("pk", "checks", "amount", "created_at")) == before_a
    assert (
        statements(beta)
        == before_b
        == [
            (
                "SECRET-BETA 核验点",
                OCTOBER,
                60,
                "mid",
                Decimal("11.00"),
                Decimal("660.00"),
                date(2026, 11, 15),
                "unpaid",
            )
        ]
    )
    assert OutboxMessage.objects.count() == outbox_before


def test_r_k4_zero_check_points_get_a_zero_statement_terminated_and_new_points_do_not(alpha):
    # given an operating and a suspended point without checks, a terminated point with and one
    # without checks, and a point created in November
    october_point(alpha, name="A 运营")
    october_point(alpha, name="B 暂停", status=PointStatus.SUSPENDED, status_reason="装修")
    ended = october_point(alpha, name="C 终止有核验", status=PointStatus.TERMINATED, status_reason="到期")
    october_point(alpha, name="D 终止无核验", status=PointStatus.TERMINATED, status_reason="到期")
    make_point(alpha, name="E 十一月开通")  # created now, after October
    make_checks(alpha, ended, sh(2026, 10, 2, 10), n=2)
    # when October is settled
    assert settlement_run(month=OCTOBER, today=date(2026, 11, 1)) == 3
    # then the operating and suspended points have zero statements, the terminated one its two checks
    assert [(s[0], s[2], s[5]) for s in statements(alpha)] == [
        ("A 运营", 0, Decimal("0.00")),
        ("B 暂停", 0, Decimal("0.00")),
        ("C 终止有核验", 2, Decimal("25.00")),
    ]


def test_r_k4_remote_checks_are_not_counted_for_any_point(alpha):
    point = october_point(alpha)
    make_checks(alpha, None, sh(2026, 10, 5, 10), n=3)  # remote: no point
    make_checks(alpha, point, sh(2026, 10, 5, 10), n=1)
    settlement_run(month=OCTOBER, today=date(2026, 11, 1))
    assert [s[2] for s in statements(alpha)] == [1]


def test_r_k4_a_month_that_has_not_ended_is_refused(alpha):
    october_point(alpha)
    with pytest.raises(ValueError, match="has not ended"):
        settlement_run(month=OCTOBER, today=date(2026, 10, 31))
    assert statements(alpha) == []


def test_r_k4_december_is_due_on_15_january(alpha):
    october_point(alpha)
    settlement_run(month=date(2026, 12, 1), today=date(2027, 1, 1))
    assert [(s[1], s[6]) for s in statements(alpha)] == [(date(2026, 12, 1), date(2027, 1, 15))]


def test_r_k4_catch_up_settles_the_previous_month_on_any_later_day(alpha):
    # given the 1st was missed
    point = october_point(alpha)
    make_checks(alpha, point, sh(2026, 10, 9, 9), n=4)
    # when the daily task runs on 3 November, and again on 4 November
    assert settlement_catch_up(today=date(2026, 11, 3)) == 1
    assert settlement_catch_up(today=date(2026, 11, 4)) == 0
    # then October is settled once
    assert [(s[1], s[2]) for s in statements(alpha)] == [(OCTOBER, 4)]


def test_r_k4_monthly_task_settles_the_previous_month_and_tells_the_admins(alpha):
    # given a point that existed all of last month
    point = make_point(alpha, **PRICES)
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    with tenant_scope(alpha.provider):
        VerificationPoint.objects.filter(pk=point.pk).update(created_at=sh(2020, 1, 1))
    # when the periodic task runs (outside any tenant scope, as the worker does)
    assert settlement_monthly() == 1
    # then last month's statement exists and alpha's admin has one inbox message about it
    assert [s[1] for s in statements(alpha)] == [last_month]
    msgs = OutboxMessage.objects.filter(channel="inbox", recipient=str(alpha.users["provider_admin"].pk))
    assert [m.subject for m in msgs] == [f"{last_month:%Y-%m} 核验点结算单已生成"]
    assert msgs[0].tenant_id == alpha.provider.pk


# --------------------------------------------------------------------------- paid state


def test_r_k4_statement_marked_paid_once(alpha):
    october_point(alpha)
    settlement_run(month=OCTOBER, today=date(2026, 11, 1))
    admin = alpha.users["provider_admin"]
    with tenant_scope(alpha.provider):
        statement = MonthlyStatement.objects.get()
        statement_mark_paid(statement=statement, by=admin)
        stored = MonthlyStatement.objects.get()
        assert stored.status == StatementStatus.PAID
        assert stored.paid_at is not None
        with pytest.raises(ValidationError, match="已标记为已支付"):
            statement_mark_paid(statement=stored, by=admin)
        assert MonthlyStatement.objects.get().paid_at == stored.paid_at


def test_r_k4_paid_through_the_page_by_the_admin_only(alpha, beta):
    october_point(alpha)
    october_point(beta, name="SECRET-BETA 核验点")
    settlement_run(month=OCTOBER, today=date(2026, 11, 1))
    with tenant_scope(alpha.provider):
        a_statement = MonthlyStatement.objects.get()
    with tenant_scope(beta.provider):
        b_statement = MonthlyStatement.objects.get()
    url = reverse("points:statement_paid", args=[a_statement.pk])
    # a reviewer cannot, a GET does nothing
    assert alpha.client(Role.REVIEWER).post(url).status_code == 403
    assert alpha.client(Role.PROVIDER_ADMIN).get(url).status_code == 405
    # alpha's admin posting beta's statement gets 404 and beta's stays unpaid
    assert (
        alpha.client(Role.PROVIDER_ADMIN)
        .post(reverse("points:statement_paid", args=[b_statement.pk]))
        .status_code
        == 404
    )
    assert [s[7] for s in statements(beta)] == ["unpaid"]
    assert [s[7] for s in statements(alpha)] == ["unpaid"]
    # alpha's admin marks alpha's statement paid
    r = alpha.client(Role.PROVIDER_ADMIN).post(url)
    assert r.status_code == 302
    assert r["Location"] == reverse("points:statement_detail", args=[a_statement.pk])
    assert [s[7] for s in statements(alpha)] == ["paid"]


# --------------------------------------------------------------------------- pages, CSV, PDF


def _settled_with_beta(alpha, beta, *, name="西湖核验点"):
    point = october_point(alpha, name=name)
    order = complete_order(alpha, materials=False)
    make_checks(alpha, point, sh(2026, 10, 1, 9, 5), order=order)
    make_checks(alpha, point, sh(2026, 10, 20, 15, 30), order=order)
    b_point = october_point(beta, name="SECRET-BETA 核验点")
    make_checks(beta, b_point, sh(2026, 10, 2, 9), n=3)
    settlement_run(month=OCTOBER, today=date(2026, 11, 1))
    with tenant_scope(alpha.provider):
        return MonthlyStatement.objects.get(), order


def test_r_k4_statement_list_shows_only_own_statements_and_filters(alpha, beta):
    _settled_with_beta(alpha, beta)
    client = alpha.client(Role.PROVIDER_ADMIN)
    r = client.get(reverse("points:statement_list"))
    assert r.status_code == 200
    assert [(s.point.name, s.checks, s.amount) for s in r.context["statements"]] == [
        ("西湖核验点", 2, Decimal("25.00"))
    ]
    body = r.content.decode()
    assert "SECRET-BETA" not in body
    assert "共 1 份，合计 25.00 元，未支付 25.00 元。" in body
    # filters: another month and the paid status find nothing; a bad month is named
    assert client.get(reverse("points:statement_list"), {"month": "2026-09"}).context["statements"] == []
    assert client.get(reverse("points:statement_list"), {"status": "paid"}).context["statements"] == []
    assert len(client.get(reverse("points:statement_list"), {"month": "2026-10"}).context["statements"]) == 1
    bad = client.get(reverse("points:statement_list"), {"month": "2026-13"})
    assert bad.context["form"].errors == {"month": ["月份格式应为 YYYY-MM，例如 2026-10。"]}
    # other roles are refused
    assert alpha.client(Role.POINT_STAFF).get(reverse("points:statement_list")).status_code == 403


def test_r_k4_statement_detail_lists_the_counted_checks(alpha, beta):
    statement, _order = _settled_with_beta(alpha, beta)
    r = alpha.client(Role.PROVIDER_ADMIN).get(reverse("points:statement_detail", args=[statement.pk]))
    assert r.status_code == 200
    assert [timezone.localtime(c.recorded_at).strftime("%m-%d %H:%M") for c in r.context["checks"]] == [
        "10-01 09:05",
        "10-20 15:30",
    ]
    body = r.content.decode()
    assert "2026-11-15" in body
    assert "SECRET-BETA" not in body


def test_r_k4_statement_csv_is_excel_utf8_and_formula_safe(alpha, beta):
    # given a point whose name starts like a formula
    statement, order = _settled_with_beta(alpha, beta, name='=HYPERLINK("http://x")核验点')
    r = alpha.client(Role.PROVIDER_ADMIN).get(reverse("points:statement_csv", args=[statement.pk]))
    assert r.status_code == 200
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert r["Content-Disposition"] == f'attachment; filename="statement-{statement.point_id}-2026-10.csv"'
    # UTF-8 with a byte-order mark
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[:10] == [
        ["接入商", "Alpha Cloud"],
        ["核验点", '\'=HYPERLINK("http://x")核验点'],
        ["结算月份", "2026-10"],
        ["核验次数", "2"],
        ["档位", "低于 50 次"],
        ["单价（元）", "12.50"],
        ["金额（元）", "25.00"],
        ["付款截止日", "2026-11-15"],
        ["状态", "未支付"],
        ["支付时间", ""],
    ]
    assert rows[11:] == [
        ["核验时间", "订单", "核验结果", "核验人员"],
        ["2026-10-01 09:05", f"#{order.pk}", "核验通过", "point_staff@alpha.test"],
        ["2026-10-20 15:30", f"#{order.pk}", "核验通过", "point_staff@alpha.test"],
    ]
    assert "SECRET-BETA" not in r.content.decode("utf-8-sig")


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_r_k4_csv_cells_starting_like_formulas_are_quoted(value):
    assert csv_safe(value) == "'" + value


def test_r_k4_csv_plain_cells_stay_as_they_are():
    assert [csv_safe(v) for v in ("西湖", "12.50", None, "a=b")] == ["西湖", "12.50", "", "a=b"]


def test_r_k4_statement_pdf_has_the_figures(alpha, beta):
    statement, order = _settled_with_beta(alpha, beta)
    r = alpha.client(Role.PROVIDER_ADMIN).get(reverse("points:statement_pdf", args=[statement.pk]))
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    text = "".join("".join(page.extract_text() for page in reader.pages).split())
    for expected in (
        "核验点月度结算单",
        "AlphaCloud",
        "西湖核验点",
        "2026-10",
        "低于50次",
        "12.50",
        "25.00",
        "2026-11-15",
        "未支付",
        f"#{order.pk}",
        "2026-10-2015:30",
    ):
        assert expected in text, expected
    assert "SECRET-BETA" not in text


@pytest.mark.parametrize("name", ["statement_detail", "statement_csv", "statement_pdf"])
def test_r_k4_beta_statements_are_404_for_alpha(alpha, beta, name):
    _settled_with_beta(alpha, beta)
    with tenant_scope(beta.provider):
        b_statement = MonthlyStatement.objects.get()
    r = alpha.client(Role.PROVIDER_ADMIN).get(reverse(f"points:{name}", args=[b_statement.pk]))
    assert r.status_code == 404
    assert b"SECRET-BETA" not in r.content
