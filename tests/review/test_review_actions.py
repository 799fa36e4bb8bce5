"""Provider review actions (R-S2, R-S3, R-S1): claim, assign, phone check, field-level returns, pass,
what changed since the last round, masked identifiers, and the applicant's view of the reasons."""

from __future__ import annotations

import re
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from filings.models import (
    FieldReturn,
    FileAccessLog,
    FilingOrder,
    OrderEvent,
    OrderSnapshot,
    OrderStatus,
    PhoneCheck,
)
from filings.orders.services import order_entity_save, order_submit
from filings.review import services as svc
from filings.review.forms import SUGGESTIONS
from filings.review.selectors import return_reasons
from filings.review.services import ClaimConflict, ReturnItem
from filings.snapshots import order_changes
from filings.states import REVIEWER
from filings.workflow import TransitionConflict, order_transition
from icpfiling.accounts.models import Membership, Role, User
from icpfiling.notifications.models import OutboxMessage
from icpfiling.registry.seed_files import province_rules_data
from icpfiling.tenancy.context import tenant_scope
from tests.conftest import PASSWORD, make_tenant
from tests.factories import complete_order
from tests.services import requires_chromium, requires_postgres

S = OrderStatus


def submitted(tenant, **kwargs) -> FilingOrder:
    order = complete_order(tenant, **kwargs)
    with tenant_scope(tenant.provider):
        order = FilingOrder.objects.get(pk=order.pk)
        assert order_submit(order=order, actor=tenant.users["applicant"]) == {}
        return FilingOrder.objects.get(pk=order.pk)


def fresh(tenant, order) -> FilingOrder:
    with tenant_scope(tenant.provider):
        return FilingOrder.objects.select_related("assigned_to").get(pk=order.pk)


def second_reviewer(tenant, name="second") -> User:
    user = User.objects.create_user(
        f"{name}@{tenant.provider.slug}.test",
        PASSWORD,
        provider=tenant.provider,
        full_name=f"{tenant.provider.slug}-{name}",
        email_confirmed_at=timezone.now(),
    )
    with tenant_scope(tenant.provider):
        Membership.objects.create(
            tenant=tenant.provider, user=user, role=Role.REVIEWER, approved_at=timezone.now()
        )
    return user


def confirm_call(tenant, order, reviewer=None) -> None:
    with tenant_scope(tenant.provider):
        svc.phone_check_record(
            order=fresh(tenant, order),
            reviewer=reviewer or tenant.users["reviewer"],
            person="张三",
            outcome="confirmed",
        )


def counts(tenant, order) -> tuple:
    with tenant_scope(tenant.provider):
        return (
            FilingOrder.objects.filter(pk=order.pk)
            .values_list("status", "assigned_to_id", "review_round")
            .get(),
            FieldReturn.objects.filter(order=order).count(),
            OrderEvent.objects.filter(order=order).count(),
            PhoneCheck.objects.filter(order=order).count(),
            OutboxMessage.objects.filter(tenant_id=tenant.provider.pk).count(),
        )


# --- claim and assign ----------------------------------------------------------------------


def test_r_s2_claim_makes_the_reviewer_the_holder_and_a_second_reviewer_is_told_who(alpha):
    # given a submitted order and two reviewers
    order = submitted(alpha)
    other = second_reviewer(alpha)
    with tenant_scope(alpha.provider):
        # when the first claims it
        svc.order_claim(order=fresh(alpha, order), reviewer=alpha.users["reviewer"])
        # then they hold it; claiming again is harmless
        svc.order_claim(order=fresh(alpha, order), reviewer=alpha.users["reviewer"])
        assert fresh(alpha, order).assigned_to == alpha.users["reviewer"]
        # and the second reviewer is refused by name, and nothing changes
        with pytest.raises(ClaimConflict) as exc:
            svc.order_claim(order=fresh(alpha, order), reviewer=other)
    assert exc.value.holder == "alpha-reviewer"
    assert str(exc.value) == "该订单已由 alpha-reviewer 认领。"
    assert fresh(alpha, order).assigned_to == alpha.users["reviewer"]


def test_r_s2_only_reviewers_of_the_orders_provider_may_claim(alpha, beta):
    order = submitted(alpha)
    with tenant_scope(alpha.provider):
        for user in (alpha.users["applicant"], alpha.users["point_staff"], beta.users["reviewer"]):
            with pytest.raises(PermissionDenied):
                svc.order_claim(order=fresh(alpha, order), reviewer=user)
    assert fresh(alpha, order).assigned_to_id is None


