"""R-W3: the pre-approval (前置审批) catalogue as dated data with sources, and each approval's
number, issuing authority and validity date recorded and checked (an expired one is refused)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from filings.models import FilingOrder, OrderWebsite
from filings.orders.validation import order_errors
from icpfiling.core.pre_approvals import CATALOGUE, pre_approvals_in_force
from icpfiling.tenancy.context import tenant_scope
from tests.factories import complete_order

pytestmark = pytest.mark.django_db


def errors_of(tenant, order) -> dict[str, list[str]]:
    with tenant_scope(tenant.provider):
        return order_errors(FilingOrder.objects.get(pk=order.pk), today=timezone.localdate())


def set_sites(tenant, order, **fields) -> None:
    with tenant_scope(tenant.provider):
        OrderWebsite.objects.filter(order=order).update(**fields)


def test_r_w3_catalogue_is_dated_with_sources():
    today = timezone.localdate()
    in_force = pre_approvals_in_force(on=today)
    # 网约车 is in the catalogue from its regime's start, with its document and issuer
    assert in_force["ride_hailing"].document == "网络预约出租汽车经营许可证"
    assert "ride_hailing" not in pre_approvals_in_force(on=dt.date(2016, 10, 31))
    # 教育 and 电子公告 are kept, end-dated, and no longer in force
    ended = {p.code: p for p in CATALOGUE if p.effective_to is not None}
    assert set(ended) == {"education", "bbs"}
    assert "education" not in in_force
    assert "bbs" not in in_force
    # every entry names its source
    assert all(p.source for p in CATALOGUE)


def test_r_w3_abolished_education_and_bbs_need_no_pre_approval(alpha, beta):
    order = complete_order(alpha)
    set_sites(alpha, order, service_content=["education", "bbs"])
    assert errors_of(alpha, order) == {}
    assert errors_of(beta, complete_order(beta)) == {}


def test_r_w3_ride_hailing_needs_its_licence_number_issuer_and_validity(alpha, beta):
    order = complete_order(alpha)
    set_sites(alpha, order, service_content=["ride_hailing"])
    assert errors_of(alpha, order) == {
        "websites[0].pre_approvals.ride_hailing": [
            "网站服务内容“网络预约出租汽车”需要前置审批，请填写《网络预约出租汽车经营许可证》的审批号并上传"
            "审批文件；如网站不涉及此内容，请取消选择。"
        ],
        "websites[0].pre_approvals.ride_hailing.authority": [
            "请填写《网络预约出租汽车经营许可证》的发证机关。"
        ],
        "websites[0].pre_approvals.ride_hailing.valid_until": [
            "请填写《网络预约出租汽车经营许可证》的有效期至（长期有效请填写证件上的日期或 2099-12-31）。"
        ],
    }
    set_sites(
        alpha,
        order,
        pre_approvals={"ride_hailing": "浙交网约字001号"},
        pre_approval_details={"ride_hailing": {"authority": "杭州市交通运输局", "valid_until": "2030-01-01"}},
    )
    assert errors_of(alpha, order) == {}
    assert errors_of(beta, complete_order(beta)) == {}


def test_r_w3_expired_pre_approval_is_refused(alpha):
    order = complete_order(alpha)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    set_sites(
        alpha,
        order,
        service_content=["news"],
        pre_approvals={"news": "浙新许字2026001号"},
        pre_approval_details={"news": {"authority": "浙江省网信办", "valid_until": yesterday.isoformat()}},
    )
    assert errors_of(alpha, order) == {
        "websites[0].pre_approvals.news.valid_until": [
            f"《互联网新闻信息服务许可证》已于 {yesterday.isoformat()} 过期，请先向发证机关办理延续，"
            "取得有效的审批文件后再提交。"
        ]
    }


def test_r_w3_website_form_records_number_issuer_and_validity(alpha, beta):
    order = complete_order(alpha)
    with tenant_scope(alpha.provider):
        site = order.websites.get()
    client = alpha.client("applicant")
    page = client.get(f"/orders/{order.pk}/websites/{site.pk}/").content.decode()
    assert 'name="pre_approval_ride_hailing_authority"' in page
    assert 'name="pre_approval_education"' not in page  # abolished: not asked
    r = client.post(
        f"/orders/{order.pk}/websites/{site.pk}/",
        {
            "name": site.name,
            "domain_display": site.domain_display,
            "homepage_url": site.homepage_url,
            "service_content": ["news"],
            "languages": ["zh-hans"],
            "server": site.server_id,
            "domain_real_name_on": site.domain_real_name_on.isoformat(),
            "domain_expires_on": site.domain_expires_on.isoformat(),
            "domain_registrant": site.domain_registrant,
            "domain_registrar": site.domain_registrar,
            "principal_same_as_entity": "on",
            "pre_approval_news": "浙新许字2026001号",
            "pre_approval_news_authority": "浙江省网信办",
            "pre_approval_news_valid_until": "2031-06-30",
        },
    )
    assert r.status_code in (200, 302)
    with tenant_scope(alpha.provider):
        site = OrderWebsite.objects.get(pk=site.pk)
    assert site.pre_approvals == {"news": "浙新许字2026001号"}
    assert site.pre_approval_details == {"news": {"authority": "浙江省网信办", "valid_until": "2031-06-30"}}
    # the other tenant's applicant cannot reach the page
    assert beta.client("applicant").get(f"/orders/{order.pk}/websites/{site.pk}/").status_code == 404
