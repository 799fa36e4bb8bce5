"""The demo's apps and mini-programs (issue 15 item 5) and its detection samples."""

from __future__ import annotations

import pytest

from filings.models import FilingOrder, OrderType
from filings.orders.detection import order_detect
from icpfiling.demo.mobile import APP_ONLY_CERT, demo_app_detection_examples
from icpfiling.demo.seed import demo_seed
from icpfiling.registry.models import FiledApp, FiledEntity
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider
from tests.factories import detection_input, make_uscc

pytestmark = pytest.mark.django_db


def test_r_ap4_demo_has_a_filed_app_a_filed_mini_program_and_an_app_only_order_in_review():
    # given the demo, seeded twice (idempotent)
    demo_seed(lifecycle=False)
    demo_seed(lifecycle=False)
    alpha = Provider.objects.get(slug="alpha")
    # then alpha's company has its website -1 and its app -2A; beta's company a mini-program -NX
    assert sorted(n[-1] for n in FiledApp.objects.values_list("service_number", flat=True)) == ["A", "X"]
    beta_mini = FiledApp.objects.get(entity__name="广州贝塔示例网络有限公司")
    assert beta_mini.service_number == f"{beta_mini.entity.entity_number}-3X"
    alpha_app = FiledApp.objects.get(entity__name="杭州阿尔法示例科技有限公司")
    assert alpha_app.service_number == f"{alpha_app.entity.entity_number}-2A"
    with tenant_scope(alpha):
        order = FilingOrder.objects.get(certificate_number_bidx=APP_ONLY_CERT)
        assert order.status == "provider_review"
        assert order.websites.count() == 0
        assert order.apps.count() == 1
    # and every printed detection sample gives the outcome it names
    alpha_cert = FiledEntity.objects.get(name="杭州阿尔法示例科技有限公司").certificate_number
    outcomes = []
    for _p, cert, service, _outcome in demo_app_detection_examples(alpha_cert):
        platform, _sep, package = service.rpartition(":")
        data = detection_input(cert=make_uscc() if cert.startswith("<") else cert, domain="")
        data.app_platform, data.app_package = platform, package
        with tenant_scope(alpha):  # detection runs in the request's tenant scope (its offers read orders)
            result = order_detect(tenant_id=alpha.pk, data=data)
        outcomes.append(result.order_type or result.block)
    assert outcomes == [OrderType.NEW_APP, "app_already_filed", OrderType.NEW_ENTITY, OrderType.NEW_ENTITY]
