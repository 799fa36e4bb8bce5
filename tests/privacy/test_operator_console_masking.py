"""The operator console shows identity numbers and mobiles masked, like every staff page (R-D4, R-X1)."""

from __future__ import annotations

from icpfiling.core.masking import mask_value
from icpfiling.notifications.models import Channel, OutboxMessage
from icpfiling.notifications.services import outbox_enqueue
from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled
from tests.conftest import platform_client
from tests.factories import complete_order, filed_entity, make_ric

RIC = make_ric("11010519491231002")  # an individual's resident ID as the certificate
MOBILE = "13912345678"


def test_r_x1_operator_console_masks_ids_and_mobiles_on_lists_and_detail_pages(alpha, beta, platform_users):
    # Given an individual filed in the registry, an order in each tenant and an SMS in the outbox
    entity = filed_entity(cert=RIC, nature=5, cert_type="resident_id", name="王五")
    orders = [complete_order(alpha), complete_order(beta)]
    with tenant_scope(alpha.provider):
        outbox_enqueue(
            channel=Channel.SMS, recipient=MOBILE, body="验证码 123456", tenant_id=alpha.provider.pk
        )
    with tenant_scopes_disabled():
        sms = OutboxMessage.objects.get(channel=Channel.SMS, tenant=alpha.provider)
        clear = {RIC, MOBILE, entity.principal_mobile} | {
            v for o in orders for v in (o.principal_id_number, o.principal_mobile, o.emergency_mobile) if v
        }
    client = platform_client(platform_users["operator"])
    # When the operator opens the registry, order and outbox pages
    pages = [
        "/operator/registry/filedentity/",
        f"/operator/registry/filedentity/{entity.pk}/change/",
        *(f"/operator/filings/filingorder/{o.pk}/change/" for o in orders),
        "/operator/notifications/outboxmessage/",
        f"/operator/notifications/outboxmessage/{sms.pk}/change/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        # Then no number appears in clear, and the masked forms do
        leaked = sorted(v for v in clear if v and v in html)
        assert leaked == [], (
            url,
            leaked,
            [html[max(0, html.find(v) - 200) : html.find(v) + 50] for v in leaked],
        )
    assert mask_value(RIC) in client.get(pages[0]).content.decode()
    assert mask_value(RIC) in client.get(pages[1]).content.decode()
    assert "139****5678" in client.get(pages[-1]).content.decode()
    assert "139****5678" in client.get(pages[-2]).content.decode()
