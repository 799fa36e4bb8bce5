"""The simulated provincial authority (管局): scope, queue, numbers, rejection (R-T3, R-S6, R-S7)."""

from __future__ import annotations

import logging
import re
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Max
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, set_urlconf
from django.utils import timezone

from filings.authority.selectors import (
    authority_queue_page,
    authority_queue_size,
    decode_cursor,
)
from filings.authority.services import RejectItem, authority_approve, authority_reject
from filings.models import FieldReturn, FileAccessLog, FilingOrder, MaterialFile, OrderEvent, OrderWebsite
from filings.orders.services import order_create
from filings.workflow import TransitionConflict, order_transition
from icpfiling.accounts.models import PlatformRole, User
from icpfiling.core.masking import mask_id_number, mask_mobile
from icpfiling.core.sample_images import sample_image
from icpfiling.notifications.models import OutboxMessage
from icpfiling.registry.models import AccessRecord, EntityNumberSequence, FiledEntity, FiledWebsite
from icpfiling.registry.reference import reference_data_load
from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled
from tests.conftest import PASSWORD, platform_client
from tests.factories import complete_order, detection_input, filed_entity, make_uscc
from tests.platform.test_url_walk import PLATFORM_URLCONF, walk
from tests.services import requires_postgres

PLATFORM = PLATFORM_URLCONF
MISSING = 987654
YEAR = timezone.localdate().year


# --- helpers ---------------------------------------------------------------------------------


def make_authority(email: str, *provinces: str, name: str = "") -> User:
    user = User.objects.create_user(
        email,
        PASSWORD,
        full_name=name,
        platform_role=PlatformRole.AUTHORITY,
        email_confirmed_at=timezone.now(),
    )
    user.authority_provinces.add(*provinces)
    return user


@pytest.fixture
def gd_authority(db) -> User:
    return make_authority("authority-gd@gov.test", "GD", name="广东审核员")


@pytest.fixture
def zj(platform_users) -> User:
    user = platform_users["authority"]
    user.full_name = "浙江审核员"
    user.save(update_fields=["full_name"])
    return user


# (action, actor role or None for the system, actor kind) from a draft to the authority (R-S1).
TO_AUTHORITY = [
    ("submit", "applicant", "applicant"),
    ("provider_pass", "reviewer", "reviewer"),
    ("verified", "reviewer", "reviewer"),
    ("submit_to_authority", "reviewer", "reviewer"),
    ("sms_passed", None, "system"),
]


def advance(tenant, order: FilingOrder, steps=TO_AUTHORITY) -> FilingOrder:
    with tenant_scope(tenant.provider):
        order = FilingOrder.objects.get(pk=order.pk)
        for action, role, kind in steps:
            order = order_transition(
                order=order, action=action, actor=tenant.users[role] if role else None, actor_kind=kind
            )
    return order


def at_authority(tenant, **kwargs) -> FilingOrder:
    return advance(tenant, complete_order(tenant, **kwargs))


def reload(tenant, order: FilingOrder) -> FilingOrder:
    with tenant_scope(tenant.provider):
        return FilingOrder.objects.select_related("registry_entity").get(pk=order.pk)


def state(tenant, order: FilingOrder) -> tuple:
    """Everything an authority action could change about one order, and the registry."""
    with tenant_scope(tenant.provider):
        o = FilingOrder.objects.get(pk=order.pk)
        return (
            o.status,
            o.registry_entity_id,
            o.review_round,
            list(OrderEvent.objects.filter(order=o).values_list("pk", flat=True)),
            list(FieldReturn.objects.filter(order=o).values_list("pk", flat=True)),
            list(OrderWebsite.objects.filter(order=o).values_list("registry_website_id", flat=True)),
            FileAccessLog.objects.filter(order=o).count(),
            FiledEntity.objects.count(),
            FiledWebsite.objects.count(),
            AccessRecord.objects.count(),
            list(EntityNumberSequence.objects.values_list("province_id", "year", "last_value")),
            OutboxMessage.objects.count(),
        )


def first_file_id(tenant, order: FilingOrder) -> int:
    with tenant_scope(tenant.provider):
        return MaterialFile.objects.filter(order_id=order.pk).values_list("pk", flat=True).first()


def order_from_detection(tenant, *, cert: str, domain: str, name: str = "新网站示例") -> FilingOrder:
    """A draft found by detection (new website / new access), with a site name; then to the authority."""
    with tenant_scope(tenant.provider):
        _, order = order_create(
            tenant=tenant.provider,
            applicant=tenant.users["applicant"],
            data=detection_input(cert=cert, domain=domain),
        )
        OrderWebsite.objects.filter(order=order, name="").update(name=name)
    return advance(tenant, order)


