"""Apps, mini-programs and quick apps filed beside websites (R-AP1…R-AP5)."""

from __future__ import annotations

import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from filings.appchecks import clean_app_domain, clean_fingerprint, clean_package_name, clean_public_key
from filings.authority.services import authority_approve
from filings.mobile.services import order_app_save
from filings.models import FilingOrder, OrderApp, OrderAppPlatform, OrderType, OrderWebsite, SmsChallenge
from filings.orders.detection import order_detect
from filings.orders.services import order_create, order_entity_save, order_submission_errors
from filings.sms.services import sms_check_start, sms_code_enter
from filings.workflow import order_transition
from icpfiling.notifications.models import OutboxMessage
from icpfiling.registry.changes import Who, registry_app_cancel
from icpfiling.registry.models import FiledApp, FiledAppPackage
from icpfiling.registry.services import registry_app_file
from icpfiling.tenancy.context import tenant_scope
from tests.conftest import platform_client
from tests.factories import (
    VALID_ENTITY,
    complete_order,
    detection_input,
    filed_entity,
    make_ric,
    make_uscc,
    upload_required_materials,
)
from tests.platform.test_url_walk import PLATFORM_URLCONF

PUBLIC_KEY = (
    ec.generate_private_key(ec.SECP256R1())
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)
ANDROID_MD5 = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"


def app_values(**extra) -> dict:
    return {
        "name": "示例App",
        "service_content": ["other"],
        "languages": ["zh-hans"],
        "principal_same_as_entity": True,
        "domains": ["api.example-app.cn"],
        "sdks": [{"provider": "腾讯", "kind": "推送"}],
        **extra,
    }


def android(package="com.example.app") -> dict:
    return {"android": {"package_name": package, "public_key": PUBLIC_KEY, "fingerprint": ANDROID_MD5}}


def app_only_order(tenant, *, package="com.example.app", cert=None) -> FilingOrder:
    """A new-entity order at ``tenant`` carrying one valid Android app and no website."""
    applicant = tenant.users["applicant"]
    data = detection_input(cert=cert or make_uscc(), domain="")
    data.app_platform, data.app_package = "android", package
    with tenant_scope(tenant.provider):
        detection, order = order_create(tenant=tenant.provider, applicant=applicant, data=data)
        assert detection.ok, detection.field_errors or detection.message
        order_entity_save(
            order=order, actor=applicant, values={**VALID_ENTITY, "principal_id_number": make_ric()}
        )
        order_app_save(
            order=order,
            app=order.apps.get(),
            actor=applicant,
            values=app_values(),
            platforms=android(package),
        )
    upload_required_materials(tenant, order)
    return order


# ---------------------------------------------------------------- R-AP2 field checks


def test_r_ap2_fingerprints_are_normalised_and_sized_per_platform():
    # given fingerprints with colons and upper case / when cleaned / then lower-case hex without colons
    assert clean_fingerprint(ANDROID_MD5, platform="android") == "abcdef0123456789abcdef0123456789"
    assert clean_fingerprint("A" * 40, platform="ios") == "a" * 40
    # an iOS SHA-1 given for Android, and an MD5 given for iOS, are refused with the length named
    with pytest.raises(ValidationError) as exc:
        clean_fingerprint("a" * 40, platform="android")
    assert "32" in exc.value.messages[0]
    assert "40" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        clean_fingerprint("a" * 32, platform="ios")
    assert exc.value.code == "fingerprint_length"
    with pytest.raises(ValidationError) as exc:
        clean_fingerprint("zz" * 16, platform="android")
    assert exc.value.code == "fingerprint_not_hex"


def test_r_ap2_package_names_must_be_reverse_domain():
    assert clean_package_name(" com.example.app ", platform="android") == "com.example.app"
    assert clean_package_name("com.example.my-app", platform="ios") == "com.example.my-app"
    for bad, platform in [
        ("example", "android"),
        ("1com.example", "android"),
        ("com.my-app", "android"),
        ("", "ios"),
    ]:
        with pytest.raises(ValidationError) as exc:
            clean_package_name(bad, platform=platform)
        assert exc.value.code == "package_name_invalid"


