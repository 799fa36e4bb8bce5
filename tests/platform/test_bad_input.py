"""Finding 2 of the outside attack: no HTTP 500 from any filter value, nor from the operator console.

Every list page's filters are discovered from the page itself (each ``<form method=get>``
field name, plus the query parameters the page reads without a form), then fed
out-of-range, malformed and huge values. Every operator-console changelist, add and change
page is walked too.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from icpfiling.core.bounds import (
    MAX_DATE,
    MIN_DATE,
    BoundedDateField,
    BoundedMonthField,
    int_or_default,
    parse_date,
    parse_int,
    parse_month,
)
from icpfiling.operator.site import operator_site
from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled
from tests.conftest import platform_client
from verification_points.models import PointStaff, VerificationPoint

BAD_VALUES = [
    "0001-01-01",
    "9999-12-31",
    "0000-01",
    "0000-00-00",
    "2026-13",
    "2026-02-30",
    "-1",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "abc",
    "'; DROP TABLE x; --",
    "x" * 5000,
    "\x00",
    "２０２６-０１-０１",
]

# Parameters read outside a form (cursor, year switcher, changelist paging and ordering).
EXTRA_PARAMS = ["after", "year", "page", "p", "o", "q", "e", "all"]

_FORM_FIELD = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"")
_GET_FORM = re.compile(r"<form\b(?![^>]*method=\"post\")[^>]*>(.*?)</form>", re.S | re.I)


def filter_names(html: str) -> set[str]:
    names: set[str] = set()
    for body in _GET_FORM.findall(html):
        names.update(n for n in _FORM_FIELD.findall(body) if n != "csrfmiddlewaretoken")
    return names


# ---- the parser itself -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0001-01-01", "out_of_range"),
        ("9999-12-31", "out_of_range"),
        ("2026-02-30", "invalid_date"),
        ("2026/02/03", "invalid"),
        ("x" * 40, "too_long"),
    ],
)
def test_finding_2_date_parser_refuses_with_a_code(value, code):
    # given a bad date / when parsed / then refused with its own code, no other exception
    with pytest.raises(ValidationError) as exc:
        parse_date(value)
    assert exc.value.code == code


def test_finding_2_parsers_accept_the_bounds_and_empty_input():
    # given the bounds themselves and empty input / when parsed / then accepted as-is
    assert parse_date(MIN_DATE.isoformat()) == MIN_DATE
    assert parse_date(MAX_DATE.isoformat()) == MAX_DATE
    assert parse_date("  ") is None
    assert parse_month("2026-3") == date(2026, 3, 1)
    assert parse_month("") is None
    assert parse_int("42", min_value=0, max_value=42) == 42


@pytest.mark.parametrize("value", ["0000-01", "9999-12", "2026-13", "2026-00", "abc", "1" * 40])
def test_finding_2_month_parser_refuses_out_of_range_and_malformed(value):
    with pytest.raises(ValidationError):
        parse_month(value)


@pytest.mark.parametrize("value", ["43", "-1", "1e3", "9" * 30, "abc"])
def test_finding_2_int_parser_refuses_out_of_bounds(value):
    with pytest.raises(ValidationError):
        parse_int(value, min_value=0, max_value=42)
    # and the defaulting variant falls back instead of raising
    assert int_or_default(value, min_value=0, max_value=42, default=7) == 7


def test_finding_2_form_fields_clean_to_dates_or_errors():
    # given the shared form fields / when cleaned / then a date, or a ValidationError naming the range
    assert BoundedDateField().clean("2026-03-02") == date(2026, 3, 2)
    assert BoundedMonthField().clean("2026-10") == date(2026, 10, 1)
    with pytest.raises(ValidationError) as exc:
        BoundedDateField().clean("0001-01-01")
    assert "2000-01-01" in exc.value.messages[0]


# ---- the pages ---------------------------------------------------------------------------------


def _assert_no_500(client, path: str, names: set[str]) -> int:
    requests = 0
    for name in sorted(names):
        for value in BAD_VALUES:
            response = client.get(path, {name: value})
            requests += 1
            assert response.status_code < 500, (path, name, value[:40], response.status_code)
    return requests


@pytest.fixture
def staffed(alpha, beta):
    # The desk only does date arithmetic for staff assigned to a point: assign both tenants' staff.
    for tenant in (alpha, beta):
        with tenant_scope(tenant.provider):
            point = VerificationPoint.objects.create(tenant=tenant.provider, name="点", address="地址")
            PointStaff.objects.create(tenant=tenant.provider, point=point, user=tenant.users["point_staff"])
    return alpha, beta


TENANT_LIST_PAGES = [
    ("applicant", "/orders/"),
    ("applicant", "/inbox/"),
    ("reviewer", "/review/"),
    ("point_staff", "/desk/"),
    ("provider_admin", "/points/"),
    ("provider_admin", "/points/statements/"),
    ("provider_admin", "/vp/applications/"),
]


@pytest.mark.parametrize(("role", "path"), TENANT_LIST_PAGES)
def test_finding_2_every_tenant_list_filter_survives_bad_values(staffed, role, path):
    for tenant in staffed:
        # given the list page as its role on each tenant
        client = tenant.client(role)
        page = client.get(path)
        assert page.status_code == 200, path
        names = filter_names(page.content.decode()) | set(EXTRA_PARAMS)
        # when every filter gets every bad value / then never a 500
        assert _assert_no_500(client, path, names) == len(names) * len(BAD_VALUES)


def test_finding_2_desk_day_out_of_range_is_a_form_error_not_a_500(staffed):
    alpha, _beta = staffed
    client = alpha.client("point_staff")
    for value in ("0001-01-01", "9999-12-31"):
        # when the day reported by the attack is asked for
        response = client.get("/desk/", {"day": value})
        # then the page answers and says which range is valid
        assert response.status_code == 200
        assert "2000-01-01" in response.content.decode()


def test_finding_2_statement_month_zero_is_a_form_error_not_a_500(alpha, beta):
    for tenant in (alpha, beta):
        response = tenant.client("provider_admin").get("/points/statements/", {"month": "0000-01"})
        assert response.status_code == 200
        assert "YYYY-MM" in response.content.decode() or "2000-01-01" in response.content.decode()


@pytest.mark.parametrize("path", ["/authority/", "/authority/history/"])
def test_finding_2_authority_list_filters_survive_bad_values(alpha, beta, platform_users, path):
    client = platform_client(platform_users["authority"])
    page = client.get(path)
    assert page.status_code == 200
    names = filter_names(page.content.decode()) | set(EXTRA_PARAMS)
    assert _assert_no_500(client, path, names) > 0


def test_finding_2_operator_console_every_add_change_and_list_page(alpha, beta, platform_users):
    # given the operator, both tenants present
    client = platform_client(platform_users["operator"])
    walked = []
    for model, model_admin in operator_site._registry.items():
        meta = model._meta
        base = f"/operator/{meta.app_label}/{meta.model_name}/"
        # when the changelist is asked for with bad paging/ordering/filter values
        page = client.get(base)
        assert page.status_code == 200, base
        names = filter_names(page.content.decode()) | {"p", "o", "q", "e", "all", "tenant__id__exact"}
        _assert_no_500(client, base, names)
        # and the add page, if the console offers one
        add = client.get(f"{base}add/")
        assert add.status_code in (200, 403, 302), (base, add.status_code)
        if add.status_code == 302:  # a provider is added through onboarding (R-M4), which is walked too
            assert add["Location"] == "/operator/onboard/", base
            assert client.get(add["Location"]).status_code == 200
        # and the change page of an existing row
        with tenant_scopes_disabled():
            obj = model_admin.get_queryset(add.wsgi_request).first()
        if obj is not None:
            change = client.get(f"{base}{obj.pk}/change/")
            assert change.status_code == 200, (base, change.status_code)
        # and the change page of a malformed id
        assert client.get(f"{base}not-a-number/change/").status_code < 500
        walked.append(meta.model_name)
    # then every registered model was walked (membership's add page was the 500 of the report)
    assert "membership" in walked
    assert len(walked) == len(operator_site._registry)


def test_finding_2_operator_can_add_a_membership(alpha, beta, platform_users):
    from icpfiling.accounts.models import Membership, User

    client = platform_client(platform_users["operator"])
    with tenant_scope(beta.provider):
        user = User.objects.create_user("new@beta.test", "x-Password-123", provider=beta.provider)
    # when the operator adds a membership on beta
    response = client.post(
        "/operator/accounts/membership/add/",
        {
            "tenant": beta.provider.pk,
            "user": user.pk,
            "role": "reviewer",
            "approved_at_0": "",
            "approved_at_1": "",
        },
    )
    # then it is created on beta, nowhere else
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_scope(beta.provider):
        assert list(Membership.objects.filter(user=user).values_list("tenant_id", "role")) == [
            (beta.provider.pk, "reviewer")
        ]