def reject_post(rows: list[dict]) -> dict:
    data = {
        "reject-TOTAL_FORMS": "5",
        "reject-INITIAL_FORMS": "0",
        "reject-MIN_NUM_FORMS": "0",
        "reject-MAX_NUM_FORMS": "20",
    }
    for i, row in enumerate(rows):
        for k, v in row.items():
            data[f"reject-{i}-{k}"] = v
    return data


# Parts of every page that differ per request, not per object: the CSRF token, and the
# language switcher's "next" (the requested path itself).
_PER_REQUEST = re.compile(rb'name="(?:csrfmiddlewaretoken|next)" value="[^"]*"')


def body(response) -> bytes:
    """The page without its per-request parts, to compare two answers byte for byte."""
    return _PER_REQUEST.sub(b"", response.content)


def new_outbox(since_pk: int) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(pk__gt=since_pk).order_by("pk"))


def outbox_mark() -> int:
    return OutboxMessage.objects.aggregate(m=Max("pk"))["m"] or 0


# --- R-T3: who sees what ---------------------------------------------------------------------


def test_r_t3_guangdong_reviewer_never_sees_a_zhejiang_order(alpha, zj, gd_authority, caplog):
    # given a Zhejiang order with the authority, with a material
    order = at_authority(alpha)
    file_id = first_file_id(alpha, order)
    before = state(alpha, order)
    gd = platform_client(gd_authority)
    # when the Guangdong reviewer looks for it in the queue
    page = gd.get(reverse("authority:queue", PLATFORM))
    # then it is not there
    assert page.status_code == 200
    assert f"#{order.pk}" not in page.content.decode()
    # and every direct address answers exactly like a missing order, and is logged
    caplog.set_level(logging.WARNING, logger="icpfiling.access")
    for name, kwargs, missing, method in [
        ("authority:order", {"order_id": order.pk}, {"order_id": MISSING}, "get"),
        (
            "authority:material_file",
            {"order_id": order.pk, "file_id": file_id},
            {"order_id": MISSING, "file_id": file_id},
            "get",
        ),
        ("authority:approve", {"order_id": order.pk}, {"order_id": MISSING}, "post"),
        ("authority:reject", {"order_id": order.pk}, {"order_id": MISSING}, "post"),
    ]:
        data = reject_post([{"field": "order", "reason": "越权"}]) if name == "authority:reject" else {}
        foreign = getattr(gd, method)(reverse(name, PLATFORM, kwargs=kwargs), data)
        absent = getattr(gd, method)(reverse(name, PLATFORM, kwargs=missing), data)
        assert (foreign.status_code, absent.status_code) == (404, 404), name
        assert body(foreign) == body(absent), name
    assert sum("denied filings.FilingOrder" in r.getMessage() for r in caplog.records) == 8
    # and nothing about the order, its files' audit log or the registry changed
    assert state(alpha, order) == before
    # the services refuse the wrong province too, even when called directly
    with pytest.raises(PermissionDenied):
        authority_approve(order=order, reviewer=gd_authority)
    with pytest.raises(PermissionDenied):
        authority_reject(order=order, reviewer=gd_authority, items=[RejectItem("order", "越权")])
    assert state(alpha, order) == before


def test_r_t3_orders_are_invisible_until_submitted_to_the_authority(alpha, zj):
    # given an order walked through every state before the authority
    order = complete_order(alpha)
    client = platform_client(zj)
    steps = iter(TO_AUTHORITY)
    for expected in ("draft", "provider_review", "verification", "provider_recheck", "sms_verification"):
        assert reload(alpha, order).status == expected
        # then in each of them the Zhejiang authority neither lists nor opens it
        assert client.get(reverse("authority:order", PLATFORM, args=[order.pk])).status_code == 404
        assert authority_queue_page(user=zj).rows == []
        advance(alpha, order, [next(steps)])
    # and from the moment it reaches the authority it does
    assert reload(alpha, order).status == "authority_review"
    assert client.get(reverse("authority:order", PLATFORM, args=[order.pk])).status_code == 200
    assert [r.order.pk for r in authority_queue_page(user=zj).rows] == [order.pk]


