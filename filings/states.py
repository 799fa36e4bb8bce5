"""The order's types, its statuses and its transition table: data, no behaviour.

``filings.models`` stores these values and ``filings.workflow`` applies the
table; both import this module, which imports neither, so the table can be read
(event labels, allowed actions) without importing the workflow's services.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderType(models.TextChoices):
    NEW_ENTITY = "new_entity", _("首次备案")  # R-O1: neither entity nor domain filed
    NEW_WEBSITE = "new_website", _("新增网站")  # R-O2: entity filed, website new
    NEW_ACCESS = "new_access", _("新增接入")  # R-O3: filed elsewhere, connect here
    NEW_APP = "new_app", _("新增App")  # R-AP1: entity filed, app / mini-program new
    # After approval (R-C1…R-C6); what each changes and who confirms is data in ``filings.ordertypes``.
    CHANGE_ENTITY = "change_entity", _("变更主体")  # R-C1
    CHANGE_WEBSITE = "change_website", _("变更网站")  # R-C2
    CHANGE_ACCESS = "change_access", _("变更接入")  # R-C3
    CANCEL_ENTITY = "cancel_entity", _("注销主体")  # R-C4
    CANCEL_WEBSITE = "cancel_website", _("注销网站")  # R-C5
    CANCEL_ACCESS = "cancel_access", _("取消接入")  # R-C6
    # The same changes for a filed app or mini-program (R-AP1: a service like a website).
    CHANGE_APP = "change_app", _("变更App")  # R-C2 for apps
    CANCEL_APP = "cancel_app", _("注销App")  # R-C5 for apps


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("未提交")  # applicant is filling it in
    PROVIDER_REVIEW = "provider_review", _("等待接入商审核")  # submitted, provider's first review
    RETURNED = "returned", _("已退回待修改")  # sent back with reasons
    VERIFICATION = "verification", _("等待核验")  # identity check at a point or remotely
    PROVIDER_RECHECK = "provider_recheck", _("接入商复审")  # reviewer rechecks after verification
    SMS_VERIFICATION = "sms_verification", _("工信部短信核验")  # 24 h SMS codes
    AUTHORITY_REVIEW = "authority_review", _("等待管局审核")  # with the provincial authority
    APPROVED = "approved", _("已备案")  # numbers issued
    EXPIRED = "expired", _("已失效")  # idle past the provider's limit; can be reactivated
    ABANDONED = "abandoned", _("已放弃")  # the applicant gave up a draft; final, releases the entity


# What an approval did, for the types that end a filing or an access record (R-C4…R-C6): the
# engine keeps one APPROVED state, but the applicant reads what happened, the same words in the
# list, the header and the progress bar (``status_label`` is the one source for all three).
APPROVED_LABELS = {
    OrderType.CANCEL_ENTITY: _("已注销"),
    OrderType.CANCEL_WEBSITE: _("已注销"),
    OrderType.CANCEL_ACCESS: _("已取消接入"),
}


def status_label(status: str, order_type: str = ""):
    """The status as the applicant reads it: the state's label, or what an approval did."""
    if status == OrderStatus.APPROVED and order_type in APPROVED_LABELS:
        return APPROVED_LABELS[order_type]
    return OrderStatus(status).label if status in OrderStatus.values else status


# An order in any of these states blocks another order for the same entity at
# the same provider (R-O5, a partial unique constraint) and, across providers,
# new orders for the same entity or domain (R-O4, detection).
OPEN_STATUSES = (
    OrderStatus.DRAFT,
    OrderStatus.PROVIDER_REVIEW,
    OrderStatus.RETURNED,
    OrderStatus.VERIFICATION,
    OrderStatus.PROVIDER_RECHECK,
    OrderStatus.SMS_VERIFICATION,
    OrderStatus.AUTHORITY_REVIEW,
)
# The applicant may edit only in these (R-S7: never once with the authority).
EDITABLE_STATUSES = (OrderStatus.DRAFT, OrderStatus.RETURNED)


S = OrderStatus
APPLICANT, REVIEWER, POINT_STAFF, AUTHORITY, SYSTEM = (
    "applicant",
    "reviewer",
    "point_staff",
    "authority",
    "system",
)


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    actors: tuple[str, ...]
    label: object  # lazy translated text shown in the timeline


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition((S.DRAFT,), S.PROVIDER_REVIEW, (APPLICANT,), _("提交备案")),
    "withdraw": Transition((S.PROVIDER_REVIEW,), S.DRAFT, (APPLICANT,), _("撤回修改")),
    "resubmit": Transition((S.RETURNED,), S.PROVIDER_REVIEW, (APPLICANT,), _("修改后重新提交")),
    "provider_return": Transition((S.PROVIDER_REVIEW,), S.RETURNED, (REVIEWER,), _("接入商退回")),
    "provider_pass": Transition((S.PROVIDER_REVIEW,), S.VERIFICATION, (REVIEWER,), _("接入商初审通过")),
    # Types that need no identity check (``ordertypes``: verification=False) skip to the recheck.
    "provider_pass_direct": Transition(
        (S.PROVIDER_REVIEW,), S.PROVIDER_RECHECK, (REVIEWER,), _("接入商审核通过（无需核验）")
    ),
    # R-C6: a provider starts 取消接入 itself (e.g. after a failed spot check).
    "provider_submit": Transition((S.DRAFT,), S.PROVIDER_REVIEW, (REVIEWER,), _("接入商发起")),
    "verified": Transition((S.VERIFICATION,), S.PROVIDER_RECHECK, (POINT_STAFF, REVIEWER), _("核验完成")),
    "recheck_return": Transition((S.PROVIDER_RECHECK,), S.RETURNED, (REVIEWER,), _("复审退回")),
    "back_to_verification": Transition((S.PROVIDER_RECHECK,), S.VERIFICATION, (REVIEWER,), _("退回重新核验")),
    "submit_to_authority": Transition((S.PROVIDER_RECHECK,), S.SMS_VERIFICATION, (REVIEWER,), _("提交管局")),
    "sms_passed": Transition((S.SMS_VERIFICATION,), S.AUTHORITY_REVIEW, (SYSTEM,), _("短信核验通过")),
    "sms_failed": Transition((S.SMS_VERIFICATION,), S.PROVIDER_RECHECK, (SYSTEM,), _("短信核验失败")),
    "authority_approve": Transition((S.AUTHORITY_REVIEW,), S.APPROVED, (AUTHORITY,), _("管局审核通过")),
    "authority_reject": Transition((S.AUTHORITY_REVIEW,), S.RETURNED, (AUTHORITY,), _("管局退回")),
    "expire": Transition((S.DRAFT, S.RETURNED), S.EXPIRED, (SYSTEM,), _("闲置失效")),
    "reactivate": Transition((S.EXPIRED,), S.DRAFT, (APPLICANT,), _("重新激活")),
    # Issue 12: a draft (also one withdrawn after submitting) or a returned order can be
    # given up at any time; leaving OPEN_STATUSES releases the entity (R-O5).
    "abandon": Transition((S.DRAFT, S.RETURNED), S.ABANDONED, (APPLICANT,), _("放弃订单")),
}
