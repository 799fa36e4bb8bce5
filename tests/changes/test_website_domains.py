"""R-C2: a website carries several domains; 变更网站 may only remove them, at least one stays.

Each domain is unique across the registry's active websites (one constraint over every domain,
main or further); detection and the public query find a website by any of its domains; the
registry history keeps the removal; numbers never change.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from filings.authority.services import authority_approve
from filings.models import FilingOrder, OrderWebsite
from filings.orders.detection import order_detect
from filings.orders.services import order_submit, order_website_save
from filings.workflow import order_transition
from icpfiling.publicquery.parse import parse_query
from icpfiling.publicquery.selectors import public_search
from icpfiling.registry.models import FiledWebsite, FiledWebsiteDomain, RegistryChange
from icpfiling.tenancy.context import tenant_scope
from tests.changes.test_changes import registry_state, start, through_authority
from tests.factories import complete_order, detection_input, filed_entity, make_uscc, next_n


def _filed_with_domains(tenant, authority, *extras: str) -> FiledWebsite:
    """A new-entity order at ``tenant`` whose website lists ``extras`` too, approved; its website."""
    order = complete_order(tenant)
    with tenant_scope(tenant.provider):
        site = order.websites.get()
        order_website_save(
            order=order,
            website=site,
            actor=tenant.users["applicant"],
            values={"extra_domains": "\n".join(extras)},
        )
    order = through_authority(tenant, order, authority)
    with tenant_scope(tenant.provider):
        return FiledWebsite.objects.get(pk=order.websites.get().registry_website_id)


def _active(site: FiledWebsite) -> list[str]:
    return sorted(site.domains.filter(active=True).values_list("domain", flat=True))


def _found(tenant, domain: str) -> FiledWebsite | None:
    with tenant_scope(tenant.provider):
        return order_detect(
            tenant_id=tenant.provider.pk, data=detection_input(cert=make_uscc(), domain=domain)
        ).website


def _public(domain: str) -> list[str]:
    return [r.service_number for r in public_search(query=parse_query(domain)).results]


@pytest.mark.parametrize("which", ["alpha", "beta"])
def test_r_c2_website_files_further_domains_and_is_found_by_each(alpha, beta, platform_users, which):
    # given a new filing at one tenant whose website lists two further domains
    tenant, other = (alpha, beta) if which == "alpha" else (beta, alpha)
    n = next_n()
    extras = (f"alias{n}-a.cn", f"alias{n}-b.com")
    # when the authority approves it
    site = _filed_with_domains(tenant, platform_users["authority"], *extras)
    # then the registry holds every domain of the website, the main one first
    assert _active(site) == sorted([site.domain, *extras])
    # and detection (at either tenant) and the public query find it by any of them
    for domain in (site.domain, *extras):
        assert _found(tenant, domain) == site, domain
        assert _found(other, domain) == site, domain
        assert _public(domain) == [site.website_number], domain


@pytest.mark.parametrize("which", ["alpha", "beta"])
def test_r_c2_change_website_removes_the_main_domain_keeps_the_number_and_records_it(
    alpha, beta, platform_users, which
):
    # given a filed website with a main and two further domains
    tenant = alpha if which == "alpha" else beta
    authority = platform_users["authority"]
    n = next_n()
    site = _filed_with_domains(tenant, authority, f"keep{n}-a.cn", f"keep{n}-b.cn")
    main, number = site.domain, site.website_number
    # when 变更网站 keeps only the further domains (the main one removed) and it is approved
    order = start(tenant, "change_website", site.entity, site)
    with tenant_scope(tenant.provider):
        w = order.websites.get()
        assert w.domains == [main, f"keep{n}-a.cn", f"keep{n}-b.cn"]
        order_website_save(
            order=order,
            website=w,
            actor=tenant.users["applicant"],
            values={"keep_domains": [f"keep{n}-b.cn", f"keep{n}-a.cn"]},
        )
    from tests.factories import upload_required_materials

    upload_required_materials(tenant, order)
    order = through_authority(tenant, order, authority)
    # then the website keeps its number, the next domain becomes its main one, the old main is free
    site.refresh_from_db()
    assert order.status == "approved"
    assert (site.website_number, site.domain, site.status) == (number, f"keep{n}-a.cn", "active")
    assert _active(site) == [f"keep{n}-a.cn", f"keep{n}-b.cn"]
    assert site.domains.get(domain=main).active is False
    # and the registry history records the removal with the order
    change = RegistryChange.objects.get(service=site, kind="change_service")
    assert (change.before, change.after, change.order_id) == (
        {"domains": [main, f"keep{n}-a.cn", f"keep{n}-b.cn"]},
        {"domains": [f"keep{n}-a.cn", f"keep{n}-b.cn"]},
        order.pk,
    )
    # and detection and the public query no longer find it by the removed domain, still by the others
    assert _found(tenant, main) is None
    assert _public(main) == []
    assert _found(tenant, f"keep{n}-b.cn") == site
    assert _public(f"keep{n}-b.cn") == [number]


def test_r_c2_domains_can_only_be_removed_and_at_least_one_stays(alpha, beta, platform_users):
    # given a 变更网站 draft of a website with two domains
    n = next_n()
    site = _filed_with_domains(alpha, platform_users["authority"], f"only{n}.cn")
    before = registry_state(site.entity)
    order = start(alpha, "change_website", site.entity, site)
    applicant = alpha.users["applicant"]
    with tenant_scope(alpha.provider):
        w = order.websites.get()
        # when the applicant tries to add a domain, or to keep none
        with pytest.raises(ValidationError) as added:
            order_website_save(
                order=order, website=w, actor=applicant, values={"keep_domains": [site.domain, "new-one.cn"]}
            )
        with pytest.raises(ValidationError) as none:
            order_website_save(order=order, website=w, actor=applicant, values={"keep_domains": []})
        # then each is refused with the rule and nothing was stored
        assert added.value.message_dict["keep_domains"] == ["变更网站只能删除域名，不能新增或更换域名。"]
        assert none.value.message_dict["keep_domains"] == [
            "请至少保留一个域名；如要停用整个网站，请办理注销网站。"
        ]
        w.refresh_from_db()
        assert w.domains == [site.domain, f"only{n}.cn"]
        # and a domain forced into the order is refused at submission, naming it
        OrderWebsite.objects.filter(pk=w.pk).update(extra_domains=[f"only{n}.cn", "forced.cn"])
        errors = order_submit(order=order, actor=applicant)
        assert errors["websites[0].domain"] == [
            "变更网站只能删除域名，且至少保留一个：不能新增或更换域名（forced.cn）。如需使用新域名，请为新域名办理新增网站。"
        ]
        assert FilingOrder.objects.get(pk=order.pk).status == "draft"
    assert registry_state(site.entity) == before
    assert _active(site) == sorted([site.domain, f"only{n}.cn"])


def test_r_c2_further_domains_are_checked_like_the_main_one(alpha, beta, platform_users):
    # given a domain filed by another entity at beta, and a new filing at alpha
    filed_entity(sites=[("someone-else.cn", beta.provider)])
    order = complete_order(alpha)
    with tenant_scope(alpha.provider):
        site = order.websites.get()
        # when its website lists that domain, an IP address, a sub-domain and its own main domain
        order_website_save(
            order=order,
            website=site,
            actor=alpha.users["applicant"],
            values={"extra_domains": f"someone-else.cn 1.2.3.4 www.sub-x.cn {site.domain}"},
        )
        errors = order_submit(order=order, actor=alpha.users["applicant"])
        # then each is refused by name and the order stays a draft
        msgs = errors["websites[0].extra_domains"]
        assert FilingOrder.objects.get(pk=order.pk).status == "draft"
    assert "域名 someone-else.cn 已由其他网站备案，不能再填写。" in msgs
    assert "1.2.3.4：其他域名只能填写域名，不能填写 IP 地址。" in msgs
    assert any(m.startswith("www.sub-x.cn：") for m in msgs)
    assert f"{site.domain} 已是本网站的主域名，请勿重复填写。" in msgs
    assert len(msgs) == 4


def test_r_c2_a_further_domain_filed_before_approval_is_refused_and_nothing_is_written(
    alpha, beta, platform_users
):
    # given a new filing at alpha listing a further domain, with the authority
    authority = platform_users["authority"]
    n = next_n()
    order = complete_order(alpha)
    with tenant_scope(alpha.provider):
        order_website_save(
            order=order,
            website=order.websites.get(),
            actor=alpha.users["applicant"],
            values={"extra_domains": f"race{n}.cn"},
        )
        assert order_submit(order=order, actor=alpha.users["applicant"]) == {}
        order = FilingOrder.objects.get(pk=order.pk)
        for action in ("provider_pass", "verified", "submit_to_authority", "sms_passed"):
            kind = "system" if action == "sms_passed" else "reviewer"
            order = order_transition(
                order=order,
                action=action,
                actor=None if kind == "system" else alpha.users["reviewer"],
                actor_kind=kind,
            )
    # and meanwhile beta's applicant got that domain filed
    filed_entity(sites=[(f"race{n}.cn", beta.provider)])
    websites = FiledWebsite.objects.count()
    # when the authority approves
    with pytest.raises(ValidationError) as exc:
        authority_approve(order=order, reviewer=authority)
    # then it is refused with the domain named, and no website or domain row was written
    assert exc.value.messages == [f"域名 race{n}.cn 已由其他网站备案，不能通过：请退回申请人删除该域名。"]
    assert FiledWebsite.objects.count() == websites
    with tenant_scope(alpha.provider):
        assert FilingOrder.objects.get(pk=order.pk).status == "authority_review"


def test_r_c2_one_active_website_per_domain_is_a_database_constraint(alpha, beta, platform_users):
    # given a website with a further domain
    n = next_n()
    site = _filed_with_domains(alpha, platform_users["authority"], f"unique{n}.cn")
    other = filed_entity(sites=[(f"other{n}.cn", beta.provider)]).websites.get()
    # when another website's row claims that domain (any case) bypassing the checks
    with pytest.raises(IntegrityError), transaction.atomic():
        FiledWebsiteDomain.objects.create(website=other, domain=f"UNIQUE{n}.cn")
    # then the database refuses; an inactive row (history) is allowed
    FiledWebsiteDomain.objects.create(website=other, domain=f"unique{n}.cn", active=False)
    assert _found(alpha, f"unique{n}.cn") == site


def test_r_c2_reviewer_and_authority_see_every_domain_of_a_new_website(alpha, beta, platform_users):
    # given a new filing at alpha whose website lists a further domain, with the authority
    from django.urls import reverse

    from tests.conftest import platform_client
    from tests.platform.test_url_walk import PLATFORM_URLCONF

    n = next_n()
    order = complete_order(alpha)
    with tenant_scope(alpha.provider):
        order_website_save(
            order=order,
            website=order.websites.get(),
            actor=alpha.users["applicant"],
            values={"extra_domains": f"seen{n}.cn"},
        )
        assert order_submit(order=order, actor=alpha.users["applicant"]) == {}
    # when the reviewer opens it, and the authority once it reaches them
    review = (
        alpha.client("reviewer").get(reverse("review:order", kwargs={"order_id": order.pk})).content.decode()
    )
    with tenant_scope(alpha.provider):
        order = FilingOrder.objects.get(pk=order.pk)
        for action in ("provider_pass", "verified", "submit_to_authority", "sms_passed"):
            kind = "system" if action == "sms_passed" else "reviewer"
            order = order_transition(
                order=order,
                action=action,
                actor=None if kind == "system" else alpha.users["reviewer"],
                actor_kind=kind,
            )
    auth = platform_client(platform_users["authority"]).get(
        reverse("authority:order", urlconf=PLATFORM_URLCONF, kwargs={"order_id": order.pk})
    )
    # then both pages name the further domain beside the main one; beta's reviewer cannot open it
    assert "其他域名" in review
    assert f"seen{n}.cn" in review
    assert auth.status_code == 200
    assert f"seen{n}.cn" in auth.content.decode()
    assert (
        beta.client("reviewer").get(reverse("review:order", kwargs={"order_id": order.pk})).status_code == 404
    )