def test_r_t3_zhejiang_queue_holds_both_providers_and_nothing_from_guangdong(alpha, beta, zj, gd_authority):
    # given orders with the authority at both providers, and one of them moved to Guangdong
    a, b = at_authority(alpha), at_authority(beta)
    g = at_authority(alpha)
    with tenant_scopes_disabled():
        FilingOrder.objects.filter(pk=g.pk).update(province_id="GD")
    # when each authority opens its queue
    zj_page = platform_client(zj).get(reverse("authority:queue", PLATFORM))
    zj_rows = zj_page.context["page"].rows
    gd_rows = authority_queue_page(user=gd_authority).rows
    # then Zhejiang sees both providers' Zhejiang orders, with the provider named, and Guangdong only its own
    assert sorted((r.order.pk, r.provider_name) for r in zj_rows) == sorted(
        [(a.pk, "Alpha Cloud"), (b.pk, "Beta Cloud")]
    )
    assert "Alpha Cloud" in zj_page.content.decode()
    assert "Beta Cloud" in zj_page.content.decode()
    assert [r.order.pk for r in gd_rows] == [g.pk]
    # and each one's order page follows the same rule
    assert (
        platform_client(gd_authority).get(reverse("authority:order", PLATFORM, args=[a.pk])).status_code
        == 404
    )
    assert platform_client(zj).get(reverse("authority:order", PLATFORM, args=[g.pk])).status_code == 404
    # and a province filter outside one's own never widens the view
    assert authority_queue_page(user=zj, province="GD").rows == []


def test_r_t3_only_authority_reviewers_reach_the_portal(alpha, platform_users):
    order = at_authority(alpha)
    # an operator on the platform host is refused
    operator = platform_client(platform_users["operator"])
    assert operator.get(reverse("authority:queue", PLATFORM)).status_code == 403
    assert operator.get(reverse("authority:order", PLATFORM, args=[order.pk])).status_code == 403
    # an authority user without provinces sees an empty queue and no orders
    nobody = make_authority("authority-none@gov.test")
    assert (
        platform_client(nobody).get(reverse("authority:order", PLATFORM, args=[order.pk])).status_code == 404
    )
    assert authority_queue_page(user=nobody).rows == []
    # the portal does not exist on a provider's host
    for role in ("reviewer", "provider_admin", "applicant"):
        assert alpha.client(role).get("/authority/").status_code == 404
        assert alpha.client(role).get(f"/authority/orders/{order.pk}/").status_code == 404
    # anonymous visitors are sent to log in
    r = platform_client().get(reverse("authority:queue", PLATFORM))
    assert r.status_code == 302
    assert r["Location"].startswith("/accounts/login/")


def test_r_t3_decided_orders_stay_in_the_deciders_history_only(alpha, zj):
    # given an order the Zhejiang reviewer approved, and a colleague of the same province
    order = at_authority(alpha)
    authority_approve(order=order, reviewer=zj)
    colleague = make_authority("authority-zj2@gov.test", "ZJ")
    # then the decider still opens it and lists it in their history
    client = platform_client(zj)
    assert client.get(reverse("authority:order", PLATFORM, args=[order.pk])).status_code == 200
    history = client.get(reverse("authority:history", PLATFORM))
    assert [row.order.pk for row in history.context["rows"]] == [order.pk]
    # but it has left the queue, and the colleague, who did not decide it, no longer sees it
    assert authority_queue_page(user=zj).rows == []
    assert (
        platform_client(colleague).get(reverse("authority:order", PLATFORM, args=[order.pk])).status_code
        == 404
    )
    # and losing the province ends the decider's access too
    zj.authority_provinces.clear()
    assert client.get(reverse("authority:order", PLATFORM, args=[order.pk])).status_code == 404
    assert client.get(reverse("authority:history", PLATFORM)).context["rows"] == []


def test_r_t3_every_authority_url_answers_foreign_province_like_missing(alpha, beta, zj, gd_authority):
    """The authority's own scope walk: every ``authority:`` URL, a Zhejiang order vs a missing one."""
    orders = [at_authority(alpha), at_authority(beta)]
    draft = complete_order(beta)  # an order not yet with any authority
    recipes = {
        "authority:order": lambda o, f: {"order_id": o},
        "authority:approve": lambda o, f: {"order_id": o},
        "authority:reject": lambda o, f: {"order_id": o},
        "authority:material_file": lambda o, f: {"order_id": o, "file_id": f},
    }
    no_object = {"authority:queue", "authority:history"}
    names = {n for n, _ in walk(PLATFORM) if n.startswith("authority:")}
    assert names == set(recipes) | no_object, "every authority URL needs a recipe here"
    tenants = {orders[0].pk: alpha, orders[1].pk: beta, draft.pk: beta}
    cases = [(gd_authority, o) for o in orders] + [(zj, draft)]
    before = {o.pk: state(tenants[o.pk], o) for o in [*orders, draft]}
    for user, order in cases:
        file_id = first_file_id(tenants[order.pk], order)
        for name, kwargs in recipes.items():
            for method in ("get", "post"):
                data = reject_post([{"field": "order", "reason": "越权"}]) if method == "post" else {}
                foreign = getattr(platform_client(user), method)(
                    reverse(name, PLATFORM, kwargs=kwargs(order.pk, file_id)), data
                )
                missing = getattr(platform_client(user), method)(
                    reverse(name, PLATFORM, kwargs=kwargs(MISSING, MISSING)), data
                )
                assert foreign.status_code == missing.status_code, f"{method} {name}"
                assert foreign.status_code in {404, 405}, f"{method} {name}"
                assert body(foreign) == body(missing), f"{method} {name}"
        link = f'href="{reverse("authority:order", PLATFORM, args=[order.pk])}"'
        for name in no_object:
            assert link not in platform_client(user).get(reverse(name, PLATFORM)).content.decode(), name
    assert {o.pk: state(tenants[o.pk], o) for o in [*orders, draft]} == before


