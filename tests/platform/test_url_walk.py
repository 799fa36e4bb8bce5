"""Walks every URL pattern of both URLconfs with the other tenant's objects (R-T2).

A new URL pattern with path converters must get a recipe in ``FOREIGN`` below,
and one without converters must be listed in ``NO_OBJECT``; otherwise this test
fails and names the pattern. For each recipe the answer with *beta's* object
must equal the answer with a *missing* object, and nothing of beta's may
appear in alpha's pages.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from filings.materials.services import phone_link_create
from filings.models import FilingOrder, MaterialFile, OrderWebsite, PhoneUploadLink
from icpfiling.accounts.models import Membership, Role, User
from icpfiling.accounts.services import email_confirmation_token
from icpfiling.tenancy.context import tenant_scope
from tests.conftest import PASSWORD, Tenant, platform_client
from tests.factories import complete_order

TENANT_URLCONF = "icpfiling.urls.tenant"
PLATFORM_URLCONF = "icpfiling.urls.platform"
SENTINELS = ("SECRET-BETA", "beta.test", "Beta Cloud")


def walk(urlconf: str) -> Iterator[tuple[str, URLPattern]]:
    """(qualified name, pattern) for every pattern, namespaces included."""

    def _walk(patterns, ns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from _walk(p.url_patterns, ns + ([p.namespace] if p.namespace else []))
            elif isinstance(p, URLPattern):
                yield ":".join([*ns, p.name or repr(p.pattern)]), p

    yield from _walk(get_resolver(urlconf).url_patterns, [])


@dataclass
class World:
    alpha: Tenant
    beta: Tenant
    beta_pending: Membership
    beta_pending_user: User
    beta_order: FilingOrder
    beta_site: OrderWebsite
    alpha_order: FilingOrder
    beta_file_id: int
    beta_phone_token: str


# Foreign-object recipes: name -> (kwargs with beta's object, kwargs with a missing object).
FOREIGN: dict[str, Callable[[World], tuple[dict, dict]]] = {
    "accounts:applicant_approve": lambda w: ({"membership_id": w.beta_pending.pk}, {"membership_id": 987654}),
    "accounts:user_disable": lambda w: ({"user_id": w.beta.users["reviewer"].pk}, {"user_id": 987654}),
    "accounts:confirm_email": lambda w: (
        {"token": email_confirmation_token(w.beta_pending_user)},
        {"token": "missing"},
    ),
    "accounts:password_reset_confirm": lambda w: (
        {
            "uidb64": urlsafe_base64_encode(force_bytes(w.beta.users["applicant"].pk)),
            "token": default_token_generator.make_token(w.beta.users["applicant"]),
        },
        {"uidb64": urlsafe_base64_encode(force_bytes(987654)), "token": "missing-token"},
    ),
}
_MISSING = 987654


def _order_kwargs(w: World) -> tuple[dict, dict]:
    return {"order_id": w.beta_order.pk}, {"order_id": _MISSING}


def _site_kwargs(w: World) -> tuple[dict, dict]:
    return (
        {"order_id": w.beta_order.pk, "website_id": w.beta_site.pk},
        {"order_id": _MISSING, "website_id": _MISSING},
    )


for _name in (
    "order_detail",
    "order_entity",
    "order_websites",
    "order_website_new",
    "order_preview",
    "order_withdraw",
    "order_abandon",
):
    FOREIGN[f"filings:{_name}"] = _order_kwargs
for _name in ("order_website_edit", "order_website_delete"):
    FOREIGN[f"filings:{_name}"] = _site_kwargs
for _name in (
    "materials",
    "material_upload",
    "material_status",
    "verification_sheet",
    "phone_link_create",
    "phone_link_revoke",
    "phone_link_claim",
):
    FOREIGN[f"filings:{_name}"] = _order_kwargs
for _name in ("material_file", "material_delete"):
    FOREIGN[f"filings:{_name}"] = lambda w: (
        {"order_id": w.beta_order.pk, "file_id": w.beta_file_id},
        {"order_id": _MISSING, "file_id": _MISSING},
    )
FOREIGN["phone:phone_page"] = lambda w: ({"token": w.beta_phone_token}, {"token": "x" * 43})

# Patterns that address no object; they are fetched and checked for beta's data.
NO_OBJECT = {
    "home",
    "healthz",
    "set_language",
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_complete",
    "accounts:register",
    "accounts:resend_confirmation",
    "filings:order_list",
    "filings:order_new",
    "filings:filed_info",
    "phone:phone_start",
}
# The operator console is platform-only and operator-only; it is walked separately.
OPERATOR_NAMESPACE = "operator:"

# Callables (World) -> anything comparable: more of beta's state a leaking view could change.
EXTRA_SNAPSHOTS: list[Callable[[World], object]] = []
# Callables (World) -> None: a recipe's own beta objects, made before the first snapshot.
PREPARE: list[Callable[[World], None]] = []

# Each feature keeps its recipes beside its tests, in ``tests/<part>/walk_<feature>.py``
# (``FOREIGN`` and ``NO_OBJECT`` of the same shapes); they are merged here so the
# walk still sees every pattern.
for _path in sorted(Path(__file__).resolve().parents[1].glob("*/walk_*.py")):
    _mod = importlib.import_module(f"tests.{_path.parent.name}.{_path.stem}")
    FOREIGN.update(getattr(_mod, "FOREIGN", {}))
    NO_OBJECT |= set(getattr(_mod, "NO_OBJECT", ()))
    if hasattr(_mod, "snapshot"):
        EXTRA_SNAPSHOTS.append(_mod.snapshot)
    if hasattr(_mod, "prepare"):
        PREPARE.append(_mod.prepare)


@pytest.fixture
def world(alpha, beta) -> World:
    user = User.objects.create_user("SECRET-BETA-pending@beta.test", PASSWORD, provider=beta.provider)
    with tenant_scope(beta.provider):
        m = Membership.objects.create(tenant=beta.provider, user=user, role=Role.APPLICANT)
        for u in beta.users.values():
            u.full_name = "SECRET-BETA " + u.full_name
            u.save()
    beta_order = complete_order(beta)
    alpha_order = complete_order(alpha)
    with tenant_scope(beta.provider):
        FilingOrder.objects.filter(pk=beta_order.pk).update(entity_name="SECRET-BETA 订单")
        beta_site = beta_order.websites.get()
        beta_file_id = beta_order.materials.values_list("pk", flat=True).first()
        _link, beta_phone_token = phone_link_create(order=beta_order, tenant_id=beta.provider.pk)
    w = World(
        alpha=alpha,
        beta=beta,
        beta_pending=m,
        beta_pending_user=user,
        beta_order=beta_order,
        beta_site=beta_site,
        alpha_order=alpha_order,
        beta_file_id=beta_file_id,
        beta_phone_token=beta_phone_token,
    )
    for prepare in PREPARE:
        prepare(w)
    return w


def _snapshot(w: World) -> tuple:
    """Everything a leaking view could change about beta."""
    with tenant_scope(w.beta.provider):
        memberships = list(Membership.objects.order_by("pk").values_list("pk", "approved_at", "role"))
        memberships += list(FilingOrder.objects.order_by("pk").values_list("pk", "status", "entity_name"))
        memberships += list(
            OrderWebsite.objects.order_by("pk").values_list("pk", "name", "domain", "server_id")
        )
        memberships += list(MaterialFile.objects.order_by("pk").values_list("pk", "storage_name", "sha256"))
        memberships += list(
            PhoneUploadLink.objects.order_by("pk").values_list("pk", "order_id", "revoked_at")
        )
    users = list(
        User.objects.filter(provider=w.beta.provider)
        .order_by("pk")
        .values_list("pk", "is_active", "email_confirmed_at", "password")
    )
    return memberships, users, [snap(w) for snap in EXTRA_SNAPSHOTS]


def _answer(client, method: str, url: str):
    r = client.get(url) if method == "GET" else client.post(url, {"new_password1": "X-pass-12345678"})
    body = r.content.decode(errors="replace")
    # Token views answer 200 with an "invalid link" page for missing objects; what
    # matters is that foreign and missing look the same to the caller.
    return r.status_code, r.get("Location"), r.context.get("validlink") if r.context else None, body


@pytest.mark.parametrize("role", [Role.PROVIDER_ADMIN, Role.APPLICANT, Role.REVIEWER, Role.POINT_STAFF])
def test_r_t2_every_tenant_url_answers_foreign_objects_like_missing_ones(world, role):
    names = dict(walk(TENANT_URLCONF))
    unknown = sorted(
        n
        for n, p in names.items()
        if n not in FOREIGN and n not in NO_OBJECT and not n.startswith(OPERATOR_NAMESPACE)
    )
    assert unknown == [], f"URL patterns without a tenant-walk recipe: {unknown}"
    before = _snapshot(world)
    for name in FOREIGN:
        if name not in names:
            continue
        foreign_kwargs, missing_kwargs = FOREIGN[name](world)
        for method in ("GET", "POST"):
            client_a, client_b = world.alpha.client(role), world.alpha.client(role)
            with_foreign = _answer(client_a, method, reverse(name, TENANT_URLCONF, kwargs=foreign_kwargs))
            with_missing = _answer(client_b, method, reverse(name, TENANT_URLCONF, kwargs=missing_kwargs))
            assert with_foreign[:3] == with_missing[:3], (
                f"{method} {name}: foreign {with_foreign[:3]} != missing"
            )
            assert with_foreign[0] in {400, 403, 404, 405} or with_foreign[2] is False, f"{method} {name}"
            for s in SENTINELS:
                assert s not in with_foreign[3], f"{method} {name} leaks {s!r}"
    for name in NO_OBJECT & set(names):  # platform-only names are walked by the platform test
        client = world.alpha.client(role)
        r = client.get(reverse(name, TENANT_URLCONF))
        # A streamed answer (the dashboard's CSV export) is read to its end, like any other body.
        content = b"".join(r.streaming_content) if r.streaming else r.content
        body = content.decode(errors="replace")
        for s in SENTINELS:
            assert s not in body, f"GET {name} leaks {s!r}"
    # and nothing about beta changed
    assert _snapshot(world) == before


def test_r_t2_admin_foreign_ids_get_exactly_404(world):
    # the strongest actor at alpha still gets the same 404 as for a missing object
    for name in ("accounts:applicant_approve", "accounts:user_disable"):
        foreign_kwargs, _ = FOREIGN[name](world)
        r = world.alpha.client(Role.PROVIDER_ADMIN).post(reverse(name, TENANT_URLCONF, kwargs=foreign_kwargs))
        assert r.status_code == 404, name


def test_r_t2_every_platform_url_has_a_recipe_and_leaks_nothing(world, platform_users):
    names = dict(walk(PLATFORM_URLCONF))
    unknown = sorted(
        n for n in names if n not in FOREIGN and n not in NO_OBJECT and not n.startswith(OPERATOR_NAMESPACE)
    )
    assert unknown == [], f"URL patterns without a tenant-walk recipe: {unknown}"
    authority = platform_client(platform_users["authority"])
    for name in NO_OBJECT & set(names):
        body = authority.get(reverse(name, PLATFORM_URLCONF)).content.decode(errors="replace")
        for s in ("SECRET-BETA", "beta.test"):
            assert s not in body, f"GET {name} on the platform host leaks {s!r}"


def test_r_t2_operator_console_is_operator_only(world, platform_users):
    names = [n for n, p in walk(PLATFORM_URLCONF) if n.startswith(OPERATOR_NAMESPACE)]
    assert "operator:index" in names
    authority = platform_client(platform_users["authority"])
    operator = platform_client(platform_users["operator"])
    for url in ["/operator/", "/operator/accounts/user/", "/operator/accounts/membership/"]:
        # an authority reviewer is sent to the console's login, never shown data
        r = authority.get(url)
        assert r.status_code == 302, url
        assert r["Location"].startswith("/operator/login/"), url
        # the operator sees every tenant there, by design
        r = operator.get(url)
        assert r.status_code == 200, url
    assert "secret-beta-pending@beta.test" in operator.get("/operator/accounts/user/").content.decode()
    # and the console does not exist on a provider's host
    assert world.alpha.client(Role.PROVIDER_ADMIN).get("/operator/").status_code == 404


def test_r_t2_own_order_with_a_foreign_website_id_is_404(world):
    # alpha's own order, beta's website id in the path (an IDOR through the child object)
    client = world.alpha.client(Role.APPLICANT)
    before = _snapshot(world)
    for name in ("filings:order_website_edit", "filings:order_website_delete"):
        url = reverse(
            name, TENANT_URLCONF, kwargs={"order_id": world.alpha_order.pk, "website_id": world.beta_site.pk}
        )
        assert client.post(url, {"name": "x"}).status_code == 404, name
    assert _snapshot(world) == before
