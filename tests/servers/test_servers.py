"""The provider's server inventory (R-M5, R-W4): pages, CSV import, assignment, expiry reminders."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from filings.deadlines import server_expiry_sweep
from filings.models import Server
from filings.servers.services import server_import_apply, server_import_stage
from icpfiling.notifications.models import OutboxMessage
from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled
from tests.factories import complete_order, server_for

pytestmark = pytest.mark.django_db

HEADER = "instance_id,name,public_ips,region,owner_email,paid_until,capacity\n"


def _servers(tenant) -> list[tuple]:
    with tenant_scope(tenant.provider):
        return list(
            Server.objects.order_by("instance_id").values_list(
                "instance_id", "ip_address", "additional_ips", "owner__email", "paid_until", "capacity"
            )
        )


def _upload(client, text: str):
    f = SimpleUploadedFile("servers.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post("/servers/import/", {"file": f})


def test_r_m5_admin_creates_edits_and_assigns_a_server(alpha, beta):
    # given alpha's admin
    client = alpha.client("provider_admin")
    paid = timezone.localdate() + dt.timedelta(days=400)
    # when they add a server with two IPs, owned by alpha's applicant
    r = client.post(
        "/servers/new/",
        {
            "instance_id": "ins-a1",
            "label": "Web 1",
            "public_ips": "203.0.113.5, 203.0.113.6",
            "region": "华东1（杭州）",
            "owner_email": "applicant@alpha.test",
            "paid_until": paid.isoformat(),
            "capacity": 5,
        },
    )
    # then it is in alpha's inventory, and not in beta's
    assert r.status_code == 302
    assert _servers(alpha) == [("ins-a1", "203.0.113.5", ["203.0.113.6"], "applicant@alpha.test", paid, 5)]
    assert _servers(beta) == []
    with tenant_scope(alpha.provider):
        server = Server.objects.get(instance_id="ins-a1")
    # when it is edited (capacity 3) and reassigned away (unassigned)
    r = client.post(
        f"/servers/{server.pk}/",
        {"instance_id": "ins-a1", "public_ips": "203.0.113.5", "paid_until": paid.isoformat(), "capacity": 3},
    )
    assert r.status_code == 302
    assert _servers(alpha) == [("ins-a1", "203.0.113.5", [], None, paid, 3)]
    r = client.post(f"/servers/{server.pk}/assign/", {"owner_email": "applicant@alpha.test"})
    assert _servers(alpha)[0][3] == "applicant@alpha.test"


def test_r_m5_bad_server_values_are_named_and_change_nothing(alpha, beta):
    # given an existing alpha server and beta's applicant
    server_for(alpha, alpha.users["applicant"], ip="198.51.100.9")
    before = _servers(alpha)
    client = alpha.client("provider_admin")
    # when the admin enters a bad IP, a 6-website capacity, and beta's applicant as the owner
    r = client.post(
        "/servers/new/",
        {
            "instance_id": "ins-x",
            "public_ips": "203.0.113.999",
            "owner_email": "applicant@beta.test",
            "paid_until": "2027-02-30",
            "capacity": 6,
        },
    )
    # then each field is named, and nothing was created
    errors = r.context["form"].errors
    assert set(errors) == {"public_ips", "paid_until", "capacity"}
    assert "203.0.113.999" in errors["public_ips"][0]
    assert _servers(alpha) == before
    # and an owner from another provider is refused too
    r = client.post(
        "/servers/new/",
        {
            "instance_id": "ins-x",
            "public_ips": "203.0.113.7",
            "owner_email": "applicant@beta.test",
            "paid_until": "2028-01-01",
            "capacity": 5,
        },
    )
    assert list(r.context["form"].errors) == ["owner_email"]
    # and an IP already used by another server is named
    r = client.post(
        "/servers/new/",
        {"instance_id": "ins-y", "public_ips": "198.51.100.9", "paid_until": "2028-01-01", "capacity": 5},
    )
    assert list(r.context["form"].errors) == ["public_ips"]
    assert _servers(alpha) == before


def test_r_m5_csv_import_previews_then_imports_and_is_idempotent(alpha, beta):
    # given a CSV file of three servers, one owned by alpha's applicant
    text = (
        HEADER
        + "ins-1,Web 1,203.0.113.11; 203.0.113.12,华东1,applicant@alpha.test,2028-01-31,5\n"
        + "ins-2,,203.0.113.13,,,2028-02-28,\n"
        + "ins-3,DB,2001:db8::1,华北2,,2027-12-31,2\n"
    )
    client = alpha.client("provider_admin")
    # when it is uploaded: a preview, nothing imported yet
    r = _upload(client, text)
    assert r.status_code == 200
    assert r.context["counts"] == {"create": 3, "update": 0, "unchanged": 0}
    assert _servers(alpha) == []
    # when the admin confirms
    r = client.post("/servers/import/", {"token": r.context["token"]})
    assert r.status_code == 302
    # then the three servers are alpha's, and beta has none
    assert _servers(alpha) == [
        ("ins-1", "203.0.113.11", ["203.0.113.12"], "applicant@alpha.test", dt.date(2028, 1, 31), 5),
        ("ins-2", "203.0.113.13", [], None, dt.date(2028, 2, 28), 5),
        ("ins-3", "2001:db8::1", [], None, dt.date(2027, 12, 31), 2),
    ]
    assert _servers(beta) == []
    # when the same file is imported again, with one expiry date changed
    r = _upload(client, text.replace("2028-02-28", "2029-02-28"))
    assert r.context["counts"] == {"create": 0, "update": 1, "unchanged": 2}
    client.post("/servers/import/", {"token": r.context["token"]})
    # then no duplicate appears and only that row changed
    rows = _servers(alpha)
    assert len(rows) == 3
    assert rows[1][4] == dt.date(2029, 2, 28)


def test_r_m5_csv_import_with_bad_rows_imports_nothing_and_names_every_bad_row(alpha, beta):
    # given one good row and five bad ones
    server_for(alpha, alpha.users["applicant"], ip="198.51.100.77")
    before = _servers(alpha)
    text = (
        HEADER
        + "ins-ok,Good,203.0.113.20,,,2028-01-01,5\n"  # line 2
        + ",NoId,203.0.113.21,,,2028-01-01,5\n"  # line 3: no instance id
        + "ins-ip,BadIp,300.1.1.1,,,2028-01-01,5\n"  # line 4: bad IP
        + "ins-date,BadDate,203.0.113.23,,,31/12/2028,5\n"  # line 5: bad date
        + "ins-cap,Cap,203.0.113.24,,,2028-01-01,9\n"  # line 6: capacity > 5
        + "ins-owner,Owner,203.0.113.25,,applicant@beta.test,2028-01-01,5\n"  # line 7: foreign owner
        + "ins-ok,Dup,198.51.100.77,,,2028-01-01,5\n"  # line 8: duplicate id and an IP in use
    )
    client = alpha.client("provider_admin")
    # when it is uploaded
    r = _upload(client, text)
    # then the preview refuses the file and names every bad line, and there is nothing to confirm
    assert r.status_code == 400
    assert r.context["token"] is None
    lines = [line for line, _msg in r.context["check"].errors]
    assert lines == [3, 4, 5, 6, 7, 8]
    body = r.content.decode()
    for needle in ("300.1.1.1", "31/12/2028", "applicant@beta.test", "198.51.100.77", "第 2 行重复"):
        assert needle in body
    # and nothing was imported, at alpha or beta
    assert _servers(alpha) == before
    assert _servers(beta) == []


def test_r_m5_csv_import_refuses_a_wrong_header_and_a_non_utf8_file(alpha, beta):
    client = alpha.client("provider_admin")
    r = _upload(client, "id,ip\nx,1.2.3.4\n")
    assert r.status_code == 400
    assert r.context["check"].errors[0][0] == 0
    assert "instance_id" in r.context["check"].errors[0][1]
    f = SimpleUploadedFile("s.csv", (HEADER + "ins-1,名称,1.2.3.4,,,2028-01-01,5\n").encode("gbk"))
    r = client.post("/servers/import/", {"file": f})
    assert "UTF-8" in r.context["check"].errors[0][1]
    assert _servers(alpha) == []


def test_r_m5_import_token_of_another_tenant_or_user_imports_nothing(alpha, beta):
    # given a clean file staged by beta's admin
    with tenant_scope(beta.provider):
        check, token = server_import_stage(
            actor=beta.users["provider_admin"],
            tenant=beta.provider,
            data=(HEADER + "ins-b,B,203.0.113.90,,,2028-01-01,5\n").encode(),
        )
    assert check.ok
    # when alpha's admin posts beta's token
    r = alpha.client("provider_admin").post("/servers/import/", {"token": token})
    # then nothing is imported anywhere
    assert r.status_code == 400
    assert "预览已过期" in r.content.decode()
    assert _servers(alpha) == []
    assert _servers(beta) == []


def test_r_m5_csv_import_of_10000_servers_takes_seconds(alpha, beta):
    # given 10,000 rows
    rows = [
        f"ins-{i:05d},Server {i},10.{i // 65536}.{(i // 256) % 256}.{i % 256},华东1,,2028-06-30,5"
        for i in range(10_000)
    ]
    data = (HEADER + "\n".join(rows) + "\n").encode()
    admin = alpha.users["provider_admin"]
    # when it is checked and imported
    started = time.perf_counter()
    with tenant_scope(alpha.provider):
        _check, token = server_import_stage(actor=admin, tenant=alpha.provider, data=data)
        counts = server_import_apply(actor=admin, tenant=alpha.provider, token=token)
    elapsed = time.perf_counter() - started
    print(f"\nR-M5 CSV import of 10,000 servers: {elapsed:.2f} s (check + write)")
    # then all of them are there, within seconds
    assert counts == {"created": 10_000, "updated": 0, "unchanged": 0}
    with tenant_scope(alpha.provider):
        assert Server.objects.count() == 10_000
    assert elapsed < 15
    # and importing it again is a no-op
    with tenant_scope(alpha.provider):
        _check, token = server_import_stage(actor=admin, tenant=alpha.provider, data=data)
        assert server_import_apply(actor=admin, tenant=alpha.provider, token=token)["unchanged"] == 10_000


def test_r_m5_only_the_admin_reaches_the_server_pages(alpha, beta):
    for role in ("applicant", "reviewer", "point_staff"):
        assert alpha.client(role).get("/servers/").status_code == 403, role
        assert alpha.client(role).post("/servers/new/", {"instance_id": "x"}).status_code == 403, role
    assert _servers(alpha) == []


def test_r_w4_applicant_lists_only_own_servers_with_90_days_left(alpha, beta):
    # given alpha's applicant with a long and a short server, a colleague's server, and beta's
    me = alpha.users["applicant"]
    long_ = server_for(alpha, me, days=365)
    short = server_for(alpha, me, days=60)
    other = server_for(alpha, alpha.users["reviewer"], days=365)
    foreign = server_for(beta, beta.users["applicant"], days=365)
    order = complete_order(alpha)
    with tenant_scope(alpha.provider):
        site = order.websites.get()
        site.server = None
        site.save(update_fields=["server"])
    # when the website step is opened
    r = alpha.client("applicant").get(f"/orders/{order.pk}/websites/{site.pk}/")
    # then only the long one is offered
    offered = {s.pk for s in r.context["form"].fields["server"].queryset}
    with tenant_scope(alpha.provider):
        # the order factory gave the applicant a 365-day server of their own too
        own_long = set(
            Server.objects.filter(
                owner=me, paid_until__gte=timezone.localdate() + dt.timedelta(days=90)
            ).values_list("pk", flat=True)
        )
    assert long_.pk in own_long
    assert offered == own_long
    assert {short.pk, other.pk, foreign.pk}.isdisjoint(offered)
    assert r.context["no_server"] is None


def test_r_m5_applicant_without_a_server_is_told_why_and_what_to_do(alpha, beta):
    # given alpha's applicant has no server at all (beta's applicant has one)
    server_for(beta, beta.users["applicant"])
    order = complete_order(alpha)
    with tenant_scope(alpha.provider):
        site = order.websites.get()
        site.server = None
        site.save(update_fields=["server"])
        Server.objects.filter(owner=alpha.users["applicant"]).delete()
    # when the website step is opened
    body = alpha.client("applicant").get(f"/orders/{order.pk}/websites/{site.pk}/").content.decode()
    # then it says there is none and how to get one
    assert "没有可选的服务器" in body
    assert "您的账户下还没有本接入商的服务器" in body
    assert "购买云服务器" in body
    # given instead only a server with 60 days left
    server_for(alpha, alpha.users["applicant"], days=60)
    body = alpha.client("applicant").get(f"/orders/{order.pk}/websites/{site.pk}/").content.decode()
    # then it says why that one does not count and what to do
    assert "1 台服务器剩余付费有效期都不足 90 天" in body
    assert "续费" in body


def test_r_m5_expiring_servers_are_flagged_and_the_owner_reminded_once(alpha, beta):
    # given an alpha server expiring in 20 days, one in 200 days, and a beta server in 10 days
    soon = server_for(alpha, alpha.users["applicant"], days=20)
    server_for(alpha, alpha.users["applicant"], days=200)
    server_for(beta, beta.users["applicant"], days=10)
    # when the admin opens the server list
    body = alpha.client("provider_admin").get("/servers/").content.decode()
    # then one server is flagged
    assert "1 台服务器将在" in body
    assert body.count('class="warn"') == 1
    # when the sweep runs twice
    mail.outbox.clear()
    assert server_expiry_sweep() == 2
    assert server_expiry_sweep() == 0
    # then each owner got one email (and one inbox message), for their own server
    with tenant_scopes_disabled():  # checking both tenants' outbox rows
        rows = list(
            OutboxMessage.objects.order_by("tenant_id").values_list("tenant_id", "channel", "recipient")
        )
    assert rows == [
        (alpha.provider.pk, "email", "applicant@alpha.test"),
        (alpha.provider.pk, "inbox", str(alpha.users["applicant"].pk)),
        (beta.provider.pk, "email", "applicant@beta.test"),
        (beta.provider.pk, "inbox", str(beta.users["applicant"].pk)),
    ]
    # when the server is renewed and later runs short again, the reminder is re-armed
    with tenant_scope(alpha.provider):
        Server.objects.filter(pk=soon.pk).update(paid_until=timezone.localdate() + dt.timedelta(days=25))
    assert server_expiry_sweep() == 1