# --- the queue --------------------------------------------------------------------------------


def test_r_s6_queue_pages_by_deadline_with_working_days_and_overdue(alpha, beta, zj):
    # given three orders with the authority, one of them overdue
    a1, b1, a2 = at_authority(alpha), at_authority(beta), at_authority(alpha)
    now = timezone.now()
    with tenant_scopes_disabled():
        FilingOrder.objects.filter(pk=b1.pk).update(authority_due_at=now - timezone.timedelta(days=2))
        FilingOrder.objects.filter(pk=a2.pk).update(authority_due_at=now + timezone.timedelta(days=1))
    # when the queue is read two at a time
    with CaptureQueriesContext(connection) as q1:
        first = authority_queue_page(user=zj, limit=2)
    with CaptureQueriesContext(connection) as q2:
        second = authority_queue_page(user=zj, limit=2, after=first.next_cursor)
    # then the earliest deadline comes first, the pages join up, and the last page has no next
    assert [r.order.pk for r in first.rows] == [b1.pk, a2.pk]
    assert [r.order.pk for r in second.rows] == [a1.pk]
    assert second.next_cursor is None
    assert decode_cursor(first.next_cursor)[1] == a2.pk
    # the overdue order says so; the fresh one has Zhejiang's 30 working days (R-S6, province data)
    assert (first.rows[0].overdue, first.rows[0].working_days_left < 0) == (True, True)
    assert (second.rows[0].overdue, second.rows[0].working_days_left) == (False, 30)
    assert first.rows[0].provider_name == "Beta Cloud"
    with tenant_scope(beta.provider):
        assert first.rows[0].domains == [OrderWebsite.objects.get(order_id=b1.pk).domain]
    # a page costs the same few queries wherever it is, and never uses OFFSET or COUNT
    assert len(q1) == len(q2) <= 4
    sql = " ".join(q["sql"].upper() for q in [*q1.captured_queries, *q2.captured_queries])
    assert " OFFSET " not in sql
    assert "COUNT(" not in sql
    # the filters narrow it
    assert [r.order.pk for r in authority_queue_page(user=zj, due="overdue").rows] == [b1.pk]
    assert [r.order.pk for r in authority_queue_page(user=zj, due="soon").rows] == [a2.pk]
    # and the home page's counts are bounded counts
    assert authority_queue_size(user=zj).waiting == 3
    capped = authority_queue_size(user=zj, cap=1)
    assert (capped.waiting, capped.waiting_capped, capped.waiting_display) == (2, True, "1+")
    assert authority_queue_size(user=zj).overdue == 1


def test_r_s6_queue_page_refuses_a_forged_cursor_and_starts_again(alpha, zj):
    order = at_authority(alpha)
    client = platform_client(zj)
    r = client.get(reverse("authority:queue", PLATFORM), {"after": "not-a-cursor"})
    assert r.status_code == 200
    assert "翻页参数无效" in r.content.decode()
    assert [row.order.pk for row in r.context["page"].rows] == [order.pk]
    with pytest.raises(ValueError, match="invalid cursor"):
        decode_cursor("bm9wZQ")  # "nope"
    # an unknown filter value is a form error naming the field, not a crash
    r = client.get(reverse("authority:queue", PLATFORM), {"due": "tomorrow"})
    assert r.status_code == 200
    assert "due" in r.context["form"].errors


def test_home_page_links_the_queue_and_shows_bounded_counts(alpha, zj):
    at_authority(alpha)
    r = platform_client(zj).get("/")
    assert reverse("authority:queue", PLATFORM) in r.content.decode()
    # given the counts the home view can pass (authority_queue_size), the page shows them
    request = RequestFactory().get("/", HTTP_HOST="localhost")
    request.user, request.tenant, request.role = zj, None, "authority"
    set_urlconf(PLATFORM)  # as the tenant middleware does for the platform host
    try:
        html = render_to_string(
            "home/authority.html",
            {"provinces": [], "entities": [], "queue_size": authority_queue_size(user=zj)},
            request=request,
        )
    finally:
        set_urlconf(None)
    assert "等待审核：1 个订单" in html


# --- approval --------------------------------------------------------------------------------


