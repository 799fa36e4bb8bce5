"""A provider's administration: onboarding (R-M4), settings (R-M1), staff and roles (R-M2)."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail

from icpfiling.accounts.models import Membership, Role, User
from icpfiling.core.sample_images import sample_image
from icpfiling.providers.models import AdminChange
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider, ProviderHostname
from tests.conftest import PASSWORD, CommittingClient, platform_client
from verification_points.models import PointStaff, VerificationPoint

pytestmark = pytest.mark.django_db


def _settings_post(tenant, **changes) -> dict:
    p = Provider.objects.get(pk=tenant.provider.pk)
    data = {
        "name": p.name,
        "legal_name": p.legal_name,
        "licence_number": p.licence_number,
        "brand_colour": p.brand_colour,
        "hostnames": "\n".join(p.hostnames.values_list("hostname", flat=True)),
        "upload_formats": p.upload_formats,
        "upload_max_mb": "4.0",
        "order_expiry_days": p.order_expiry_days,
        "websites_per_order_unit": p.websites_per_order_unit,
        "websites_per_order_individual": p.websites_per_order_individual,
        "resubmission_window_days": p.resubmission_window_days,
        "retention_days": p.retention_days,
    }
    if p.require_account_approval:
        data["require_account_approval"] = "on"
    data.update(changes)
    return data


def _changes(tenant) -> list[tuple]:
    with tenant_scope(tenant.provider):
        return list(
            AdminChange.objects.order_by("pk").values_list(
                "actor__email", "area", "subject", "before", "after"
            )
        )


def _link_in(body: str) -> str:
    return re.search(r"https?://\S+/accounts/reset/\S+/", body).group(0)


# ---------------------------------------------------------------------------------------------
# R-M1 settings
# ---------------------------------------------------------------------------------------------


def test_r_m1_admin_changes_settings_and_every_change_is_audited(alpha, beta):
    # given alpha's admin on alpha's settings page
    client = alpha.client("provider_admin")
    beta_before = Provider.objects.filter(pk=beta.provider.pk).values().get()
    # when they change the licence number, expiry days, resubmission window and the colour
    r = client.post(
        "/manage/settings/",
        _settings_post(
            alpha,
            licence_number="浙B2-20260001",
            order_expiry_days=60,
            resubmission_window_days=7,
            brand_colour="#AA3300",
            upload_formats=["jpeg", "png", "gif"],
        ),
    )
    # then they are saved and each one is audited with who, before and after
    assert r.status_code == 302
    p = Provider.objects.get(pk=alpha.provider.pk)
    assert (p.licence_number, p.order_expiry_days, p.resubmission_window_days, p.brand_colour) == (
        "浙B2-20260001",
        60,
        7,
        "#aa3300",
    )
    assert p.upload_formats == ["gif", "jpeg", "png"]
    assert _changes(alpha) == [
        ("provider_admin@alpha.test", "settings", "经营许可证号", "", "浙B2-20260001"),
        ("provider_admin@alpha.test", "settings", "主题颜色", "#1f5fbf", "#aa3300"),
        ("provider_admin@alpha.test", "settings", "允许的上传格式", "jpeg, png", "gif, jpeg, png"),
        ("provider_admin@alpha.test", "settings", "订单闲置失效天数", "45", "60"),
        ("provider_admin@alpha.test", "settings", "退回后重新提交期限（天）", "5", "7"),
    ]
    # and the licence shows in the footer of every page, the colour in the brand stylesheet
    assert "浙B2-20260001" in alpha.client().get("/accounts/login/").content.decode()
    assert alpha.client().get("/manage/brand.css").content.decode() == ":root { --brand:#aa3300; }\n"
    # and beta is untouched
    assert Provider.objects.filter(pk=beta.provider.pk).values().get() == beta_before
    assert _changes(beta) == []


def test_r_m1_a_bad_value_is_named_and_changes_nothing(alpha, beta):
    client = alpha.client("provider_admin")
    before = Provider.objects.filter(pk=alpha.provider.pk).values().get()
    # when one good value comes with bad ones
    r = client.post(
        "/manage/settings/",
        _settings_post(
            alpha,
            licence_number="NEW-1",
            order_expiry_days=3,
            upload_max_mb="50",
            upload_formats=[],
            brand_colour="red",
            hostnames="beta.localhost\nbad_host!",
        ),
    )
    # then each bad field is named
    assert r.status_code == 400
    errors = r.context["form"].errors
    assert set(errors) >= {"order_expiry_days", "upload_max_mb", "upload_formats"}
    # and nothing changed, not even the good value, and nothing was audited
    assert Provider.objects.filter(pk=alpha.provider.pk).values().get() == before
    assert _changes(alpha) == []
    # when only the colour and hostnames are bad (the form passes, the service refuses)
    r = client.post(
        "/manage/settings/",
        _settings_post(
            alpha, licence_number="NEW-1", brand_colour="red", hostnames="beta.localhost\nbad_host!"
        ),
    )
    errors = r.context["form"].errors
    assert set(errors) == {"brand_colour", "hostnames"}
    assert any("beta.localhost" in e for e in errors["hostnames"])
    assert any("bad_host!" in e for e in errors["hostnames"])
    assert Provider.objects.filter(pk=alpha.provider.pk).values().get() == before
    assert list(
        ProviderHostname.objects.filter(provider=beta.provider).values_list("hostname", flat=True)
    ) == ["beta.localhost"]
    assert _changes(alpha) == []


def test_r_m1_new_hostname_answers_at_once_and_the_current_one_cannot_be_removed(alpha, beta):
    client = alpha.client("provider_admin")
    # given the new host is unknown (and that answer is cached)
    assert CommittingClient(HTTP_HOST="beian.alpha.test").get("/").status_code == 404
    # when the admin adds it
    r = client.post("/manage/settings/", _settings_post(alpha, hostnames="alpha.localhost\nbeian.alpha.test"))
    assert r.status_code == 302
    # then it serves alpha at once, with no restart
    r = CommittingClient(HTTP_HOST="beian.alpha.test").get("/accounts/login/")
    assert r.status_code == 200
    assert "Alpha Cloud" in r.content.decode()
    # when the admin tries to drop the host they are using
    r = client.post("/manage/settings/", _settings_post(alpha, hostnames="beian.alpha.test"))
    assert "alpha.localhost" in r.context["form"].errors["hostnames"][0]
    assert set(
        ProviderHostname.objects.filter(provider=alpha.provider).values_list("hostname", flat=True)
    ) == {
        "alpha.localhost",
        "beian.alpha.test",
    }


def test_r_m1_logo_goes_through_the_image_pipeline(alpha, beta):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = alpha.client("provider_admin")
    # when a non-image is uploaded as the logo, nothing changes and the field is named
    bad = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    r = client.post("/manage/settings/", {**_settings_post(alpha), "logo": bad})
    assert "logo" in r.context["form"].errors
    assert Provider.objects.get(pk=alpha.provider.pk).logo_name == ""
    # when a real PNG is uploaded, it is stored re-encoded under alpha's prefix and served
    good = SimpleUploadedFile(
        "logo.png", sample_image("LOGO", size=(300, 100), fmt="PNG"), content_type="image/png"
    )
    r = client.post("/manage/settings/", {**_settings_post(alpha), "logo": good})
    assert r.status_code == 302
    name = Provider.objects.get(pk=alpha.provider.pk).logo_name
    assert name.startswith(f"t{alpha.provider.pk}/logo/")
    r = alpha.client().get("/manage/logo/")
    assert r.status_code == 200
    assert b"".join(r.streaming_content).startswith(b"\x89PNG")
    # and beta still has no logo
    assert beta.client().get("/manage/logo/").status_code == 404


def test_r_m1_only_the_admin_reaches_settings(alpha, beta):
    for role in ("applicant", "reviewer", "point_staff"):
        assert alpha.client(role).get("/manage/settings/").status_code == 403
        r = alpha.client(role).post("/manage/settings/", _settings_post(alpha, licence_number="X"))
        assert r.status_code == 403
    assert Provider.objects.get(pk=alpha.provider.pk).licence_number == ""


# ---------------------------------------------------------------------------------------------
# R-M2 staff
# ---------------------------------------------------------------------------------------------


def test_r_m2_invited_reviewer_sets_a_password_on_their_own_host_and_logs_in(alpha, beta):
    client = alpha.client("provider_admin")
    mail.outbox.clear()
    # when alpha's admin invites a reviewer
    r = client.post(
        "/manage/staff/", {"email": "New.Reviewer@alpha.test", "full_name": "新审核员", "role": "reviewer"}
    )
    assert r.status_code == 302
    # then the reviewer exists at alpha only, with that role, and got one email with a link on alpha's host
    user = User.objects.get(email="new.reviewer@alpha.test")
    assert user.provider_id == alpha.provider.pk
    with tenant_scope(alpha.provider):
        assert Membership.objects.get(user=user).role == Role.REVIEWER
    assert [m.to for m in mail.outbox] == [["new.reviewer@alpha.test"]]
    link = _link_in(mail.outbox[0].body)
    assert link.startswith("http://alpha.localhost/accounts/reset/")
    # and the link does nothing on beta's host
    path = link.split("alpha.localhost", 1)[1]
    assert beta.client().get(path, follow=True).context["validlink"] is False
    # when the reviewer follows it on alpha and sets a password
    c = alpha.client()
    r = c.get(path, follow=True)
    assert r.context["validlink"] is True
    r = c.post(
        r.redirect_chain[-1][0],
        {"new_password1": "Reviewer-pass-2026", "new_password2": "Reviewer-pass-2026"},
    )
    assert r.status_code == 302
    # then they can log in at alpha and reach the review queue
    c = alpha.client()
    r = c.post("/accounts/login/", {"username": "new.reviewer@alpha.test", "password": "Reviewer-pass-2026"})
    assert r.status_code == 302
    assert c.get("/review/").status_code == 200
    assert _changes(alpha)[-1] == (
        "provider_admin@alpha.test",
        "staff",
        "new.reviewer@alpha.test",
        "",
        "审核员",
    )


def test_r_m2_invite_point_staff_needs_a_point_of_this_provider(alpha, beta):
    with tenant_scope(beta.provider):
        beta_point = VerificationPoint.objects.create(tenant=beta.provider, name="Beta 点", address="x")
    with tenant_scope(alpha.provider):
        point = VerificationPoint.objects.create(tenant=alpha.provider, name="西湖核验点", address="y")
    client = alpha.client("provider_admin")
    # without a point, or with beta's point: refused, nobody created
    r = client.post("/manage/staff/", {"email": "v@alpha.test", "role": "point_staff"})
    assert list(r.context["form"].errors) == ["point"]
    r = client.post(
        "/manage/staff/", {"email": "v@alpha.test", "role": "point_staff", "point": beta_point.pk}
    )
    assert list(r.context["form"].errors) == ["point"]
    assert not User.objects.filter(email="v@alpha.test").exists()
    # with alpha's point: created and placed there
    r = client.post("/manage/staff/", {"email": "v@alpha.test", "role": "point_staff", "point": point.pk})
    assert r.status_code == 302
    with tenant_scope(alpha.provider):
        assert PointStaff.objects.get(user__email="v@alpha.test").point_id == point.pk
    # and an address already used at alpha is refused by name
    r = client.post("/manage/staff/", {"email": "applicant@alpha.test", "role": "reviewer"})
    assert list(r.context["form"].errors) == ["email"]


def test_r_m2_role_change_is_audited_and_takes_effect(alpha, beta):
    client = alpha.client("provider_admin")
    with tenant_scope(alpha.provider):
        m = Membership.objects.get(user=alpha.users["reviewer"])
    reviewer = alpha.client("reviewer")
    assert reviewer.get("/manage/staff/").status_code == 403
    r = client.post(f"/manage/staff/{m.pk}/", {"role": "provider_admin"})
    assert r.status_code == 302
    # the next request of the promoted user already has the new role
    assert reviewer.get("/manage/staff/").status_code == 200
    assert _changes(alpha) == [
        ("provider_admin@alpha.test", "staff", "reviewer@alpha.test", "审核员", "接入商管理员")
    ]


def test_r_m2_last_admin_cannot_remove_or_demote_themselves(alpha, beta):
    admin = alpha.users["provider_admin"]
    client = alpha.client("provider_admin")
    with tenant_scope(alpha.provider):
        m = Membership.objects.get(user=admin)
    # when the only admin demotes themselves
    r = client.post(f"/manage/staff/{m.pk}/", {"role": "reviewer"})
    # then it is refused by name and nothing changes
    assert r.status_code == 400
    assert "唯一的管理员" in r.context["form"].errors["role"][0]
    # when they try to disable themselves
    r = client.post(f"/manage/staff/{m.pk}/disable/", follow=True)
    assert "不能停用自己的账户" in r.content.decode()
    with tenant_scope(alpha.provider):
        assert Membership.objects.get(user=admin).role == Role.PROVIDER_ADMIN
    assert User.objects.get(pk=admin.pk).is_active
    assert _changes(alpha) == []
    # given a second admin, the first may step down
    with tenant_scope(alpha.provider):
        other = Membership.objects.get(user=alpha.users["reviewer"])
    client.post(f"/manage/staff/{other.pk}/", {"role": "provider_admin"})
    r = client.post(f"/manage/staff/{m.pk}/", {"role": "reviewer"})
    assert r.status_code == 302
    with tenant_scope(alpha.provider):
        assert Membership.objects.get(user=admin).role == Role.REVIEWER


def test_r_m2_disable_ends_every_session_at_once_and_re_enable_restores_login(alpha, beta):
    # given the reviewer logged in twice (phone and desk), through the real login form
    sessions = []
    for _ in range(2):
        c = alpha.client()
        r = c.post("/accounts/login/", {"username": "reviewer@alpha.test", "password": PASSWORD})
        assert r.status_code == 302
        assert c.get("/review/").status_code == 200
        sessions.append(c)
    beta_reviewer = beta.client()
    beta_reviewer.post("/accounts/login/", {"username": "reviewer@beta.test", "password": PASSWORD})
    assert Session.objects.count() == 3
    with tenant_scope(alpha.provider):
        m = Membership.objects.get(user=alpha.users["reviewer"])
    # when alpha's admin disables the reviewer
    r = alpha.client("provider_admin").post(f"/manage/staff/{m.pk}/disable/", follow=True)
    assert "结束其 2 个登录会话" in r.content.decode()
    # then both sessions are over at once; beta's reviewer is still logged in
    for c in sessions:
        r = c.get("/review/")
        assert r.status_code == 302
        assert r["Location"].startswith("/accounts/login/")
    assert beta_reviewer.get("/review/").status_code == 200
    # and logging in again is refused
    c = alpha.client()
    r = c.post("/accounts/login/", {"username": "reviewer@alpha.test", "password": PASSWORD})
    assert r.status_code == 200
    # when re-enabled, the old password works again
    alpha.client("provider_admin").post(f"/manage/staff/{m.pk}/enable/")
    r = c.post("/accounts/login/", {"username": "reviewer@alpha.test", "password": PASSWORD})
    assert r.status_code == 302
    assert [x[3:] for x in _changes(alpha)] == [("启用", "停用"), ("停用", "启用")]


# ---------------------------------------------------------------------------------------------
# R-M4 onboarding
# ---------------------------------------------------------------------------------------------


def _onboard_post(**changes) -> dict:
    return {
        "slug": "gamma",
        "name": "Gamma 云",
        "legal_name": "伽马云计算有限公司",
        "licence_number": "浙B2-20269999",
        "hostnames": "gamma.localhost",
        "admin_email": "Admin@Gamma.test",
        "admin_name": "伽马管理员",
        **changes,
    }


def test_r_m4_operator_onboards_a_provider_that_serves_at_once(alpha, beta, platform_users):
    operator = platform_client(platform_users["operator"])
    # given gamma.localhost is unknown (and that answer is cached)
    assert CommittingClient(HTTP_HOST="gamma.localhost").get("/").status_code == 404
    mail.outbox.clear()
    # when the operator creates gamma
    r = operator.post("/operator/onboard/", _onboard_post())
    assert r.status_code == 302
    # then gamma exists with its host and an admin, and the admin got a link on gamma's host
    gamma = Provider.objects.get(slug="gamma")
    assert (gamma.name, gamma.legal_name, gamma.licence_number) == (
        "Gamma 云",
        "伽马云计算有限公司",
        "浙B2-20269999",
    )
    admin = User.objects.get(provider=gamma)
    assert admin.email == "admin@gamma.test"
    with tenant_scope(gamma):
        assert Membership.objects.get(user=admin).role == Role.PROVIDER_ADMIN
    assert [m.to for m in mail.outbox] == [["admin@gamma.test"]]
    link = _link_in(mail.outbox[0].body)
    assert link.startswith("http://gamma.localhost/accounts/reset/")
    # and the new host answers at once, with its licence in the footer
    body = CommittingClient(HTTP_HOST="gamma.localhost").get("/accounts/login/").content.decode()
    assert "Gamma 云" in body
    assert "浙B2-20269999" in body
    # when the admin sets a password through the link, they manage gamma
    c = CommittingClient(HTTP_HOST="gamma.localhost")
    path = link.split("gamma.localhost", 1)[1]
    r = c.get(path, follow=True)
    c.post(
        r.redirect_chain[-1][0], {"new_password1": "Gamma-admin-2026", "new_password2": "Gamma-admin-2026"}
    )
    c = CommittingClient(HTTP_HOST="gamma.localhost")
    assert (
        c.post(
            "/accounts/login/", {"username": "admin@gamma.test", "password": "Gamma-admin-2026"}
        ).status_code
        == 302
    )
    assert c.get("/manage/settings/").status_code == 200
    # and alpha's admin, or alpha's session, sees nothing of gamma
    assert alpha.client("provider_admin").get("/manage/settings/").content.decode().count("Gamma") == 0


def test_r_m4_onboarding_errors_are_named_and_create_nothing(alpha, beta, platform_users):
    operator = platform_client(platform_users["operator"])
    before = (Provider.objects.count(), ProviderHostname.objects.count(), User.objects.count())
    r = operator.post(
        "/operator/onboard/",
        _onboard_post(slug="alpha", hostnames="beta.localhost\nlocalhost", admin_email="x"),
    )
    assert r.status_code == 400
    errors = r.context["form"].errors
    assert set(errors) == {"admin_email"}
    r = operator.post(
        "/operator/onboard/", _onboard_post(slug="alpha", hostnames="beta.localhost\nlocalhost")
    )
    errors = r.context["form"].errors
    assert set(errors) == {"slug", "hostnames"}
    assert len(errors["hostnames"]) == 2
    assert (Provider.objects.count(), ProviderHostname.objects.count(), User.objects.count()) == before


def test_r_m4_only_the_operator_onboards(alpha, beta, platform_users):
    r = platform_client(platform_users["authority"]).post("/operator/onboard/", _onboard_post())
    assert r.status_code == 302
    assert r["Location"].startswith("/operator/login/")
    assert alpha.client("provider_admin").post("/operator/onboard/", _onboard_post()).status_code == 404
    assert not Provider.objects.filter(slug="gamma").exists()


def test_r_m1_licence_number_is_printed_on_the_verification_sheet(alpha, beta):
    from tests.factories import complete_order
    from tests.materials.test_sheet import pdf_text

    # given alpha's admin set the licence number, and an order at each provider
    r = alpha.client("provider_admin").post(
        "/manage/settings/", _settings_post(alpha, licence_number="浙B2-20260777")
    )
    assert r.status_code == 302
    alpha_order, beta_order = complete_order(alpha), complete_order(beta)
    # when each applicant downloads their verification sheet
    alpha_pdf = alpha.client("applicant").get(f"/orders/{alpha_order.pk}/sheet.pdf")
    beta_pdf = beta.client("applicant").get(f"/orders/{beta_order.pk}/sheet.pdf")
    # then alpha's carries the number, and beta's (no number set) does not
    assert "浙B2-20260777" in pdf_text(
        b"".join(alpha_pdf.streaming_content) if alpha_pdf.streaming else alpha_pdf.content
    )
    beta_text = pdf_text(b"".join(beta_pdf.streaming_content) if beta_pdf.streaming else beta_pdf.content)
    assert "浙B2-20260777" not in beta_text
    assert "经营许可证号" not in beta_text


def test_r_t1_r_m1_a_host_forgotten_inside_a_tenant_scope_resolves_afresh(alpha, beta):
    from icpfiling.tenancy.resolve import forget_host, resolve_host

    # given alpha's host resolved and cached (as the middleware does, before any scope)
    assert resolve_host("alpha.localhost").licence_number == ""
    # when a change is saved and the host forgotten inside alpha's scope (as a settings save does)
    with tenant_scope(alpha.provider):
        Provider.objects.filter(pk=alpha.provider.pk).update(licence_number="浙B2-20260555")
        forget_host("alpha.localhost")
    # then the next resolution sees it, and beta's cached entry is untouched
    assert resolve_host("Alpha.localhost:8000").licence_number == "浙B2-20260555"
    assert resolve_host("beta.localhost").pk == beta.provider.pk


def test_finding_6_staff_invitation_and_onboarding_links_ignore_the_request_port(alpha, beta, platform_users):
    # given requests whose Host header carries an attacker's port, on alpha and on the platform
    admin = alpha.client("provider_admin")
    admin.defaults["HTTP_HOST"] = "alpha.localhost:6666"
    operator = platform_client(platform_users["operator"])
    operator.defaults["HTTP_HOST"] = "localhost:6666"
    mail.outbox.clear()
    # when alpha's admin invites a reviewer and the operator onboards gamma
    assert (
        admin.post(
            "/manage/staff/", {"email": "port.test@alpha.test", "full_name": "端口", "role": "reviewer"}
        ).status_code
        == 302
    )
    assert operator.post("/operator/onboard/", _onboard_post()).status_code == 302
    # then both links are on the configured host names with no port, and no mail names the port
    links = [_link_in(m.body) for m in mail.outbox]
    assert [link.split("/accounts/")[0] for link in links] == [
        "http://alpha.localhost",
        "http://gamma.localhost",
    ]
    assert not any("6666" in m.body for m in mail.outbox)
