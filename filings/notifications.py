"""Order notifications through the outbox (R-B2, R-P1).

Every state change and every reminder writes its email, SMS and in-app rows in
the caller's transaction; delivery happens after commit. Each row has a dedupe
key built from the order, the event and the moment it happened, so calling
again for the same event (a retried sweep, a double click that lost its race)
never notifies twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.template.loader import render_to_string
from django.urls import reverse

from filings.models import FilingOrder, OrderStatus, OrderType
from filings.ordertypes import spec_for
from filings.states import status_label
from icpfiling.core.links import id_url_template
from icpfiling.notifications.models import Channel
from icpfiling.notifications.services import OUTBOX_INSERT_COLUMNS, outbox_enqueue, outbox_enqueue_many
from icpfiling.notifications.tasks import outbox_sweep
from icpfiling.registry.models.rules import FOOTER_VALUES, RuleKey
from icpfiling.registry.province_rules import province_rules_for

MIIT_URL = "https://beian.miit.gov.cn/"


ORDER_DETAIL = "filings:order_detail"
TENANT_URLCONF = "icpfiling.urls.tenant"


def order_url(order: FilingOrder) -> str:
    return reverse(ORDER_DETAIL, urlconf=TENANT_URLCONF, kwargs={"order_id": order.pk})


def approval_numbers(order: FilingOrder) -> dict:
    """The entity number and each website's number once the authority approved (R-S6)."""
    entity = order.registry_entity
    sites = [
        (s.domain_display or s.domain, s.registry_website.website_number)
        for s in order.websites.select_related("registry_website")
        if s.registry_website_id
    ]
    return {"entity_number": entity.entity_number if entity else "", "websites": sites}


def footer_number_kind(order: FilingOrder) -> str:
    """R-P1: "website_number" or "entity_number" (Guangdong): the province rule on the approval day."""
    from django.utils import timezone

    on = timezone.localdate(order.approved_at) if order.approved_at else timezone.localdate()
    rules = province_rules_for(
        province_code=order.province_id, scope="personal" if order.is_individual else "unit", on=on
    )
    kind = (rules.raw.get(RuleKey.FOOTER_SHOWS) or {}).get("value")
    return kind if kind in FOOTER_VALUES else "website_number"


def footer_numbers(order: FilingOrder, numbers: dict) -> list[tuple[str, str]]:
    """(domain, the number its footer shows) per website, as the province rule says (R-P1)."""
    if footer_number_kind(order) == "entity_number" and numbers["entity_number"]:
        return [(domain, numbers["entity_number"]) for domain, _n in numbers["websites"]]
    return list(numbers["websites"])


def footer_snippet(number: str) -> str:
    """The copy-paste footer link every filed site must show (R-P1)."""
    return f'<a href="{MIIT_URL}" target="_blank" rel="noopener">{number}</a>'


def _messages(
    order: FilingOrder, action: str, message: str, *, kind: str, extra: dict | None = None
) -> list[dict]:
    ctx = {"order": order, "action": action, "message": message, **(extra or {})}
    # The numbers, footer snippet and 公安 reminder belong to a first filing (R-P1); an approved
    # change or cancellation says what changed in ``message`` (R-C1…R-C6).
    if (
        order.status == OrderStatus.APPROVED
        and kind == "status"
        and spec_for(order.order_type).target == "new"
    ):
        numbers = approval_numbers(order)
        ctx.update(
            numbers=numbers,
            # one snippet per distinct number (Guangdong's sites all show the entity number)
            snippets=list(dict.fromkeys(footer_snippet(n) for _d, n in footer_numbers(order, numbers))),
            miit_url=MIIT_URL,
        )
        template = "order_approved"
    else:
        template = f"order_{kind}"
    subject = render_to_string(f"emails/{template}_subject.txt", ctx).strip()
    body = render_to_string(f"emails/{template}_body.txt", ctx)
    sms = render_to_string(f"emails/{template}_sms.txt", ctx).strip()
    stamp = (extra or {}).get("stamp") or order.status_changed_at.isoformat()
    key = f"order:{order.pk}:{action}:{stamp}"
    rows = [
        {"channel": Channel.EMAIL, "recipient": order.applicant.email, "subject": subject, "body": body},
        {
            "channel": Channel.INBOX,
            "recipient": str(order.applicant_id),
            "subject": subject,
            "body": body,
            "url": order_url(order),
        },
    ]
    mobile = order.principal_mobile
    if mobile:
        rows.append({"channel": Channel.SMS, "recipient": mobile, "subject": "", "body": sms})
    for row in rows:
        row.update(tenant_id=order.tenant_id, dedupe_key=f"{key}:{row['channel']}")
    return rows


def order_status_notify(*, order: FilingOrder, action: str, message: str = "") -> None:
    """Email, SMS and inbox for one state change; called by ``workflow.order_transition``."""
    for row in _messages(order, action, message, kind="status"):
        outbox_enqueue(**row)