def test_r_s6_approving_a_new_entity_issues_entity_and_website_numbers(alpha, zj):
    # given a new-entity order with two websites, with the Zhejiang authority
    order = at_authority(alpha, websites=2)
    mark = outbox_mark()
    # when the reviewer approves it on the order page
    r = platform_client(zj).post(reverse("authority:approve", PLATFORM, args=[order.pk]))
    assert r.status_code == 302
    assert r["Location"] == reverse("authority:order", PLATFORM, args=[order.pk])
    # then the entity has the province's next number and the websites -1, -2 in their order
    order = reload(alpha, order)
    assert order.status == "approved"
    assert order.approved_at is not None
    entity = order.registry_entity
    assert entity.entity_number == f"浙ICP备{YEAR}000001号"
    assert (entity.name, entity.principal_name, entity.principal_mobile) == (
        order.entity_name,
        order.principal_name,
        order.principal_mobile,
    )
    with tenant_scope(alpha.provider):
        sites = list(order.websites.select_related("registry_website").order_by("position"))
    assert [(s.domain, s.registry_website.website_number) for s in sites] == [
        (sites[0].domain, f"浙ICP备{YEAR}000001号-1"),
        (sites[1].domain, f"浙ICP备{YEAR}000001号-2"),
    ]
    assert [w.domain for w in FiledWebsite.objects.filter(entity=entity).order_by("seq")] == [
        s.domain for s in sites
    ]
    # and both websites are connected to this provider
    assert sorted(
        AccessRecord.objects.filter(ended_at=None).values_list("website__domain", "provider_id")
    ) == sorted((s.domain, alpha.provider.pk) for s in sites)
    # one event, by the reviewer, naming the numbers; the applicant is notified once per channel
    with tenant_scope(alpha.provider):
        events = list(OrderEvent.objects.filter(order_id=order.pk, kind="authority_approve"))
    assert [(e.actor_id, e.from_status, e.to_status) for e in events] == [
        (zj.pk, "authority_review", "approved")
    ]
    assert f"浙ICP备{YEAR}000001号-2" in events[0].message
    sent = new_outbox(mark)
    assert sent
    assert len({(m.channel, m.recipient) for m in sent}) == len(sent)
    # and the order page shows the numbers
    page = platform_client(zj).get(reverse("authority:order", PLATFORM, args=[order.pk])).content.decode()
    assert f"浙ICP备{YEAR}000001号-1" in page
    assert "审核通过并发放备案号" not in page  # decided: no more actions
    # and the applicant's own order page can show the numbers the order now carries
    applicant_page = alpha.client("applicant").get(reverse("filings:order_detail", args=[order.pk]))
    assert f"浙ICP备{YEAR}000001号-2" in applicant_page.content.decode()


def test_r_s6_approving_a_new_website_files_the_next_suffix_of_the_entity(alpha, beta, zj):
    # given a filed entity with two websites, and a new-website order for it at alpha
    cert = make_uscc()
    entity = filed_entity(cert=cert, sites=[("old-one.cn", beta.provider), ("old-two.cn", alpha.provider)])
    order = order_from_detection(alpha, cert=cert, domain="brand-new.cn")
    assert order.order_type == "new_website"
    sequence = list(EntityNumberSequence.objects.values_list("last_value", flat=True))
    # when the authority approves it
    authority_approve(order=order, reviewer=zj)
    # then the website is the entity's third, and no entity number was allocated
    site = FiledWebsite.objects.get(domain="brand-new.cn")
    assert (site.entity_id, site.website_number) == (entity.pk, f"{entity.entity_number}-3")
    assert list(EntityNumberSequence.objects.values_list("last_value", flat=True)) == sequence
    assert FiledEntity.objects.count() == 1
    assert AccessRecord.objects.filter(website=site, provider=alpha.provider, ended_at=None).count() == 1
    with tenant_scope(alpha.provider):
        assert OrderWebsite.objects.get(order_id=order.pk).registry_website_id == site.pk
    assert reload(alpha, order).registry_entity_id == entity.pk


def test_r_s6_approving_a_new_access_adds_this_provider_beside_the_old_one(alpha, beta, zj):
    # given a website filed and hosted at beta, and alpha's new-access order for it
    cert = make_uscc()
    entity = filed_entity(cert=cert, sites=[("moving.cn", beta.provider)])
    site = FiledWebsite.objects.get(domain="moving.cn")
    order = order_from_detection(alpha, cert=cert, domain="moving.cn")
    assert order.order_type == "new_access"
    # when the authority approves it
    authority_approve(order=order, reviewer=zj)
    # then alpha is added as an access provider and beta's record stays open
    assert sorted(
        AccessRecord.objects.filter(website=site, ended_at=None).values_list("provider_id", flat=True)
    ) == sorted([alpha.provider.pk, beta.provider.pk])
    # no new filing: the same entity and website numbers
    assert FiledWebsite.objects.filter(entity=entity).count() == 1
    assert reload(alpha, order).status == "approved"
    with tenant_scope(alpha.provider):
        event = OrderEvent.objects.get(order_id=order.pk, kind="authority_approve")
    assert site.website_number in event.message