def test_r_s2_assign_hands_over_to_a_reviewer_of_the_same_provider_only(alpha, beta):
    order = submitted(alpha)
    other = second_reviewer(alpha)
    with tenant_scope(alpha.provider):
        svc.order_claim(order=fresh(alpha, order), reviewer=alpha.users["reviewer"])
        # a reviewer of another provider, or a non-reviewer, cannot receive it
        for wrong in (beta.users["reviewer"], alpha.users["applicant"]):
            with pytest.raises(ValidationError) as exc:
                svc.order_assign(order=fresh(alpha, order), by=alpha.users["reviewer"], assignee=wrong)
            assert exc.value.message_dict == {"assignee": ["请选择本接入商的一位审核员。"]}
        assert fresh(alpha, order).assigned_to == alpha.users["reviewer"]
        # the holder hands it over
        svc.order_assign(order=fresh(alpha, order), by=alpha.users["reviewer"], assignee=other)
        assert fresh(alpha, order).assigned_to == other
        # the former holder can no longer hand it on; the provider admin can
        with pytest.raises(ClaimConflict):
            svc.order_assign(
                order=fresh(alpha, order), by=alpha.users["reviewer"], assignee=alpha.users["reviewer"]
            )
        svc.order_assign(
            order=fresh(alpha, order), by=alpha.users["provider_admin"], assignee=alpha.users["reviewer"]
        )
    assert fresh(alpha, order).assigned_to == alpha.users["reviewer"]


# --- phone check and pass -----------------------------------------------------------------


def test_r_s2_phone_check_names_each_bad_field_and_writes_nothing(alpha):
    order = submitted(alpha)
    before = counts(alpha, order)
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        svc.phone_check_record(
            order=fresh(alpha, order),
            reviewer=alpha.users["reviewer"],
            person=" ",
            outcome="maybe",
            notes="x" * 501,
        )
    assert exc.value.message_dict == {
        "person": ["请填写接听人姓名。"],
        "outcome": ["请选择通话结果。"],
        "notes": ["备注最多 500 个字。"],
    }
    assert counts(alpha, order) == before


def test_r_s2_pass_needs_a_confirmed_phone_check_of_this_round(alpha):
    # given a submitted order without any call
    order = submitted(alpha)
    before = counts(alpha, order)
    reviewer = alpha.users["reviewer"]
    with tenant_scope(alpha.provider):
        # when the reviewer passes it, it is refused with the reason, and nothing changes
        with pytest.raises(ValidationError) as exc:
            svc.order_pass(order=fresh(alpha, order), reviewer=reviewer)
        assert exc.value.message_dict == {
            "phone_check": ["请先电话联系主体负责人并记录结果为“已确认备案意愿”，然后再通过初审。"]
        }
        assert counts(alpha, order) == before
        # a confirmed call followed by an unanswered one still does not allow it
        confirm_call(alpha, order)
        svc.phone_check_record(
            order=fresh(alpha, order), reviewer=reviewer, person="张三", outcome="no_answer"
        )
        with pytest.raises(ValidationError):
            svc.order_pass(order=fresh(alpha, order), reviewer=reviewer)
        # once the latest call confirms, the order goes to verification, held by the reviewer
        confirm_call(alpha, order)
        svc.order_pass(order=fresh(alpha, order), reviewer=reviewer)
    after = fresh(alpha, order)
    assert after.status == S.VERIFICATION
    assert after.assigned_to == reviewer
    with tenant_scope(alpha.provider):
        assert list(
            OrderEvent.objects.filter(order=order, kind="provider_pass").values_list("actor_id", flat=True)
        ) == [reviewer.pk]


def test_r_s2_a_call_from_an_earlier_round_does_not_count(alpha):
    # given a confirmed call, then a return and a resubmission (a new round)
    order = submitted(alpha)
    confirm_call(alpha, order)
    with tenant_scope(alpha.provider):
        svc.order_return(
            order=fresh(alpha, order),
            reviewer=alpha.users["reviewer"],
            items=[ReturnItem("entity.entity_name", "名称与执照不符")],
        )
        assert order_submit(order=fresh(alpha, order), actor=alpha.users["applicant"]) == {}
        # then passing needs a new call
        with pytest.raises(ValidationError):
            svc.order_pass(order=fresh(alpha, order), reviewer=alpha.users["reviewer"])
    assert fresh(alpha, order).status == S.PROVIDER_REVIEW


