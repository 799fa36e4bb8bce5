"""Demo orders in every lifecycle state, for both providers and both authority provinces.

Every order is filed through the real services (detection, step saves,
materials, submit) and moved on by the same services the staff use (return,
pass, booking, on-site check, SMS codes, authority approval), so every role's
queue shows what the product would really hold. Idempotent: an order whose
entity already has an order is skipped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils import timezone

from filings.models import FilingOrder, OrderStatus, Server
from filings.orders.detection import DetectionInput
from filings.orders.services import order_create, order_entity_save, order_submit, order_website_save
from icpfiling.accounts.models import User
from icpfiling.registry.models import CertificateType, EntityNature, Province
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider

S = OrderStatus


@dataclass(frozen=True)
class Plan:
    key: str  # two digits, keeps numbers, mobiles and domains distinct
    province: str
    target: str
    name: str


# Per provider: the states every queue needs, and an authority_review order in each demo
# province (alpha hosts a Guangdong company too; beta a Zhejiang one).
PLANS = {
    "alpha": [
        Plan("21", "ZJ", S.RETURNED, "杭州退回示例科技有限公司"),
        Plan("22", "ZJ", S.VERIFICATION, "杭州核验示例科技有限公司"),
        Plan("23", "ZJ", S.PROVIDER_RECHECK, "杭州复审示例科技有限公司"),
        Plan("24", "ZJ", S.SMS_VERIFICATION, "杭州短信示例科技有限公司"),
        Plan("25", "ZJ", S.AUTHORITY_REVIEW, "杭州管局示例科技有限公司"),
        Plan("26", "GD", S.AUTHORITY_REVIEW, "深圳管局示例科技有限公司"),
        Plan("27", "ZJ", S.APPROVED, "杭州通过示例科技有限公司"),
        Plan("28", "ZJ", S.EXPIRED, "杭州失效示例科技有限公司"),
        Plan("29", "ZJ", S.ABANDONED, "杭州放弃示例科技有限公司"),
    ],
    "beta": [
        Plan("31", "GD", S.RETURNED, "广州退回示例网络有限公司"),
        Plan("32", "GD", S.VERIFICATION, "广州核验示例网络有限公司"),
        Plan("33", "GD", S.PROVIDER_RECHECK, "广州复审示例网络有限公司"),
        Plan("34", "GD", S.SMS_VERIFICATION, "广州短信示例网络有限公司"),
        Plan("35", "GD", S.AUTHORITY_REVIEW, "广州管局示例网络有限公司"),
        Plan("36", "ZJ", S.AUTHORITY_REVIEW, "宁波管局示例网络有限公司"),
        Plan("37", "GD", S.APPROVED, "广州通过示例网络有限公司"),
        Plan("38", "GD", S.EXPIRED, "广州失效示例网络有限公司"),
        Plan("39", "GD", S.ABANDONED, "广州放弃示例网络有限公司"),
    ],
}
PLACE = {"ZJ": ("330106", "杭州市", "西湖区"), "GD": ("440106", "广州市", "天河区")}
ORDER_OF_STATES = [
    S.PROVIDER_REVIEW,
    S.RETURNED,
    S.VERIFICATION,
    S.PROVIDER_RECHECK,
    S.SMS_VERIFICATION,
    S.AUTHORITY_REVIEW,
    S.APPROVED,
]


def _slot_in_progress(point):
    """A slot of ``point`` running now with a free place; one starting now when there is none."""
    from verification_points.models import AppointmentSlot

    now = timezone.now()
    slot = (
        AppointmentSlot.objects.filter(
            point=point, starts_at__lte=now, ends_at__gt=now, booked__lt=F("capacity")
        )
        .order_by("starts_at")
        .first()
    )
    if slot is not None:
        return slot
    start = now
    # One start per point (slot_unique_per_point_start): a full slot may already start now,
    # and a frozen clock (the demo's tests) gives every call the same now.
    while AppointmentSlot.objects.filter(point=point, starts_at=start).exists():
        start -= dt.timedelta(seconds=1)
    return AppointmentSlot.objects.create(
        tenant_id=point.tenant_id,
        point=point,
        starts_at=start,
        ends_at=now + dt.timedelta(minutes=point.slot_minutes),
        capacity=point.slot_capacity,
    )


def _numbers(plan: Plan, slug: str) -> dict:
    from icpfiling.demo.identities import demo_ric, demo_uscc

    area, city, county = PLACE[plan.province]
    prov = "8" if slug == "alpha" else "9"
    return {
        "uscc": demo_uscc(f"91{area}MA{prov}D00{plan.key}"),
        "ric": demo_ric(f"{area}1986040{plan.key[1]}{prov}{plan.key}"[:17]),
        "mobile": f"1390{prov}71{plan.key}01"[:11],
        "emergency": f"1390{prov}72{plan.key}09"[:11],
        "domain": f"{slug}-{plan.key}-demo.cn",
        "city": city,
        "county": county,
    }


def demo_order_file(
    provider: Provider,
    applicant: User,
    server: Server,
    plan: Plan,
    *,
    submit: bool = True,
    site_values: dict | None = None,
) -> FilingOrder | None:
    """File one demo order through the applicant's services; ``submit=False`` leaves a complete draft."""
    from icpfiling.demo.orders import sample_materials

    n = _numbers(plan, provider.slug)
    if FilingOrder.objects.filter(certificate_number_bidx=n["uscc"]).exists():
        return None
    _, order = order_create(
        tenant=provider,
        applicant=applicant,
        data=DetectionInput(
            province=Province.objects.get(code=plan.province),
            city=n["city"],
            county=n["county"],
            nature=EntityNature.objects.get(code=4),
            certificate_type=CertificateType.objects.get(code="business_licence"),
            certificate_number=n["uscc"],
            domain=n["domain"],
        ),
    )
    if order is None:
        return None
    order_entity_save(
        order=order,
        actor=applicant,
        values={
            "entity_name": plan.name,
            "registered_address": f"{n['city']}{n['county']}演示路 {plan.key} 号",
            "communication_address": f"{n['city']}{n['county']}演示路 {plan.key} 号 6 楼",
            "investor": plan.name,
            "principal_is_legal_rep": True,
            "principal_name": f"演示{plan.key}",
            "principal_id_type": "resident_id",
            "principal_id_number": n["ric"],
            "principal_id_long_term": True,
            "principal_mobile": n["mobile"],
            "principal_email": f"legal@{n['domain']}",
            "emergency_mobile": n["emergency"],
            "licence_long_term": True,
            "business_scope": "技术开发、技术服务；软件开发；互联网信息服务。",
        },
    )
    order_website_save(
        order=order,
        website=order.websites.get(),
        actor=applicant,
        values={
            "name": plan.name.replace("有限公司", "官网"),
            "homepage_url": f"https://{n['domain']}/",
            "service_content": ["unit_portal"],
            "languages": ["zh-hans"],
            "server": server,
            "domain_real_name_on": timezone.localdate() - dt.timedelta(days=30),
            "domain_expires_on": timezone.localdate() + dt.timedelta(days=700),
            "domain_registrant": plan.name,
            "domain_registrar": "阿里云计算有限公司（万网）",
            "principal_same_as_entity": True,
            **(site_values or {}),
        },
    )
    sample_materials(order, applicant)
    if not submit:
        return FilingOrder.objects.get(pk=order.pk)
    errors = order_submit(order=order, actor=applicant)
    if errors:
        raise RuntimeError(f"demo order {plan.key} does not validate: {errors}")
    return FilingOrder.objects.get(pk=order.pk)