def test_r_s6_a_second_approval_is_refused_and_allocates_nothing(alpha, zj):
    order = at_authority(alpha)
    authority_approve(order=order, reviewer=zj)
    before = state(alpha, order)
    # when the same (stale) order is approved again
    with pytest.raises(TransitionConflict) as caught:
        authority_approve(order=order, reviewer=zj)
    # then the loser learns who handled it, and nothing moved
    assert (caught.value.current_status, caught.value.by) == ("approved", "浙江审核员")
    assert state(alpha, order) == before
    # and the page tells the same to a second click
    client = platform_client(zj)
    r = client.post(reverse("authority:approve", PLATFORM, args=[order.pk]), follow=True)
    assert "该订单已由 浙江审核员 处理（当前状态：已备案）。" in r.content.decode()
    assert state(alpha, order) == before


def test_r_s6_registry_conflict_refuses_the_approval_without_half_writes(alpha, zj):
    # given an order whose domain meanwhile got filed elsewhere in the registry
    order = at_authority(alpha)
    with tenant_scope(alpha.provider):
        domain = OrderWebsite.objects.get(order_id=order.pk).domain
    filed_entity(sites=[(domain, alpha.provider)])
    before = state(alpha, order)
    # when the authority approves
    with pytest.raises(ValidationError, match=f"域名 {domain} 已由其他网站备案，不能通过"):
        authority_approve(order=order, reviewer=zj)
    # then nothing was written: no entity, no number, no event
    assert state(alpha, order) == before


# --- rejection -------------------------------------------------------------------------------


def test_r_s6_reject_returns_the_order_with_field_level_reasons(alpha, zj):
    order = at_authority(alpha, websites=2)
    round_ = reload(alpha, order).review_round
    mark = outbox_mark()
    # when the reviewer rejects with two reasons at once, one a common reason
    r = platform_client(zj).post(
        reverse("authority:reject", PLATFORM, args=[order.pk]),
        reject_post(
            [
                {
                    "field": "websites[1].domain",
                    "preset": "domain_not_realname_verified",
                    "suggestion": "完成实名",
                },
                {},
                {"field": "entity.principal_mobile", "reason": "手机号已用于他主体"},
            ]
        ),
    )
    assert r.status_code == 302
    # then the order is back with the applicant, with both reasons for this round from the authority
    assert reload(alpha, order).status == "returned"
    with tenant_scope(alpha.provider):
        returns = list(
            FieldReturn.objects.filter(order_id=order.pk).values_list(
                "round", "source", "field", "reason", "suggestion", "created_by"
            )
        )
        events = list(
            OrderEvent.objects.filter(order_id=order.pk, kind="authority_reject").values_list(
                "actor", "message"
            )
        )
    assert returns == [
        (round_, "authority", "websites[1].domain", "域名未实名认证", "完成实名", zj.pk),
        (round_, "authority", "entity.principal_mobile", "手机号已用于他主体", "", zj.pk),
    ]
    assert events == [(zj.pk, "域名未实名认证；手机号已用于他主体")]
    sent = new_outbox(mark)
    assert sent
    assert len({(m.channel, m.recipient) for m in sent}) == len(sent)
    # and no number was issued
    assert FiledEntity.objects.count() == 0


def test_r_s6_reject_without_a_reason_or_with_a_foreign_field_changes_nothing(alpha, zj):
    order = at_authority(alpha)
    before = state(alpha, order)
    client = platform_client(zj)
    url = reverse("authority:reject", PLATFORM, args=[order.pk])
    # no reason at all
    r = client.post(url, reject_post([]))
    assert r.status_code == 400
    assert "请至少填写一条退回原因。" in r.content.decode()
    # a field but no reason
    r = client.post(url, reject_post([{"field": "order"}]))
    assert r.status_code == 400
    assert "请选择常见原因或填写退回原因。" in r.content.decode()
    # a field the order does not have (the form offers only the order's own fields)
    r = client.post(url, reject_post([{"field": "websites[7].domain", "reason": "x"}]))
    assert r.status_code == 400
    assert state(alpha, order) == before
    # the service checks the same for other callers, naming the row and the field
    with pytest.raises(ValidationError) as caught:
        authority_reject(
            order=order,
            reviewer=zj,
            items=[
                RejectItem("order", "整体不合规"),
                RejectItem("websites[3].domain", "x"),
                ("entity.name", ""),
            ],
        )
    assert caught.value.messages == [
        "第 2 条：字段“websites[3].domain”不是本订单的字段。",
        "第 3 条：字段“entity.name”不是本订单的字段。",
        "第 3 条：请填写退回原因。",
    ]
    with pytest.raises(ValidationError, match="请至少填写一条退回原因"):
        authority_reject(order=order, reviewer=zj, items=[])
    assert state(alpha, order) == before