# --- field-level returns ---------------------------------------------------------------------


def test_r_s3_return_records_every_reason_for_the_round_and_returns_once(alpha):
    # given a submitted order (round 1)
    order = submitted(alpha)
    outbox_before = counts(alpha, order)[4]
    reviewer = alpha.users["reviewer"]
    items = [
        ReturnItem("entity.entity_name", "名称与营业执照不一致", "按营业执照填写全称"),
        ReturnItem("websites[0].name", "网站名称不合规", ""),
        ReturnItem("materials.licence", "执照照片模糊"),
    ]
    with tenant_scope(alpha.provider):
        # when the reviewer returns it with three reasons at once
        svc.order_return(order=fresh(alpha, order), reviewer=reviewer, items=items)
        rows = list(
            FieldReturn.objects.filter(order=order).values_list(
                "round", "source", "field", "reason", "suggestion", "created_by_id"
            )
        )
        events = list(
            OrderEvent.objects.filter(order=order, kind="provider_return").values_list(
                "from_status", "to_status", "actor_id"
            )
        )
    # then each reason is stored against its field, in round 1, and the order is returned once
    assert rows == [
        (1, "provider", "entity.entity_name", "名称与营业执照不一致", "按营业执照填写全称", reviewer.pk),
        (1, "provider", "websites[0].name", "网站名称不合规", "", reviewer.pk),
        (1, "provider", "materials.licence", "执照照片模糊", "", reviewer.pk),
    ]
    assert events == [("provider_review", "returned", reviewer.pk)]
    after = counts(alpha, order)
    assert after[0] == ("returned", reviewer.pk, 1)
    # and the applicant is notified once per channel, with the reasons
    with tenant_scope(alpha.provider):
        new = list(OutboxMessage.objects.filter(tenant_id=alpha.provider.pk).order_by("pk")[outbox_before:])
    channels = [m.channel for m in new]
    assert sorted(channels) == sorted(set(channels))
    assert "email" in channels
    mail = next(m for m in new if m.channel == "email")
    assert mail.recipient == alpha.users["applicant"].email
    assert "主体信息：主办单位名称：名称与营业执照不一致" in mail.body


def test_r_s3_bad_reasons_are_all_named_and_nothing_is_written(alpha):
    order = submitted(alpha)
    before = counts(alpha, order)
    with tenant_scope(alpha.provider):
        with pytest.raises(ValidationError) as exc:
            svc.order_return(order=fresh(alpha, order), reviewer=alpha.users["reviewer"], items=[])
        assert exc.value.message_dict == {"items": ["请至少填写一条退回原因（字段和原因）。"]}
        with pytest.raises(ValidationError) as exc:
            svc.order_return(
                order=fresh(alpha, order),
                reviewer=alpha.users["reviewer"],
                items=[
                    ReturnItem("", "原因"),
                    ReturnItem("entity.entity_name", " "),
                    ReturnItem("order", "x" * 301),
                ],
            )
        assert exc.value.message_dict == {
            "items": [
                "第 1 条：请选择字段。",
                "第 2 条：请填写退回原因。",
                "第 3 条：退回原因最多 300 个字。",
            ]
        }
        with pytest.raises(ValidationError) as exc:
            svc.order_return(
                order=fresh(alpha, order),
                reviewer=alpha.users["reviewer"],
                items=[
                    ReturnItem("order", "整体问题"),
                    ReturnItem("websites[1].domain", "没有第二个网站"),
                    ReturnItem("entity.password", "不存在的字段"),
                    ReturnItem("materials.selfie", "不存在的材料"),
                ],
            )
        assert exc.value.message_dict == {
            "items": [
                "第 2 条：字段“websites[1].domain”不是本订单的字段。",
                "第 3 条：字段“entity.password”不是本订单的字段。",
                "第 4 条：字段“materials.selfie”不是本订单的字段。",
            ]
        }
    assert counts(alpha, order) == before


