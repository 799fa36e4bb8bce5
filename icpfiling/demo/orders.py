"""Demo orders (issue 3): each demo applicant has servers, a draft and a submitted order.

The submitted order goes through the real services (detection, step saves,
validation, submit), so the demo can never hold an order the rules would refuse.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from filings.models import FilingOrder, OrderEvent, Server
from filings.orders.detection import DetectionInput
from filings.orders.services import order_create, order_entity_save, order_submit, order_website_save
from icpfiling.accounts.models import User
from icpfiling.registry.models import CertificateType, EntityNature, FiledEntity, Province
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider

# (provider, draft entity, draft domain, submitted-order registry key or new entity, submitted domain)
PLAN = {
    "alpha": {
        "province": "ZJ",
        "city": "杭州市",
        "county": "西湖区",
        "draft": ("91330106MA2H0000", "杭州演示网络科技有限公司", "hz-draft-demo.cn"),
        "submitted": ("91330106MA2H0001", "杭州提交示例科技有限公司", "hz-submitted-demo.cn"),
        "person": ("钱九", "33010619850312001", "13905710001", "", "13905710009"),
    },
    "beta": {
        "province": "GD",
        "city": "广州市",
        "county": "天河区",
        "draft": ("91440101MA5C0000", "广州演示网络科技有限公司", "gz-draft-demo.cn"),
        "submitted": ("91440101MA5C0001", "广州提交示例科技有限公司", "gz-submitted-demo.cn"),
        "person": ("吴十", "44010619870521002", "13802000001", "13802000002", "13802000009"),
    },
}


def _uscc(body16: str) -> str:
    from icpfiling.demo.identities import demo_uscc

    return demo_uscc(body16 + "7")


def _ric(body17: str) -> str:
    from icpfiling.demo.identities import demo_ric

    return demo_ric(body17)


# The entity each demo applicant filed in the past (R-P2: 已备案信息 shows it).
FILED_BY = {"alpha": "杭州阿尔法示例科技有限公司", "beta": "广州贝塔示例网络有限公司"}


def _filed_history(provider: Provider, applicant: User) -> None:
    entity = FiledEntity.objects.get(name=FILED_BY[provider.slug])
    if FilingOrder.objects.filter(applicant=applicant, registry_entity=entity).exists():
        return
    order = FilingOrder.objects.create(
        tenant=provider,
        applicant=applicant,
        order_type="new_entity",
        status="approved",
        province=entity.province,
        city="",
        county="",
        nature=entity.nature,
        certificate_type=entity.certificate_type,
        certificate_number=entity.certificate_number,
        entity_key=f"entity:{entity.pk}",
        registry_entity=entity,
        entity_name=entity.name,
        submitted_at=entity.filed_at,
    )
    OrderEvent.objects.create(
        tenant=provider,
        order=order,
        actor=None,
        kind="authority_approve",
        from_status="authority_review",
        to_status="approved",
        message=entity.entity_number,
    )


def sample_materials(order: FilingOrder, applicant: User) -> None:
    """Generated images marked SAMPLE for every required material (never real documents)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from filings.materials.requirements import missing_materials
    from filings.materials.services import material_upload
    from icpfiling.core.sample_images import sample_image

    for req in missing_materials(order):
        material_upload(
            order=order,
            slot=req.slot,
            actor=applicant,
            uploaded=SimpleUploadedFile(f"sample-{req.kind}.jpg", sample_image(req.kind), "image/jpeg"),
        )


def demo_orders_seed(providers: dict[str, Provider]) -> None:
    today = timezone.localdate()
    for slug, plan in PLAN.items():
        provider = providers[slug]
        applicant = User.objects.get(email=f"applicant@{slug}.demo", provider=provider)
        with tenant_scope(provider):
            servers = [
                Server.objects.get_or_create(
                    tenant=provider,
                    ip_address=ip,
                    defaults={
                        "owner": applicant,
                        "label": label,
                        "instance_id": f"ins-{slug}-{ip.rsplit('.', 1)[1]}",
                        "region": "华东1（杭州）" if slug == "alpha" else "华南1（广州）",
                        "paid_until": today + dt.timedelta(days=days),
                    },
                )[0]
                for ip, label, days in [
                    (f"203.0.113.{10 if slug == 'alpha' else 20}", "云服务器（包年）", 365),
                    (f"203.0.113.{11 if slug == 'alpha' else 21}", "云服务器（即将到期）", 30),
                ]
            ]
            # One inventory server not yet assigned to anyone (R-M5): the admin's list shows it.
            Server.objects.get_or_create(
                tenant=provider,
                ip_address=f"203.0.113.{12 if slug == 'alpha' else 22}",
                defaults={
                    "owner": None,
                    "label": "库存服务器（未分配）",
                    "instance_id": f"ins-{slug}-stock-1",
                    "region": "华东1（杭州）" if slug == "alpha" else "华南1（广州）",
                    "paid_until": today + dt.timedelta(days=730),
                },
            )
            _filed_history(provider, applicant)
            for kind in ("draft", "submitted"):
                number, name, domain = plan[kind]
                cert = _uscc(number)
                if FilingOrder.objects.filter(applicant=applicant, certificate_number_bidx=cert).exists():
                    continue
                if FiledEntity.objects.filter(certificate_number_bidx=cert).exists():
                    continue
                _, order = order_create(
                    tenant=provider,
                    applicant=applicant,
                    data=DetectionInput(
                        province=Province.objects.get(code=plan["province"]),
                        city=plan["city"],
                        county=plan["county"],
                        nature=EntityNature.objects.get(code=4),
                        certificate_type=CertificateType.objects.get(code="business_licence"),
                        certificate_number=cert,
                        domain=domain,
                    ),
                )
                if order is None:
                    continue
                person, id17, mobile, _unused, emergency = plan["person"]
                order_entity_save(
                    order=order,
                    actor=applicant,
                    values={
                        "entity_name": name,
                        "registered_address": f"{plan['city']}{plan['county']}示例路 1 号",
                        "communication_address": f"{plan['city']}{plan['county']}示例路 1 号 8 楼",
                        "investor": name,
                        "principal_is_legal_rep": True,
                        "principal_name": person,
                        "principal_id_type": "resident_id",
                        "principal_id_number": _ric(id17),
                        "principal_id_long_term": True,
                        "principal_mobile": mobile,
                        "principal_email": f"legal@{domain}",
                        "emergency_mobile": emergency,
                        "licence_long_term": True,
                        "business_scope": "技术开发、技术服务、技术咨询；软件开发；信息系统集成服务。",
                    },
                )
                if kind == "draft":
                    continue
                site = order.websites.get()
                order_website_save(
                    order=order,
                    website=site,
                    actor=applicant,
                    values={
                        "name": name.replace("有限公司", "官网"),
                        "homepage_url": f"https://{domain}/",
                        "service_content": ["unit_portal"],
                        "languages": ["zh-hans"],
                        "server": servers[0],
                        "domain_real_name_on": today - dt.timedelta(days=30),
                        "domain_expires_on": today + dt.timedelta(days=700),
                        "domain_registrant": name,
                        "domain_registrar": "阿里云计算有限公司（万网）",
                        "principal_same_as_entity": True,
                    },
                )
                sample_materials(order, applicant)
                errors = order_submit(order=order, actor=applicant)
                if errors:
                    raise RuntimeError(f"demo order for {slug} does not validate: {errors}")