# Stands for the order id in texts rendered once for a whole batch.
_PK = "\ue000"


class _BatchOrder:
    """What the status templates read of an order, with the id left as a placeholder."""

    def __init__(self, order_type: str, status: str) -> None:
        self.pk = _PK
        self.order_type, self.status = order_type, status

    def get_order_type_display(self):
        return OrderType(self.order_type).label

    def get_status_display(self):
        return status_label(self.status, self.order_type)


def order_status_notify_many(
    *, order_ids: list[int], action: str, status: str, changed_at, message: str = ""
) -> int:
    """Email, SMS and inbox rows for a batch a sweep moved to ``status``: built by the database.

    A sweep moves thousands of orders to the same state for the same reason, so
    each text is rendered once per order type with a placeholder for the id,
    and one INSERT … SELECT per type and channel fills in each order's id,
    recipient and dedupe key. No Python runs per order (rendering and
    instantiating per order was most of a 100,000-order sweep's time).
    """
    if not order_ids:
        return 0
    from django.db import connection, transaction
    from django.utils import timezone

    from icpfiling.core.bulk import insert_select
    from icpfiling.notifications.models import OutboxMessage, OutboxStatus

    now = timezone.now()
    suffix = f":{action}:{changed_at.isoformat()}:"
    with_id = "REPLACE({}, %s, CAST(o.id AS TEXT))"
    url_template = id_url_template(ORDER_DETAIL, urlconf=TENANT_URLCONF) % _PK
    # Texts are rendered once per order type present in the batch and joined in by type:
    # three statements per batch whatever the number of types (one per type and channel
    # made a 100,000-order sweep scan each batch 39 times once there were 13 types).
    marks = ", ".join(["%s"] * len(order_ids))
    with connection.cursor() as cur:
        # Platform sweeps address rows by id across tenants; the ids come from the caller.
        cur.execute(f"SELECT DISTINCT order_type FROM filings_filingorder WHERE id IN ({marks})", order_ids)  # noqa: S608
        present = sorted(row[0] for row in cur.fetchall())
    texts_sql, texts_params = [], []
    for order_type in present:
        ctx = {"order": _BatchOrder(order_type, status), "action": action, "message": message}
        texts_sql.append("SELECT %s AS order_type, %s AS subject, %s AS body, %s AS sms")
        texts_params += [
            order_type,
            render_to_string("emails/order_status_subject.txt", ctx).strip()[:200],
            render_to_string("emails/order_status_body.txt", ctx),
            render_to_string("emails/order_status_sms.txt", ctx).strip(),
        ]
    if not present:
        return 0
    texts = " UNION ALL ".join(texts_sql)
    written = 0
    for channel, recipient, subject, body, url, extra_where in (
        (Channel.EMAIL, "u.email", "t.subject", "t.body", "''", ""),
        (Channel.INBOX, "CAST(o.applicant_id AS TEXT)", "t.subject", "t.body", "%s", ""),
        (Channel.SMS, "o.principal_mobile", "''", "t.sms", "''", " AND o.principal_mobile <> ''"),
    ):
        # Column expressions are fixed strings in this function; every value is a parameter.
        select = (
            f"SELECT o.tenant_id, %s, {recipient}, {with_id.format(subject)}, {with_id.format(body)}, "  # noqa: S608
            f"{with_id.format(url)}, %s || CAST(o.id AS TEXT) || %s, %s, 0, %s, '', %s, %s "
            "FROM filings_filingorder o JOIN accounts_user u ON u.id = o.applicant_id "
            f"JOIN ({texts}) t ON t.order_type = o.order_type "
            f"WHERE o.id IN ({{ids}}){extra_where}"
        )
        params = [
            channel,
            _PK, _PK,
            *([url_template] if url == "%s" else []), _PK,
            "order:", f"{suffix}{channel}",
            OutboxStatus.PENDING, now, now, False,
            *texts_params,
        ]  # fmt: skip
        written += insert_select(
            OutboxMessage._meta.db_table,
            OUTBOX_INSERT_COLUMNS,
            select,
            params,
            order_ids,
            on_conflict_ignore=True,
        )
    # One task drains the batch (INSERT … SELECT returns no ids to dispatch one by one).
    transaction.on_commit(lambda: outbox_sweep.delay())
    return written


def order_reminder_notify_many(*, orders: Iterable[FilingOrder], reminder: str, stamp: str) -> int:
    """Reminders (idle order, SLA): ``reminder`` names which, ``stamp`` makes it once-only."""
    rows = [
        row
        for order in orders
        for row in _messages(
            order, reminder, "", kind="reminder", extra={"reminder": reminder, "stamp": stamp}
        )
    ]
    return outbox_enqueue_many(rows)
