"""The applicant's SMS check page (R-S5): thin views over ``filings.sms.services``.

Only the order's applicant reaches these pages; another tenant's or another
applicant's order answers 404 like a missing one (``access_order_by_id``).
Entries post normally (no JavaScript needed); the countdown script only
enhances the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from filings.access import access_order_by_id, applicant_required
from filings.models import FilingOrder, OrderStatus, SmsChallenge
from filings.sms import services as svc
from icpfiling.core.masking import mask_mobile


def _order(request: HttpRequest, order_id: int) -> FilingOrder:
    return access_order_by_id(actor=request.user, tenant=request.tenant, order_id=order_id)


def _page(request: HttpRequest, order: FilingOrder, *, errors: dict | None = None) -> HttpResponse:
    people = svc.sms_status(order=order)
    active = order.status == OrderStatus.SMS_VERIFICATION
    seconds_left = svc.sms_seconds_left(order=order)
    return render(
        request,
        "filings/sms/check.html",
        {
            "order": order,
            "people": people,
            "active": active and seconds_left > 0,
            "timed_out": active and seconds_left == 0,
            "seconds_left": seconds_left,
            # Shown as is without JavaScript; the countdown script replaces it with a live clock.
            "left_h": seconds_left // 3600,
            "left_m": seconds_left % 3600 // 60,
            "deadline": order.sms_deadline_at,
            "wrong_left": max(0, svc.MAX_WRONG_ENTRIES - order.sms_wrong_entries),
            "errors": errors or {},
            "verified_count": sum(p.state == "verified" for p in people),
        },
    )


@applicant_required
@never_cache
def sms_check(request: HttpRequest, order_id: int) -> HttpResponse:
    return _page(request, _order(request, order_id))


@applicant_required
@require_POST
def sms_enter(request: HttpRequest, order_id: int, challenge_id: int) -> HttpResponse:
    order = _order(request, order_id)
    challenge = svc.access_sms_challenge_by_id(order=order, challenge_id=challenge_id, actor=request.user)
    try:
        outcome = svc.sms_code_enter(
            order=order, challenge_id=challenge.pk, code=request.POST.get("code", ""), actor=request.user
        )
    except SmsChallenge.DoesNotExist:
        raise Http404 from None  # replaced by a new submission since the page was loaded
    except ValidationError as exc:
        return _page(request, order, errors={challenge.pk: exc.messages})
    order = _order(request, order_id)
    if outcome == svc.WRONG:
        left = max(0, svc.MAX_WRONG_ENTRIES - order.sms_wrong_entries)
        msg = _("验证码不正确。还可以输错 %(n)s 次，输错 5 次订单将退回接入商。") % {"n": left}
        return _page(request, order, errors={challenge.pk: [msg]})
    if outcome == svc.VERIFIED:
        if order.status == OrderStatus.AUTHORITY_REVIEW:
            messages.success(request, _("短信核验已全部完成，订单已提交管局审核。"))
            return redirect("filings:order_detail", order_id=order.pk)
        messages.success(request, _("验证码正确，该负责人已完成核验。"))
    elif outcome == svc.FAILED:
        messages.error(request, _("短信验证码输错次数已达上限，订单已退回接入商，接入商复审后将重新提交。"))
        return redirect("filings:order_detail", order_id=order.pk)
    elif outcome == svc.EXPIRED:
        messages.error(request, _("已超过 24 小时的短信核验时限，验证码已失效。订单将退回接入商重新提交。"))
    else:
        messages.info(request, _("该验证码已核验过，无需再次输入。"))
    return redirect("sms:check", order_id=order.pk)


@applicant_required
@require_POST
def sms_resend_view(request: HttpRequest, order_id: int, challenge_id: int) -> HttpResponse:
    order = _order(request, order_id)
    challenge = svc.access_sms_challenge_by_id(order=order, challenge_id=challenge_id, actor=request.user)
    try:
        sent = svc.sms_resend(order=order, challenge_id=challenge.pk, actor=request.user)
    except SmsChallenge.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            _("新的验证码已发送至 %(m)s，之前的验证码已失效。") % {"m": mask_mobile(sent.mobile)},
        )
    return redirect("sms:check", order_id=order.pk)
