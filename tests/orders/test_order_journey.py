"""The applicant's order journey through the web pages (R-O5…R-O7, R-V*, R-W*, R-S7, R-P2)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from filings.models import FilingOrder, OrderEvent, OrderStatus, OrderWebsite
from filings.orders.services import OrderConflict, order_create
from filings.states import REVIEWER
from filings.workflow import order_transition
from icpfiling.registry.reference import reference_data_load
from icpfiling.tenancy.context import tenant_scope
from tests.factories import (
    VALID_ENTITY,
    complete_order,
    detection_input,
    filed_entity,
    make_ric,
    make_uscc,
    server_for,
    upload_required_materials,
)
from tests.services import requires_postgres

pytestmark = pytest.mark.django_db


def _new_order(tenant, client, *, cert=None, domain="journey-demo.cn", **extra):
    r = client.post(
        "/orders/new/",
        {
            "province": "ZJ",
            "city": "杭州市",
            "county": "西湖区",
            "nature": 4,
            "certificate_type": "business_licence",
            "certificate_number": cert or make_uscc(),
            "domain": domain,
            **extra,
        },
    )
    return r


def _refresh(tenant, obj) -> None:
    with tenant_scope(tenant.provider):
        obj.refresh_from_db()


def _order_of(tenant) -> FilingOrder:
    with tenant_scope(tenant.provider):
        return FilingOrder.objects.get(applicant=tenant.users["applicant"])


def test_r_o4_detection_page_creates_a_locked_draft(alpha):
    client = alpha.client("applicant")
    r = _new_order(alpha, client)
    order = _order_of(alpha)
    assert r.status_code == 302
    assert r["Location"] == f"/orders/{order.pk}/entity/"
    assert (order.order_type, order.status, order.province_id) == ("new_entity", "draft", "ZJ")
    with tenant_scope(alpha.provider):
        assert list(order.websites.values_list("domain", flat=True)) == ["journey-demo.cn"]
        assert list(order.events.values_list("kind", flat=True)) == ["created"]


def test_r_o4_blocked_detection_says_why_and_creates_nothing(alpha, beta):
    filed_entity(sites=[("someone-elses.cn", beta.provider)])
    r = _new_order(alpha, alpha.client("applicant"), domain="someone-elses.cn")
    assert r.status_code == 200
    assert "已由其他主体备案" in r.content.decode()
    with tenant_scope(alpha.provider):
        assert FilingOrder.objects.count() == 0


def test_r_a1_unapproved_applicant_cannot_start_an_order(alpha):
    with tenant_scope(alpha.provider):
        m = alpha.users["applicant"].membership
        m.approved_at = None
        m.save()
    r = _new_order(alpha, alpha.client("applicant"))
    assert "等待接入商审核" in r.content.decode()
    with tenant_scope(alpha.provider):
        assert FilingOrder.objects.count() == 0


def test_r_o6_identity_fields_stay_locked(alpha):
    client = alpha.client("applicant")
    _new_order(alpha, client)
    order = _order_of(alpha)
    cert = order.certificate_number
    client.post(
        f"/orders/{order.pk}/entity/",
        {"entity_name": "改名公司", "certificate_number": make_uscc(), "province": "GD", "nature": 5},
    )
    _refresh(alpha, order)
    assert (order.certificate_number, order.province_id, order.nature_id, order.entity_name) == (
        cert,
        "ZJ",
        4,
        "改名公司",
    )


def test_drafts_keep_invalid_input_and_show_every_error_next_to_its_field(alpha):
    client = alpha.client("applicant")
    _new_order(alpha, client)
    order = _order_of(alpha)
    # when the entity step is saved with several mistakes
    r = client.post(
        f"/orders/{order.pk}/entity/",
        {
            "entity_name": "示例公司",
            "principal_name": "张三",
            "principal_id_number": "330106199001011230",
            "principal_mobile": "12345",
            "principal_email": "not-an-email",
            "emergency_mobile": "12345",
            "save": "1",
        },
    )
    # then everything typed is kept, valid or not
    _refresh(alpha, order)
    assert (order.principal_mobile, order.principal_email, order.principal_id_number) == (
        "12345",
        "not-an-email",
        "330106199001011230",
    )
    # and every error is shown at once, each on its field
    form = r.context["form"]
    assert {
        "principal_mobile",
        "principal_email",
        "principal_id_number",
        "emergency_mobile",
        "registered_address",
        "communication_address",
    } <= set(form.errors)
    body = r.content.decode()
    assert "请修改以下问题后再提交" in body
    # and coming back later shows the saved values
    again = client.get(f"/orders/{order.pk}/entity/").content.decode()
    assert 'value="not-an-email"' in again


def test_submit_refuses_an_incomplete_order_listing_all_errors_then_accepts_the_fixed_one(alpha):
    client = alpha.client("applicant")
    _new_order(alpha, client)
    order = _order_of(alpha)
    r = client.post(f"/orders/{order.pk}/preview/")
    _refresh(alpha, order)
    assert order.status == OrderStatus.DRAFT
    errors = r.context["errors"]
    assert len(errors) >= 8  # entity fields, website name, server, service content, real-name date …
    assert "websites[0].server" in errors
    # fix everything
    server = server_for(alpha, alpha.users["applicant"])
    client.post(
        f"/orders/{order.pk}/entity/",
        {**VALID_ENTITY, "principal_id_number": make_ric(), "principal_id_type": "resident_id"},
    )
    with tenant_scope(alpha.provider):
        site = order.websites.get()
    client.post(
        f"/orders/{order.pk}/websites/{site.pk}/",
        {
            "name": "示例科技官网",
            "domain_display": "journey-demo.cn",
            "homepage_url": "https://journey-demo.cn/",
            "service_content": ["unit_portal"],
            "languages": ["zh-hans"],
            "server": server.pk,
            "domain_real_name_on": (timezone.localdate() - dt.timedelta(days=5)).isoformat(),
            "domain_expires_on": (timezone.localdate() + dt.timedelta(days=200)).isoformat(),
            "domain_registrant": VALID_ENTITY["entity_name"],
            "domain_registrar": "阿里云",
            "principal_same_as_entity": "on",
        },
    )
    # the data is fixed; the materials are still missing and are listed the same way
    r = client.post(f"/orders/{order.pk}/preview/")
    assert list(r.context["errors"]) == ["materials"]
    upload_required_materials(alpha, order)
    r = client.post(f"/orders/{order.pk}/preview/")
    assert r.status_code == 302, r.context and r.context["errors"]
    _refresh(alpha, order)
    assert order.status == OrderStatus.PROVIDER_REVIEW
    assert order.submitted_at is not None
    assert mail.outbox[-1].to == ["applicant@alpha.test"]
    assert "等待接入商审核" in mail.outbox[-1].subject


def test_withdraw_returns_to_draft_until_the_provider_approves(alpha):
    order = complete_order(alpha)
    client = alpha.client("applicant")
    client.post(f"/orders/{order.pk}/preview/")
    client.post(f"/orders/{order.pk}/withdraw/")
    _refresh(alpha, order)
    assert order.status == OrderStatus.DRAFT
    client.post(f"/orders/{order.pk}/preview/")
    _refresh(alpha, order)
    with tenant_scope(alpha.provider):
        order_transition(
            order=order, action="provider_pass", actor=alpha.users["reviewer"], actor_kind=REVIEWER
        )
    r = client.post(f"/orders/{order.pk}/withdraw/", follow=True)
    _refresh(alpha, order)
    assert order.status == OrderStatus.VERIFICATION
    assert "初审通过后订单不能再撤回" in r.content.decode()
    with tenant_scope(alpha.provider):
        kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds == ["created", "submit", "withdraw", "submit", "provider_pass"]


def test_r_s7_order_with_the_authority_cannot_be_edited(alpha):
    order = complete_order(alpha)
    with tenant_scope(alpha.provider):
        FilingOrder.objects.filter(pk=order.pk).update(status=OrderStatus.AUTHORITY_REVIEW)
    client = alpha.client("applicant")
    r = client.post(f"/orders/{order.pk}/entity/", {"entity_name": "偷改"})
    assert r.status_code == 302
    _refresh(alpha, order)
    assert order.entity_name == VALID_ENTITY["entity_name"]


def test_r_o7_individual_orders_carry_one_website(alpha):
    client = alpha.client("applicant")
    client.post(
        "/orders/new/",
        {
            "province": "ZJ",
            "city": "杭州市",
            "county": "西湖区",
            "nature": 5,
            "certificate_type": "resident_id",
            "certificate_number": make_ric(),
            "domain": "zhang-notes.cn",
        },
    )
    order = _order_of(alpha)
    r = client.post(
        f"/orders/{order.pk}/websites/new/", {"name": "张三读书笔记", "domain_display": "zhang-2.cn"}
    )
    assert "每个订单最多 1 个网站" in r.content.decode()
    with tenant_scope(alpha.provider):
        assert order.websites.count() == 1


def test_r_w4_server_of_another_applicant_cannot_be_chosen(alpha, beta):
    client = alpha.client("applicant")
    _new_order(alpha, client)
    order = _order_of(alpha)
    foreign = server_for(beta, beta.users["applicant"])
    colleague = server_for(alpha, alpha.users["reviewer"])
    with tenant_scope(alpha.provider):
        site = order.websites.get()
    for server in (foreign, colleague):
        r = client.post(f"/orders/{order.pk}/websites/{site.pk}/", {"name": "示例官网", "server": server.pk})
        assert "server" in r.context["form"].errors
    with tenant_scope(alpha.provider):
        assert OrderWebsite.objects.get(pk=site.pk).server_id is None


def test_r_w4_server_with_less_than_90_days_is_refused_at_submit(alpha):
    order = complete_order(alpha)
    short = server_for(alpha, alpha.users["applicant"], days=30)
    with tenant_scope(alpha.provider):
        OrderWebsite.objects.filter(order=order).update(server=short)
    r = alpha.client("applicant").post(f"/orders/{order.pk}/preview/")
    assert "websites[0].server" in r.context["errors"]


def test_r_w4_a_server_carries_at_most_five_websites(alpha):
    order = complete_order(alpha, websites=6)
    server = server_for(alpha, alpha.users["applicant"])
    with tenant_scope(alpha.provider):
        OrderWebsite.objects.filter(order=order).update(server=server)
    r = alpha.client("applicant").post(f"/orders/{order.pk}/preview/")
    assert any("达到上限" in m for m in r.context["errors"]["websites[0].server"])


def test_r_p2_filed_information_lists_entities_websites_and_providers(alpha, beta):
    e = filed_entity(sites=[("filed-one.cn", alpha.provider), ("filed-two.cn", beta.provider)])
    with tenant_scope(alpha.provider):
        order_create(
            tenant=alpha.provider,
            applicant=alpha.users["applicant"],
            data=detection_input(cert=e.certificate_number, domain="filed-three.cn"),
        )
    body = alpha.client("applicant").get("/orders/filed/").content.decode()
    assert e.entity_number in body
    assert f"{e.entity_number}-1" in body
    assert f"{e.entity_number}-2" in body
    assert "Alpha Cloud" in body
    assert "Beta Cloud" in body


def test_tracking_page_shows_plain_stage_timeline_and_due_date(alpha):
    order = complete_order(alpha)
    client = alpha.client("applicant")
    client.post(f"/orders/{order.pk}/preview/")
    body = client.get(f"/orders/{order.pk}/").content.decode()
    assert '<li class="current">等待接入商审核</li>' in body
    assert "预计" in body
    assert "提交备案" in body  # the timeline's submit event


@pytest.mark.parametrize(
    "path", ["/orders/{pk}/", "/orders/{pk}/preview/", "/orders/{pk}/websites/", "/orders/"]
)
def test_pages_run_a_fixed_number_of_queries_for_1_and_10_websites(alpha, path):
    counts = []
    for n in (1, 10):
        order = complete_order(alpha, websites=n)
        client = alpha.client("applicant")
        client.get(path.format(pk=order.pk))  # warm the session and caches
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(path.format(pk=order.pk))
        assert r.status_code == 200
        counts.append(len(ctx.captured_queries))
        with tenant_scope(alpha.provider):
            FilingOrder.objects.filter(pk=order.pk).update(status=OrderStatus.APPROVED)
    assert counts[0] == counts[1], counts


def test_r_o5_second_open_order_for_the_same_entity_is_refused_by_the_database(alpha):
    e = filed_entity(sites=[("constraint-co.cn", alpha.provider)])
    with tenant_scope(alpha.provider):
        order_create(
            tenant=alpha.provider,
            applicant=alpha.users["applicant"],
            data=detection_input(cert=e.certificate_number, domain="constraint-co-2.cn"),
        )
        # bypass detection to prove the constraint itself holds
        with pytest.raises(Exception, match=r"order_one_open_per_entity|UNIQUE|unique"):
            FilingOrder.objects.create(
                tenant=alpha.provider,
                applicant=alpha.users["applicant"],
                order_type="new_website",
                province_id="ZJ",
                city="x",
                county="y",
                nature_id=4,
                certificate_type_id="business_licence",
                certificate_number=e.certificate_number,
                entity_key=f"entity:{e.pk}",
            )


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_o5_eight_simultaneous_creates_produce_one_open_order():
    from tests.conftest import make_tenant

    reference_data_load()
    alpha = make_tenant("alpha")
    e = filed_entity(sites=[("race-co.cn", alpha.provider)])
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def create(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            with tenant_scope(alpha.provider):
                _, order = order_create(
                    tenant=alpha.provider,
                    applicant=alpha.users["applicant"],
                    data=detection_input(cert=e.certificate_number, domain=f"race-{i}.cn"),
                )
            outcomes.append("created" if order else "blocked")
        except OrderConflict:
            outcomes.append("conflict")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert outcomes.count("created") == 1, outcomes
    assert set(outcomes) <= {"created", "conflict", "blocked"}
    with tenant_scope(alpha.provider):
        assert FilingOrder.objects.filter(entity_key=f"entity:{e.pk}").count() == 1


def test_background_autosave_stores_the_draft_and_answers_204(alpha):
    client = alpha.client("applicant")
    _new_order(alpha, client)
    order = _order_of(alpha)
    r = client.post(f"/orders/{order.pk}/entity/", {"entity_name": "半途关闭的标签页"}, HTTP_X_AUTOSAVE="1")
    assert r.status_code == 204
    _refresh(alpha, order)
    assert order.entity_name == "半途关闭的标签页"
    # the beacon sent when a tab closes carries a form field instead of a header
    r = client.post(f"/orders/{order.pk}/entity/", {"entity_name": "关闭时保存", "autosave": "1"})
    assert r.status_code == 204
    _refresh(alpha, order)
    assert order.entity_name == "关闭时保存"
