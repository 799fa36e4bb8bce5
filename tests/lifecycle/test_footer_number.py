"""R-P1: the footer number the approval message gives is the province's rule on the day.

The national default shows each website's number (浙ICP备…号-1); Guangdong's rows say
the entity number (粤ICP备…号, without "-N"). Tested by a new dated row for Zhejiang.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from django.utils.html import escape

from filings.authority.services import authority_approve
from filings.models import FilingOrder, OrderStatus
from icpfiling.notifications.models import OutboxMessage
from icpfiling.registry.models.rules import ProvinceRule, RuleKey
from icpfiling.registry.province_rules import province_rules_for, province_rules_load
from icpfiling.tenancy.context import tenant_scopes_disabled
from tests.factories import advance, complete_order

pytestmark = pytest.mark.django_db


def snippet(number: str) -> str:
    return f'<a href="https://beian.miit.gov.cn/" target="_blank" rel="noopener">{number}</a>'


def approve(tenant, authority) -> tuple[FilingOrder, str, str, str]:
    order = advance(tenant, complete_order(tenant), OrderStatus.AUTHORITY_REVIEW)
    authority_approve(order=order, reviewer=authority)
    with tenant_scopes_disabled():
        order = FilingOrder.objects.select_related("registry_entity").get(pk=order.pk)
        site = order.websites.select_related("registry_website").get().registry_website.website_number
        body = OutboxMessage.objects.get(
            dedupe_key__startswith=f"order:{order.pk}:authority_approve:", channel="email"
        ).body
    return order, order.registry_entity.entity_number, site, body


def test_r_p1_footer_number_follows_the_provinces_footer_rule(alpha, beta, platform_users):
    province_rules_load()
    authority = platform_users["authority"]
    # given Zhejiang's rule: the website number
    _order, _entity, site_number, body = approve(alpha, authority)
    assert snippet(site_number) in body
    # when Zhejiang's footer rule becomes the entity number from today (as Guangdong's is)
    assert (
        province_rules_for(province_code="GD", scope="unit", on=timezone.localdate()).raw[
            RuleKey.FOOTER_SHOWS
        ]["value"]
        == "entity_number"
    )
    ProvinceRule.objects.create(
        province_id="ZJ",
        key=RuleKey.FOOTER_SHOWS,
        value={"value": "entity_number"},
        effective_from=timezone.localdate(),
        source="管局通知（测试）",
    )
    # then the next approval, in the other tenant, gives the entity number as the footer
    other, other_entity, other_site, other_body = approve(beta, authority)
    assert snippet(other_entity) in other_body
    assert snippet(other_site) not in other_body
    assert other_site in other_body  # the website's own number is still listed
    # and the applicant's order page offers the same snippet
    page = beta.client("applicant").get(f"/orders/{other.pk}/").content.decode()
    assert escape(snippet(other_entity)) in page