def test_r_ap2_public_key_must_parse_and_app_domains_stop_at_third_level():
    assert clean_public_key(PUBLIC_KEY) == PUBLIC_KEY.strip()
    body = "".join(PUBLIC_KEY.strip().splitlines()[1:-1])
    assert clean_public_key(body) == body  # bare base64 DER
    for bad in ["not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "x" * 5000]:
        with pytest.raises(ValidationError) as exc:
            clean_public_key(bad)
        assert exc.value.code == "public_key_invalid"
    assert clean_app_domain("API.Example.cn") == "api.example.cn"
    assert clean_app_domain("api.example.com.cn") == "api.example.com.cn"
    with pytest.raises(ValidationError) as exc:
        clean_app_domain("a.b.example.cn")
    assert exc.value.code == "app_domain_too_deep"


@pytest.mark.django_db
def test_r_ap2_bad_app_data_is_reported_by_field_and_blocks_submission(alpha, beta):
    for tenant in (alpha, beta):
        # given an app-only order whose Android entry has an iOS-length fingerprint and a bad key
        order = app_only_order(tenant)
        with tenant_scope(tenant.provider):
            app = order.apps.get()
            OrderAppPlatform.objects.filter(app=app).update(fingerprint="a" * 40, public_key="junk")
            OrderApp.objects.filter(pk=app.pk).update(domains=["a.b.c.example.cn"])
            # when the order is checked for submission
            errors = order_submission_errors(FilingOrder.objects.get(pk=order.pk))
        # then each problem is named at its field
        assert set(errors) == {
            "apps[0].platforms.android.fingerprint",
            "apps[0].platforms.android.public_key",
            "apps[0].domains",
        }


# ---------------------------------------------------------------- R-AP1 detection and orders


@pytest.mark.django_db
def test_r_ap1_an_entity_may_file_only_an_app(alpha, beta):
    for tenant in (alpha, beta):
        # given an unknown entity naming an Android package instead of a domain
        order = app_only_order(tenant)
        # then a new-entity order with one app and no website, valid for submission
        with tenant_scope(tenant.provider):
            assert order.order_type == OrderType.NEW_ENTITY
            assert order.websites.count() == 0
            assert list(order.apps.values_list("platforms__package_name", flat=True)) == ["com.example.app"]
            assert order_submission_errors(FilingOrder.objects.get(pk=order.pk)) == {}


@pytest.mark.django_db
def test_r_ap1_bad_package_at_detection_writes_nothing(alpha, beta):
    for tenant in (alpha, beta):
        data = detection_input(cert=make_uscc(), domain="")
        data.app_platform, data.app_package = "android", "not-a-package"
        with tenant_scope(tenant.provider):
            detection, order = order_create(
                tenant=tenant.provider, applicant=tenant.users["applicant"], data=data
            )
            assert order is None
            assert list(detection.field_errors) == ["app_package"]
            assert FilingOrder.objects.count() == 0
            assert OrderApp.objects.count() == 0


@pytest.mark.django_db
def test_r_ap1_filed_entity_adds_an_app_as_new_app(alpha, beta):
    # given a filed entity with a website at alpha
    cert = make_uscc()
    filed_entity(cert=cert, sites=[("filed-site.cn", alpha.provider)])
    for tenant in (alpha, beta):
        data = detection_input(cert=cert, domain="")
        data.app_platform, data.app_package = "ios", "com.example.new"
        # when it names a new iOS bundle id / then 新增App
        assert order_detect(tenant_id=tenant.provider.pk, data=data).order_type == OrderType.NEW_APP


@pytest.mark.django_db
def test_r_ap5_one_entity_files_a_platform_and_package_once(alpha, beta):
    # given an entity that filed com.example.app on Android
    cert = make_uscc()
    entity = filed_entity(cert=cert, sites=[("pkg-site.cn", alpha.provider)])
    registry_app_file(
        entity=entity,
        kind="app",
        name="旧App",
        provider=alpha.provider,
        packages=[("android", "com.example.app", "")],
    )
    for tenant in (alpha, beta):
        data = detection_input(cert=cert, domain="")
        data.app_platform, data.app_package = "android", "COM.example.app"
        # when it tries again / then already filed, nothing created
        with tenant_scope(tenant.provider):
            detection, order = order_create(
                tenant=tenant.provider, applicant=tenant.users["applicant"], data=data
            )
            assert order is None
            assert detection.block == "app_already_filed"
            assert FilingOrder.objects.count() == 0
        # the same package on iOS is a different filing
        data.app_platform = "ios"
        assert order_detect(tenant_id=tenant.provider.pk, data=data).order_type == OrderType.NEW_APP
    # another entity may file the same package name (R-AP5)
    other = filed_entity(sites=[("other-site.cn", beta.provider)])
    registry_app_file(
        entity=other,
        kind="app",
        name="旧App",
        provider=beta.provider,
        packages=[("android", "com.example.app", "")],
    )
    assert FiledAppPackage.objects.filter(package_name="com.example.app").count() == 2


# ---------------------------------------------------------------- R-AP4 lifecycle and numbers


def _code(challenge: SmsChallenge) -> str:
    from icpfiling.notifications import sms as sms_backend  # the test gateway keeps what it sent

    msg = (
        OutboxMessage.objects.filter(dedupe_key__startswith=f"sms-code:{challenge.pk}:")
        .order_by("-pk")
        .first()
    )
    body = msg.body
    if msg.status == "sent":
        body = next(
            m["body"] for m in reversed(sms_backend.sent) if m["idempotency_key"] == f"outbox-{msg.pk}"
        )
    return re.search(r"核验码为(\d{6})", body).group(1)


def _reviewer_sees_app(tenant, order) -> None:
    """The reviewer sees the app, its package and the app principal's mobile masked (R-D4)."""
    review = tenant.client("reviewer").get(f"/review/{order.pk}/").content.decode()
    assert f"com.{tenant.provider.slug}.app" in review
    assert "139****0077" in review
    assert "13905710077" not in review
    # revealing it shows it in full once, and the reveal is audited
    from filings.models import FileAccessLog

    revealed = tenant.client("reviewer").post(
        f"/review/{order.pk}/reveal/", {"field": "apps[0].principal_mobile"}
    )
    assert "13905710077" in revealed.content.decode()
    with tenant_scope(tenant.provider):
        reveals = FileAccessLog.objects.filter(order_id=order.pk, action="reveal")
        assert list(reveals.values_list("kind", "actor_id")) == [
            ("field:a0.principal_mobile", tenant.users["reviewer"].pk)
        ]


def _through_authority(tenant, order, authority, on_review=None) -> FilingOrder:
    applicant, reviewer = tenant.users["applicant"], tenant.users["reviewer"]
    with tenant_scope(tenant.provider):
        order = FilingOrder.objects.get(pk=order.pk)
        for action, actor, kind in [
            ("submit", applicant, "applicant"),
            ("provider_pass", reviewer, "reviewer"),
            ("verified", reviewer, "reviewer"),
        ]:
            order = order_transition(order=order, action=action, actor=actor, actor_kind=kind)
            if action == "submit" and on_review:
                on_review(tenant, order)
        order = sms_check_start(order=order, actor=reviewer)
        challenges = list(SmsChallenge.objects.filter(order_id=order.pk, void_at=None))
        for c in challenges:
            sms_code_enter(
                order=FilingOrder.objects.get(pk=order.pk), challenge_id=c.pk, code=_code(c), actor=applicant
            )
        order = FilingOrder.objects.get(pk=order.pk)
        assert order.status == "authority_review"
    return authority_approve(order=order, reviewer=authority), challenges


@pytest.mark.django_db
def test_r_ap4_app_only_order_through_sms_and_authority_gets_an_a_number(alpha, beta, platform_users):
    authority = platform_users["authority"]
    for tenant in (alpha, beta):
        # given an app-only order whose app principal is a different person with their own mobile
        order = app_only_order(tenant, package=f"com.{tenant.provider.slug}.app")
        with tenant_scope(tenant.provider):
            order_app_save(
                order=order,
                app=order.apps.get(),
                actor=tenant.users["applicant"],
                values={
                    "principal_same_as_entity": False,
                    "principal_name": "李四",
                    "principal_id_type": "resident_id",
                    "principal_id_number": make_ric("33010619850505123"),
                    "principal_id_long_term": True,
                    "principal_mobile": "13905710077",
                    "principal_email": "app@example.com",
                },
            )
        upload_required_materials(tenant, order)
        # when review, the SMS check and the authority pass it
        order, challenges = _through_authority(tenant, order, authority, on_review=_reviewer_sees_app)
        # then the app principal got a code of their own, and the registry holds the app as -1A
        assert sorted(c.people[0].split(":")[0] for c in challenges) == ["app", "entity"]
        assert order.status == "approved"
        with tenant_scope(tenant.provider):
            app = OrderApp.objects.select_related("registry_app__entity").get(order_id=order.pk)
        filed = app.registry_app
        assert filed.service_number == f"{filed.entity.entity_number}-1A"
        assert filed.provider_id == tenant.provider.pk
        assert list(filed.packages.values_list("platform", "package_name", "fingerprint")) == [
            ("android", f"com.{tenant.provider.slug}.app", "abcdef0123456789abcdef0123456789")
        ]
        # and the domains the app uses, as registered domains, so the public query finds it by them
        assert list(filed.filed_domains.values_list("domain", flat=True)) == ["example-app.cn"]
        found = tenant.client().get("/query/", {"q": "api.example-app.cn"}).content.decode()
        assert filed.service_number in found
        # the authority's page and the applicant's order list the number; the message says where to show it
        page = platform_client(authority).get(reverse("authority:order", PLATFORM_URLCONF, args=[order.pk]))
        assert filed.service_number in page.content.decode()
        detail = tenant.client("applicant").get(f"/orders/{order.pk}/").content.decode()
        assert filed.service_number in detail
        assert "启动页" in detail
        # 已备案信息 lists the app under its entity (R-P2), which is no empty shell
        filed_page = tenant.client("applicant").get("/orders/filed/").content.decode()
        assert filed.service_number in filed_page
        assert "空壳主体" not in filed_page


@pytest.mark.django_db
def test_r_ap4_mixed_order_shares_the_entity_sequence_and_numbers_are_never_reused(
    alpha, beta, platform_users
):
    authority = platform_users["authority"]
    for tenant in (alpha, beta):
        # given a new-entity order with one website and one mini-program
        order = complete_order(tenant)
        with tenant_scope(tenant.provider):
            order_app_save(
                order=order,
                app=None,
                actor=tenant.users["applicant"],
                values=app_values(
                    kind="mini_program",
                    name="示例小程序",
                    mini_platform="wechat",
                    mini_appid="wx1234abcd5678ef90",
                ),
            )
        upload_required_materials(tenant, order)
        order, _ = _through_authority(tenant, order, authority)
        with tenant_scope(tenant.provider):
            site = OrderWebsite.objects.select_related("registry_website").get(order_id=order.pk)
            app = OrderApp.objects.select_related("registry_app").get(order_id=order.pk)
        # then the website is -1 and the mini-program -2X under the same entity number
        entity_number = site.registry_website.entity.entity_number
        assert site.registry_website.website_number == f"{entity_number}-1"
        assert app.registry_app.service_number == f"{entity_number}-2X"
        # and a later app after cancelling takes -3A: numbers are never reused
        FiledApp.objects.filter(pk=app.registry_app_id).update(status="cancelled")
        later = registry_app_file(
            entity=site.registry_website.entity,
            kind="app",
            name="新App",
            provider=tenant.provider,
            packages=[],
        )
        assert later.service_number == f"{entity_number}-3A"


# ---------------------------------------------------------------- pages


@pytest.mark.django_db
def test_r_ap1_applicant_adds_edits_and_removes_an_app_through_the_pages(alpha, beta):
    for tenant, other in ((alpha, beta), (beta, alpha)):
        order = complete_order(tenant)
        client = tenant.client("applicant")
        # when the applicant posts a new app without JavaScript
        r = client.post(
            f"/orders/{order.pk}/apps/new/?kind=app",
            {
                "kind": "app",
                "name": "页面App",
                "service_content": ["other"],
                "languages": ["zh-hans"],
                "principal_same_as_entity": "on",
                "domains_text": "api.page-app.cn",
                "android_package_name": "com.page.app",
                "android_public_key": PUBLIC_KEY,
                "android_fingerprint": "ab" * 15,  # 30 digits: wrong
                "save": "1",
            },
        )
        # then it is stored as entered and the edit page names the wrong fingerprint
        with tenant_scope(tenant.provider):
            app = OrderApp.objects.get(order_id=order.pk)
        assert r.status_code == 302
        assert r["Location"] == f"/orders/{order.pk}/apps/{app.pk}/"
        page = client.get(r["Location"])
        assert page.status_code == 200
        assert "com.page.app" in page.content.decode()
        r = client.post(
            f"/orders/{order.pk}/apps/{app.pk}/",
            {
                "kind": "app",
                "name": "页面App",
                "android_package_name": "com.page.app",
                "android_fingerprint": "ab" * 15,
                "save": "1",
            },
        )
        assert "32" in r.content.decode()
        assert r.status_code == 200
        # another tenant's applicant cannot open or delete it, and nothing changes
        foreign = other.client("applicant")
        assert foreign.get(f"/orders/{order.pk}/apps/{app.pk}/").status_code == 404
        assert foreign.post(f"/orders/{order.pk}/apps/{app.pk}/delete/").status_code == 404
        with tenant_scope(tenant.provider):
            assert OrderApp.objects.filter(pk=app.pk).exists()
        # the applicant removes it (the order keeps its website)
        assert client.post(f"/orders/{order.pk}/apps/{app.pk}/delete/").status_code == 302
        with tenant_scope(tenant.provider):
            assert not OrderApp.objects.filter(pk=app.pk).exists()
            assert OrderAppPlatform.objects.count() == 0


@pytest.mark.django_db
def test_r_ap1_the_last_service_of_an_order_cannot_be_removed(alpha, beta):
    for tenant in (alpha, beta):
        order = app_only_order(tenant)
        with tenant_scope(tenant.provider):
            app = order.apps.get()
        r = tenant.client("applicant").post(f"/orders/{order.pk}/apps/{app.pk}/delete/")
        assert r.status_code == 302
        with tenant_scope(tenant.provider):
            assert OrderApp.objects.filter(pk=app.pk).exists()
    assert timezone.now()


# ---------------------------------------------------------------- public query


@pytest.mark.django_db
def test_r_ap4_public_query_finds_apps_by_name_and_number(alpha, beta):
    # given an entity with an app filed at alpha and a cancelled mini-program
    entity = filed_entity(name="公开查询示例公司", sites=[("public-app-site.cn", alpha.provider)])
    app = registry_app_file(
        entity=entity,
        kind="app",
        name="云起记账",
        provider=alpha.provider,
        packages=[("ios", "com.yq.book", "")],
    )
    gone = registry_app_file(
        entity=entity, kind="mini_program", name="云起旧小程序", provider=alpha.provider, packages=[]
    )
    registry_app_cancel(app=gone, who=Who(reason="注销App"))
    for tenant in (alpha, beta):
        client = tenant.client()
        # when anyone searches by the app's name, its number, or the entity number
        by_name = client.get("/query/", {"q": "云起"}).content.decode()
        by_number = client.get("/query/", {"q": app.service_number}).content.decode()
        by_entity = client.get(f"/query/entity/{entity.entity_number}/").content.decode()
        # then the active app is listed with its -NA number, the cancelled one nowhere
        assert app.service_number in by_name
        assert "云起记账" in by_number
        assert app.service_number in by_entity
        for page in (by_name, by_entity):
            assert "云起旧小程序" not in page
        assert app.service_number.endswith("-2A")
        data = client.get("/query/api/", {"q": "云起记账"}).json()
        assert [(a["kind"], a["service_number"]) for a in data["apps"]] == [("app", app.service_number)]


@pytest.mark.django_db
def test_r_ap2_an_app_principal_of_their_own_needs_their_id_uploaded(alpha, beta):
    from filings.materials.requirements import missing_materials

    for tenant in (alpha, beta):
        # given a complete app-only order / when its app gets a principal of its own
        order = app_only_order(tenant)
        with tenant_scope(tenant.provider):
            app = order.apps.get()
            OrderApp.objects.filter(pk=app.pk).update(principal_same_as_entity=False, principal_name="李四")
            missing = missing_materials(FilingOrder.objects.get(pk=order.pk))
        # then exactly that principal's ID is missing
        assert [(r.slot, r.kind) for r in missing] == [(f"app_principal_id:{app.pk}", "website_principal_id")]


@pytest.mark.django_db
def test_r_ap1_detection_page_takes_a_package_instead_of_a_domain(alpha, beta):
    form = {
        "province": "ZJ",
        "city": "杭州市",
        "county": "西湖区",
        "nature": 4,
        "certificate_type": "business_licence",
        "domain": "",
    }
    for tenant in (alpha, beta):
        client = tenant.client("applicant")
        # given neither a domain nor a package / then the domain field says what to do, nothing is created
        r = client.post("/orders/new/", {**form, "certificate_number": make_uscc()})
        assert r.status_code == 200
        assert "只备案 App 时请选择平台并填写包名" in r.content.decode()
        # given a package name on iOS without a domain / then a new-entity order with that app
        r = client.post(
            "/orders/new/",
            {**form, "certificate_number": make_uscc(), "app_platform": "ios", "app_package": "com.page.ios"},
        )
        with tenant_scope(tenant.provider):
            order = FilingOrder.objects.get(applicant=tenant.users["applicant"])
            assert r["Location"] == f"/orders/{order.pk}/entity/"
            assert list(
                OrderAppPlatform.objects.values_list("app__order_id", "platform", "package_name")
            ) == [(order.pk, "ios", "com.page.ios")]
            assert order.websites.count() == 0


@pytest.mark.django_db
def test_r_ap2_a_resubmission_shows_what_changed_in_an_app(alpha, beta):
    from filings.snapshots import field_label, snapshot_changes, snapshot_data

    for tenant in (alpha, beta):
        # given an app-only order as submitted in round 1
        order = app_only_order(tenant)
        with tenant_scope(tenant.provider):
            order = FilingOrder.objects.get(pk=order.pk)
            before = snapshot_data(order)
            # when the applicant changes the iOS fingerprint and the app name
            app = order.apps.get()
            OrderApp.objects.filter(pk=app.pk).update(name="改名App")
            OrderAppPlatform.objects.filter(app=app).update(fingerprint="0" * 32)
            changes = snapshot_changes(order, before, snapshot_data(order))
        # then both changes are listed with readable labels
        assert [(c.field, c.before, c.after) for c in changes] == [
            ("apps[0].name", "示例App", "改名App"),
            ("apps[0].platforms.android.fingerprint", "abcdef0123456789abcdef0123456789", "0" * 32),
        ]
        assert field_label(order, "apps[0].name") == "App 1：App名称"
        assert field_label(order, "apps[0].platforms.ios.fingerprint") == "App 1：iOS 证书指纹"


# ---------------------------------------------------------------- signing certificate upload


def _certificate() -> tuple[bytes, bytes, object]:
    """A self-signed signing certificate as PEM and DER, and the certificate."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Signing")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), cert.public_bytes(serialization.Encoding.DER), cert


def test_r_ap2_certificate_gives_the_key_and_the_platform_fingerprint():
    from cryptography.hazmat.primitives import hashes

    from filings.appchecks import certificate_extract

    pem, der, cert = _certificate()
    # when a PEM certificate is read for Android and a DER one for iOS
    key, md5 = certificate_extract(pem, platform="android")
    _key, sha1 = certificate_extract(der, platform="ios")
    # then the key parses and the fingerprints are the certificate's MD5 and SHA-1
    assert clean_public_key(key) == key
    assert md5 == cert.fingerprint(hashes.MD5()).hex()  # noqa: S303
    assert sha1 == cert.fingerprint(hashes.SHA1()).hex()  # noqa: S303
    assert len(md5) == 32
    assert len(sha1) == 40
    # hostile files: truncated, not a certificate, oversized
    for bad, code in [
        (der[: len(der) // 2], "certificate_invalid"),
        (pem.replace(b"M", b"!", 3), "certificate_invalid"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "certificate_invalid"),
        (b"0" * (64 * 1024 + 1), "certificate_too_large"),
    ]:
        with pytest.raises(ValidationError) as exc:
            certificate_extract(bad, platform="android")
        assert exc.value.code == code


@pytest.mark.django_db
def test_r_ap2_uploaded_certificate_fills_key_and_fingerprint_and_is_not_kept(
    alpha, beta, tmp_path, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    _pem, der, _cert = _certificate()
    for tenant in (alpha, beta):
        order = app_only_order(tenant)
        with tenant_scope(tenant.provider):
            app = order.apps.get()
        client = tenant.client("applicant")
        url = f"/orders/{order.pk}/apps/{app.pk}/"
        base = {"kind": "app", "name": "示例App", "android_package_name": "com.example.app", "save": "1"}
        # given hostile uploads / then refused with the field named, and nothing changes
        for name, content in [("bad.der", der[:40]), ("big.pem", b"0" * (64 * 1024 + 1))]:
            r = client.post(url, {**base, "android_certificate": SimpleUploadedFile(name, content)})
            assert r.status_code == 200
            assert 'id="id_android_certificate' in r.content.decode()
            with tenant_scope(tenant.provider):
                plat = OrderAppPlatform.objects.get(app=app)
            assert plat.fingerprint == "abcdef0123456789abcdef0123456789"
            assert plat.public_key == PUBLIC_KEY.strip()
        # when a DER certificate is uploaded for Android
        r = client.post(url, {**base, "android_certificate": SimpleUploadedFile("sign.der", der)})
        # then its key and MD5 fill the platform; no file was stored anywhere
        assert r.status_code == 200
        with tenant_scope(tenant.provider):
            plat = OrderAppPlatform.objects.get(app=app)
        assert len(plat.fingerprint) == 32
        assert plat.fingerprint != "abcdef0123456789abcdef0123456789"
        assert plat.public_key.startswith("-----BEGIN PUBLIC KEY-----")
        assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_r_ap4_the_verification_sheet_lists_the_apps(alpha, beta):
    from tests.materials.test_sheet import pdf_text

    for tenant in (alpha, beta):
        # given an app-only order / when the applicant downloads its sheet
        order = app_only_order(tenant, package=f"com.sheet.{tenant.provider.slug}")
        r = tenant.client("applicant").get(f"/orders/{order.pk}/sheet.pdf")
        # then the PDF lists the app with its package name
        text = pdf_text(r.content)
        assert "App、小程序与快应用" in text
        assert f"com.sheet.{tenant.provider.slug}" in text
        assert "示例App" in text


@pytest.mark.django_db
def test_r_ap3_a_mini_program_alone_is_filed_by_platform_and_appid_to_an_x_number(
    alpha, beta, platform_users
):
    authority = platform_users["authority"]
    for tenant in (alpha, beta):
        # given an unknown entity naming a WeChat mini-program's AppID instead of a domain
        data = detection_input(cert=make_uscc(), domain="")
        data.app_platform, data.app_package = "mini:wechat", f"wx{tenant.provider.slug}0001"
        applicant = tenant.users["applicant"]
        with tenant_scope(tenant.provider):
            _detection, order = order_create(tenant=tenant.provider, applicant=applicant, data=data)
            app = order.apps.get()
            assert (app.kind, app.mini_platform, app.mini_appid) == (
                "mini_program",
                "wechat",
                data.app_package,
            )
            order_entity_save(
                order=order, actor=applicant, values={**VALID_ENTITY, "principal_id_number": make_ric()}
            )
            order_app_save(order=order, app=app, actor=applicant, values=app_values(name="示例小程序"))
        upload_required_materials(tenant, order)
        # when it goes through review, SMS and the authority
        order, _ = _through_authority(tenant, order, authority)
        with tenant_scope(tenant.provider):
            filed = (
                OrderApp.objects.select_related("registry_app__entity").get(order_id=order.pk).registry_app
            )
        # then it is -1X, and the same AppID on the same platform is already filed for this entity
        assert filed.service_number == f"{filed.entity.entity_number}-1X"
        again = detection_input(cert=data.certificate_number, domain="")
        again.app_platform, again.app_package = "mini:wechat", data.app_package
        with tenant_scope(tenant.provider):  # as in a request: the offers read the tenant's orders
            assert order_detect(tenant_id=tenant.provider.pk, data=again).block == "app_already_filed"
        again.app_platform = "mini:alipay"
        assert order_detect(tenant_id=tenant.provider.pk, data=again).order_type == OrderType.NEW_APP


@pytest.mark.django_db
def test_r_ap3_a_bad_appid_is_refused_at_detection_and_on_the_order(alpha, beta):
    for tenant in (alpha, beta):
        data = detection_input(cert=make_uscc(), domain="")
        data.app_platform, data.app_package = "mini:douyin", "a b"
        with tenant_scope(tenant.provider):
            detection, order = order_create(
                tenant=tenant.provider, applicant=tenant.users["applicant"], data=data
            )
            assert order is None
            assert list(detection.field_errors) == ["app_package"]
            assert OrderApp.objects.count() == 0
        # on an order: a mini-program without platform or AppID names both fields
        order = complete_order(tenant)
        with tenant_scope(tenant.provider):
            order_app_save(
                order=order,
                app=None,
                actor=tenant.users["applicant"],
                values=app_values(kind="quick_app", mini_platform="", mini_appid="x"),
            )
            errors = order_submission_errors(FilingOrder.objects.get(pk=order.pk))
        assert sorted(k for k in errors if k.startswith("apps[0]")) == [
            "apps[0].mini_appid",
            "apps[0].mini_platform",
        ]


@pytest.mark.django_db
def test_r_ap2_reviewer_returns_an_app_field_and_the_applicant_sees_it_beside_the_field(alpha, beta):
    for tenant in (alpha, beta):
        # given a submitted app-only order
        order = app_only_order(tenant)
        with tenant_scope(tenant.provider):
            order_transition(
                order=FilingOrder.objects.get(pk=order.pk),
                action="submit",
                actor=tenant.users["applicant"],
                actor_kind="applicant",
            )
            app = order.apps.get()
        reviewer = tenant.client("reviewer")
        page = reviewer.get(f"/review/{order.pk}/").content.decode()
        assert 'value="apps[0].platforms.android.fingerprint"' in page
        # when the reviewer returns the Android fingerprint, and tries a key that does not exist
        rows = {
            "r-TOTAL_FORMS": "1",
            "r-INITIAL_FORMS": "0",
            "r-MIN_NUM_FORMS": "0",
            "r-MAX_NUM_FORMS": "50",
            "r-0-field": "apps[3].name",
            "r-0-reason": "指纹与证书不符",
        }
        reviewer.post(f"/review/{order.pk}/return/", rows)
        assert _status_of(tenant, order) == "provider_review"
        reviewer.post(
            f"/review/{order.pk}/return/", {**rows, "r-0-field": "apps[0].platforms.android.fingerprint"}
        )
        # then the order is returned and the app page shows the reason beside the fingerprint
        assert _status_of(tenant, order) == "returned"
        page = tenant.client("applicant").get(f"/orders/{order.pk}/apps/{app.pk}/").content.decode()
        assert "指纹与证书不符" in page
        assert page.index('id="id_android_public_key"') < page.index("指纹与证书不符")
        assert page.index("指纹与证书不符") < page.index('id="id_ios_package_name"')


def _status_of(tenant, order) -> str:
    with tenant_scope(tenant.provider):
        return FilingOrder.objects.get(pk=order.pk).status


@pytest.mark.django_db
def test_r_ap1_an_app_only_order_goes_from_the_entity_step_to_its_apps(alpha, beta):
    for tenant in (alpha, beta):
        order = app_only_order(tenant)
        with tenant_scope(tenant.provider):
            saved = FilingOrder.objects.get(pk=order.pk)
        form = {k: ("on" if v is True else v) for k, v in VALID_ENTITY.items() if v is not False}
        form |= {"principal_id_number": saved.principal_id_number, "next": "1"}
        r = tenant.client("applicant").post(f"/orders/{order.pk}/entity/", form)
        assert r.status_code == 302
        assert r["Location"] == f"/orders/{order.pk}/apps/"


@pytest.mark.django_db
def test_r_ap1_an_app_added_to_a_new_access_order_is_filed_on_approval(alpha, beta, platform_users):
    # given an entity filed at beta whose website alpha will now host, with an app added to the order
    cert = make_uscc()
    entity = filed_entity(cert=cert, sites=[("access-app.cn", beta.provider)])
    applicant = alpha.users["applicant"]
    with tenant_scope(alpha.provider):
        _d, order = order_create(
            tenant=alpha.provider,
            applicant=applicant,
            data=detection_input(cert=cert, domain="access-app.cn"),
        )
        assert order.order_type == OrderType.NEW_ACCESS
        order_app_save(
            order=order,
            app=None,
            actor=applicant,
            values=app_values(),
            platforms=android("com.access.app"),
        )
        # straight to the authority step: the earlier steps are tested above
        FilingOrder.objects.filter(pk=order.pk).update(status="authority_review")
        order = FilingOrder.objects.get(pk=order.pk)
    # when the authority approves it
    authority_approve(order=order, reviewer=platform_users["authority"])
    # then the website is connected and the app filed as the entity's next number, with an A
    app = FiledApp.objects.get(entity=entity)
    assert app.service_number == f"{entity.entity_number}-2A"
    assert app.provider_id == alpha.provider.pk
    assert FiledApp.objects.filter(provider=beta.provider).count() == 0
