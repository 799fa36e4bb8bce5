"""The apps of an order as a card, for the applicant, the reviewer and the authority (R-AP2, R-AP4).

Staff see the app principal's ID number and mobile masked (R-D4), as they see the
website principals'; the applicant sees their own data in full.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from filings.access import apps_prefetch
from filings.appchecks import MINI_PLATFORM_CHOICES
from filings.models import AppKind, FilingOrder, OrderApp
from filings.orders.forms import LANGUAGE_CHOICES
from icpfiling.core.text import bracketed, clause_join, labelled, list_join

register = template.Library()


def _facts(order: FilingOrder, app: OrderApp, index: int, *, masked: bool) -> list[dict]:
    languages = dict(LANGUAGE_CHOICES)
    facts = [
        (_("服务类型"), str(app.get_kind_display())),
        (_("名称"), app.name),
        (_("服务内容"), list_join(app.service_content_labels)),
        (_("语言"), list_join(languages.get(c, c) for c in app.languages or [])),
        (_("前置审批"), clause_join(labelled(k, v) for k, v in (app.pre_approvals or {}).items())),
        (_("使用的域名"), list_join(app.domains or [])),
        (
            _("第三方SDK"),
            clause_join(bracketed(s.get("provider", ""), s.get("kind", "")) for s in app.sdks or []),
        ),
    ]
    if app.kind == AppKind.APP:
        for p in app.platforms.all():
            facts.append(
                (
                    str(p.get_platform_display()),
                    _("包名 %(pkg)s · 指纹 %(fp)s · 公钥 %(key)s")
                    % {
                        "pkg": p.package_name or "—",
                        "fp": p.fingerprint or "—",
                        "key": (_("已填写") if p.public_key else "—"),
                    },
                )
            )
    else:
        facts.append(
            (_("所属平台"), str(dict(MINI_PLATFORM_CHOICES).get(app.mini_platform, app.mini_platform)))
        )
        facts.append((_("AppID"), app.mini_appid))
    out = [{"label": label, "value": value or "—", "key": "", "sensitive": False} for label, value in facts]
    if app.principal_same_as_entity:
        out.append({"label": _("App负责人"), "value": _("同主体负责人"), "key": "", "sensitive": False})
        return out
    # An app principal of their own: ID and mobile masked for staff, revealed (and audited) on request.
    for name, label in (
        ("principal_name", _("App负责人")),
        ("principal_id_number", _("证件号码")),
        ("principal_mobile", _("手机号码")),
        ("principal_email", _("电子邮箱")),
    ):
        value = getattr(app, name) or ""
        sensitive = masked and name in ("principal_id_number", "principal_mobile")
        out.append({"label": label, "value": value, "key": f"apps[{index}].{name}", "sensitive": sensitive})
    return out


@register.inclusion_tag("filings/mobile/_apps_card.html", takes_context=True)
def order_apps(context, order: FilingOrder, masked: bool = True) -> dict:
    """Every app of ``order`` with its facts and, once approved, its number.

    The reveal button of a masked value needs the page's reveal state, so it is passed on.
    """
    if "apps" in getattr(order, "_prefetched_objects_cache", {}):
        apps = list(order.apps.all())  # filings.access.apps_prefetch: the same rows, already read
    else:
        apps = list(apps_prefetch().queryset.filter(order=order))
    return {
        "apps": [{"app": a, "facts": _facts(order, a, i, masked=masked)} for i, a in enumerate(apps)],
        "order": order,
        "revealed": context.get("revealed") or {},
        "can_reveal": context.get("can_reveal", False),
        "csrf_token": context.get("csrf_token"),
    }
