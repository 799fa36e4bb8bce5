"""Demo change and cancel orders (R-C1…R-C9) in states worth seeing, for both providers.

alpha: a 变更主体 of its filed company with the Zhejiang authority (the diff on
the authority's page). beta: a 注销网站 of its company's second website,
returned by the reviewer, and a 取消接入 the provider started itself (with the
reason the applicant sees). alpha also: a 变更App of an approved company's app
waiting for the reviewer (R-AP1). Each goes through the change services and the one
engine's transitions. Idempotent: an entity that already has a change order is skipped.
"""

from __future__ import annotations

from filings.authority.services import RejectItem
from filings.changes.services import change_order_start
from filings.mobile.services import order_app_save
from filings.models import FilingOrder, OrderChange
from filings.orders.services import order_entity_save, order_submit
from filings.ordertypes import action_for_type
from filings.returns import field_returns_record
from filings.workflow import order_transition
from icpfiling.accounts.models import User
from icpfiling.demo.identities import demo_ric
from icpfiling.registry.models import FiledEntity, FiledWebsite
from icpfiling.registry.services import registry_app_file
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider

ENTITY_VALUES = {
    "registered_address": "杭州市西湖区文三路 100 号",
    "communication_address": "杭州市西湖区文三路 100 号 12 楼",  # the change: was on the 8th floor
    "investor": "杭州阿尔法示例科技有限公司",
    "principal_is_legal_rep": True,
    "principal_name": "张三",
    "principal_id_type": "resident_id",
    "principal_id_long_term": True,
    "principal_mobile": "13905718801",
    "principal_email": "legal@alpha-demo.cn",
    "emergency_mobile": "13905718809",
    # Seed 003: the licence's validity and business scope, which units must give.
    "licence_long_term": True,
    "business_scope": "技术开发、技术服务、技术咨询；软件开发；信息系统集成服务。",
}


def _users(provider: Provider) -> tuple[User, User]:
    slug = provider.slug
    return (
        User.objects.get(email=f"applicant@{slug}.demo", provider=provider),
        User.objects.get(email=f"reviewer@{slug}.demo", provider=provider),
    )


def _has_change(entity: FiledEntity) -> bool:
    return OrderChange.objects.filter(order__registry_entity=entity).exists()


def _alpha_entity_change(provider: Provider) -> None:
    from icpfiling.demo.orders import sample_materials

    applicant, reviewer = _users(provider)
    entity = FiledEntity.objects.get(name="杭州阿尔法示例科技有限公司")
    if _has_change(entity):
        return
    # The filed data this change starts from (the demo's filed history has no full order).
    FilingOrder.objects.filter(registry_entity=entity, status="approved", tenant=provider).update(
        **{**ENTITY_VALUES, "communication_address": "杭州市西湖区文三路 100 号 8 楼"},
        principal_id_number=demo_ric("33010619800101888"),
    )
    order = change_order_start(
        tenant=provider, applicant=applicant, order_type="change_entity", entity=entity
    )
    order_entity_save(
        order=order, actor=applicant, values={"communication_address": ENTITY_VALUES["communication_address"]}
    )
    sample_materials(order, applicant)
    if order_submit(order=order, actor=applicant):
        return  # not submittable with this data: leave the draft to look at
    for action, kind in (
        ("provider_pass", "reviewer"),
        ("verified", "reviewer"),
        ("submit_to_authority", "reviewer"),
    ):
        order = order_transition(
            order=order, action=action_for_type(order.order_type, action), actor=reviewer, actor_kind=kind
        )
    order_transition(order=order, action="sms_passed", actor=None, actor_kind="system")


def _beta_cancel_website(provider: Provider) -> None:
    from icpfiling.demo.orders import sample_materials

    applicant, reviewer = _users(provider)
    entity = FiledEntity.objects.get(name="广州贝塔示例网络有限公司")
    if _has_change(entity):
        return
    service = FiledWebsite.objects.get(domain="beta-docs.cn")
    order = change_order_start(
        tenant=provider, applicant=applicant, order_type="cancel_website", entity=entity, service=service
    )
    sample_materials(order, applicant)
    if order_submit(order=order, actor=applicant):
        return
    order = FilingOrder.objects.get(pk=order.pk)
    field_returns_record(
        order=order,
        items=[RejectItem("materials.cancel_form", "注销申请表未加盖公章。", "请加盖单位公章后重新上传。")],
        source="provider",
        by=reviewer,
    )
    order_transition(
        order=order,
        action="provider_return",
        actor=reviewer,
        actor_kind="reviewer",
        message="注销申请表未加盖公章。",
    )


def _alpha_app_change(provider: Provider) -> None:
    """R-AP1 / R-C2: a 变更App waiting for the reviewer, its diff (name, content, build) on the page."""
    from icpfiling.demo.mobile import SAMPLE_PUBLIC_KEY
    from icpfiling.demo.orders import sample_materials

    applicant, _reviewer = _users(provider)
    entity = FiledEntity.objects.filter(name="杭州通过示例科技有限公司", status="active").first()
    if entity is None or _has_change(entity) or entity.apps.exists():
        return
    app = registry_app_file(
        entity=entity,
        kind="app",
        name="通过记账",
        provider=provider,
        packages=[("android", "cn.tongguo.books", "")],
    )
    order = change_order_start(
        tenant=provider, applicant=applicant, order_type="change_app", entity=entity, app=app
    )
    order_app_save(
        order=order,
        app=order.apps.get(),
        actor=applicant,
        values={"name": "通过记账Pro", "service_content": ["other"], "domains": ["api.tongguo-demo.cn"]},
        platforms={
            "android": {
                "package_name": "cn.tongguo.books",
                "public_key": SAMPLE_PUBLIC_KEY,
                "fingerprint": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            }
        },
    )
    sample_materials(FilingOrder.objects.get(pk=order.pk), applicant)
    order_submit(order=FilingOrder.objects.get(pk=order.pk), actor=applicant)  # else a draft to look at


def demo_changes_seed(providers: dict[str, Provider]) -> None:
    with tenant_scope(providers["alpha"]):
        _alpha_entity_change(providers["alpha"])
        _alpha_app_change(providers["alpha"])
    with tenant_scope(providers["beta"]):
        _beta_cancel_website(providers["beta"])


def demo_change_examples() -> list[str]:
    return [
        "alpha  applicant@alpha.demo  已备案信息: 变更/注销/取消接入 per entity and website, with reasons",
        "alpha  authority-zj@gov.demo 变更主体 of 杭州阿尔法示例科技有限公司 with the authority",
        "beta   applicant@beta.demo   注销网站 beta-docs.cn returned with a field-level reason",
        "beta   reviewer@beta.demo    /changes/hosted/: start 取消接入 for a hosted website, with a reason",
        "alpha  reviewer@alpha.demo   变更App of 通过记账 (杭州通过示例科技有限公司) waiting for review",
    ]
