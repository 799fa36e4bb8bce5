"""Apps and mini-programs changed and cancelled like websites (R-AP1, R-C2, R-C5, R-C6, R-C9, R-P2)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from filings.authority.services import authority_approve
from filings.mobile.services import order_app_save
from filings.models import FilingOrder, OrderApp
from filings.orders.services import order_submission_errors
from filings.orders.validation import order_errors
from icpfiling.registry.changes import entity_is_empty_shell
from icpfiling.registry.models import FiledApp, FiledAppPackage, FiledWebsite, RegistryChange
from icpfiling.registry.services import registry_app_file
from icpfiling.tenancy.context import tenant_scope
from tests.changes.test_changes import start, through_authority
from tests.conftest import platform_client
from tests.factories import complete_order, upload_required_materials
from tests.mobile.test_apps import ANDROID_MD5, PUBLIC_KEY, _through_authority, app_only_order, app_values
from tests.platform.test_url_walk import PLATFORM_URLCONF

IOS_SHA1 = "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67"


def app_filed(tenant, authority, *, package: str | None = None) -> FiledApp:
    """An app-only entity filed through ``tenant`` (review, SMS codes, authority); its filed app."""
    order = app_only_order(tenant, package=package or f"com.{tenant.provider.slug}.app")
    order, _challenges = _through_authority(tenant, order, authority)
    assert order.status == "approved"
    with tenant_scope(tenant.provider):
        return OrderApp.objects.select_related("registry_app__entity").get(order_id=order.pk).registry_app


def website_and_app_filed(tenant, authority) -> tuple[FiledWebsite, FiledApp]:
    """A new entity with one website and one WeChat mini-program (…-1 and …-2X)."""
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
                mini_appid=f"wx{tenant.provider.slug}0000abcd1234",
            ),
        )
    upload_required_materials(tenant, order)
    order, _challenges = _through_authority(tenant, order, authority)
    entity = order.registry_entity
    return entity.websites.get(), entity.apps.get()


def packages(app: FiledApp, active: bool = True) -> list[tuple[str, str, str]]:
    return list(
        FiledAppPackage.objects.filter(app=app, active=active)
        .order_by("platform")
        .values_list("platform", "package_name", "fingerprint")
    )


@pytest.fixture
def authority(platform_users):
    return platform_users["authority"]


# --- R-C2 for apps: 变更App ----------------------------------------------------------------


@pytest.mark.django_db
def test_r_c2_app_change_through_the_lifecycle_keeps_the_number_and_records_history(alpha, beta, authority):
    for tenant, other in ((alpha, beta), (beta, alpha)):
        # given an app filed through this tenant as …-1A
        filed = app_filed(tenant, authority)
        number = filed.service_number
        slug = tenant.provider.slug
        # when the applicant starts 变更App: the order carries the app as last approved, builds included
        order = start(tenant, "change_app", filed.entity, app=filed)
        with tenant_scope(tenant.provider):
            app = order.apps.get()
            assert (app.registry_app_id, app.name, app.domains) == (
                filed.pk,
                "示例App",
                ["api.example-app.cn"],
            )
            assert list(app.platforms.values_list("platform", "package_name")) == [
                ("android", f"com.{slug}.app")
            ]
            # and renames it, adds a domain and an SDK, and files its iOS build too
            order_app_save(
                order=order,
                app=app,
                actor=tenant.users["applicant"],
                values={
                    "name": "示例App新版",
                    "domains": ["api.example-app.cn", "cdn.example-app.cn"],
                    "sdks": [{"provider": "腾讯", "kind": "推送"}, {"provider": "高德", "kind": "地图"}],
                },
                platforms={
                    "ios": {
                        "package_name": f"com.{slug}.ios",
                        "public_key": PUBLIC_KEY,
                        "fingerprint": IOS_SHA1,
                    }
                },
            )
        upload_required_materials(tenant, order)
        with tenant_scope(tenant.provider):
            assert order_submission_errors(FilingOrder.objects.get(pk=order.pk)) == {}
        seen = {}

        def on_review(order_, tenant=tenant, other=other, seen=seen):
            seen["review"] = tenant.client("reviewer").get(f"/review/{order_.pk}/").content.decode()
            seen["other"] = other.client("reviewer").get(f"/review/{order_.pk}/").status_code

        # when it goes through review and SMS to the authority
        order = _through_to_authority(tenant, order, on_review=on_review)
        # then the reviewer saw the change as before → after, with the app's number
        assert 'id="change-diff"' in seen["review"]
        assert number in seen["review"]
        assert "示例App新版" in seen["review"]
        assert "cdn.example-app.cn" in seen["review"]
        # and the other tenant's reviewer could not open it
        assert seen["other"] == 404
        # and the authority sees the diff too, the old name beside the new
        page = platform_client(authority).get(reverse("authority:order", PLATFORM_URLCONF, args=[order.pk]))
        html = page.content.decode()
        assert 'class="after">示例App新版<' in html
        assert 'class="before">示例App<' in html
        # when the authority approves
        authority_approve(order=order, reviewer=authority)
        # then the registry holds the new name and both builds under the same number
        filed.refresh_from_db()
        assert (filed.service_number, filed.name, filed.status) == (number, "示例App新版", "active")
        assert packages(filed) == [
            ("android", f"com.{slug}.app", "abcdef0123456789abcdef0123456789"),
            ("ios", f"com.{slug}.ios", "0123456789abcdef0123456789abcdef01234567"),
        ]
        # and the history row says before → after, with the order, the provider and the authority
        row = RegistryChange.objects.get(app=filed, kind="change_app")
        assert (row.entity_id, row.service_id, row.service_kind) == (filed.entity_id, None, "app")
        assert (row.order_id, row.provider_id, row.actor_id) == (order.pk, tenant.provider.pk, authority.pk)
        assert (row.before["name"], row.after["name"]) == ("示例App", "示例App新版")
        assert row.before["domains"] == ["api.example-app.cn"]
        assert row.after["domains"] == ["api.example-app.cn", "cdn.example-app.cn"]
        assert [p["platform"] for p in row.after["platforms"]] == ["android", "ios"]
        # and 已备案信息 shows the new name and the history line
        page = tenant.client("applicant").get("/orders/filed/").content.decode()
        assert "示例App新版" in page
        assert f"变更App · {number}" in page


def _through_to_authority(tenant, order, on_review=None) -> FilingOrder:
    """Review, verification and the SMS step by the one engine, stopping before the authority decides."""
    from filings.orders.services import order_submit
    from filings.ordertypes import action_for_type
    from filings.sms.services import sms_check_start
    from filings.workflow import order_transition

    applicant, reviewer = tenant.users["applicant"], tenant.users["reviewer"]
    with tenant_scope(tenant.provider):
        order = FilingOrder.objects.get(pk=order.pk)
        assert order_submit(order=order, actor=applicant) == {}
        order = FilingOrder.objects.get(pk=order.pk)
        if on_review:
            on_review(order)
        action = action_for_type(order.order_type, "provider_pass")
        order = order_transition(order=order, action=action, actor=reviewer, actor_kind="reviewer")
        if order.status == "verification":
            order = order_transition(order=order, action="verified", actor=reviewer, actor_kind="reviewer")
        order = sms_check_start(order=order, actor=reviewer)
        if order.status == "sms_verification":
            order = order_transition(order=order, action="sms_passed", actor=None, actor_kind="system")
        assert order.status == "authority_review"
    return order


@pytest.mark.django_db
def test_r_c2_r_ap5_app_change_cannot_take_a_package_another_app_of_the_entity_files(alpha, beta, authority):
    for tenant in (alpha, beta):
        # given an entity with two apps, com.<t>.app (through an order) and com.<t>.second
        filed = app_filed(tenant, authority)
        slug = tenant.provider.slug
        second = registry_app_file(
            entity=filed.entity,
            kind="app",
            name="第二个App",
            provider=tenant.provider,
            packages=[("android", f"com.{slug}.second", "")],
        )
        # when a 变更App gives the first app the second one's Android package name
        order = start(tenant, "change_app", filed.entity, app=filed)
        with tenant_scope(tenant.provider):
            order_app_save(
                order=order,
                app=order.apps.get(),
                actor=tenant.users["applicant"],
                values={},
                platforms={
                    "android": {
                        "package_name": f"COM.{slug}.Second",
                        "public_key": PUBLIC_KEY,
                        "fingerprint": ANDROID_MD5,
                    }
                },
            )
            errors = order_errors(FilingOrder.objects.get(pk=order.pk), today=order.created_at.date())
        # then the package field is refused, naming the app that files it (R-AP5 kept)
        assert errors["apps[0].platforms.android.package_name"] == [
            f"该主体已在{second.service_number}（第二个App）备案了这个包名或AppID，一个主体同一平台的包名只能备案一次。"
        ]
        # and a different entity may still file the same package (R-AP5: per entity)
        elsewhere = app_filed(tenant, authority, package=f"com.{slug}.second")
        assert elsewhere.entity_id != filed.entity_id
        # and nothing of the registry changed
        assert packages(filed) == [("android", f"com.{slug}.app", "abcdef0123456789abcdef0123456789")]


@pytest.mark.django_db
def test_r_c2_app_change_may_not_add_or_remove_apps(alpha, beta, authority):
    for tenant in (alpha, beta):
        # given a 变更App order
        filed = app_filed(tenant, authority)
        order = start(tenant, "change_app", filed.entity, app=filed)
        client = tenant.client("applicant")
        with tenant_scope(tenant.provider):
            app = order.apps.get()
        # when the applicant tries to add a second app or remove this one through the pages
        added = client.post(f"/orders/{order.pk}/apps/new/?kind=app", {"name": "另一个App"})
        removed = client.post(f"/orders/{order.pk}/apps/{app.pk}/delete/")
        # then both are refused and the order still carries exactly its one app
        assert (added.status_code, removed.status_code) == (302, 302)
        with tenant_scope(tenant.provider):
            assert list(order.apps.values_list("pk", flat=True)) == [app.pk]
            with pytest.raises(ValidationError):
                order_app_save(order=order, app=None, actor=tenant.users["applicant"], values={"name": "x"})
        # and the page lists it with its filed number and no delete button
        page = client.get(f"/orders/{order.pk}/apps/").content.decode()
        assert filed.service_number in page
        assert f"/apps/{app.pk}/delete/" not in page


# --- R-C5 for apps: 注销App ----------------------------------------------------------------


@pytest.mark.django_db
def test_r_c5_cancel_app_keeps_the_entity_and_its_website_and_the_public_query_drops_it_at_once(
    alpha, beta, authority
):
    for tenant in (alpha, beta):
        # given an entity with a website (…-1) and a mini-program (…-2X), found by the public query
        site, mini = website_and_app_filed(tenant, authority)
        public = tenant.client()
        assert mini.service_number in public.get("/query/api/", {"q": mini.service_number}).content.decode()
        # when the applicant cancels the mini-program (no SMS, no verification) and the authority approves
        order = start(tenant, "cancel_app", mini.entity, app=mini)
        upload_required_materials(tenant, order)
        order = through_authority(tenant, order, authority)
        # then the mini-program is cancelled, its AppID freed, and the entity keeps its website
        mini.refresh_from_db()
        site.refresh_from_db()
        assert (order.status, mini.status, site.status, mini.entity.status) == (
            "approved",
            "cancelled",
            "active",
            "active",
        )
        assert packages(mini) == []
        assert not entity_is_empty_shell(mini.entity)
        row = RegistryChange.objects.get(app=mini, kind="cancel_app")
        assert (row.before, row.after, row.service_kind) == (
            {"status": "active", "access": [tenant.provider.pk]},
            {"status": "cancelled", "access": []},
            "mini_program",
        )
        # and the public query no longer shows it, by number or by name, at once (R-C9 freshness)
        assert public.get("/query/api/", {"q": mini.service_number}).json()["count"] == 0
        assert mini.service_number not in public.get("/query/api/", {"q": "示例小程序"}).content.decode()


@pytest.mark.django_db
def test_r_c5_the_last_app_of_an_entity_cannot_be_cancelled_alone(alpha, beta, authority):
    for tenant in (alpha, beta):
        # given an app-only entity
        filed = app_filed(tenant, authority)
        # when the applicant asks to cancel its only app
        with pytest.raises(ValidationError) as refused:
            start(tenant, "cancel_app", filed.entity, app=filed)
        # then it is refused, pointing to 注销主体 (or 取消接入, which leaves an empty shell)
        assert "不能单独注销：请办理注销主体" in refused.value.messages[0]
        with tenant_scope(tenant.provider):
            assert not FilingOrder.objects.filter(order_type="cancel_app").exists()
        filed.refresh_from_db()
        assert filed.status == "active"


# --- R-C6 for apps: 取消接入 ---------------------------------------------------------------


@pytest.mark.django_db
def test_r_c6_cancel_access_of_an_app_ends_its_filing_and_leaves_an_empty_shell(alpha, beta, authority):
    for tenant, other in ((alpha, beta), (beta, alpha)):
        # given an app-only entity filed here, and another tenant's app-only entity
        filed = app_filed(tenant, authority)
        untouched = app_filed(other, authority)
        # when the applicant ends this provider's access to the app and the authority approves
        order = start(tenant, "cancel_access", filed.entity, app=filed)
        order = through_authority(tenant, order, authority)
        # then the app's filing ended (an app has one provider) and the entity is an empty shell
        filed.refresh_from_db()
        assert (order.status, filed.status) == ("approved", "cancelled")
        assert entity_is_empty_shell(filed.entity)
        with tenant_scope(tenant.provider):
            assert "空壳主体" in order.events.order_by("-pk").first().message
        row = RegistryChange.objects.get(app=filed)
        assert (row.kind, row.after) == ("access_ended", {"status": "cancelled", "access": []})
        # and 已备案信息 says so, offering 注销主体
        page = tenant.client("applicant").get("/orders/filed/").content.decode()
        assert "空壳主体" in page
        # and the other tenant's app is untouched
        untouched.refresh_from_db()
        assert untouched.status == "active"
        assert not RegistryChange.objects.filter(app=untouched).exists()


@pytest.mark.django_db
def test_r_c4_cancel_entity_also_cancels_its_apps(alpha, beta, authority):
    for tenant in (alpha, beta):
        # given an entity with a website and a mini-program
        site, mini = website_and_app_filed(tenant, authority)
        # when 注销主体 is approved
        order = start(tenant, "cancel_entity", site.entity)
        upload_required_materials(tenant, order)
        through_authority(tenant, order, authority)
        # then the website and the mini-program are cancelled with the entity, each with history
        site.refresh_from_db()
        mini.refresh_from_db()
        assert (site.entity.status, site.status, mini.status) == ("cancelled", "cancelled", "cancelled")
        assert RegistryChange.objects.filter(app=mini, kind="cancel_app").count() == 1


# --- R-C9: numbers of cancelled apps are never reused ---------------------------------------


@pytest.mark.django_db
def test_r_c9_r_ap4_cancelled_app_numbers_are_never_reused_by_the_allocator(alpha, beta, authority):
    for tenant in (alpha, beta):
        # given an entity with a website (-1) and a mini-program (-2X) whose cancellation is approved
        site, mini = website_and_app_filed(tenant, authority)
        entity_number = site.entity.entity_number
        order = start(tenant, "cancel_app", mini.entity, app=mini)
        upload_required_materials(tenant, order)
        through_authority(tenant, order, authority)
        # when the entity files the same AppID again, and then an app
        again = registry_app_file(
            entity=site.entity,
            kind="mini_program",
            name="示例小程序",
            provider=tenant.provider,
            packages=[("mini:wechat", mini.mini_appid, "")],
            mini_platform="wechat",
            mini_appid=mini.mini_appid,
        )
        app = registry_app_file(
            entity=site.entity, kind="app", name="新App", provider=tenant.provider, packages=[]
        )
        # then they take -3X and -4A: -2X stays with the cancelled record, never handed out again
        assert (again.service_number, app.service_number) == (f"{entity_number}-3X", f"{entity_number}-4A")
        mini.refresh_from_db()
        assert (mini.service_number, mini.status) == (f"{entity_number}-2X", "cancelled")
        assert FiledApp.objects.filter(service_number=f"{entity_number}-2X").count() == 1


# --- R-P2: 已备案信息 offers each app the actions that apply now --------------------------------


@pytest.mark.django_db
def test_r_p2_filed_info_offers_each_app_its_actions_or_why_not(alpha, beta, authority):
    for tenant, other in ((alpha, beta), (beta, alpha)):
        # given an app-only entity filed here
        filed = app_filed(tenant, authority)
        # when the applicant opens 已备案信息
        page = tenant.client("applicant").get("/orders/filed/").content.decode()
        row = page[page.index(f'id="app-{filed.pk}"') :].split("</tr>")[0]
        # then the app's row offers 变更App and 取消接入, and says why 注销App does not apply
        assert 'data-action="change_app"' in row
        assert 'data-action="cancel_access"' in row
        assert '<span class="action-unavailable" data-action="cancel_app">' in row
        assert "不能单独注销" in row
        assert 'data-action="change_website"' not in row
        # and the other tenant's applicant neither sees it nor can start anything on it
        assert filed.service_number not in other.client("applicant").get("/orders/filed/").content.decode()
        response = other.client("applicant").post(
            reverse("changes:start"),
            {"order_type": "change_app", "entity": filed.entity_id, "app": filed.pk},
        )
        assert response.status_code == 404
        # when the applicant starts 变更App from the row
        response = tenant.client("applicant").post(
            reverse("changes:start"),
            {"order_type": "change_app", "entity": filed.entity_id, "app": filed.pk},
        )
        # then the order exists, and its "continue" leads to the app step
        with tenant_scope(tenant.provider):
            order = FilingOrder.objects.get(order_type="change_app", registry_app=filed)
        assert response.url == f"/orders/{order.pk}/"
        detail = tenant.client("applicant").get(response.url).content.decode()
        assert f'href="/orders/{order.pk}/apps/"' in detail
        # and while it is open every other action on the entity says why not
        page = tenant.client("applicant").get("/orders/filed/").content.decode()
        row = page[page.index(f'id="app-{filed.pk}"') :].split("</tr>")[0]
        assert f"该主体已有一个正在办理的订单（#{order.pk}）" in row
        # and an app id of another entity is refused like a missing one
        response = tenant.client("applicant").post(
            reverse("changes:start"),
            {"order_type": "cancel_access", "entity": filed.entity_id, "app": 987654},
        )
        assert response.status_code == 404


@pytest.mark.django_db
def test_r_p2_website_types_do_not_apply_to_apps_and_app_types_not_to_websites(alpha, beta, authority):
    for tenant in (alpha, beta):
        site, mini = website_and_app_filed(tenant, authority)
        # when a website type is asked for an app, and an app type for a website
        for order_type, kw, reason in (
            ("change_website", {"app": mini}, "“变更网站”不适用于App或小程序。"),
            ("change_access", {"app": mini}, "“变更接入”不适用于App或小程序。"),
            ("change_app", {"service": site}, "请选择一个App或小程序。"),
        ):
            with pytest.raises(ValidationError) as refused:
                start(tenant, order_type, site.entity, **kw)
            # then each is refused with the reason, and no order is made
            assert refused.value.messages == [reason]
        with tenant_scope(tenant.provider):
            assert (
                not FilingOrder.objects.filter(registry_entity=site.entity)
                .exclude(status="approved")
                .exists()
            )


@pytest.mark.django_db
def test_r_c6_provider_starts_cancel_access_of_an_app_with_a_reason_the_applicant_sees(
    alpha, beta, authority
):
    for tenant, other in ((alpha, beta), (beta, alpha)):
        # given an app filed through this tenant
        filed = app_filed(tenant, authority)
        url = reverse("changes:provider_cancel_app_access", kwargs={"app_id": filed.pk})
        # then the hosted page lists it for the reviewer, and the other tenant's reviewer gets a 404
        hosted = tenant.client("reviewer").get(reverse("changes:hosted")).content.decode()
        assert f'id="hosted-app-{filed.pk}"' in hosted
        assert other.client("reviewer").post(url, {"reason": "抽查不合格"}).status_code == 404
        assert tenant.client("applicant").get(url).status_code in (302, 403)
        # when the reviewer starts it without a reason: refused, nothing made
        empty = tenant.client("reviewer").post(url, {"reason": "  "})
        assert empty.status_code == 400
        assert "请填写取消接入的原因" in empty.content.decode()
        with tenant_scope(tenant.provider):
            assert not FilingOrder.objects.filter(order_type="cancel_access").exists()
        # when the reviewer gives the reason
        response = tenant.client("reviewer").post(url, {"reason": "App内容抽查不合格"})
        # then the order is submitted in the applicant's name and the applicant sees why
        with tenant_scope(tenant.provider):
            order = FilingOrder.objects.get(order_type="cancel_access", registry_app=filed)
        assert response.url == f"/review/{order.pk}/"
        assert (order.status, order.applicant_id) == ("provider_review", tenant.users["applicant"].pk)
        detail = tenant.client("applicant").get(f"/orders/{order.pk}/").content.decode()
        assert "App内容抽查不合格" in detail
        assert filed.service_number in detail
        # and once the authority approves, the app's filing has ended with that reason on record
        through_authority(tenant, order, authority)
        filed.refresh_from_db()
        assert filed.status == "cancelled"
        assert RegistryChange.objects.get(app=filed).reason == "App内容抽查不合格"


@pytest.mark.django_db
def test_r_o4_r_ap5_an_app_already_filed_routes_to_its_change_and_cancel_types(alpha, beta, authority):
    from filings.orders.detection import order_detect
    from tests.factories import detection_input

    # given an app-only entity filed through alpha (com.alpha.app on Android)
    filed = app_filed(alpha, authority)
    data = detection_input(cert=filed.entity.certificate_number, domain="")
    data.app_platform, data.app_package = "android", "com.alpha.app"
    # when alpha and beta detect the same package for the same entity
    with tenant_scope(alpha.provider):
        here = order_detect(tenant_id=alpha.provider.pk, data=data)
    with tenant_scope(beta.provider):
        there = order_detect(tenant_id=beta.provider.pk, data=data)
    # then both are "already filed", and the offers are the app's types instead of a dead end
    assert (here.block, there.block) == ("app_already_filed", "app_already_filed")
    assert [(o.order_type, o.reason) for o in here.offers] == [
        ("change_app", ""),
        (
            "cancel_app",
            "这是该主体最后一项备案（App或小程序），不能单独注销：请办理注销主体，或取消接入（主体将成为空壳）。",
        ),
        ("cancel_access", ""),
    ]
    assert {o.url for o in here.offers} == {f"/orders/filed/#app-{filed.pk}"}
    # and at beta, which did not file it, each says why not
    assert {str(o.reason) for o in there.offers} == {"该App由其他接入商备案接入，只能由其接入商办理。"}


@pytest.mark.django_db
def test_r_c2_r_ap1_demo_holds_an_app_change_waiting_for_the_reviewer():
    # given the demo seeded twice (idempotent)
    from django.test import Client

    from filings.changes.selectors import order_diff
    from icpfiling.accounts.models import User
    from icpfiling.demo.seed import demo_seed
    from icpfiling.tenancy.models import Provider

    demo_seed()
    demo_seed()
    alpha, beta = Provider.objects.get(slug="alpha"), Provider.objects.get(slug="beta")
    # then alpha has one 变更App waiting for its reviewer, whose diff renames the app
    with tenant_scope(alpha):
        order = FilingOrder.objects.get(order_type="change_app")
        assert order.status == "provider_review"
        rows = {r.key: (r.before, r.after) for r in order_diff(order)}
    assert rows["service.name"] == ("通过记账", "通过记账Pro")
    assert order.registry_app.service_number.endswith("-2A")
    # and beta has none
    with tenant_scope(beta):
        assert not FilingOrder.objects.filter(order_type="change_app").exists()
    # and alpha's reviewer sees the diff on the order's page
    client = Client(HTTP_HOST="alpha.localhost")
    client.force_login(
        User.objects.get(email="reviewer@alpha.demo", provider=alpha),
        backend="icpfiling.accounts.backends.TenantEmailBackend",
    )
    page = client.get(f"/review/{order.pk}/").content.decode()
    assert 'class="after">通过记账Pro<' in page
