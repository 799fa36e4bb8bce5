"""Emails of the application programme, through the outbox (R-B2).

The company hears about every step at the manager's address; the provider's
admins hear about what the company did (a new application, an answer, a
re-inspection request). Rows are written in the caller's transaction and
carry a dedupe key per application, step and moment, so a retried sweep never
mails twice.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from icpfiling.accounts.models import Role, User
from icpfiling.notifications.models import Channel
from icpfiling.notifications.services import outbox_enqueue
from verification_points.models.applications import PointApplication
from verification_points.states import EVENT_LABELS, TRANSITIONS

# Steps the provider's admins must act on.
_ADMIN_ACTIONS = {"submit", "answer_supplement", "request_reinspection"}


def _stamp(application: PointApplication) -> str:
    return (application.status_changed_at or timezone.now()).isoformat()


def _company_body(application: PointApplication, action: str, message: str, link: str) -> str:
    lines = [
        _("%(company)s：") % {"company": application.company_name},
        "",
        _("您向%(provider)s提交的核验点申请（编号 %(pk)s）有新进展：%(step)s。")
        % {"provider": application.tenant.name, "pk": application.pk, "step": _step_label(action)},
        _("当前状态：%(status)s。") % {"status": application.get_status_display()},
    ]
    due = application.current_due_at
    if due and application.status in ("supplement", "rectifying"):
        lines.append(
            _("请在 %(due)s 之前完成，逾期将视为放弃申请。")
            % {"due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")}
        )
    if message:
        lines += ["", _("说明：%(message)s") % {"message": message}]
    lines.append("")
    if link:
        lines.append(_("申请跟踪链接（请妥善保管，勿转发他人）：%(link)s") % {"link": link})
    else:
        lines.append(_("请打开申请提交时邮件中的跟踪链接查看详情、补充材料。"))
    return "\n".join(lines) + "\n"


def _step_label(action: str) -> str:
    label = TRANSITIONS[action].label if action in TRANSITIONS else EVENT_LABELS.get(action, action)
    return str(label)


def application_status_notify(
    *, application: PointApplication, action: str, message: str = "", link: str = ""
) -> None:
    """The company's email for one step, and the admins' emails for steps they must act on."""
    subject = _("核验点申请进展：%(step)s") % {"step": _step_label(action)}
    key = f"vp-app:{application.pk}:{action}:{_stamp(application)}"
    outbox_enqueue(
        channel=Channel.EMAIL,
        recipient=application.manager_email,
        subject=subject,
        body=_company_body(application, action, message, link),
        tenant_id=application.tenant_id,
        dedupe_key=f"{key}:company",
    )
    if action not in _ADMIN_ACTIONS:
        return
    admins = User.objects.filter(
        provider_id=application.tenant_id, membership__role=Role.PROVIDER_ADMIN, is_active=True
    ).order_by("pk")
    body = _("%(company)s（%(code)s）的核验点申请：%(step)s。请登录后在“核验点申请”中处理。") % {
        "company": application.company_name,
        "code": application.credit_code,
        "step": _step_label(action),
    }
    for admin in admins:
        outbox_enqueue(
            channel=Channel.EMAIL,
            recipient=admin.email,
            subject=subject,
            body=body + "\n",
            tenant_id=application.tenant_id,
            dedupe_key=f"{key}:admin:{admin.pk}",
        )


def staff_account_notify(*, user: User, point_name: str, link: str) -> None:
    """A new point-staff account: the link to set a password (R-K3: system account opened)."""
    body = "\n".join(
        [
            _("%(name)s，您好：") % {"name": user.full_name or user.email},
            "",
            _("您的核验点工作人员账户已开通（核验点：%(point)s，登录邮箱：%(email)s）。")
            % {"point": point_name, "email": user.email},
            _("请打开以下链接设置登录密码（链接只能使用一次）："),
            link,
        ]
    )
    outbox_enqueue(
        channel=Channel.EMAIL,
        recipient=user.email,
        subject=_("核验点工作人员账户已开通"),
        body=body + "\n",
        tenant_id=user.provider_id,
        dedupe_key=f"vp-staff-account:{user.pk}",
    )