# --- the order page and its files ------------------------------------------------------------


def test_r_s6_order_page_shows_everything_masked_with_clock_and_provider(alpha, zj):
    order = at_authority(alpha)
    with tenant_scope(alpha.provider):
        FilingOrder.objects.filter(pk=order.pk).update(principal_mobile="13905710001")
    order = reload(alpha, order)
    r = platform_client(zj).get(reverse("authority:order", PLATFORM, args=[order.pk]))
    html = r.content.decode()
    assert r.status_code == 200
    # all data, with ID numbers and phones masked
    assert order.entity_name in html
    assert order.principal_id_number not in html
    assert mask_id_number(order.principal_id_number) in html
    assert "13905710001" not in html
    assert "139****0001" in html
    assert "Alpha Cloud" in html
    assert "剩 30 个工作日" in html  # Zhejiang's authority days (province data, R-S6)
    # the materials link to the authority's own audited file view, and the forms are there
    file_id = first_file_id(alpha, order)
    assert reverse("authority:material_file", PLATFORM, args=[order.pk, file_id]) in html
    assert reverse("authority:approve", PLATFORM, args=[order.pk]) in html
    assert 'name="reject-4-field"' in html
    assert "域名未实名认证" in html  # a common authority reason on offer


def test_mask_helpers():
    assert mask_id_number("330106199001011234") == "3301**********1234"
    assert mask_mobile("13805715678") == "138****5678"
    assert (mask_id_number(""), mask_mobile("")) == ("", "")


def test_r_d4_authority_file_view_is_served_and_audited_in_the_orders_tenant(alpha, zj):
    order = at_authority(alpha)
    file_id = first_file_id(alpha, order)
    r = platform_client(zj).get(reverse("authority:material_file", PLATFORM, args=[order.pk, file_id]))
    assert r.status_code == 200
    assert r["Content-Type"] == "image/jpeg"
    assert r["Cache-Control"] == "no-store, private"
    assert b"".join(r.streaming_content)[:2] == b"\xff\xd8"
    with tenant_scope(alpha.provider):
        log = FileAccessLog.objects.filter(order_id=order.pk, action="view").values_list(
            "actor", "material", "tenant"
        )
        assert list(log) == [(zj.pk, file_id, alpha.provider.pk)]
    # another order's file id under this order is a 404
    other = at_authority(alpha)
    other_file = first_file_id(alpha, other)
    r = platform_client(zj).get(reverse("authority:material_file", PLATFORM, args=[order.pk, other_file]))
    assert r.status_code == 404


# --- R-S7: nothing editable once with the authority ------------------------------------------


def test_r_s7_applicant_cannot_edit_withdraw_upload_or_delete_with_the_authority(alpha):
    order = at_authority(alpha)
    before = state(alpha, order)
    with tenant_scope(alpha.provider):
        site = OrderWebsite.objects.get(order_id=order.pk)
        material = MaterialFile.objects.filter(order_id=order.pk).first()
        files_before = list(MaterialFile.objects.filter(order_id=order.pk).values_list("pk", "sha256"))
        entity_name, site_name = FilingOrder.objects.get(pk=order.pk).entity_name, site.name
    client = alpha.client("applicant")
    detail = reverse("filings:order_detail", args=[order.pk])
    # editing the entity or a website leads back to the order page without saving
    r = client.post(reverse("filings:order_entity", args=[order.pk]), {"entity_name": "改名公司"})
    assert (r.status_code, r["Location"]) == (302, detail)
    r = client.post(reverse("filings:order_website_edit", args=[order.pk, site.pk]), {"name": "改名网站"})
    assert (r.status_code, r["Location"]) == (302, detail)
    # withdrawing is refused with a reason
    r = client.post(reverse("filings:order_withdraw", args=[order.pk]), follow=True)
    assert "当前状态不能撤回" in r.content.decode()
    # uploading and deleting materials are refused
    r = client.post(
        reverse("filings:material_upload", args=[order.pk]),
        {
            "slot": material.slot,
            "file": SimpleUploadedFile("x.jpg", sample_image(material.slot), "image/jpeg"),
        },
        follow=True,
    )
    assert "不能再上传材料" in r.content.decode()
    r = client.post(reverse("filings:material_delete", args=[order.pk, material.pk]), follow=True)
    assert "不能删除材料" in r.content.decode()
    r = client.post(reverse("filings:order_website_delete", args=[order.pk, site.pk]), follow=True)
    assert "不能修改" in r.content.decode()
    # and nothing changed
    assert state(alpha, order)[:6] == before[:6]
    with tenant_scope(alpha.provider):
        assert (
            list(MaterialFile.objects.filter(order_id=order.pk).values_list("pk", "sha256")) == files_before
        )
        assert FilingOrder.objects.get(pk=order.pk).entity_name == entity_name
        assert OrderWebsite.objects.get(pk=site.pk).name == site_name
    # the order page offers no edit or withdraw action
    html = client.get(detail).content.decode()
    assert reverse("filings:order_entity", args=[order.pk]) not in html
    assert reverse("filings:order_withdraw", args=[order.pk]) not in html


