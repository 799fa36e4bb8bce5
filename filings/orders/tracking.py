"""Plain-words progress for the applicant (seed 001's stages) and what comes next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.models import FilingOrder, OrderStatus
from icpfiling.core.workdays import add_working_days

S = OrderStatus
STAGES = [
    ("draft", _("未提交")),
    ("provider", _("等待接入商审核")),
    ("authority", _("等待管局审核")),
    ("filed", _("已备案")),
]
_STAGE_OF = {
    S.DRAFT: "draft",
    S.RETURNED: "draft",
    S.EXPIRED: "draft",
    S.PROVIDER_REVIEW: "provider",
    S.VERIFICATION: "provider",
    S.PROVIDER_RECHECK: "provider",
    S.SMS_VERIFICATION: "authority",
    S.AUTHORITY_REVIEW: "authority",
    S.APPROVED: "filed",
}
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
    changed = timezone.localtime(order.status_changed_at).date()
    due = None
    if order.status == S.DRAFT:
        headline = _("未提交")
        next_step = _("完善主体和网站信息，预览无误后提交。草稿会一直保存，可随时回来继续。")
    elif order.status == S.RETURNED:
        # Seed 001: who returned it (接入商 / 管局), and the provider's resubmission window.
        headline = order.get_returned_by_display() or _("已退回待修改")
        next_step = _("请按退回原因修改后重新提交，逾期订单将失效。")
        due = timezone.localtime(order.resubmit_due_at).date() if order.resubmit_due_at else None
    elif order.status == S.EXPIRED:
        headline = _("已失效")
        next_step = _("订单因长时间未处理已失效，可重新激活后继续。")
    elif order.status == S.PROVIDER_REVIEW:
        headline = _("等待接入商审核")
        due = add_working_days(changed, PROVIDER_REVIEW_WORKING_DAYS)
        next_step = _("接入商正在初审，通过后将安排身份核验。初审通过前可以撤回修改。")
    elif order.status in (S.VERIFICATION, S.PROVIDER_RECHECK):
        headline = _("等待接入商审核")
        next_step = _("请按接入商的通知完成身份核验，接入商复审后提交管局。")
    elif order.status == S.SMS_VERIFICATION:
        headline = _("等待管局审核")
        next_step = _("工信部将向负责人手机发送验证码，请在 24 小时内完成短信核验。")
    elif order.status == S.AUTHORITY_REVIEW:
        headline = _("等待管局审核")
        # The deadline set on entry from the province's rule (R-S6), not a national constant.
        due = timezone.localtime(order.authority_due_at).date() if order.authority_due_at else None
        next_step = _("管局审核中，审核期间订单不能修改或撤回。")
    else:
        headline = _("已备案")
        next_step = _(
            "请在网站底部展示备案号并链接到 beian.miit.gov.cn，并在网站开通后 30 日内办理公安联网备案。"
        )
    return Progress(
        stage=stage, stage_index=index, stages=STAGES, headline=headline, next_step=next_step, due=due
    )
