"""What each order type is, as data (R-C1…R-C9, R-S5's SMS table, R-S7).

One engine runs every type (``states.TRANSITIONS``, ``workflow``); this table
says where the types differ, so no part of the lifecycle branches on a type
name: which registry record the order works on, which of its data it changes
(the diff shown to the reviewer and the authority as before → after), who
receives SMS codes (domain reference §2.2), whether an identity check is
needed, whether the applicant may still withdraw after submitting, and which
materials it asks for. Inspur's numeric type codes (domain reference §1.1) are
kept for the authority's exports.

The target is a "service" of the registry: a website, or an app,
mini-program or quick app (R-AP1); ``services`` says which kinds a type works
on, so 变更App and 注销App are the website types' rules applied to apps, and
取消接入 works on either.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from filings.states import OrderType

T = OrderType

# Order fields diffed against the registry (the baseline taken when the order starts).
ENTITY_DIFF_FIELDS = (
    "entity_name",
    # R-C1: only at 三证合一 (an old number replaced by the credit code; ``changes.validation``).
    "certificate_type",
    "certificate_number",
    "registered_address",
    "communication_address",
    "investor",
    "principal_name",
    "principal_mobile",
    "principal_email",
    "principal_landline",
    "emergency_mobile",
)
WEBSITE_DIFF_FIELDS = (
    "name",
    "domains",  # R-C2: the website's domains, main first; 变更网站 may only remove some
    "homepage_url",
    "service_content",
    "languages",
    "pre_approvals",
    "principal_same_as_entity",
    "principal_name",
    "principal_mobile",
    "principal_email",
)
ACCESS_DIFF_FIELDS = ("server",)
# An app's diffable data (R-AP2, R-AP3); ``platforms`` is each build's platform, package name (or
# a mini-program's platform and AppID), fingerprint and key digest. Its number never changes.
APP_DIFF_FIELDS = (
    "name",
    "service_content",
    "languages",
    "pre_approvals",
    "principal_same_as_entity",
    "principal_name",
    "principal_mobile",
    "principal_email",
    "domains",
    "sdks",
    "platforms",
)


@dataclass(frozen=True)
class TypeSpec:
    inspur_code: int
    # What the order works on: "new" (files something new), "entity", "service" (one website),
    # or "access" (this provider's access record of one website).
    target: str
    # Which data it changes: ``entity.<field>`` / ``service.<field>`` keys, diffed against the baseline.
    changes: tuple[str, ...] = ()
    # Who receives SMS codes (R-S5, R-C9): "entity" principal, "service" principals.
    sms: tuple[str, ...] = ("entity", "service")
    verification: bool = True  # an identity check (at a point or remotely) before the recheck
    withdrawable: bool = True  # R-S7 / R-C4: 注销 cannot be withdrawn once submitted
    cancels: bool = False  # ends a filing or an access record; nothing to fill in but the reason
    # Which steps the applicant edits: "entity", "websites".
    edits: tuple[str, ...] = ("entity", "websites")
    # "full" = the new-filing set (R-D1); otherwise the change set of ``materials.change_requirements``.
    materials: str = "full"
    # Which kinds of filed service a "service" / "access" type works on: "website", "app" (R-AP1).
    services: tuple[str, ...] = ("website",)


# 注销网站 and 注销App (R-C5): no SMS, no verification, irreversible once submitted (R-S7).
_CANCEL_SERVICE = TypeSpec(
    5,
    "service",
    sms=(),
    verification=False,
    withdrawable=False,
    cancels=True,
    edits=(),
    materials="cancel_website",
)

TYPE_SPECS: dict[str, TypeSpec] = {
    T.NEW_ENTITY: TypeSpec(1, "new"),
    T.NEW_WEBSITE: TypeSpec(10, "new"),
    # R-AP1: like 新增网站 (Inspur has no separate code; the authority's export shows it as 10).
    T.NEW_APP: TypeSpec(10, "new"),
    T.NEW_ACCESS: TypeSpec(3, "new", sms=("service",)),
    T.CHANGE_ENTITY: TypeSpec(
        6,
        "entity",
        changes=tuple(f"entity.{f}" for f in ENTITY_DIFF_FIELDS),
        sms=("entity",),
        edits=("entity",),
        materials="change_entity",
    ),
    T.CHANGE_WEBSITE: TypeSpec(
        9,
        "service",
        changes=tuple(f"service.{f}" for f in WEBSITE_DIFF_FIELDS),
        sms=("service",),
        edits=("websites",),
        materials="change_website",
    ),
    T.CHANGE_ACCESS: TypeSpec(
        0,  # Inspur has no own code; MIIT's 变更接入 (domain reference §1.1)
        "access",
        changes=tuple(f"service.{f}" for f in ACCESS_DIFF_FIELDS),
        sms=(),
        verification=False,
        edits=("websites",),
        materials="none",
    ),
    T.CANCEL_ENTITY: TypeSpec(
        4,
        "entity",
        sms=("entity",),
        verification=False,
        withdrawable=False,
        cancels=True,
        edits=(),
        materials="cancel_entity",
    ),
    T.CANCEL_WEBSITE: _CANCEL_SERVICE,
    T.CANCEL_ACCESS: TypeSpec(
        7,
        "access",
        sms=(),
        verification=False,
        cancels=True,
        edits=(),
        materials="none",
        services=("website", "app"),
    ),
    # R-AP1 with R-C2 / R-C5: an app's change and cancellation (Inspur's website codes, as 新增App).
    T.CHANGE_APP: TypeSpec(
        9,
        "service",
        changes=tuple(f"service.{f}" for f in APP_DIFF_FIELDS),
        sms=("service",),
        edits=("apps",),
        materials="change_app",
        services=("app",),
    ),
    # The same cancellation for an app, with the app's own materials.
    T.CANCEL_APP: replace(_CANCEL_SERVICE, materials="cancel_app", services=("app",)),
}

CHANGE_TYPES = tuple(t for t, spec in TYPE_SPECS.items() if spec.target != "new")


def spec_for(order_type: str) -> TypeSpec:
    return TYPE_SPECS[order_type]


def service_types(kind: str) -> tuple[str, ...]:
    """The change and cancel types that work on one filed service of ``kind`` ("website", "app")."""
    types = [
        t for t, spec in TYPE_SPECS.items() if spec.target in ("service", "access") and kind in spec.services
    ]
    # Changes first, then cancellations, the service's own before its access (as 已备案信息 lists websites').
    return tuple(sorted(types, key=lambda t: (TYPE_SPECS[t].cancels, TYPE_SPECS[t].target == "access")))


def first_step(order_type: str) -> str:
    """The first step page the applicant fills for this type (the URL name of ``filings.orders``)."""
    spec = TYPE_SPECS.get(order_type)
    if spec is None or "entity" in spec.edits:
        return "filings:order_entity"
    if "websites" in spec.edits:
        return "filings:order_websites"
    if "apps" in spec.edits:
        return "mobile:app_list"
    return "filings:materials" if spec.materials != "none" else "filings:order_preview"


def action_for_type(order_type: str, action: str) -> str:
    """The table's action a type uses for a generic step (a pass without verification)."""
    spec = TYPE_SPECS.get(order_type)
    if spec and action == "provider_pass" and not spec.verification:
        return "provider_pass_direct"
    return action


def type_forbids(order_type: str, action: str) -> bool:
    """True when the type rules the transition out (R-S7: no withdrawal of a submitted 注销)."""
    spec = TYPE_SPECS.get(order_type)
    if spec is None:
        return False
    if action == "withdraw" and not spec.withdrawable:
        return True
    if action == "provider_pass" and not spec.verification:
        return True
    if action == "provider_pass_direct" and spec.verification:
        return True
    # Only 取消接入 may be started by the provider (R-C6).
    return action == "provider_submit" and order_type != T.CANCEL_ACCESS