def test_r_s3_recheck_return_goes_back_to_the_applicant_from_provider_recheck(alpha):
    # given an order verified and back with the provider for its recheck
    order = submitted(alpha)
    confirm_call(alpha, order)
    reviewer = alpha.users["reviewer"]
    with tenant_scope(alpha.provider):
        svc.order_pass(order=fresh(alpha, order), reviewer=reviewer)
        order_transition(order=fresh(alpha, order), action="verified", actor=reviewer, actor_kind=REVIEWER)
        assert fresh(alpha, order).status == S.PROVIDER_RECHECK
        # when the reviewer returns it
        svc.order_return(
            order=fresh(alpha, order), reviewer=reviewer, items=[ReturnItem("order", "核验照片与本人不符")]
        )
        kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    # then it is a recheck return
    assert fresh(alpha, order).status == S.RETURNED
    assert kinds[-1] == "recheck_return"


def test_r_s1_a_reviewer_acting_on_a_stale_page_is_told_who_handled_it(alpha):
    # given two reviewers who both opened the order while it was in review
    order = submitted(alpha)
    other = second_reviewer(alpha)
    seen_by_other = fresh(alpha, order)
    with tenant_scope(alpha.provider):
        svc.order_return(
            order=fresh(alpha, order),
            reviewer=alpha.users["reviewer"],
            items=[ReturnItem("order", "第一位审核员的原因")],
        )
    before = counts(alpha, order)
    # when the second one sends their return from the stale page
    with tenant_scope(alpha.provider), pytest.raises(TransitionConflict) as exc:
        svc.order_return(order=seen_by_other, reviewer=other, items=[ReturnItem("order", "第二位的原因")])
    # then they learn who handled it, and none of their reasons are stored
    assert exc.value.by == "alpha-reviewer"
    assert exc.value.current_status == "returned"
    assert counts(alpha, order) == before


def test_r_s3_common_reasons_come_from_the_seed_with_a_chinese_suggestion_each():
    seed = {r["code"]: r for r in province_rules_data()["return_reasons"]}
    provider = return_reasons("provider")
    assert len(provider) == 27
    assert {r.code for r in provider} == set(SUGGESTIONS)
    assert all("provider" in (seed[r.code]["stage"], *seed[r.code].get("also_at", ())) for r in provider)


# --- snapshots and changes -----------------------------------------------------------------


def test_r_s3_resubmission_shows_the_reviewer_what_changed(alpha):
    # given an order returned for its entity name
    order = submitted(alpha)
    with tenant_scope(alpha.provider):
        assert OrderSnapshot.objects.filter(order=order).values_list("round", flat=True).get() == 1
        assert order_changes(order=fresh(alpha, order)) == []
        svc.order_return(
            order=fresh(alpha, order),
            reviewer=alpha.users["reviewer"],
            items=[ReturnItem("entity.entity_name", "名称与营业执照不一致")],
        )
        # when the applicant fixes the name and the mobile, and resubmits
        order_entity_save(
            order=fresh(alpha, order),
            actor=alpha.users["applicant"],
            values={"entity_name": "杭州示例科技股份有限公司", "emergency_mobile": "13905710008"},
        )
        # (the domain's registrant follows the new name: seed 001 compares them)
        _registrant(alpha, order, "杭州示例科技股份有限公司")
        assert order_submit(order=fresh(alpha, order), actor=alpha.users["applicant"]) == {}
        changes = order_changes(order=fresh(alpha, order))
        site_label = fresh(alpha, order).websites.get().domain_display
        rounds = list(OrderSnapshot.objects.filter(order=order).values_list("round", flat=True))
    # then round 2 is recorded and exactly those fields differ from round 1
    assert rounds == [1, 2]
    assert [(c.field, c.label, c.before, c.after, c.sensitive) for c in changes] == [
        (
            "entity.entity_name",
            "主体信息：主办单位名称",
            "杭州示例科技有限公司",
            "杭州示例科技股份有限公司",
            False,
        ),
        ("entity.emergency_mobile", "主体信息：应急联系电话", "13905710009", "13905710008", True),
        (
            "websites[0].domain_registrant",
            f"网站 1（{site_label}）：域名持有者",
            "杭州示例科技有限公司",
            "杭州示例科技股份有限公司",
            False,
        ),
    ]


# --- the pages -----------------------------------------------------------------------------


def _return_post(rows: list[dict]) -> dict:
    data = {
        "r-TOTAL_FORMS": str(len(rows)),
        "r-INITIAL_FORMS": "0",
        "r-MIN_NUM_FORMS": "0",
        "r-MAX_NUM_FORMS": "50",
    }
    for i, row in enumerate(rows):
        for k, v in row.items():
            data[f"r-{i}-{k}"] = v
    return data


