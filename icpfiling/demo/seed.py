"""Demo data for the embedded run (idempotent). Later issues add orders here.

Every identity number is synthetic but passes its real checksum (python-stdnum
computes the check character), so validation code sees realistic input.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from filings.dashboard.services import dashboard_rollups_rebuild
from icpfiling.accounts.models import Membership, PlatformRole, Role, User
from icpfiling.demo.identities import demo_ric, demo_uscc
from icpfiling.demo.lifecycle import demo_lifecycle_seed
from icpfiling.demo.orders import demo_orders_seed
from icpfiling.registry.models import (
    CertificateType,
    EntityNature,
    FiledEntity,
    FiledWebsiteDomain,
    FormerCertificate,
    Province,
    RegistryStatus,
)
from icpfiling.registry.reference import reference_data_load
from icpfiling.registry.search_text import search_text_refresh
from icpfiling.registry.services import registry_access_add, registry_entity_file, registry_website_file
from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled
from icpfiling.tenancy.models import Provider, ProviderHostname

DEMO_PROVIDERS = [
    ("alpha", "阿尔法云（演示）", ["alpha.localhost"], True),
    ("beta", "贝塔数据（演示）", ["beta.localhost"], False),
]
# Fictitious legal names and 经营许可证 numbers for the demo providers (R-M1).
DEMO_LEGAL = {
    "alpha": ("阿尔法云计算（演示）有限公司", "浙B2-20260001"),
    "beta": ("贝塔数据服务（演示）有限公司", "粤B2-20260002"),
}
STAFF_ROLES = [
    ("applicant", Role.APPLICANT),
    ("reviewer", Role.REVIEWER),
    ("admin", Role.PROVIDER_ADMIN),
    ("verifier", Role.POINT_STAFF),
]


@dataclass(frozen=True)
class DemoEntity:
    key: str
    province: str
    nature: int
    cert_type: str
    cert_number: str
    name: str
    principal: str
    sites: tuple[tuple[str, str, str], ...]  # (domain, name, hosting provider slug)
    former: str = ""
    year: int = 2025


DEMO_REGISTRY = [
    # Filed and hosted at alpha: a new domain for this entity at alpha is 新增网站.
    DemoEntity(
        "alpha-co",
        "ZJ",
        4,
        "business_licence",
        demo_uscc("91330106MA2H00001"),
        "杭州阿尔法示例科技有限公司",
        "张三",
        (("alpha-demo.cn", "阿尔法示例官网", "alpha"),),
        former="330106000012345",
    ),
    # An individual filed at alpha.
    DemoEntity(
        "alpha-person",
        "ZJ",
        5,
        "resident_id",
        demo_ric("33010619880101123"),
        "李四",
        "李四",
        (("lisi-notes.cn", "李四的读书笔记", "alpha"),),
    ),
    # Filed and hosted at beta only: the same site at alpha is 新增接入.
    DemoEntity(
        "beta-co",
        "GD",
        4,
        "business_licence",
        demo_uscc("91440101MA5C00002"),
        "广州贝塔示例网络有限公司",
        "王五",
        (("beta-demo.cn", "贝塔示例商城", "beta"), ("beta-docs.cn", "贝塔文档中心", "beta")),
    ),
    # Hosted at both providers.
    DemoEntity(
        "shared-co",
        "SC",
        4,
        "business_licence",
        demo_uscc("91510100MA6D00003"),
        "成都双线示例信息有限公司",
        "赵六",
        (("shuangxian-demo.cn", "双线示例", "alpha"),),
    ),
    # An entity whose only website was cancelled (空壳主体): detection blocks it.
    DemoEntity(
        "shell-co",
        "ZJ",
        4,
        "business_licence",
        demo_uscc("91330106MA2H00004"),
        "宁波空壳示例贸易有限公司",
        "孙七",
        (("kongke-demo.cn", "空壳示例", "alpha"),),
    ),
]


def _provider(slug: str, name: str, hosts: list[str], approval: bool) -> Provider:
    provider, _ = Provider.objects.update_or_create(
        slug=slug,
        defaults={"name": name, "require_account_approval": approval, "is_active": True},
        # Shown in footers and on the verification sheet (R-M1); set once, the admin may edit them.
        create_defaults={
            "name": name,
            "require_account_approval": approval,
            "is_active": True,
            "legal_name": DEMO_LEGAL[slug][0],
            "licence_number": DEMO_LEGAL[slug][1],
        },
    )
    for h in hosts:
        ProviderHostname.objects.get_or_create(hostname=h, defaults={"provider": provider})
    return provider


def _user(email: str, *, provider: Provider | None, full_name: str, **extra) -> tuple[User, bool]:
    user = User.objects.filter(email=email, provider=provider).first()
    if user:
        return user, False
    user = User.objects.create_user(
        email,
        settings.ICPFILING_DEMO_PASSWORD,
        provider=provider,
        full_name=full_name,
        email_confirmed_at=timezone.now(),
        **extra,
    )
    return user, True


@transaction.atomic
def demo_seed(*, lifecycle: bool = True) -> list[tuple[str, str, str]]:
    """Create the demo tenants, accounts and registry. Returns (host, email, role label) rows.

    ``lifecycle=False`` leaves out the verification-point programme and the orders
    in every later state (the slow part); browser tests of the first steps use it.
    """
    reference_data_load()
    logins: list[tuple[str, str, str]] = []
    providers = {}
    for slug, name, hosts, approval in DEMO_PROVIDERS:
        provider = _provider(slug, name, hosts, approval)
        providers[slug] = provider
        with tenant_scope(provider):
            for local, role in STAFF_ROLES:
                email = f"{local}@{slug}.demo"
                user, _ = _user(email, provider=provider, full_name=f"{name} {role.label}")
                Membership.objects.get_or_create(
                    user=user, defaults={"tenant": provider, "role": role, "approved_at": timezone.now()}
                )
                logins.append((hosts[0], email, str(role.label)))
    for email, province, label in [
        ("authority-zj@gov.demo", "ZJ", "管局审核员（浙江）"),
        ("authority-gd@gov.demo", "GD", "管局审核员（广东）"),
    ]:
        user, _ = _user(email, provider=None, full_name=label, platform_role=PlatformRole.AUTHORITY)
        user.authority_provinces.add(province)
        logins.append(("localhost", email, label))
    _user(
        "operator@platform.demo",
        provider=None,
        full_name="平台运营",
        platform_role=PlatformRole.OPERATOR,
        is_staff=True,
        is_superuser=True,
    )
    logins.append(("localhost", "operator@platform.demo", "平台运营"))
    _registry(providers)
    from icpfiling.demo.points import demo_point_programme_seed
    from verification_points.models import VerificationPoint
    from verification_points.operations.slots import slots_generate

    demo_orders_seed(providers)
    # Apps and mini-programs (R-AP1…R-AP5): filed samples and an app-only order in review.
    from icpfiling.demo.mobile import demo_apps_seed

    demo_apps_seed(providers)
    if not lifecycle:
        _dashboard_rebuild()
        return logins
    for slug, provider in providers.items():
        with tenant_scope(provider):
            verifier = User.objects.get(email=f"verifier@{slug}.demo", provider=provider)
            demo_point_programme_seed(provider, verifier_user=verifier)
            for point in VerificationPoint.objects.filter(status="operating"):
                slots_generate(point=point, start=timezone.localdate(), days=14)
    demo_lifecycle_seed(providers)
    # Change and cancel orders after approval (R-C1…R-C9) in states worth seeing.
    from icpfiling.demo.changes import demo_changes_seed

    demo_changes_seed(providers)
    # The last two months' statements, so the settlement pages have content on any
    # day the demo starts (the demo point operates since before them; idempotent).
    from verification_points.operations.settlement import settlement_run

    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    settlement_run(month=(last_month - dt.timedelta(days=1)).replace(day=1))
    settlement_run(month=last_month)
    _dashboard_rebuild()
    return logins


def _dashboard_rebuild() -> None:
    """The demo writes some orders directly (past filings): recount the dashboard's cells (R-M3)."""
    with tenant_scopes_disabled():  # the demo's providers are all rebuilt at once
        dashboard_rollups_rebuild()


