"""Demo apps and mini-programs (R-AP1…R-AP5): filed ones, an app-only order in review.

alpha's company files an app beside its website (``…号-2A``); beta's company a
WeChat mini-program (``…号-3X``); and at alpha a new entity has an app-only order
waiting for the provider's review. Idempotent: what exists is left alone.
"""

from __future__ import annotations

from filings.mobile.services import order_app_save
from filings.models import FilingOrder
from filings.orders.detection import DetectionInput
from filings.orders.services import order_create, order_entity_save, order_submit
from icpfiling.accounts.models import User
from icpfiling.demo.identities import demo_ric, demo_uscc
from icpfiling.registry.models import CertificateType, EntityNature, FiledEntity, Province
from icpfiling.registry.services import registry_app_file
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider

ALPHA_APP = ("android", "cn.alphademo.books", "阿尔法记账")
BETA_MINI = ("mini:wechat", "wxbeta0demo000001", "贝塔商城小程序")
APP_ONLY_CERT = demo_uscc("91330106MA2H00005")
# A demo certificate's MD5 and public key: sample values, never a real signing key.
SAMPLE_PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENn6g5G8XmquSDKaVEdINqo/QfWKm\n"
    "/utxfepfvWS9N7Vnsu0W/qOAh2IvcKsomCGgekbwuKtuVxGQ9+GQAJqp8g==\n"
    "-----END PUBLIC KEY-----"
)


def _registry_samples(providers: dict[str, Provider]) -> None:
    alpha_co = FiledEntity.objects.get(name="杭州阿尔法示例科技有限公司")
    if not alpha_co.apps.exists():
        platform, package, name = ALPHA_APP
        registry_app_file(
            entity=alpha_co,
            kind="app",
            name=name,
            provider=providers["alpha"],
            packages=[(platform, package, "")],
        )
    beta_co = FiledEntity.objects.get(name="广州贝塔示例网络有限公司")
    if not beta_co.apps.exists():
        platform, appid, name = BETA_MINI
        registry_app_file(
            entity=beta_co,
            kind="mini_program",
            name=name,
            provider=providers["beta"],
            packages=[(platform, appid, "")],
            mini_platform="wechat",
            mini_appid=appid,
        )


def _app_only_order(provider: Provider) -> None:
    applicant = User.objects.get(email=f"applicant@{provider.slug}.demo", provider=provider)
    with tenant_scope(provider):
        if FilingOrder.objects.filter(certificate_number_bidx=APP_ONLY_CERT).exists():
            return
        _, order = order_create(
            tenant=provider,
            applicant=applicant,
            data=DetectionInput(
                province=Province.objects.get(code="ZJ"),
                city="杭州市",
                county="滨江区",
                nature=EntityNature.objects.get(code=4),
                certificate_type=CertificateType.objects.get(code="business_licence"),
                certificate_number=APP_ONLY_CERT,
                domain="",
                app_platform="android",
                app_package="cn.appdemo.steps",
            ),
        )
        if order is None:
            return
        order_entity_save(
            order=order,
            actor=applicant,
            values={
                "entity_name": "杭州计步示例科技有限公司",
                "registered_address": "杭州市滨江区示例路 5 号",
                "communication_address": "杭州市滨江区示例路 5 号 3 楼",
                "investor": "杭州计步示例科技有限公司",
                "principal_is_legal_rep": True,
                "principal_name": "周八",
                "principal_id_type": "resident_id",
                "principal_id_number": demo_ric("33010619870707123"),
                "principal_id_long_term": True,
                "principal_mobile": "13905719301",
                "principal_email": "legal@appdemo.cn",
                "emergency_mobile": "13905719309",
                # Seed 003: a unit gives its licence's validity and business scope.
                "licence_long_term": True,
                "business_scope": "移动应用软件开发；技术服务。",
            },
        )
        order_app_save(
            order=order,
            app=order.apps.get(),
            actor=applicant,
            values={
                "name": "计步示例",
                "service_content": ["other"],
                "languages": ["zh-hans"],
                "principal_same_as_entity": True,
                "domains": ["api.appdemo.cn"],
                "sdks": [{"provider": "示例推送", "kind": "推送"}],
            },
            platforms={
                "android": {
                    "package_name": "cn.appdemo.steps",
                    "public_key": SAMPLE_PUBLIC_KEY,
                    "fingerprint": "3A:5F:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD",
                }
            },
        )
        from icpfiling.demo.orders import sample_materials

        sample_materials(order, applicant)
        errors = order_submit(order=order, actor=applicant)
        if errors:
            raise RuntimeError(f"demo app order does not validate: {errors}")


def demo_apps_seed(providers: dict[str, Provider]) -> None:
    _registry_samples(providers)
    _app_only_order(providers["alpha"])


def demo_app_detection_examples(alpha_cert: str) -> list[tuple[str, str, str, str]]:
    """(province, certificate, first service, outcome) rows for apps and mini-programs at alpha."""
    return [
        ("ZJ", alpha_cert, "android:cn.alphademo.new", "新增App (new app for a filed entity)"),
        ("ZJ", alpha_cert, f"{ALPHA_APP[0]}:{ALPHA_APP[1]}", "blocked: app already filed (R-AP5)"),
        ("ZJ", "<any valid new credit code>", "ios:cn.example.app", "首次备案, app only (R-AP1)"),
        (
            "ZJ",
            "<any valid new credit code>",
            "mini:wechat:wx0123456789abcdef",
            "首次备案, mini-program only",
        ),
    ]