def test_r_s2_review_page_masks_ids_and_mobiles_until_revealed_and_audits_each_reveal(alpha):
    order = submitted(alpha)
    full_id = fresh(alpha, order).principal_id_number
    client = alpha.client("reviewer")
    page = client.get(f"/review/{order.pk}/").content.decode()
    # masked by default
    assert full_id not in page
    assert f"{full_id[:4]}**********{full_id[-4:]}" in page
    assert "139****0001" in page
    assert "13905710001" not in page
    # a reveal shows the full value on that answer and writes one audit row
    r = client.post(f"/review/{order.pk}/reveal/", {"field": "entity.principal_id_number"})
    assert r.status_code == 200
    assert full_id in r.content.decode()
    assert "13905710001" not in r.content.decode()
    with tenant_scope(alpha.provider):
        logs = list(
            FileAccessLog.objects.filter(order=order, action="reveal").values_list(
                "kind", "actor_id", "material_id"
            )
        )
    assert logs == [("field:e.principal_id_number", alpha.users["reviewer"].pk, None)]
    # a field that is not masked cannot be "revealed"
    r = client.post(f"/review/{order.pk}/reveal/", {"field": "entity.entity_name"})
    assert r.status_code == 400
    with tenant_scope(alpha.provider):
        assert FileAccessLog.objects.filter(order=order, action="reveal").count() == 1


def test_r_s2_reveal_audit_kind_fits_the_column():
    assert svc._audit_kind("websites[12].principal_id_number") == "field:w12.principal_id_number"
    assert len(svc._audit_kind("websites[12].principal_id_number")) <= 30
    assert svc._audit_kind("entity.certificate_number") == "field:e.certificate_number"


def test_r_t2_review_pages_are_for_the_providers_reviewers_only(alpha, beta):
    order = submitted(alpha)
    beta_order = submitted(beta)
    url = f"/review/{order.pk}/"
    assert alpha.client("reviewer").get(url).status_code == 200
    assert alpha.client("provider_admin").get(url).status_code == 200
    assert alpha.client("applicant").get(url).status_code == 403
    assert alpha.client("point_staff").get(url).status_code == 403
    assert alpha.client().get(url).status_code == 302  # to the login page
    # another provider's order is a missing order
    assert alpha.client("reviewer").get(f"/review/{beta_order.pk}/").status_code == 404
    assert alpha.client("reviewer").get("/review/987654/").status_code == 404
    # a draft that was never submitted does not exist for reviewers
    draft = complete_order(alpha, materials=False)
    assert alpha.client("reviewer").get(f"/review/{draft.pk}/").status_code == 404
    # the provider admin may look but not decide
    before = counts(alpha, order)
    r = alpha.client("provider_admin").post(
        f"/review/{order.pk}/return/", _return_post([{"field": "order", "reason": "管理员不能退回"}])
    )
    assert r.status_code == 403
    assert counts(alpha, order) == before


def test_r_s3_return_form_with_a_common_reason_fills_field_and_suggestion(alpha):
    # given a single-website order
    order = submitted(alpha)
    client = alpha.client("reviewer")
    # when the reviewer picks "website name invalid" without choosing a field, and adds an own reason
    r = client.post(
        f"/review/{order.pk}/return/",
        _return_post(
            [
                {"preset": "website_name_invalid"},
                {
                    "field": "entity.communication_address",
                    "reason": "通讯地址缺少门牌号",
                    "suggestion": "补全门牌号",
                },
                {},
            ]
        ),
    )
    assert r.status_code == 302
    assert r["Location"] == f"/review/{order.pk}/"
    with tenant_scope(alpha.provider):
        rows = list(FieldReturn.objects.filter(order=order).values_list("field", "reason", "suggestion"))
    # then the seed's field for the reason and its Chinese suggestion are used
    assert rows == [
        ("websites[0].name", "网站名称不合规", "请修改网站名称：至少 3 个汉字，与网站内容相关，不含禁用词。"),
        ("entity.communication_address", "通讯地址缺少门牌号", "补全门牌号"),
    ]
    assert fresh(alpha, order).status == S.RETURNED