def _registry(providers: dict[str, Provider]) -> None:
    for e in DEMO_REGISTRY:
        if FiledEntity.objects.filter(certificate_number_bidx=e.cert_number).exists():
            continue
        filed_at = dt.datetime(e.year, 3, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        entity = registry_entity_file(
            province=Province.objects.get(code=e.province),
            nature=EntityNature.objects.get(code=e.nature),
            certificate_type=CertificateType.objects.get(code=e.cert_type),
            certificate_number=e.cert_number,
            name=e.name,
            principal_name=e.principal,
            filed_at=filed_at,
        )
        if e.former:
            FormerCertificate.objects.create(
                entity=entity, certificate_type_id="business_licence", number=e.former
            )
        for domain, site_name, host in e.sites:
            registry_website_file(
                entity=entity, domain=domain, name=site_name, provider=providers[host], filed_at=filed_at
            )
        if e.key == "shared-co":
            registry_access_add(website=entity.websites.get(), provider=providers["beta"], since=filed_at)
        if e.key == "shell-co":
            entity.websites.update(status=RegistryStatus.CANCELLED)
            # its domains are free again, as registry_service_cancel leaves them
            FiledWebsiteDomain.objects.filter(website__entity=entity).update(active=False)
            search_text_refresh(entity_id=entity.pk)


def demo_detection_examples() -> list[str]:
    """One line per detection outcome reachable at alpha with the demo registry."""
    by_key = {e.key: e for e in DEMO_REGISTRY}
    rows = [
        ("ZJ", by_key["alpha-co"].cert_number, "any-new-domain.cn", "新增网站 (new website)"),
        ("ZJ", by_key["alpha-co"].former, "any-new-domain.cn", "新增网站, found by the pre-merger number"),
        ("GD", by_key["beta-co"].cert_number, "beta-demo.cn", "新增接入 (new access)"),
        ("ZJ", "<any valid new credit code>", "brand-new-domain.cn", "首次备案 (new entity)"),
        ("ZJ", "<any valid new credit code>", "beta-demo.cn", "blocked: domain filed by another entity"),
        ("ZJ", by_key["shell-co"].cert_number, "any-new-domain.cn", "blocked: empty-shell entity"),
        ("SC", by_key["shared-co"].cert_number, "shuangxian-demo.cn", "blocked: already connected at alpha"),
    ]
    from icpfiling.demo.mobile import demo_app_detection_examples

    rows += demo_app_detection_examples(by_key["alpha-co"].cert_number)
    return [f"{p}  {c:<28} {d:<22} -> {outcome}" for p, c, d, outcome in rows]
