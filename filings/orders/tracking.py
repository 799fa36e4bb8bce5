"""Plain-words progress for the applicant (seed 001's stages) and what comes next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.models import FilingOrder, OrderStatus
from filings.states import APPROVED_LABELS, status_label
from icpfiling.core.workdays import add_working_days

S = OrderStatus
# Every stage the applicant lives through, in order, named by the status labels
# (``states.OrderStatus``: seed 001's words) so the list, the header and this bar
# can never disagree. (key, label) pairs.
STAGES = [
    (s.value, s.label)
    for s in (
        S.DRAFT,
        S.PROVIDER_REVIEW,
        S.VERIFICATION,
        S.PROVIDER_RECHECK,
        S.SMS_VERIFICATION,
        S.AUTHORITY_REVIEW,
        S.APPROVED,
    )
]
# Statuses off the main line sit at the first stage, under their own name.
_OFF_LINE = {"returned", "expired", "abandoned"}
_STAGE_OF = {**{key: key for key, _label in STAGES}, **dict.fromkeys(_OFF_LINE, S.DRAFT.value)}
PROVIDER_REVIEW_WORKING_DAYS = 2  # seed 003: provider review within 1–2 working days (R-S2)


@dataclass(frozen=True)
class Progress:
    stage: str
    stage_index: int
    stages: list
    headline: object
    next_step: object
    due: date | None


def order_progress(*, order: FilingOrder) -> Progress:
    stage = _STAGE_OF[order.status]
    index = [s for s, _ in STAGES].index(stage)
    stages = list(STAGES)
    # The bar ends where this type ends: an approved 注销 reads 已注销 (states.status_label).
    stages[-1] = (S.APPROVED.value, status_label(S.APPROVED, order.order_type))
    if order.status in _OFF_LINE:
        stages[0] = (order.status, order.get_status_display())
    changed = timezone.localtime(order.status_changed_at).date()
    due = None
    # One label for the status everywhere: the header says what the list says.
    headline = order.get_status_display()
    if order.status == S.DRAFT:
        # R-S8: drafts do not keep for ever; say when this one expires.
        next_step = _("完善主体和网站信息，预览无误后提交。草稿闲置超过 %(days)s 天会失效（%(date)s）。") % {
            "days": order.tenant.order_expiry_days,
            "date": timezone.localtime(order.expires_at).strftime("%Y-%m-%d") if order.expires_at else "—",
        }
    elif order.status == S.RETURNED:
        # Seed 001: who returned it (接入商 / 管局), and the provider's resubmission window.
        # The header names the status as the list does, with who returned it.
        if order.returned_by:
            headline = f"{order.get_status_display()} · {order.get_returned_by_display()}"
        next_step = _("请按退回原因修改后重新提交，逾期订单将失效。")
        due = timezone.localtime(order.resubmit_due_at).date() if order.resubmit_due_at else None
    elif order.status == S.EXPIRED:
        next_step = _("订单因长时间未处理已失效，可重新激活后继续。")
    elif order.status == S.ABANDONED:
        next_step = _("订单已放弃，主体与域名已释放，可以重新识别办理。")
    elif order.status == S.PROVIDER_REVIEW:
        due = add_working_days(changed, PROVIDER_REVIEW_WORKING_DAYS)
        next_step = _("接入商正在初审，通过后将安排身份核验。初审通过前可以撤回修改。")
    elif order.status == S.VERIFICATION:
        next_step = _("请按接入商的通知完成身份核验（预约核验点或远程核验）。")
    elif order.status == S.PROVIDER_RECHECK:
        next_step = _("核验已完成，接入商正在复审，通过后提交管局。")
    elif order.status == S.SMS_VERIFICATION:
        next_step = _("工信部将向负责人手机发送验证码，请在 24 小时内完成短信核验。")
    elif order.status == S.AUTHORITY_REVIEW:
        # The deadline set on entry from the province's rule (R-S6), not a national constant.
        due = timezone.localtime(order.authority_due_at).date() if order.authority_due_at else None
        next_step = _("管局审核中，审核期间订单不能修改或撤回。")
    elif order.order_type in APPROVED_LABELS:
        # Nothing is filed by a cancellation: no footer number to show (R-C4…R-C6).
        next_step = _("管局已审核通过：%(s)s。详情见“已备案信息”中的变更记录。") % {"s": headline}
    else:
        next_step = _(
            "请在网站底部展示备案号并链接到 beian.miit.gov.cn，并在网站开通后 30 日内办理公安联网备案。"
        )
    return Progress(
        stage=stage, stage_index=index, stages=stages, headline=headline, next_step=next_step, due=due
    )
