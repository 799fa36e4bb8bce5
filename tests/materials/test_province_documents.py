"""Province documents as the dated rules say (R-D1): the seed's conditions are decided from
the order where they can be, and otherwise shown in the applicant's language."""

from __future__ import annotations

import pytest
from django.utils import timezone

from filings.materials.requirements import requirements_for
from filings.models import FilingOrder, OrderType
from icpfiling.registry.models.rules import ProvinceRule, RuleKey
from icpfiling.registry.province_rules import province_rules_load
from icpfiling.tenancy.context import tenant_scope
from tests.factories import complete_order

pytestmark = pytest.mark.django_db


def xinjiang_order(tenant, **fields) -> FilingOrder:
    order = complete_order(tenant, materials=False)
    with tenant_scope(tenant.provider):
        FilingOrder.objects.filter(pk=order.pk).update(province_id="XJ", **fields)
    return order


def letter(tenant, order):
    with tenant_scope(tenant.provider):
        found = [r for r in requirements_for(FilingOrder.objects.get(pk=order.pk)) if r.title == "党建确认函"]
    return found[0] if found else None


def test_r_d1_xinjiang_party_letter_is_required_for_new_filings_with_no_english_condition(alpha, beta):
    province_rules_load()
    # given Xinjiang's row: 党建确认函, condition "all new filings / new websites"
    new_entity, new_website = xinjiang_order(alpha), xinjiang_order(beta, order_type=OrderType.NEW_WEBSITE)
    # then both new filings need it, plainly required, with no English condition shown
    for tenant, order in ((alpha, new_entity), (beta, new_website)):
        req = letter(tenant, order)
        assert (req.required, req.condition, req.state) == (True, "", "missing")
    # and a new-access order (no new filing) is not asked for it
    assert letter(alpha, xinjiang_order(alpha, order_type=OrderType.NEW_ACCESS)) is None


def test_r_d1_a_new_rule_row_changes_the_party_letter_condition(alpha, beta):
    province_rules_load()
    order, other = xinjiang_order(alpha), xinjiang_order(beta)
    # when Xinjiang's documents change from today: the letter only for internet-finance entities
    ProvinceRule.objects.create(
        province_id="XJ",
        key=RuleKey.EXTRA_DOCUMENTS,
        scope="all",
        value={
            "value": [
                {
                    "name": "党建确认函",
                    "scope": ["unit", "personal"],
                    "condition": "entity runs internet-finance business",
                    "source": "测试",
                    "as_of": "2026",
                }
            ]
        },
        effective_from=timezone.localdate(),
        source="管局通知（测试）",
    )
    # then it is listed as conditional, the condition in Chinese, in both tenants
    for tenant, o in ((alpha, order), (beta, other)):
        req = letter(tenant, o)
        assert (req.required, str(req.condition), req.state) == (
            False,
            "主办单位从事互联网金融业务时提供",
            "optional",
        )
    # and the applicant's materials page shows the Chinese condition, never the English one
    page = alpha.client("applicant").get(f"/orders/{order.pk}/materials/").content.decode()
    assert "主办单位从事互联网金融业务时提供" in page
    assert "internet-finance" not in page
