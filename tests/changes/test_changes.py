"""Change and cancel orders after approval (R-C1…R-C9, R-S7, R-P2, R-O4), on both tenants."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from filings.authority.services import authority_approve
from filings.changes.services import change_order_start, transfer_set
from filings.models import FilingOrder, OrderEvent, OrderWebsite
from filings.orders.detection import order_detect
from filings.orders.services import order_entity_save, order_submit, order_website_save, order_withdraw
from filings.ordertypes import action_for_type, spec_for
from filings.sms.services import sms_check_start
from filings.workflow import TransitionConflict, TransitionError, order_transition
from icpfiling.notifications.models import OutboxMessage
from icpfiling.registry.models import AccessRecord, FiledEntity, FiledWebsite, RegistryChange
from icpfiling.registry.reference import reference_data_load
from icpfiling.registry.services import registry_access_add
from icpfiling.tenancy.context import tenant_scope
from tests.authority.test_authority import make_authority
from tests.factories import complete_order, detection_input, upload_required_materials
from tests.services import requires_postgres

TENANTS = ["alpha", "beta"]


# --- helpers ---------------------------------------------------------------------------------


def approved_entity(tenant, authority, *, websites: int = 1) -> FiledEntity:
    """A new-entity order at ``tenant`` through every step to the registry; its filed entity."""
    order = complete_order(tenant, websites=websites)
    return through_authority(tenant, order, authority).registry_entity


def through_authority(tenant, order: FilingOrder, authority) -> FilingOrder:
    """Submit and move an order along the one engine (the type decides pass and SMS), then approve."""
    applicant, reviewer = tenant.users["applicant"], tenant.users["reviewer"]
    with tenant_scope(tenant.provider):
        order = FilingOrder.objects.get(pk=order.pk)
        if order.status == "draft":
            assert order_submit(order=order, actor=applicant) == {}
        order = FilingOrder.objects.get(pk=order.pk)
        order = order_transition(
            order=order,
            action=action_for_type(order.order_type, "provider_pass"),
            actor=reviewer,
            actor_kind="reviewer",
        )
        if order.status == "verification":
            order = order_transition(order=order, action="verified", actor=reviewer, actor_kind="reviewer")
        order = sms_check_start(order=order, actor=reviewer)
        if order.status == "sms_verification":  # codes were sent: the system step stands for the entries
            order = order_transition(order=order, action="sms_passed", actor=None, actor_kind="system")
        assert order.status == "authority_review"
    authority_approve(order=order, reviewer=authority)
    with tenant_scope(tenant.provider):
        return FilingOrder.objects.select_related("registry_entity").get(pk=order.pk)


def start(tenant, order_type, entity, service=None, **kw) -> FilingOrder:
    with tenant_scope(tenant.provider):
        return change_order_start(
            tenant=tenant.provider,
            applicant=tenant.users["applicant"],
            order_type=order_type,
            entity=entity,
            service=service,
            **kw,
        )


def registry_state(entity: FiledEntity) -> tuple:
    entity.refresh_from_db()
    return (
        entity.name,
        entity.principal_name,
        entity.status,
        list(entity.websites.order_by("seq").values_list("website_number", "name", "status")),
        list(AccessRecord.objects.filter(website__entity=entity).values_list("provider_id", "ended_at")),
        RegistryChange.objects.filter(entity=entity).count(),
    )


@pytest.fixture
def tenants(alpha, beta):
    return {"alpha": alpha, "beta": beta}


@pytest.fixture
def authority(platform_users):
    return platform_users["authority"]


# --- R-C1 / R-C9 -----------------------------------------------------------------------------


@pytest.mark.parametrize("which", TENANTS)
def test_r_c1_r_c9_change_entity_through_the_lifecycle_changes_the_registry_with_history(
    tenants, authority, which
):
    # given an entity filed through this tenant
    tenant = tenants[which]
    entity = approved_entity(tenant, authority)
    number = entity.entity_number
    # when the applicant changes the principal's mobile and the address and the authority approves
    order = start(tenant, "change_entity", entity)
    with tenant_scope(tenant.provider):
        order_entity_save(
            order=order,
            actor=tenant.users["applicant"],
            values={"principal_mobile": "13905719999", "communication_address": "杭州市西湖区新路 9 号"},
        )
    upload_required_materials(tenant, order)
    order = through_authority(tenant, order, authority)
    # then the registry holds the new mobile under the same number, with the before → after history
    entity.refresh_from_db()
    assert order.status == "approved"
    assert (entity.entity_number, entity.principal_mobile) == (number, "13905719999")
    change = RegistryChange.objects.get(entity=entity, kind="change_entity")
    assert change.before == {
        "principal_mobile": "13905710001",
        "communication_address": "杭州市西湖区示例路 1 号 8 楼",
    }
    assert change.after == {
        "principal_mobile": "13905719999",
        "communication_address": "杭州市西湖区新路 9 号",
    }
    assert (change.order_id, change.provider_id, change.actor_id) == (
        order.pk,
        tenant.provider.pk,
        authority.pk,
    )


def test_r_c1_change_entity_without_any_change_cannot_be_submitted(alpha, beta, authority):
    # given an entity filed at alpha and a 变更主体 draft with nothing changed
    entity = approved_entity(alpha, authority)
    before = registry_state(entity)
    order = start(alpha, "change_entity", entity)
    upload_required_materials(alpha, order)
    # when the applicant submits
    with tenant_scope(alpha.provider):
        errors = order_submit(order=order, actor=alpha.users["applicant"])
        order.refresh_from_db()
    # then it is refused with the reason, and nothing moved
    assert errors["order"] == ["没有任何变更：请修改要变更的信息后再提交。"]
    assert order.status == "draft"
    assert registry_state(entity) == before


def test_r_c1_diff_is_shown_to_reviewer_and_authority_as_before_and_after(alpha, beta, authority):
    # given a 变更主体 order with the authority, which renames the entity
    entity = approved_entity(alpha, authority)
    order = start(alpha, "change_entity", entity)
    with tenant_scope(alpha.provider):
        order_entity_save(
            order=order, actor=alpha.users["applicant"], values={"entity_name": "杭州新名科技有限公司"}
        )
    upload_required_materials(alpha, order)
    with tenant_scope(alpha.provider):
        assert order_submit(order=order, actor=alpha.users["applicant"]) == {}
    # when the reviewer opens it, and the authority once it is submitted to them
    from tests.conftest import platform_client
    from tests.platform.test_url_walk import PLATFORM_URLCONF

    review = alpha.client("reviewer").get(reverse("review:order", kwargs={"order_id": order.pk}))
    with tenant_scope(alpha.provider):
        order = FilingOrder.objects.get(pk=order.pk)
        for action in ("provider_pass", "verified", "submit_to_authority", "sms_passed"):
            kind = "system" if action == "sms_passed" else "reviewer"
            order = order_transition(
                order=order,
                action=action,
                actor=alpha.users["reviewer"] if kind == "reviewer" else None,
                actor_kind=kind,
            )
    auth = platform_client(authority).get(
        reverse("authority:order", urlconf=PLATFORM_URLCONF, kwargs={"order_id": order.pk})
    )
    # then both see the section with before → after
    for response in (review, auth):
        html = response.content.decode()
        assert response.status_code == 200
        assert 'id="change-diff"' in html
        assert (
            '<td class="before">杭州示例科技有限公司</td><td class="after">杭州新名科技有限公司</td>' in html
        )
    # and the name change asks for the registrar's proof (R-C1 materials)
    with tenant_scope(alpha.provider):
        from filings.materials.requirements import requirements_for

        assert "change_proof" in [r.slot for r in requirements_for(FilingOrder.objects.get(pk=order.pk))]


# --- R-C2 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", TENANTS)
def test_r_c2_change_website_renames_it_and_keeps_its_number(tenants, authority, which):
    # given a filed website
    tenant = tenants[which]
    entity = approved_entity(tenant, authority)
    site = entity.websites.get()
    # when its name changes through 变更网站
    order = start(tenant, "change_website", entity, site)
    with tenant_scope(tenant.provider):
        w = order.websites.get()
        order_website_save(
            order=order, website=w, actor=tenant.users["applicant"], values={"name": "示例科技新官网"}
        )
    upload_required_materials(tenant, order)
    through_authority(tenant, order, authority)
    # then the registry has the new name, the same number and domain, and the history
    site.refresh_from_db()
    assert (site.name, site.website_number, site.status) == (
        "示例科技新官网",
        f"{entity.entity_number}-1",
        "active",
    )
    assert RegistryChange.objects.get(service=site, kind="change_service").after == {"name": "示例科技新官网"}


def test_r_c2_domains_can_only_be_removed_never_changed(alpha, beta, authority):
    # given a 变更网站 draft
    entity = approved_entity(alpha, authority)
    site = entity.websites.get()
    before = registry_state(entity)
    order = start(alpha, "change_website", entity, site)
    # when the applicant tries to change the domain (and the name)
    with tenant_scope(alpha.provider):
        w = order.websites.get()
        order_website_save(
            order=order,
            website=w,
            actor=alpha.users["applicant"],
            values={"domain_display": "other-domain.cn", "name": "新名字"},
        )
        w.refresh_from_db()
        # then the domain stays the registry's (the name may change)
        assert (w.domain, w.name) == (site.domain, "新名字")
        # and a domain forced in is refused at submission with the rule
        OrderWebsite.objects.filter(pk=w.pk).update(domain="other-domain.cn")
        errors = order_submit(order=order, actor=alpha.users["applicant"])
        assert errors["websites[0].domain"][0].startswith("变更网站只能删除域名，且至少保留一个")
        # and no website can be added to a change order
        with pytest.raises(ValidationError):
            order_website_save(order=order, website=None, actor=alpha.users["applicant"], values={})
    assert registry_state(entity) == before


# --- R-C3 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", TENANTS)
def test_r_c3_change_access_needs_no_sms_and_no_verification(tenants, authority, which):
    # given a filed website and a second server of the applicant
    from tests.factories import server_for

    tenant = tenants[which]
    entity = approved_entity(tenant, authority)
    site = entity.websites.get()
    new_server = server_for(tenant, tenant.users["applicant"], ip="203.0.113.77")
    # when 变更接入 moves it to the new server
    order = start(tenant, "change_access", entity, site)
    with tenant_scope(tenant.provider):
        w = order.websites.get()
        order_website_save(
            order=order, website=w, actor=tenant.users["applicant"], values={"server": new_server}
        )
    order = through_authority(tenant, order, authority)
    # then no code was sent, no verification step happened, and the history keeps the server change
    with tenant_scope(tenant.provider):
        kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
        assert order.sms_challenges.count() == 0
    assert "provider_pass_direct" in kinds
    assert "verified" not in kinds
    change = RegistryChange.objects.get(service=site, kind="change_access")
    assert change.after["server"].endswith("(203.0.113.77)")
    assert spec_for("change_access").sms == ()


# --- R-C4 / R-S7 -----------------------------------------------------------------------------


@pytest.mark.parametrize("which", TENANTS)
def test_r_c4_cancel_entity_cancels_every_website_and_numbers_are_never_reused(tenants, authority, which):
    # given an entity with two websites
    tenant = tenants[which]
    entity = approved_entity(tenant, authority, websites=2)
    cert = entity.certificate_number
    # when 注销主体 is approved
    order = start(tenant, "cancel_entity", entity)
    upload_required_materials(tenant, order)
    through_authority(tenant, order, authority)
    # then the entity and both websites are cancelled and no access record is open
    entity.refresh_from_db()
    assert entity.status == "cancelled"
    assert set(entity.websites.values_list("status", flat=True)) == {"cancelled"}
    assert not AccessRecord.objects.filter(website__entity=entity, ended_at__isnull=True).exists()
    # and filing the same certificate again allocates a new number, never the cancelled one
    from tests.factories import filed_entity

    again = filed_entity(cert=cert, sites=[("refiled-site.cn", tenant.provider)])
    assert again.entity_number != entity.entity_number
    assert FiledWebsite.objects.filter(website_number=f"{entity.entity_number}-1").count() == 1


def test_r_s7_a_submitted_cancellation_cannot_be_withdrawn(alpha, beta, authority):
    # given a 注销网站 order just submitted
    entity = approved_entity(alpha, authority, websites=2)
    order = start(alpha, "cancel_website", entity, entity.websites.order_by("seq").first())
    upload_required_materials(alpha, order)
    with tenant_scope(alpha.provider):
        assert order_submit(order=order, actor=alpha.users["applicant"]) == {}
        order.refresh_from_db()
        # when the applicant tries to withdraw it
        with pytest.raises(TransitionError):
            order_withdraw(order=order, actor=alpha.users["applicant"])
        order.refresh_from_db()
        # and the same by a POST to the withdraw URL
        r = alpha.client("applicant").post(reverse("filings:order_withdraw", kwargs={"order_id": order.pk}))
        order.refresh_from_db()
    # then it stays with the provider, and the page offers no withdraw button
    assert r.status_code == 302
    assert order.status == "provider_review"
    page = alpha.client("applicant").get(reverse("filings:order_detail", kwargs={"order_id": order.pk}))
    assert reverse("filings:order_withdraw", kwargs={"order_id": order.pk}) not in page.content.decode()


# --- R-C5 ------------------------------------------------------------------------------------


def test_r_c5_cancel_website_keeps_the_others_and_the_last_one_cannot_go_alone(alpha, beta, authority):
    # given an entity with two websites
    entity = approved_entity(alpha, authority, websites=2)
    first, second = entity.websites.order_by("seq")
    # when the first is cancelled
    order = start(alpha, "cancel_website", entity, first)
    upload_required_materials(alpha, order)
    through_authority(alpha, order, authority)
    first.refresh_from_db()
    assert (first.status, entity.websites.filter(status="active").count()) == ("cancelled", 1)
    # then the last one cannot be cancelled alone: the reason names 注销主体, nothing is created
    before = registry_state(entity)
    with pytest.raises(ValidationError) as exc:
        start(alpha, "cancel_website", entity, second)
    assert "注销主体" in exc.value.message_dict["order_type"][0]
    with tenant_scope(alpha.provider):
        assert not FilingOrder.objects.filter(order_type="cancel_website", status="draft").exists()
    assert registry_state(entity) == before


# --- R-C6 / R-C7 -----------------------------------------------------------------------------


def test_r_c6_cancel_access_keeps_the_filing_while_another_provider_is_connected(alpha, beta, authority):
    # given a website connected at alpha and at beta
    entity = approved_entity(alpha, authority)
    site = entity.websites.get()
    registry_access_add(website=site, provider=beta.provider)
    # when alpha's 取消接入 is approved
    order = start(alpha, "cancel_access", entity, site)
    through_authority(alpha, order, authority)
    # then the filing survives with beta only
    site.refresh_from_db()
    assert site.status == "active"
    assert list(site.access_records.filter(ended_at__isnull=True).values_list("provider_id", flat=True)) == [
        beta.provider.pk
    ]


def test_r_c6_r_c7_provider_started_cancel_access_of_the_last_website_leaves_an_empty_shell(
    alpha, beta, authority
):
    # given alpha hosts the only website of an entity
    entity = approved_entity(alpha, authority)
    site = entity.websites.get()
    # when alpha's reviewer starts 取消接入 with a reason, and it is approved
    r = alpha.client("reviewer").post(
        reverse("changes:provider_cancel_access", kwargs={"service_id": site.pk}),
        {"reason": "抽查发现网站无法访问"},
    )
    assert r.status_code == 302
    with tenant_scope(alpha.provider):
        order = FilingOrder.objects.get(order_type="cancel_access")
    assert (order.status, order.applicant_id) == ("provider_review", alpha.users["applicant"].pk)
    through_authority(alpha, order, authority)
    # then the applicant sees the reason; the filing is cancelled and the entity is a 空壳
    page = alpha.client("applicant").get(reverse("filings:order_detail", kwargs={"order_id": order.pk}))
    assert "抽查发现网站无法访问" in page.content.decode()
    site.refresh_from_db()
    assert site.status == "cancelled"
    filed = alpha.client("applicant").get(reverse("filings:filed_info")).content.decode()
    assert "空壳主体" in filed
    # and detection explains 空壳 and offers 注销主体 instead of a dead end (R-O4)
    with tenant_scope(alpha.provider):
        d = order_detect(
            tenant_id=alpha.provider.pk,
            data=detection_input(cert=entity.certificate_number, domain="new-site.cn"),
        )
    assert d.block == "empty_shell"
    assert [(o.order_type, o.reason) for o in d.offers] == [("cancel_entity", "")]
    # and the offline kit is a PDF for its applicant only
    kit = reverse("changes:offline_kit", kwargs={"entity_id": entity.pk})
    assert f'href="{kit}"' in filed
    pdf = alpha.client("applicant").get(kit)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert beta.client("applicant").get(kit).status_code == 404


def test_r_c7_offline_kit_is_only_for_an_empty_shell(alpha, beta, authority):
    # given an entity that still has its website
    entity = approved_entity(alpha, authority)
    # when its applicant asks for the offline kit, then it is not offered
    kit = reverse("changes:offline_kit", kwargs={"entity_id": entity.pk})
    assert alpha.client("applicant").get(kit).status_code == 404


def test_r_c6_provider_cancel_access_needs_a_reason_and_is_staff_only(alpha, beta, authority):
    # given a website hosted at alpha
    entity = approved_entity(alpha, authority)
    site = entity.websites.get()
    before = registry_state(entity)
    url = reverse("changes:provider_cancel_access", kwargs={"service_id": site.pk})
    # when the reviewer sends no reason, the applicant tries it, and beta's reviewer tries it
    empty = alpha.client("reviewer").post(url, {"reason": "  "})
    applicant = alpha.client("applicant").post(url, {"reason": "x"})
    foreign = beta.client("reviewer").post(url, {"reason": "x"})
    # then each is refused and nothing was created
    assert empty.status_code == 400
    assert "请填写取消接入的原因" in empty.content.decode()
    assert applicant.status_code in (403, 404)
    assert foreign.status_code == 404
    with tenant_scope(alpha.provider):
        assert not FilingOrder.objects.filter(order_type="cancel_access").exists()
    assert registry_state(entity) == before


# --- R-C8 ------------------------------------------------------------------------------------


def test_r_c8_transfer_ends_the_old_provider_and_tells_its_staff(alpha, beta, authority):
    # given a website filed and connected at alpha
    entity = approved_entity(alpha, authority)
    site = entity.websites.get()
    number = site.website_number
    # when beta's applicant files 新增接入 as a transfer and the authority approves
    from filings.orders.services import order_create

    with tenant_scope(beta.provider):
        d, order = order_create(
            tenant=beta.provider,
            applicant=beta.users["applicant"],
            data=detection_input(cert=entity.certificate_number, domain=site.domain),
        )
    assert d.order_type == "new_access"
    with tenant_scope(beta.provider):
        from filings.orders.services import order_entity_save as save_entity
        from tests.factories import VALID_ENTITY, make_ric, server_for, valid_website_values

        save_entity(
            order=order,
            actor=beta.users["applicant"],
            values={**VALID_ENTITY, "principal_id_number": make_ric()},
        )
        w = order.websites.get()
        order_website_save(
            order=order,
            website=w,
            actor=beta.users["applicant"],
            values=valid_website_values(server_for(beta, beta.users["applicant"])),
        )
        transfer_set(order=order, actor=beta.users["applicant"], replace=True)
    upload_required_materials(beta, order)
    mark = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    through_authority(beta, order, authority)
    # then only beta hosts it, the number is kept, and alpha's staff have it in their inbox
    site.refresh_from_db()
    assert site.website_number == number
    assert site.status == "active"
    assert list(site.access_records.filter(ended_at__isnull=True).values_list("provider_id", flat=True)) == [
        beta.provider.pk
    ]
    ended = site.access_records.get(provider=alpha.provider)
    assert ended.ended_at is not None
    assert "Beta Cloud" in ended.end_reason
    inbox = OutboxMessage.objects.filter(pk__gt=mark, channel="inbox", tenant_id=alpha.provider.pk)
    assert sorted(inbox.values_list("recipient", flat=True)) == sorted(
        str(alpha.users[r].pk) for r in ("reviewer", "provider_admin")
    )
    assert RegistryChange.objects.filter(service=site, kind="access_transferred").count() == 1


def test_r_c8_transfer_is_only_for_a_new_access_draft(alpha, beta, authority):
    # given a new-entity draft at beta
    order = complete_order(beta, materials=False)
    # when its applicant asks for a transfer
    with tenant_scope(beta.provider), pytest.raises(ValidationError):
        transfer_set(order=order, actor=beta.users["applicant"], replace=True)
    # then no change record exists
    with tenant_scope(beta.provider):
        from filings.models import OrderChange

        assert not OrderChange.objects.filter(order=order).exists()


# --- R-P2 / R-O4 -----------------------------------------------------------------------------


def test_r_p2_filed_info_lists_the_actions_that_apply_with_reasons(alpha, beta, authority):
    # given an entity with one website filed at alpha
    entity = approved_entity(alpha, authority)
    site = entity.websites.get()
    # when the applicant opens 已备案信息
    html = alpha.client("applicant").get(reverse("filings:filed_info")).content.decode()
    # then 变更 and 取消接入 can start; 注销网站 explains why not; beta's applicant sees nothing of it
    assert f'id="entity-{entity.pk}"' in html
    assert f'id="service-{site.pk}"' in html
    assert 'data-action="change_website"' in html
    assert "这是该主体的最后一个网站，不能单独注销" in html
    assert (
        entity.entity_number
        not in beta.client("applicant").get(reverse("filings:filed_info")).content.decode()
    )


def test_r_c2_change_website_pages_lead_to_the_website_step_with_the_name_editable(alpha, beta, authority):
    # given a 变更网站 draft
    entity = approved_entity(alpha, authority)
    order = start(alpha, "change_website", entity, entity.websites.get())
    client = alpha.client("applicant")
    with tenant_scope(alpha.provider):
        w = order.websites.get()
    # when the applicant opens the detail page, the entity step and the add-website page
    detail = client.get(reverse("filings:order_detail", kwargs={"order_id": order.pk})).content.decode()
    entity_step = client.get(reverse("filings:order_entity", kwargs={"order_id": order.pk}))
    add = client.get(reverse("filings:order_website_new", kwargs={"order_id": order.pk}))
    edit = client.get(
        reverse("filings:order_website_edit", kwargs={"order_id": order.pk, "website_id": w.pk})
    )
    # then "continue" leads to the websites step, the others redirect there, and only the domain is locked
    websites_url = reverse("filings:order_websites", kwargs={"order_id": order.pk})
    assert f'href="{websites_url}"' in detail
    assert (entity_step.status_code, entity_step["Location"]) == (302, websites_url)
    assert (add.status_code, add["Location"]) == (302, websites_url)
    assert edit.context["form"].fields["domain_display"].disabled
    assert not edit.context["form"].fields["name"].disabled


def test_r_p2_start_from_filed_info_and_foreign_entities_are_refused(alpha, beta, authority):
    # given an entity filed at alpha
    entity = approved_entity(alpha, authority)
    site = entity.websites.get()
    url = reverse("changes:start")
    # when beta's applicant tries to start a change for it, and alpha's applicant starts one
    foreign = beta.client("applicant").post(
        url, {"order_type": "change_website", "entity": entity.pk, "service": site.pk}
    )
    bad = alpha.client("applicant").post(url, {"order_type": "new_entity", "entity": entity.pk})
    junk = alpha.client("applicant").post(url, {"order_type": "change_website", "entity": "x" * 40})
    ok = alpha.client("applicant").post(
        url, {"order_type": "change_website", "entity": entity.pk, "service": site.pk}
    )
    # then only alpha's own start creates an order, with the website prefilled from the registry
    assert foreign.status_code == 404
    assert junk.status_code == 404
    assert bad.status_code == 302
    with tenant_scope(beta.provider):
        assert not FilingOrder.objects.filter(order_type="change_website").exists()
    with tenant_scope(alpha.provider):
        order = FilingOrder.objects.get(order_type="change_website")
        w = order.websites.get()
    assert ok.status_code == 302
    assert ok["Location"] == reverse("filings:order_detail", kwargs={"order_id": order.pk})
    assert (w.domain, w.registry_website_id, order.registry_entity_id) == (site.domain, site.pk, entity.pk)
    # and a second start while this one is open is refused with the open order named
    again = alpha.client("applicant").post(
        url, {"order_type": "change_entity", "entity": entity.pk}, follow=True
    )
    assert f"#{order.pk}" in again.content.decode()


def test_r_o4_already_connected_routes_to_change_and_cancel_orders(alpha, beta, authority):
    # given a website connected at alpha
    entity = approved_entity(alpha, authority, websites=2)
    site = entity.websites.order_by("seq").first()
    # when detection runs for it at alpha
    with tenant_scope(alpha.provider):
        d = order_detect(
            tenant_id=alpha.provider.pk,
            data=detection_input(cert=entity.certificate_number, domain=site.domain),
        )
    # then it offers the four website actions, all possible now
    assert d.block == "already_connected"
    assert [(o.order_type, str(o.reason)) for o in d.offers] == [
        ("change_website", ""),
        ("change_access", ""),
        ("cancel_website", ""),
        ("cancel_access", ""),
    ]


def test_r_o4_new_website_starts_prefilled_from_the_filed_entity(alpha, beta, authority):
    # given an entity filed through alpha
    entity = approved_entity(alpha, authority)
    # when its applicant detects a new domain for it
    from filings.orders.services import order_create

    with tenant_scope(alpha.provider):
        d, order = order_create(
            tenant=alpha.provider,
            applicant=alpha.users["applicant"],
            data=detection_input(cert=entity.certificate_number, domain="another-new-site.cn"),
        )
    # then the 新增网站 draft carries the filed entity's data
    assert d.order_type == "new_website"
    assert (order.entity_name, order.registered_address, order.principal_mobile) == (
        entity.name,
        "杭州市西湖区示例路 1 号",
        "13905710001",
    )


# --- races (PostgreSQL) ----------------------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_c4_eight_simultaneous_approvals_of_one_cancellation_give_one_effect():
    from tests.conftest import make_tenant

    reference_data_load()
    alpha = make_tenant("alpha")
    authority = make_authority("authority-cancel@gov.test", "ZJ", name="注销审核员")
    entity = approved_entity(alpha, authority, websites=2)
    order = start(alpha, "cancel_entity", entity)
    upload_required_materials(alpha, order)
    with tenant_scope(alpha.provider):
        assert order_submit(order=order, actor=alpha.users["applicant"]) == {}
        order = FilingOrder.objects.get(pk=order.pk)
        order = order_transition(
            order=order, action="provider_pass_direct", actor=alpha.users["reviewer"], actor_kind="reviewer"
        )
        order = sms_check_start(order=order, actor=alpha.users["reviewer"])
        order = order_transition(order=order, action="sms_passed", actor=None, actor_kind="system")
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def approve() -> None:
        try:
            barrier.wait(timeout=10)
            authority_approve(order=order, reviewer=authority)
            outcomes.append("approved")
        except TransitionConflict as exc:
            outcomes.append(f"conflict:{exc.current_status}")
        except Exception as exc:  # any other outcome fails the assertion below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["approved"] + ["conflict:approved"] * 7
    assert RegistryChange.objects.filter(entity=entity, kind="cancel_entity").count() == 1
    assert RegistryChange.objects.filter(entity=entity, kind="cancel_service").count() == 2
    with tenant_scope(alpha.provider):
        assert OrderEvent.objects.filter(order_id=order.pk, kind="authority_approve").count() == 1


def test_r_p2_another_providers_applicant_cannot_start_a_change_and_nothing_changes(alpha, beta, authority):
    # given an entity at alpha; when beta's applicant calls the service directly
    entity = approved_entity(alpha, authority)
    before = registry_state(entity)
    with tenant_scope(beta.provider), pytest.raises(PermissionDenied):
        change_order_start(
            tenant=beta.provider, applicant=beta.users["applicant"], order_type="cancel_entity", entity=entity
        )
    # then nothing changed
    assert registry_state(entity) == before


# --- demo ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_r_c1_r_c5_demo_holds_change_orders_worth_seeing_at_both_providers():
    # given the demo seeded twice (idempotent)
    from icpfiling.demo.seed import demo_seed
    from icpfiling.tenancy.models import Provider

    demo_seed()
    demo_seed()
    alpha, beta = Provider.objects.get(slug="alpha"), Provider.objects.get(slug="beta")
    # then alpha has one 变更主体 with the authority, beta one 注销网站 returned with a reason
    with tenant_scope(alpha):
        statuses = FilingOrder.objects.filter(order_type="change_entity").values_list("status", flat=True)
        assert list(statuses) == ["authority_review"]
    with tenant_scope(beta):
        order = FilingOrder.objects.get(order_type="cancel_website")
        assert order.status == "returned"
        assert list(order.field_returns.values_list("field", flat=True)) == ["materials.cancel_form"]
