"""Province rules as data with effective dates (R-V4, R-V5, R-D1, R-S6).

The suite's session setup loads provinces only; every test here loads the
rules from the project's seed copy with ``province_rules_load()``.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from icpfiling.accounts.models import User
from icpfiling.registry.models import Province
from icpfiling.registry.models.rules import ProvinceRule, RuleKey
from icpfiling.registry.province_rules import (
    FALLBACK,
    RULES_CACHE,
    UNDATED_EFFECTIVE_FROM,
    province_rules_for,
    province_rules_load,
)

ADMIN_LIST = "/operator/registry/provincerule/"


@pytest.fixture
def rules(db) -> int:
    return province_rules_load()


@pytest.fixture
def today() -> date:
    return timezone.localdate()


def rules_for(code: str, scope: str, on: date | None = None):
    return province_rules_for(province_code=code, scope=scope, on=on or timezone.localdate())


def doc_names(r) -> list[str]:
    return [d["name"] for d in r.extra_documents]


@pytest.fixture
def operator_client(db) -> Client:
    user = User.objects.create_superuser("op@x.test", "pw-1234567890")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user, backend="icpfiling.accounts.backends.TenantEmailBackend")
    return client


# --------------------------------------------------------------------------- R-V4 principals


def test_r_v4_zhejiang_unit_principal_must_be_the_legal_rep(rules):
    r = rules_for("ZJ", "unit")
    assert r.principal_must_be_legal_rep is True
    assert r.principal_authorisation_letter_allowed is False
    assert r.raw[RuleKey.UNIT_PRINCIPAL_MUST_BE_LEGAL_REP]["value"] is True


def test_r_v4_beijing_allows_a_non_legal_rep_principal_with_an_authorisation_letter(rules):
    r = rules_for("BJ", "unit")
    assert r.principal_must_be_legal_rep is False
    assert r.principal_authorisation_letter_allowed is True
    assert r.raw[RuleKey.UNIT_PRINCIPAL_MUST_BE_LEGAL_REP]["letter"] == "法定代表人授权委托书"


def test_r_v4_principal_rules_do_not_apply_to_individuals(rules):
    for code in ("ZJ", "BJ", "SH"):
        r = rules_for(code, "personal")
        assert r.principal_must_be_legal_rep is False
        assert r.principal_authorisation_letter_allowed is False
        assert r.website_principal_letter_required is False


def test_r_v4_shanghai_website_principal_needs_an_authorisation_letter(rules):
    r = rules_for("SH", "unit")
    assert r.website_principal_letter_required is True
    row = ProvinceRule.objects.get(province_id="SH", key=RuleKey.WEBSITE_PRINCIPAL_LETTER)
    assert row.value == {"value": True, "letter": "网站负责人授权书"}
    assert row.source == "JD-rules"


def test_r_v4_website_letter_falls_back_to_the_national_default(rules):
    # 浙江 has no website-letter entry in the seed; the national default answers
    assert not ProvinceRule.objects.filter(province_id="ZJ", key=RuleKey.WEBSITE_PRINCIPAL_LETTER).exists()
    assert rules_for("ZJ", "unit").website_principal_letter_required is True
    # proof that it is the national row answering: change it, 浙江 follows, 上海 does not
    ProvinceRule.objects.filter(province__isnull=True, key=RuleKey.WEBSITE_PRINCIPAL_LETTER).update(
        value={"value": False}
    )
    RULES_CACHE.invalidate()  # an UPDATE sends no signal: who writes so must say so
    assert rules_for("ZJ", "unit").website_principal_letter_required is False
    assert rules_for("SH", "unit").website_principal_letter_required is True


def test_r_v4_without_any_row_the_conservative_fallback_answers(rules):
    ProvinceRule.objects.filter(
        key__in=[RuleKey.UNIT_PRINCIPAL_MUST_BE_LEGAL_REP, RuleKey.WEBSITE_PRINCIPAL_LETTER]
    ).delete()
    r = rules_for("BJ", "unit")
    assert r.principal_must_be_legal_rep is FALLBACK.PRINCIPAL_MUST_BE_LEGAL_REP is True
    assert r.principal_authorisation_letter_allowed is False
    assert r.website_principal_letter_required is True


# --------------------------------------------------------------------------- R-V5 non-local individuals


@pytest.mark.parametrize("code", ["HL", "XJ"])
def test_r_v5_nonlocal_individuals_refused(rules, code):
    r = rules_for(code, "personal")
    assert r.personal_nonlocal == "refused"
    assert r.residence_proofs == ()


@pytest.mark.parametrize(
    ("code", "proofs"),
    [
        ("SC", ("学生证", "社保证明", "在职证明", "居住证")),
        ("JS", ("江苏居住证",)),
        ("SH", ("上海居住证",)),
    ],
)
def test_r_v5_nonlocal_individuals_need_a_residence_proof(rules, code, proofs):
    r = rules_for(code, "personal")
    assert r.personal_nonlocal == "residence_proof"
    assert r.residence_proofs == proofs


def test_r_v5_guangdong_accepts_its_listed_residence_proofs(rules):
    r = rules_for("GD", "personal")
    assert r.personal_nonlocal == "residence_proof"
    assert r.residence_proofs == ("广东居住证", "房产证明", "房屋租赁合同", "工作单位证明")
    # the other sources' lists and the seed's own wording are kept
    assert "QC-GD" in r.raw[RuleKey.PERSONAL_NONLOCAL]["proofs_listed_elsewhere"]
    row = ProvinceRule.objects.get(province_id="GD", key=RuleKey.PERSONAL_NONLOCAL)
    assert row.seed_value["value"] == "residence_proof_required"
    assert row.scope == "personal"


def test_r_v5_province_without_a_nonlocal_rule_asks_for_a_residence_proof(rules):
    r = rules_for("ZJ", "personal")  # the seed is silent for 浙江
    assert r.personal_nonlocal == FALLBACK.PERSONAL_NONLOCAL == "residence_proof"
    assert r.residence_proofs == FALLBACK.RESIDENCE_PROOFS


def test_r_v5_units_never_file_outside_their_licence_province(rules):
    assert rules_for("GD", "unit").personal_nonlocal == "refused"
    assert rules_for("GD", "unit").residence_proofs == ()


def test_r_v5_phone_locality_follows_the_seed_scope(rules):
    # 上海: unit only; 湖南: personal only; 浙江: not stated (fallback False)
    assert rules_for("SH", "unit").phone_must_be_local is True
    assert rules_for("SH", "personal").phone_must_be_local is False
    assert rules_for("HN", "personal").phone_must_be_local is True
    assert rules_for("HN", "unit").phone_must_be_local is False
    assert rules_for("XJ", "personal").phone_must_be_local is True
    assert rules_for("ZJ", "unit").phone_must_be_local is FALLBACK.PHONE_MUST_BE_LOCAL is False


def test_exact_scope_beats_all(rules, today):
    ProvinceRule.objects.create(
        province_id="ZJ", key=RuleKey.PHONE_MUST_BE_LOCAL, scope="all", value={"value": True},
        effective_from=today, source="test",
    )  # fmt: skip
    ProvinceRule.objects.create(
        province_id="ZJ", key=RuleKey.PHONE_MUST_BE_LOCAL, scope="unit", value={"value": False},
        effective_from=date(2001, 1, 1), source="test",
    )  # fmt: skip
    assert rules_for("ZJ", "unit").phone_must_be_local is False  # older, but exact scope
    assert rules_for("ZJ", "personal").phone_must_be_local is True


# --------------------------------------------------------------------------- R-D1 province extras


def test_r_d1_guangdong_construction_plan_is_an_extra_document(rules):
    # the seed keeps it under construction_plan_required, not extra_documents
    unit, personal = rules_for("GD", "unit"), rules_for("GD", "personal")
    (unit_plan,) = [d for d in unit.extra_documents if d["name"] == "网站建设方案书"]
    (personal_plan,) = [d for d in personal.extra_documents if d["name"] == "网站建设方案书"]
    assert unit_plan["threshold"]["op"] == ">"
    assert unit_plan["threshold"]["n"] == 31
    assert personal_plan["threshold"]["n"] == 5
    assert unit_plan["also_requires"] == "网站备案信息真实性保证书"
    assert "网站备案信息真实性保证书" in doc_names(unit)
    assert "网站备案信息真实性保证书" not in doc_names(personal)
    # 广东's own 承诺书 replaces the national one
    assert any(n.startswith("广东省单位互联网信息服务备案承诺书") for n in doc_names(unit))
    assert "互联网信息服务备案承诺书" not in doc_names(unit)
    # elsewhere the national 承诺书 stays
    assert "互联网信息服务备案承诺书" in doc_names(rules_for("ZJ", "unit"))


@pytest.mark.parametrize("scope", ["unit", "personal"])
def test_r_d1_xinjiang_party_building_letter_is_an_extra_document(rules, scope):
    (letter,) = [d for d in rules_for("XJ", scope).extra_documents if d["name"] == "党建确认函"]
    assert letter["detail"].startswith("issued by local 网信办")
    assert letter["condition"] == "all new filings / new websites"
    assert letter["level"] == "province"


def test_r_d1_extra_documents_respect_their_own_start_date(rules):
    finance = "承诺书"  # 广东 internet-finance 承诺书, effective_from 2016-06-20 in the seed
    assert finance in doc_names(rules_for("GD", "unit", date(2016, 6, 20)))
    assert finance not in doc_names(rules_for("GD", "unit", date(2016, 6, 19)))


# --------------------------------------------------------------------------- numbers


def test_r_s6_authority_review_days_zhejiang_30_elsewhere_the_national_20(rules):
    assert rules_for("ZJ", "unit").authority_review_working_days == 30
    assert rules_for("JS", "unit").authority_review_working_days == 20
    assert rules_for("JS", "personal").authority_review_working_days == 20


def test_domain_validity_shanghai_180_elsewhere_90(rules):
    assert rules_for("SH", "unit").min_domain_validity_days == 180
    assert rules_for("SH", "personal").min_domain_validity_days == 180
    assert rules_for("ZJ", "personal").min_domain_validity_days == 90
    assert rules_for("BJ", "unit").min_domain_validity_days == 90


# --------------------------------------------------------------------------- effective dates


def test_a_newer_row_takes_over_from_its_effective_date(rules, today):
    tomorrow = today + timedelta(days=1)
    ProvinceRule.objects.create(
        province_id="ZJ",
        key=RuleKey.AUTHORITY_REVIEW_WORKING_DAYS,
        value={"value": 15},
        effective_from=tomorrow,
        source="浙江通管局通知（测试）",
    )
    assert rules_for("ZJ", "unit", today).authority_review_working_days == 30
    assert rules_for("ZJ", "unit", tomorrow).authority_review_working_days == 15


def test_an_effective_to_in_the_past_stops_a_row(rules, today):
    ProvinceRule.objects.filter(province_id="ZJ", key=RuleKey.AUTHORITY_REVIEW_WORKING_DAYS).update(
        effective_to=today
    )
    RULES_CACHE.invalidate()
    assert rules_for("ZJ", "unit", today).authority_review_working_days == 20  # national again
    assert rules_for("ZJ", "unit", today - timedelta(days=1)).authority_review_working_days == 30


def test_dates_come_from_a_full_iso_as_of_else_2000_01_01(rules):
    dated = ProvinceRule.objects.get(province_id="BJ", key=RuleKey.PHONE_MUST_BE_LOCAL)
    assert dated.as_of == "2017-06-05"
    assert dated.effective_from == date(2017, 6, 5)
    undated = ProvinceRule.objects.get(province_id="ZJ", key=RuleKey.AUTHORITY_REVIEW_WORKING_DAYS)
    assert undated.as_of == "undated"
    assert undated.effective_from == UNDATED_EFFECTIVE_FROM
    assert rules_for("BJ", "unit", date(2017, 6, 5)).phone_must_be_local is True
    assert rules_for("BJ", "unit", date(2017, 6, 4)).phone_must_be_local is False


def test_dates_must_be_ordered(rules, today):
    row = ProvinceRule(
        province_id="ZJ", key=RuleKey.PHONE_MUST_BE_LOCAL, value={"value": True},
        effective_from=today, effective_to=today, source="test",
    )  # fmt: skip
    with pytest.raises(ValidationError):
        row.full_clean()


def test_values_are_checked_against_their_key(rules, today):
    row = ProvinceRule(
        province_id="ZJ", key=RuleKey.PERSONAL_NONLOCAL, scope="personal", value={"value": "maybe"},
        effective_from=today, source="test",
    )  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        row.full_clean()
    assert "value" in exc.value.message_dict
    row.value = {"value": "residence_proof", "proofs": ["居住证"]}
    row.full_clean()


def test_national_rows_stay_unique(rules):
    row = ProvinceRule(
        province=None, key=RuleKey.MIN_DOMAIN_VALIDITY_DAYS, scope="all", value={"value": 60},
        effective_from=UNDATED_EFFECTIVE_FROM, source="test",
    )  # fmt: skip
    with pytest.raises(ValidationError):
        row.full_clean()


# --------------------------------------------------------------------------- loader


def test_load_is_idempotent(rules):
    count = ProvinceRule.objects.count()
    assert count == rules > 300
    assert province_rules_load() == rules
    assert ProvinceRule.objects.count() == count


def test_load_keeps_operator_rows_and_edits_and_drops_stale_seed_rows(rules, today):
    edited = ProvinceRule.objects.get(province_id="ZJ", key=RuleKey.AUTHORITY_REVIEW_WORKING_DAYS)
    edited.value, edited.operator_edited = {"value": 25}, True
    edited.save()
    closed = ProvinceRule.objects.get(province_id="SH", key=RuleKey.MIN_DOMAIN_VALIDITY_DAYS)
    closed.effective_to = today
    closed.save()
    own = ProvinceRule.objects.create(
        province_id="ZJ", key=RuleKey.FOOTER_SHOWS, value={"value": "website_number"},
        effective_from=today, source="test",
    )  # fmt: skip
    stale = ProvinceRule.objects.create(
        province_id="ZJ", key=RuleKey.FOOTER_SHOWS, value={"value": "entity_number"},
        effective_from=date(2001, 1, 1), source="old seed", seed_value={"value": "entity_number"},
    )  # fmt: skip
    province_rules_load()
    edited.refresh_from_db()
    closed.refresh_from_db()
    assert edited.value == {"value": 25}
    assert closed.effective_to == today
    assert ProvinceRule.objects.filter(pk=own.pk).exists()
    assert not ProvinceRule.objects.filter(pk=stale.pk).exists()


def test_national_defaults_are_rows_without_a_province(rules):
    national = {
        r.key: r for r in ProvinceRule.objects.filter(province__isnull=True, scope__in=["all", "unit"])
    }
    assert national[RuleKey.MIN_DOMAIN_VALIDITY_DAYS].value["value"] == 90
    assert national[RuleKey.AUTHORITY_REVIEW_WORKING_DAYS].value["value"] == 20
    assert national[RuleKey.UNIT_PRINCIPAL_MUST_BE_LEGAL_REP].scope == "unit"  # the seed says "enterprise"
    assert national[RuleKey.FOOTER_SHOWS].value["value"] == "website_number"
    assert rules_for("GD", "unit").raw[RuleKey.FOOTER_SHOWS]["value"] == "entity_number"


# --------------------------------------------------------------------------- query API


@pytest.mark.parametrize("scope", ["unit", "personal"])
def test_every_province_gets_an_answer(rules, scope):
    codes = list(Province.objects.values_list("code", flat=True))
    assert len(codes) == 31
    for code in codes:
        r = rules_for(code, scope)
        assert r.province_code == code
        assert r.scope == scope
        assert r.personal_nonlocal in {"allowed", "refused", "residence_proof"}
        assert r.min_domain_validity_days >= 90
        assert r.authority_review_working_days in {20, 30}
        assert all(d["name"] and scope in d["scope"] for d in r.extra_documents)


def test_one_query_per_answer(rules, django_assert_max_num_queries, django_assert_num_queries):
    with django_assert_max_num_queries(1):
        rules_for("GD", "personal")
    # asked again (most order pages ask several times): the process's copy, no query
    with django_assert_num_queries(0):
        assert rules_for("GD", "personal") is rules_for("GD", "personal")
    # a province with no rows at all is checked to exist: two queries
    ProvinceRule.objects.filter(province_id="ZJ").delete()
    with django_assert_max_num_queries(2):
        assert rules_for("ZJ", "unit").authority_review_working_days == 20


def test_bad_arguments_are_refused(rules, today):
    with pytest.raises(ValueError, match="scope"):
        province_rules_for(province_code="ZJ", scope="all", on=today)
    with pytest.raises(ValueError, match="province_code"):
        province_rules_for(province_code="", scope="unit", on=today)
    with pytest.raises(Province.DoesNotExist):
        province_rules_for(province_code="XX", scope="unit", on=today)
    with pytest.raises(TypeError):
        province_rules_for(province_code="ZJ", scope="unit", on=timezone.now())


# --------------------------------------------------------------------------- operator admin


def test_operator_admin_lists_and_filters_rules(rules, operator_client):
    r = operator_client.get(ADMIN_LIST)
    assert r.status_code == 200
    assert "浙江" in r.content.decode()
    r = operator_client.get(
        ADMIN_LIST, {"province__code__exact": "ZJ", "key": "authority_review_working_days"}
    )
    assert r.status_code == 200
    assert r.context["cl"].result_count == 1


def test_operator_adds_a_dated_row_through_the_admin(rules, operator_client, today):
    tomorrow = today + timedelta(days=1)
    old = ProvinceRule.objects.get(province_id="ZJ", key=RuleKey.AUTHORITY_REVIEW_WORKING_DAYS)
    form = {
        "province": "ZJ",
        "key": RuleKey.AUTHORITY_REVIEW_WORKING_DAYS,
        "scope": "all",
        "value": json.dumps({"value": 25}),
        "effective_from": tomorrow.isoformat(),
        "effective_to": "",
        "source": "浙江通管局通知（测试）",
        "as_of": tomorrow.isoformat(),
        "note": "",
    }
    r = operator_client.post(ADMIN_LIST + "add/", form)
    assert r.status_code == 302, r.content.decode()[:2000]
    new = ProvinceRule.objects.get(
        province_id="ZJ", key=RuleKey.AUTHORITY_REVIEW_WORKING_DAYS, effective_from=tomorrow
    )
    assert new.seed_value is None
    assert new.operator_edited is False
    old.refresh_from_db()
    assert old.value == {"value": 30}  # history untouched
    assert rules_for("ZJ", "unit", today).authority_review_working_days == 30
    assert rules_for("ZJ", "unit", tomorrow).authority_review_working_days == 25
    # the same date again is refused, and a malformed value is named on its field
    r = operator_client.post(ADMIN_LIST + "add/", form)
    assert r.status_code == 200
    assert r.context["adminform"].form.errors
    r = operator_client.post(
        ADMIN_LIST + "add/", {**form, "value": '{"value": "thirty"}', "effective_from": "2030-01-01"}
    )
    assert r.status_code == 200
    assert "value" in r.context["adminform"].form.errors


def test_operator_edit_of_a_seed_row_is_kept_by_the_loader(rules, operator_client):
    row = ProvinceRule.objects.get(province_id="SH", key=RuleKey.MIN_DOMAIN_VALIDITY_DAYS)
    r = operator_client.get(f"{ADMIN_LIST}{row.pk}/change/")
    assert r.status_code == 200
    assert "QC-domain" in r.content.decode()
    form = {
        "province": "SH", "key": row.key, "scope": row.scope, "value": '{"value": 120}',
        "effective_from": row.effective_from.isoformat(), "effective_to": "",
        "source": row.source, "as_of": row.as_of, "note": row.note,
    }  # fmt: skip
    r = operator_client.post(f"{ADMIN_LIST}{row.pk}/change/", form)
    assert r.status_code == 302
    row.refresh_from_db()
    assert row.operator_edited is True
    province_rules_load()
    row.refresh_from_db()
    assert row.value == {"value": 120}


def test_operator_records_a_change_with_save_as_new(rules, operator_client, today):
    """The help text's way: open the current row, change value and date, "保存为新的"."""
    row = ProvinceRule.objects.get(province_id="GD", key=RuleKey.FOOTER_SHOWS)
    next_month = today + timedelta(days=30)
    form = {
        "province": "GD", "key": row.key, "scope": row.scope, "value": '{"value": "website_number"}',
        "effective_from": next_month.isoformat(), "effective_to": "",
        "source": "粤通管局通知（测试）", "as_of": next_month.isoformat(), "note": "", "_saveasnew": "1",
    }  # fmt: skip
    r = operator_client.post(f"{ADMIN_LIST}{row.pk}/change/", form)
    assert r.status_code == 302
    assert ProvinceRule.objects.filter(province_id="GD", key=RuleKey.FOOTER_SHOWS).count() == 2
    row.refresh_from_db()
    assert row.value == {"value": "entity_number"}
    assert row.operator_edited is False
    new = ProvinceRule.objects.get(province_id="GD", key=RuleKey.FOOTER_SHOWS, effective_from=next_month)
    assert new.seed_value is None
    assert rules_for("GD", "unit", today).raw[RuleKey.FOOTER_SHOWS]["value"] == "entity_number"
    assert rules_for("GD", "unit", next_month).raw[RuleKey.FOOTER_SHOWS]["value"] == "website_number"
