"""Remote (phone) verification is offered only where the province's rule says so
(``app_verification_available``), read on the day the applicant books (R-S4, R-D1)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from filings.models import FilingOrder
from filings.verification import services as vf
from icpfiling.registry.models.rules import ProvinceRule, RuleKey
from icpfiling.registry.province_rules import province_rules_load
from icpfiling.tenancy.context import tenant_scope
from tests.factories import advance, complete_order
from verification_points.models import Booking

pytestmark = pytest.mark.django_db


def in_verification(tenant) -> FilingOrder:
    return advance(tenant, complete_order(tenant), "verification")


def test_r_s4_remote_verification_follows_the_provinces_rule(alpha, beta):
    province_rules_load()
    a, b = in_verification(alpha), in_verification(beta)
    # given Zhejiang's rule (remote verification available): the page offers it
    page = alpha.client("applicant").get(f"/orders/{a.pk}/verification/").content.decode()
    assert 'name="remote"' in page
    # when Zhejiang stops accepting it from today (a new dated row)
    ProvinceRule.objects.create(
        province_id="ZJ",
        key=RuleKey.APP_VERIFICATION_AVAILABLE,
        value={"value": False},
        effective_from=timezone.localdate(),
        source="管局通知（测试）",
    )
    # then neither tenant's applicant is offered it, and the service refuses it with nothing booked
    page = beta.client("applicant").get(f"/orders/{b.pk}/verification/").content.decode()
    assert 'name="remote"' not in page
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as caught:
        vf.booking_make(order=a, applicant=alpha.users["applicant"], remote=True)
    assert caught.value.message_dict == {"remote": ["浙江省目前不支持远程核验，请预约核验点当面核验。"]}
    with tenant_scope(alpha.provider):
        assert Booking.objects.filter(order=a).count() == 0
    # and a posted form gets the same message, not a booking
    r = alpha.client("applicant").post(f"/orders/{a.pk}/verification/book/", {"remote": "1"}, follow=True)
    assert "浙江省目前不支持远程核验" in r.content.decode()
    with tenant_scope(alpha.provider):
        assert Booking.objects.filter(order=a).count() == 0


def test_r_s4_province_without_a_remote_rule_books_on_site_only(alpha):
    province_rules_load()
    order = complete_order(alpha)
    with tenant_scope(alpha.provider):
        FilingOrder.objects.filter(pk=order.pk).update(province_id="XJ")
    # (Xinjiang's data has no app_verification_available row)
    assert not ProvinceRule.objects.filter(province_id="XJ", key=RuleKey.APP_VERIFICATION_AVAILABLE).exists()
    with tenant_scope(alpha.provider):
        assert vf.remote_verification_available(order=FilingOrder.objects.get(pk=order.pk)) is False
