"""An approved cancellation reads as what happened (已注销 / 已取消接入), never 已备案 (R-C4…R-C6, R-L1).

One label source (``filings.states.status_label``) feeds the applicant's list, the order's header,
the progress bar and the status mails; an approved first filing still reads 已备案.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from filings.models import FilingOrder
from filings.states import status_label
from icpfiling.notifications.models import OutboxMessage
from icpfiling.tenancy.context import tenant_scope
from tests.changes.test_changes import approved_entity, start, through_authority
from tests.factories import upload_required_materials


def _shown(tenant, order: FilingOrder) -> tuple[str, str, str, str]:
    """(list cell, header, current stage, last stage) as the applicant's pages show them."""
    client = tenant.client("applicant")
    listing = client.get(reverse("filings:order_list")).content.decode()
    detail = client.get(reverse("filings:order_detail", kwargs={"order_id": order.pk})).content.decode()
    row = re.search(rf'href="/orders/{order.pk}/">#{order.pk}</a>.*?</tr>', listing, re.S).group(0)
    cell = re.search(r'<td data-label="状态">([^<]*)</td>', row).group(1)
    header = re.search(r'<p class="status"><strong>([^<]*)</strong>', detail).group(1)
    bar = re.search(r'<ol class="stages">(.*?)</ol>', detail, re.S).group(1)
    stages = re.findall(r"<li[^>]*>([^<]*)</li>", bar)
    current = re.search(r'<li class="current">([^<]*)</li>', detail).group(1)
    return cell, header, current, stages[-1]


@pytest.mark.parametrize(
    ("order_type", "websites", "label"),
    [("cancel_entity", 1, "已注销"), ("cancel_website", 2, "已注销"), ("cancel_access", 1, "已取消接入")],
)
@pytest.mark.parametrize("which", ["alpha", "beta"])
def test_r_c4_r_c5_r_c6_approved_cancellation_shows_what_happened_in_list_header_and_bar(
    alpha, beta, platform_users, order_type, websites, label, which
):
    # given an entity filed through one tenant, and its cancellation approved by the authority
    tenant, other = (alpha, beta) if which == "alpha" else (beta, alpha)
    authority = platform_users["authority"]
    entity = approved_entity(tenant, authority, websites=websites)
    service = None if order_type == "cancel_entity" else entity.websites.order_by("seq").first()
    order = start(tenant, order_type, entity, service)
    upload_required_materials(tenant, order)
    mails_before = OutboxMessage.objects.filter(channel="email").count()
    order = through_authority(tenant, order, authority)
    # when the applicant looks at the list and at the order
    cell, header, current, last = _shown(tenant, order)
    # then the engine's state is APPROVED but every place reads what the approval did
    assert order.status == "approved"
    assert (cell, header, current, last) == (label, label, label, label)
    with tenant_scope(tenant.provider):
        assert FilingOrder.objects.get(pk=order.pk).get_status_display() == label
    # and the status mail says it too, never 已备案
    subjects = list(
        OutboxMessage.objects.filter(channel="email")
        .order_by("pk")[mails_before:]
        .values_list("subject", flat=True)
    )
    assert f"备案订单 #{order.pk}：{label}" in subjects
    assert f"备案订单 #{order.pk}：已备案" not in subjects
    # and the other tenant's applicant sees no such order
    assert (
        other.client("applicant")
        .get(reverse("filings:order_detail", kwargs={"order_id": order.pk}))
        .status_code
        == 404
    )


def test_r_l1_approved_first_filing_and_open_cancellation_keep_their_labels(alpha, beta, platform_users):
    # given an approved first filing at alpha and a 注销网站 of it still with the provider
    authority = platform_users["authority"]
    entity = approved_entity(alpha, authority, websites=2)
    with tenant_scope(alpha.provider):
        filed = FilingOrder.objects.get(registry_entity=entity, order_type="new_entity")
    cancel = start(alpha, "cancel_website", entity, entity.websites.order_by("seq").first())
    # when the applicant looks at both
    filed_shown = _shown(alpha, filed)
    cancel_shown = _shown(alpha, cancel)
    # then the filing reads 已备案 everywhere, and the open cancellation reads its own state,
    # its bar ending at what it will do
    assert filed_shown == ("已备案", "已备案", "已备案", "已备案")
    assert cancel_shown == ("未提交", "未提交", "未提交", "已注销")
    assert str(status_label("approved", "change_entity")) == "已备案"
    assert str(status_label("approved", "cancel_access")) == "已取消接入"