def test_r_s3_return_form_errors_are_shown_and_nothing_changes(alpha):
    order = submitted(alpha)
    before = counts(alpha, order)
    client = alpha.client("reviewer")
    r = client.post(f"/review/{order.pk}/return/", _return_post([{"reason": "没有选字段"}, {}]))
    assert r.status_code == 400
    assert "请选择这条原因针对的字段。" in r.content.decode()
    r = client.post(f"/review/{order.pk}/return/", _return_post([{}, {}]))
    assert r.status_code == 400
    assert "请至少填写一条退回原因（字段和原因）。" in r.content.decode()
    assert counts(alpha, order) == before


def test_r_s3_applicant_sees_each_reason_next_to_its_field(alpha):
    # given an order returned with reasons on the entity name, the website domain and a material
    order = submitted(alpha)
    with tenant_scope(alpha.provider):
        svc.order_return(
            order=fresh(alpha, order),
            reviewer=alpha.users["reviewer"],
            items=[
                ReturnItem("entity.entity_name", "名称与营业执照不一致", "按营业执照填写全称"),
                ReturnItem("entity.certificate_number", "证件号码与执照不符"),
                ReturnItem("websites[0].domain", "域名持有人与主体不符", "过户到主办单位名下"),
            ],
        )
        site = fresh(alpha, order).websites.get()
    client = alpha.client("applicant")
    # the order page lists every reason with its field and a link to the step
    detail = client.get(f"/orders/{order.pk}/").content.decode()
    assert "主体信息：主办单位名称" in detail
    assert "名称与营业执照不一致" in detail
    assert "按营业执照填写全称" in detail
    assert f'href="/orders/{order.pk}/websites/{site.pk}/"' in detail
    # the entity step shows the name's reason inside the name's field, the locked number's above the form
    entity = client.get(f"/orders/{order.pk}/entity/").content.decode()
    name_field = re.search(
        r'<div class="field[^"]*">\s*<label for="id_entity_name">.*?</div>', entity, re.S
    ).group(0)
    assert 'data-return-field="entity.entity_name"' in name_field
    assert "按营业执照填写全称" in name_field
    assert 'id="step-returns"' in entity
    assert "证件号码与执照不符" in entity
    # the website step shows the domain's reason inside the domain field
    web = client.get(f"/orders/{order.pk}/websites/{site.pk}/").content.decode()
    domain_field = re.search(
        r'<div class="field[^"]*">\s*<label for="id_domain_display">.*?</div>', web, re.S
    ).group(0)
    assert "域名持有人与主体不符" in domain_field
    assert "过户到主办单位名下" in domain_field
    # and the preview lists them too
    assert "名称与营业执照不一致" in client.get(f"/orders/{order.pk}/preview/").content.decode()


def test_r_s3_no_reasons_are_shown_once_resubmitted(alpha):
    order = submitted(alpha)
    with tenant_scope(alpha.provider):
        svc.order_return(
            order=fresh(alpha, order), reviewer=alpha.users["reviewer"], items=[ReturnItem("order", "旧原因")]
        )
        assert order_submit(order=fresh(alpha, order), actor=alpha.users["applicant"]) == {}
    # the reasons box is gone (the timeline keeps the history)
    assert 'id="returns"' not in alpha.client("applicant").get(f"/orders/{order.pk}/").content.decode()
    # the reviewer still sees the earlier round's reasons and the (empty) change list
    page = alpha.client("reviewer").get(f"/review/{order.pk}/").content.decode()
    assert "第 1 次提交的退回原因" in page
    assert "旧原因" in page
    assert "申请人重新提交时没有修改任何内容。" in page


def test_r_s2_review_page_flow_phone_check_then_pass(alpha):
    order = submitted(alpha)
    client = alpha.client("reviewer")
    page = client.get(f"/review/{order.pk}/").content.decode()
    assert "还没有本次提交后“已确认备案意愿”的电话核实记录" in page
    assert f'action="/review/{order.pk}/pass/"' not in page
    r = client.post(f"/review/{order.pk}/phone-check/", {"person": "", "outcome": "confirmed"})
    assert r.status_code == 400
    assert "接听人" in r.content.decode()
    r = client.post(
        f"/review/{order.pk}/phone-check/", {"person": "张三", "outcome": "confirmed", "notes": "本人确认"}
    )
    assert r.status_code == 302
    page = client.get(f"/review/{order.pk}/").content.decode()
    assert f'action="/review/{order.pk}/pass/"' in page
    assert client.post(f"/review/{order.pk}/pass/").status_code == 302
    after = fresh(alpha, order)
    assert (after.status, after.assigned_to_id) == (S.VERIFICATION, alpha.users["reviewer"].pk)
    # a second click from the old page says who handled it
    r = client.post(f"/review/{order.pk}/pass/", follow=True)
    assert "订单当前状态不能执行这个操作" in r.content.decode() or "已由" in r.content.decode()