# --- races (PostgreSQL) ----------------------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_s6_eight_simultaneous_approvals_give_one_transition_and_one_number():
    from tests.conftest import make_tenant

    reference_data_load()  # transactional tests start from an empty database
    alpha = make_tenant("alpha")
    reviewer = make_authority("authority-race@gov.test", "ZJ", name="并发审核员")
    order = at_authority(alpha, websites=2)
    mark = outbox_mark()
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def approve() -> None:
        try:
            barrier.wait(timeout=10)
            authority_approve(order=order, reviewer=reviewer)
            outcomes.append("approved")
        except TransitionConflict as exc:
            outcomes.append(f"conflict:{exc.current_status}:{exc.by}")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # exactly one approval; the seven others were told who handled it
    assert sorted(outcomes) == ["approved"] + ["conflict:approved:并发审核员"] * 7
    # one event, one entity number with no gap, two website numbers, one set of notifications
    with tenant_scope(alpha.provider):
        assert OrderEvent.objects.filter(order_id=order.pk, kind="authority_approve").count() == 1
        assert FilingOrder.objects.get(pk=order.pk).status == "approved"
    assert EntityNumberSequence.objects.get(province_id="ZJ", year=YEAR).last_value == 1
    assert list(FiledEntity.objects.values_list("entity_number", flat=True)) == [f"浙ICP备{YEAR}000001号"]
    assert sorted(FiledWebsite.objects.values_list("website_number", flat=True)) == [
        f"浙ICP备{YEAR}000001号-1",
        f"浙ICP备{YEAR}000001号-2",
    ]
    sent = new_outbox(mark)
    assert sent
    assert len({(m.channel, m.recipient) for m in sent}) == len(sent)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_s6_simultaneous_approve_and_reject_give_exactly_one_decision():
    from tests.conftest import make_tenant

    reference_data_load()
    alpha = make_tenant("alpha")
    reviewer = make_authority("authority-race2@gov.test", "ZJ", name="并发审核员")
    order = at_authority(alpha)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def decide(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            if i % 2:
                authority_reject(order=order, reviewer=reviewer, items=[RejectItem("order", f"原因{i}")])
                outcomes.append("rejected")
            else:
                authority_approve(order=order, reviewer=reviewer)
                outcomes.append("approved")
        except TransitionConflict:
            outcomes.append("conflict")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("conflict") == 7, outcomes
    winner = next(o for o in outcomes if o != "conflict")
    with tenant_scope(alpha.provider):
        o = FilingOrder.objects.get(pk=order.pk)
        decisions = OrderEvent.objects.filter(
            order_id=order.pk, kind__in=["authority_approve", "authority_reject"]
        )
        assert decisions.count() == 1
        returns = FieldReturn.objects.filter(order_id=order.pk).count()
    # a losing approval allocates nothing: one number when approval won, none when rejection did
    sequence = list(EntityNumberSequence.objects.values_list("last_value", flat=True))
    if winner == "approved":
        assert (o.status, returns, FiledEntity.objects.count(), sequence) == ("approved", 0, 1, [1])
    else:
        assert winner == "rejected"
        assert (o.status, returns, FiledEntity.objects.count(), sequence) == ("returned", 1, 0, [])


@requires_postgres
def test_r_s6_queue_query_can_use_the_partial_authority_index(alpha, zj):
    # given the queue's SQL for one province
    at_authority(alpha)
    with CaptureQueriesContext(connection) as q:
        authority_queue_page(user=zj)
    queries = [x["sql"] for x in q.captured_queries]
    sql = next(x for x in queries if "ORDER BY" in x and "authority_due_at" in x)
    # when PostgreSQL may not scan the table (a few test rows would make a seq scan cheapest)
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cur.fetchall())
    # then the plan reads the partial index, in its order: no sort step, no OFFSET
    assert "order_authority_queue_idx" in plan
    assert "Sort" not in plan
