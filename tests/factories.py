"""Builders for registry entries and complete orders (valid by every rule)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from stdnum.cn import ric, uscc

from filings.models import FilingOrder, Server
from filings.orders.detection import DetectionInput
from filings.orders.services import order_create, order_entity_save, order_website_save
from icpfiling.registry.models import CertificateType, EntityNature, Province
from icpfiling.registry.services import registry_entity_file, registry_website_file
from icpfiling.tenancy.context import tenant_scope

_counter = {"n": 0}


def next_n() -> int:
    _counter["n"] += 1
    return _counter["n"]


def make_uscc(seed: int | None = None) -> str:
    body = f"91330106MA{(seed or next_n()):07d}"
    return body + uscc.calc_check_digit(body)


def make_ric(body17: str = "33010619900101123") -> str:
    return body17 + ric.calc_check_digit(body17 + "0")  # stdnum expects a check-digit slot


def filed_entity(
    *, province="ZJ", cert=None, name="已备案示例公司", sites=(), nature=4, cert_type="business_licence"
):
    entity = registry_entity_file(
        province=Province.objects.get(code=province),
        nature=EntityNature.objects.get(code=nature),
        certificate_type=CertificateType.objects.get(code=cert_type),
        certificate_number=cert or make_uscc(),
        name=name,
        principal_name="张三",
    )
    for domain, provider in sites:
        registry_website_file(entity=entity, domain=domain, name="示例网站", provider=provider)
    return entity


def detection_input(
    *, cert: str, domain: str, province="ZJ", nature=4, cert_type="business_licence"
) -> DetectionInput:
    return DetectionInput(
        province=Province.objects.get(code=province),
        nature=EntityNature.objects.get(code=nature),
        certificate_type=CertificateType.objects.get(code=cert_type),
        certificate_number=cert,
        domain=domain,
        city="杭州市",
        county="西湖区",
    )


def server_for(tenant, applicant, *, days=365, ip=None) -> Server:
    with tenant_scope(tenant.provider):
        return Server.objects.create(
            tenant=tenant.provider,
            owner=applicant,
            label=f"服务器{next_n()}",
            ip_address=ip or f"198.51.100.{next_n() % 250 + 1}",
            paid_until=timezone.localdate() + dt.timedelta(days=days),
        )


VALID_ENTITY = {
    "entity_name": "杭州示例科技有限公司",
    "registered_address": "杭州市西湖区示例路 1 号",
    "communication_address": "杭州市西湖区示例路 1 号 8 楼",
    "investor": "杭州示例科技有限公司",
    "principal_is_legal_rep": True,
    "principal_name": "张三",
    "principal_id_type": "resident_id",
    "principal_id_long_term": True,
    "principal_mobile": "13905710001",
    "principal_email": "legal@example.com",
    "emergency_mobile": "13905710009",
    "licence_long_term": True,
    "business_scope": "技术开发、技术服务；软件开发；互联网信息服务。",
}


def valid_website_values(server, name="示例科技官网") -> dict:
    return {
        "name": name,
        "homepage_url": "https://example.cn/",
        "service_content": ["unit_portal"],
        "languages": ["zh-hans"],
        "server": server,
        "domain_real_name_on": timezone.localdate() - dt.timedelta(days=10),
        "domain_expires_on": timezone.localdate() + dt.timedelta(days=365),
        "domain_registrant": VALID_ENTITY["entity_name"],
        "domain_registrar": "阿里云计算有限公司（万网）",
        "principal_same_as_entity": True,
    }


def upload_required_materials(tenant, order: FilingOrder) -> int:
    """Upload a generated sample image for every required material still missing."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from filings.materials.requirements import missing_materials
    from filings.materials.services import material_upload
    from icpfiling.core.sample_images import sample_image

    n = 0
    with tenant_scope(tenant.provider):
        order = FilingOrder.objects.get(pk=order.pk)
        for req in missing_materials(order):
            material_upload(
                order=order,
                slot=req.slot,
                actor=order.applicant,
                uploaded=SimpleUploadedFile(f"{req.slot}.jpg", sample_image(req.slot), "image/jpeg"),
            )
            n += 1
    return n


def complete_order(
    tenant, *, websites: int = 1, domain_prefix: str | None = None, materials: bool = True
) -> FilingOrder:
    """A new-entity order at ``tenant`` by its applicant, valid and ready to submit."""
    applicant = tenant.users["applicant"]
    prefix = domain_prefix or f"site{next_n()}"
    with tenant_scope(tenant.provider):
        _, order = order_create(
            tenant=tenant.provider,
            applicant=applicant,
            data=detection_input(cert=make_uscc(), domain=f"{prefix}-0.cn"),
        )
        order_entity_save(
            order=order, actor=applicant, values={**VALID_ENTITY, "principal_id_number": make_ric()}
        )
        servers = [server_for(tenant, applicant) for _ in range((websites + 4) // 5)]
        first = order.websites.get()
        order_website_save(
            order=order, website=first, actor=applicant, values=valid_website_values(servers[0])
        )
        for i in range(1, websites):
            order_website_save(
                order=order,
                website=None,
                actor=applicant,
                values={
                    **valid_website_values(servers[i // 5], name=f"示例科技官网第{i}站"),
                    "domain_display": f"{prefix}-{i}.cn",
                },
            )
    if materials:
        upload_required_materials(tenant, order)
    return order


# The lifecycle path each state is reached by, with the actor kind of each step.
_PATH = [
    ("submit", "applicant", "provider_review"),
    ("provider_pass", "reviewer", "verification"),
    ("verified", "reviewer", "provider_recheck"),
    ("submit_to_authority", "reviewer", "sms_verification"),
    ("sms_passed", "system", "authority_review"),
]


def advance(tenant, order: FilingOrder, to_status: str) -> FilingOrder:
    """Move a submittable order along the lifecycle with plain transitions (no side services).

    For tests of later steps that need an order in a given state; the steps'
    own services (SMS codes, bookings, numbers) are tested where they live.
    """
    from filings.workflow import order_transition

    actors = {"applicant": tenant.users["applicant"], "reviewer": tenant.users["reviewer"], "system": None}
    with tenant_scope(tenant.provider):
        order = FilingOrder.objects.get(pk=order.pk)
        states = ["draft"] + [target for _a, _k, target in _PATH]
        for action, kind, _target in _PATH[states.index(order.status) :]:
            if order.status == to_status:
                break
            order = order_transition(order=order, action=action, actor=actors[kind], actor_kind=kind)
        assert order.status == to_status, f"cannot reach {to_status} from {order.status}"
    return order