def test_r_s2_changes_are_highlighted_on_the_review_page(alpha):
    order = submitted(alpha)
    with tenant_scope(alpha.provider):
        svc.order_return(
            order=fresh(alpha, order),
            reviewer=alpha.users["reviewer"],
            items=[ReturnItem("entity.entity_name", "改名")],
        )
        order_entity_save(
            order=fresh(alpha, order),
            actor=alpha.users["applicant"],
            values={"entity_name": "新名称有限公司"},
        )
        _registrant(alpha, order, "新名称有限公司")
        assert order_submit(order=fresh(alpha, order), actor=alpha.users["applicant"]) == {}
    page = alpha.client("reviewer").get(f"/review/{order.pk}/").content.decode()
    row = re.search(r'<tr data-field="entity.entity_name">.*?</tr>', page, re.S).group(0)
    assert "<mark>新名称有限公司</mark>" in row
    assert "杭州示例科技有限公司" in row


def test_r_s2_recheck_page_offers_the_three_return_targets(alpha):
    order = submitted(alpha)
    confirm_call(alpha, order)
    with tenant_scope(alpha.provider):
        svc.order_pass(order=fresh(alpha, order), reviewer=alpha.users["reviewer"])
        order_transition(
            order=fresh(alpha, order), action="verified", actor=alpha.users["reviewer"], actor_kind=REVIEWER
        )
    page = alpha.client("reviewer").get(f"/review/{order.pk}/").content.decode()
    assert f'action="/review/{order.pk}/submit/"' in page
    assert f'action="/review/{order.pk}/back-to-verification/"' in page
    assert f'action="/review/{order.pk}/return/"' in page
    assert 'id="verification-checks"' not in page  # no checks recorded in this test


def test_r_d4_reviewer_file_view_is_audited_and_foreign_files_are_missing(alpha, beta):
    order = submitted(alpha)
    beta_order = submitted(beta)
    with tenant_scope(alpha.provider):
        material = fresh(alpha, order).materials.filter(kind="principal_id_front").get()
    with tenant_scope(beta.provider):
        beta_file = beta_order.materials.first().pk
    client = alpha.client("reviewer")
    r = client.get(f"/review/{order.pk}/materials/{material.pk}/")
    assert r.status_code == 200
    assert r["Content-Type"] == "image/jpeg"
    assert r["Cache-Control"] == "no-store, private"
    with tenant_scope(alpha.provider):
        assert list(
            FileAccessLog.objects.filter(material=material, action="view").values_list("actor_id", "kind")
        ) == [(alpha.users["reviewer"].pk, "principal_id_front")]
    assert client.get(f"/review/{order.pk}/materials/{beta_file}/").status_code == 404
    assert client.get(f"/review/{beta_order.pk}/materials/{beta_file}/").status_code == 404
    assert alpha.client("applicant").get(f"/review/{order.pk}/materials/{material.pk}/").status_code == 403


def test_r_s2_reviewer_home_summarises_the_work(alpha):
    # given one claimed order that is overdue, one unclaimed due in two hours, one due next week
    mine, soon, later = submitted(alpha), submitted(alpha), submitted(alpha)
    now = timezone.now()
    with tenant_scope(alpha.provider):
        svc.order_claim(order=fresh(alpha, mine), reviewer=alpha.users["reviewer"])
        FilingOrder.objects.filter(pk=mine.pk).update(review_due_at=now - timezone.timedelta(hours=1))
        FilingOrder.objects.filter(pk=soon.pk).update(review_due_at=now + timezone.timedelta(hours=2))
        FilingOrder.objects.filter(pk=later.pk).update(review_due_at=now + timezone.timedelta(days=7))
    # when the reviewer opens the home page
    page = alpha.client("reviewer").get("/").content.decode()
    # then mine / due soon / overdue count 1 each, linking to the queue
    summary = re.search(r'<section class="card" id="review-summary">.*?</section>', page, re.S).group(0)
    assert re.findall(r"<dd>(?:<strong class=\"err\">)?(\d+)", summary) == ["1", "1", "1"]
    assert 'href="/review/"' in summary