def _advance(order: FilingOrder, plan: Plan, staff: dict[str, User], applicant: User) -> None:
    """Walk the order to its planned state through the staff's own services."""
    from filings.authority.services import authority_approve
    from filings.review import services as review_services
    from filings.sms import services as sms_check
    from filings.verification import services as verification
    from filings.workflow import order_transition
    from verification_points.models import AppointmentSlot, VerificationPoint

    target = plan.target
    reviewer, verifier = staff["reviewer"], staff["verifier"]
    if target == S.ABANDONED:  # submitted, withdrawn (撤回修改), then given up
        from filings.orders.services import order_abandon, order_withdraw

        order_withdraw(order=order, actor=applicant)
        order_abandon(order=FilingOrder.objects.get(pk=order.pk), actor=applicant)
        return
    if target == S.EXPIRED:
        order_transition(order=order, action="withdraw", actor=applicant, actor_kind="applicant")
        order.refresh_from_db()
        FilingOrder.objects.filter(pk=order.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
        order_transition(
            order=FilingOrder.objects.get(pk=order.pk),
            action="expire",
            actor=None,
            actor_kind="system",
            message="演示：长时间未操作，订单已失效。",
        )
        return
    review_services.order_claim(order=order, reviewer=reviewer)
    if target == S.RETURNED:
        review_services.order_return(
            order=order,
            reviewer=reviewer,
            items=[
                review_services.ReturnItem(
                    field="entity.communication_address",
                    reason="通讯地址不详细，需具体到门牌号。",
                    suggestion="请填写到门牌号，例如“演示路 21 号 6 楼 601 室”。",
                )
            ],
        )
        return
    review_services.phone_check_record(
        order=order, reviewer=reviewer, person=order.principal_name, outcome="confirmed"
    )
    review_services.order_pass(order=order, reviewer=reviewer)
    order.refresh_from_db()
    point = VerificationPoint.objects.filter(staff__user=verifier).first()
    if point is None:
        slot = None
    elif target == S.VERIFICATION:
        slot = (
            AppointmentSlot.objects.filter(
                point=point, starts_at__gt=timezone.now(), booked__lt=F("capacity")
            )
            .order_by("starts_at")
            .first()
        )
    else:
        # The check is recorded now, so the booking is for today (R-S4: a check is recorded on
        # the booked slot's day): the demo's applicant walked in and booked the slot in progress.
        slot = _slot_in_progress(point)
    if slot is not None:
        booking = verification.booking_make(order=order, applicant=applicant, slot_id=slot.pk)
    else:
        booking = verification.booking_make(order=order, applicant=applicant, remote=True)
    if target == S.VERIFICATION:
        return
    from icpfiling.core.sample_images import sample_image

    photo = SimpleUploadedFile("curtain.jpg", sample_image("curtain_photo"), "image/jpeg")
    if booking.mode == "in_person":
        verification.check_record(
            order=order,
            staff_user=verifier,
            originals_seen=[o.code for o in verification.originals_for(order)],
            curtain_photo=photo,
            result="passed",
        )
    else:
        verification.remote_check_record(
            order=order,
            reviewer=reviewer,
            originals_seen=[o.code for o in verification.originals_for(order)],
            result="passed",
        )
    if target == S.PROVIDER_RECHECK:
        return
    order.refresh_from_db()
    sms_check.sms_check_start(order=order, actor=reviewer)
    if target == S.SMS_VERIFICATION:
        return
    order.refresh_from_db()
    # The demo answers its own codes the way a person would: reading the SMS the
    # console gateway sent (the outbox row's body) and typing it in.
    for challenge in order.sms_challenges.filter(round=order.review_round, void_at=None):
        code = _sent_code(challenge)
        sms_check.sms_code_enter(order=order, challenge_id=challenge.pk, code=code, actor=applicant)
        order.refresh_from_db()
    order.refresh_from_db()
    if target == S.AUTHORITY_REVIEW:
        return
    authority = User.objects.get(email=f"authority-{plan.province.lower()}@gov.demo")
    authority_approve(order=order, reviewer=authority)


def _sent_code(challenge) -> str:
    """The code of the latest SMS sent for ``challenge`` (still in the outbox: the seed runs
    before any worker delivers, and delivery blanks it)."""
    import re

    from icpfiling.notifications.models import OutboxMessage

    body = (
        OutboxMessage.objects.filter(dedupe_key__startswith=f"sms-code:{challenge.pk}:")
        .order_by("-pk")
        .values_list("body", flat=True)
        .first()
    )
    match = re.search(r"核验码为(\d{6})", body or "")
    if not match:
        raise RuntimeError(f"no SMS code is readable for challenge {challenge.pk}")
    return match.group(1)


def _servers(provider: Provider, applicant: User, count: int) -> list[Server]:
    """Enough servers for the demo orders (one server carries at most 5 websites, R-W4)."""
    base = 40 if provider.slug == "alpha" else 60
    return [
        Server.objects.get_or_create(
            tenant=provider,
            ip_address=f"203.0.113.{base + i}",
            defaults={
                "owner": applicant,
                "label": f"演示云服务器 {i + 1}",
                "instance_id": f"ins-{provider.slug}-{base + i}",
                "paid_until": timezone.localdate() + dt.timedelta(days=365),
            },
        )[0]
        for i in range(count)
    ]


def demo_lifecycle_seed(providers: dict[str, Provider]) -> None:
    for slug, plans in PLANS.items():
        provider = providers[slug]
        applicant = User.objects.get(email=f"applicant@{slug}.demo", provider=provider)
        staff = {
            "reviewer": User.objects.get(email=f"reviewer@{slug}.demo", provider=provider),
            "verifier": User.objects.get(email=f"verifier@{slug}.demo", provider=provider),
        }
        with tenant_scope(provider):
            servers = _servers(provider, applicant, (len(plans) + 3) // 4)
            for i, plan in enumerate(plans):
                order = demo_order_file(provider, applicant, servers[i // 4], plan)
                if order is not None:
                    _advance(order, plan, staff, applicant)