# --- concurrency (PostgreSQL) ---------------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_s1_eight_simultaneous_returns_make_one_transition(django_db_blocker):
    """Eight reviewers press "return" on one order at once: one return, one event, one set of reasons."""
    from icpfiling.registry.reference import reference_data_load

    reference_data_load()
    tenant = make_tenant("race")
    reviewers = [tenant.users["reviewer"]] + [second_reviewer(tenant, f"r{i}") for i in range(7)]
    order = submitted(tenant)
    outbox_before = OutboxMessage.objects.filter(tenant_id=tenant.provider.pk).count()
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def press(i: int) -> None:
        try:
            with tenant_scope(tenant.provider):
                seen = FilingOrder.objects.get(pk=order.pk)
                barrier.wait(timeout=10)
                svc.order_return(
                    order=seen,
                    reviewer=reviewers[i],
                    items=[ReturnItem("entity.entity_name", f"原因{i}"), ReturnItem("order", f"整体{i}")],
                )
            outcomes.append("returned")
        except TransitionConflict:
            outcomes.append("conflict")
        except ClaimConflict:
            outcomes.append("claimed")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("returned") == 1, outcomes
    assert set(outcomes) <= {"returned", "conflict", "claimed"}, outcomes
    with tenant_scope(tenant.provider):
        after = FilingOrder.objects.get(pk=order.pk)
        events = list(
            OrderEvent.objects.filter(order=order, kind="provider_return").values_list("actor_id", flat=True)
        )
        reasons = list(FieldReturn.objects.filter(order=order).values_list("reason", flat=True))
    assert after.status == S.RETURNED
    assert events == [after.assigned_to_id]
    winner = next(i for i, u in enumerate(reviewers) if u.pk == after.assigned_to_id)
    assert reasons == [f"原因{winner}", f"整体{winner}"]
    # one notification set: each channel once
    channels = list(
        OutboxMessage.objects.filter(tenant_id=tenant.provider.pk)
        .order_by("pk")[outbox_before:]
        .values_list("channel", flat=True)
    )
    assert channels, channels
    assert sorted(channels) == sorted(set(channels)), channels


# --- in a browser, on a phone ----------------------------------------------------------------


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_s3_reviewer_returns_one_field_on_a_phone_and_the_applicant_sees_it_there(live_server, page):
    """No JavaScript needed: queue → order → return one field; the applicant sees it beside the field."""
    from icpfiling.registry.reference import reference_data_load

    reference_data_load()
    tenant = make_tenant("alpha")
    order = submitted(tenant)
    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://alpha.localhost:{port}"

    def login(email: str) -> None:
        page.context.clear_cookies()
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", email)
        page.fill("#id_password", PASSWORD)
        page.click("button.primary")

    # the reviewer finds the order in the queue and opens it
    login("reviewer@alpha.test")
    page.goto(f"{base}/review/")
    page.click(f"a[href='/review/{order.pk}/']")
    assert page.locator("h1").inner_text() == f"审核订单 #{order.pk}"
    # and returns the entity name with a reason and a suggestion
    page.select_option("#id_r-0-field", "entity.entity_name")
    page.fill("#id_r-0-reason", "名称与营业执照不一致")
    page.fill("#id_r-0-suggestion", "按营业执照填写全称")
    page.click("#return-form button[type=submit]")
    assert "已退回申请人修改" in page.locator(".messages").inner_text()
    assert fresh(tenant, order).status == S.RETURNED
    # the applicant sees the reason inside the entity name's field
    login("applicant@alpha.test")
    page.goto(f"{base}/orders/{order.pk}/entity/")
    field = page.locator("#id_entity_name").locator("xpath=..")
    note = field.locator("[data-return-field='entity.entity_name']")
    assert "名称与营业执照不一致" in note.inner_text()
    assert "按营业执照填写全称" in note.inner_text()


def _registrant(tenant, order, name: str) -> None:
    """The applicant records the domain's new registrant after renaming the entity."""
    from filings.orders.services import order_website_save

    o = fresh(tenant, order)
    order_website_save(
        order=o, website=o.websites.get(), actor=tenant.users["applicant"], values={"domain_registrant": name}
    )
