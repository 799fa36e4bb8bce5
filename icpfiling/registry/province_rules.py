"""Province rules as data: the seed loader and the query API (R-V4, R-V5, R-D1).

``province_rules_load()`` turns the project's copy of the sourced seed file
(``seed_data/province-rules.yaml``: ``rules:`` and ``national_defaults:``) into
``ProvinceRule`` rows. ``province_rules_for(province_code=, scope=, on=)``
answers "which rules apply to a unit / personal filing in this province on this
date" as a typed, frozen ``EffectiveProvinceRules``.

Resolution, per key: among the rows whose ``[effective_from, effective_to)``
contains ``on`` and whose scope is the asked scope or ``all``, a province row
beats a national row (``province`` NULL), an exact scope beats ``all``, and then
the latest ``effective_from`` wins. With no row at all the documented
conservative fallback (``FALLBACK``) answers. Two keys are lists that add up
instead of replacing each other: ``extra_documents`` and ``other_rules`` merge
the national rows and the province rows (see ``_merged``).

The JSON shape of ``ProvinceRule.value`` per key. Every value is an object whose
``value`` member is the rule value; other members are optional details copied
from the seed (``rule_models.rule_value_errors`` checks the shape on save):

- ``unit_principal_must_be_legal_rep`` (scope unit): ``{"value": true | false |
  "authorisation_letter_allowed", "letter"?: str, "with_docs"?: [str],
  "condition"?: str}``. true = the entity principal must be the legal
  representative; "authorisation_letter_allowed" = another person may be the
  principal with the named letter; false = free.
- ``website_principal_auth_letter_required_when_not_legal_rep`` (scope unit):
  ``{"value": bool, "letter"?: str}``.
- ``personal_nonlocal`` (scope personal): ``{"value": "allowed" | "refused" |
  "residence_proof", "proofs": [str], "proofs_listed_elsewhere"?: {source: [str]},
  "extra_condition"?: str, "applies_to"?: str}``. The seed says
  "residence_proof_required"; proof names lose their trailing "(…)" remark
  (the seed's own text stays in ``seed_value``).
- ``phone_must_be_local``: ``{"value": bool, "applies_to"?: str, "unit_exception"?: str}``.
- ``min_domain_validity_days``, ``authority_review_working_days``: ``{"value": int}``
  (the national row of the latter also has ``"basis"``).
- ``footer_shows``: ``{"value": "website_number" | "entity_number", "link_to"?: str}``.
- ``extra_documents``: ``{"value": [{"name": str, "detail"?: str, "scope": ["unit",
  "personal"], "condition"?: str, "note"?: str, "source": str, "as_of": str,
  "effective_from"?: "YYYY-MM-DD"}]}``; an item's ``effective_from`` is its explicit
  start or its full ISO ``as_of`` (as for rows), and an item that starts after the
  asked date is left out (the same holds for ``other_rules`` items).
- ``construction_plan_required`` (one row per scope): ``{"value": {"op": ">" | ">=",
  "n": int, "counting": str, "per"?: str} | null, "document": "网站建设方案书",
  "also_requires"?: str, "plan_contents"?: [str], "submission"?: str}``; null = not
  required. It also shows up in ``EffectiveProvinceRules.extra_documents``.
- ``domain_certificate_required``: ``{"value": "never" | "always" |
  "always_for_new_domains_in_order" | "when_holder_differs_from_entity_name" |
  "when_count_exceeds" | "when_count_at_least", "threshold"?: {"op", "n", "counting"},
  "counting"?: str, "submission"?: str}``.
- ``age_rules`` (one row per scope; the seed's ``unit_principals`` part is the unit
  row): ``{"value": {"min_age": int, "below_min": "refused" | "employment_proof" |
  "employment_or_income_proof", "exempt"?: str}}``.
- ``verification_sheet``: ``{"value": {"variant": str, …the seed's details},
  "registrar_after_each_domain"?: bool, "variants_offered"?: [str]}``.
- ``app_verification_available``: ``{"value": bool, "observations": [...]}``.
- ``change_rules``, ``access_rules``: ``{"value": {...}}`` as in the seed.
- ``other_rules``: ``{"value": {rule_key: {"value": ..., "source": str, "as_of": str,
  "effective_from"?: "YYYY-MM-DD", "note"?: str, "conflict"?: str}}}``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from icpfiling.core.refcache import ReferenceCache
from icpfiling.registry.models import Province
from icpfiling.registry.models.rules import ProvinceRule, RuleKey, RuleScope, rule_value_errors
from icpfiling.registry.seed_files import province_rules_data

UNIT = RuleScope.UNIT.value
PERSONAL = RuleScope.PERSONAL.value
ALL = RuleScope.ALL.value
BOTH = [UNIT, PERSONAL]

# Most seed facts carry no usable date ("undated", "c.2023 (inferred)",
# ">=2019-01 (inferred from text)"). A rule must start somewhere for the
# date-range query, and inventing a start from a guess would make the rule
# silently not apply to earlier orders. So an undated fact is treated as in
# force since 2000-01-01, before the filing regime itself (国务院292号令,
# 2000-09), i.e. "for as long as we know", and the seed's own text is kept in
# ``as_of`` so nobody mistakes 2000-01-01 for a real date. A full ISO date in
# ``as_of`` (e.g. TX-省2017's '2017-06-05') or an explicit ``effective_from`` in
# the seed is used as it is.
UNDATED_EFFECTIVE_FROM = date(2000, 1, 1)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# "上海居住证 (valid)" -> ("上海居住证", "valid")
_TRAILING_REMARK = re.compile(r"^(?P<name>.*?\S)\s*\((?P<detail>[^()]*)\)\s*$")

# Keys that only make sense for one scope, whatever the seed's entry says.
KEY_SCOPE = {
    RuleKey.UNIT_PRINCIPAL_MUST_BE_LEGAL_REP: UNIT,
    RuleKey.WEBSITE_PRINCIPAL_LETTER: UNIT,
    RuleKey.PERSONAL_NONLOCAL: PERSONAL,
}
# List-valued keys whose national and province rows add up (see _merged).
MERGED_KEYS = (RuleKey.EXTRA_DOCUMENTS, RuleKey.OTHER_RULES)
# Seed attributes that describe where a fact comes from, not the rule itself.
_PROVENANCE = {"value", "source", "as_of", "corroborated_by", "conflict", "scope", "note", "exceptions"}
_PERSONAL_NONLOCAL = {
    "allowed": "allowed",
    "refused": "refused",
    "residence_proof": "residence_proof",
    "residence_proof_required": "residence_proof",
}
CONSTRUCTION_PLAN_DOCUMENT = "网站建设方案书"
# Built answers by (province, scope, date); every ProvinceRule write forgets them (registry.apps).
RULES_CACHE = ReferenceCache("province_rules")


class FALLBACK:
    """Answers when neither the province nor the national defaults have a row.

    Each errs towards what a 管局 would accept, without refusing an applicant
    on a rule no source states:
    """

    # QC-general: an enterprise principal should be the legal representative.
    PRINCIPAL_MUST_BE_LEGAL_REP = True
    PRINCIPAL_AUTHORISATION_LETTER_ALLOWED = False
    # QC-general: a website principal who is not the legal rep needs a letter.
    WEBSITE_PRINCIPAL_LETTER_REQUIRED = True
    # R-V5 allows non-local individuals only with a residence proof; asking for
    # the commonest proofs neither refuses them nor lets them through unproven.
    PERSONAL_NONLOCAL = "residence_proof"
    RESIDENCE_PROOFS = ("居住证", "暂住证")
    # The sources list the provinces that require a local number (TX-省2017,
    # domain reference §4.4); silence means no such requirement was found.
    PHONE_MUST_BE_LOCAL = False
    MIN_DOMAIN_VALIDITY_DAYS = 90  # > 3 months (QC-general, INSPUR)
    AUTHORITY_REVIEW_WORKING_DAYS = 20  # 工信部33号令


# --------------------------------------------------------------------------- query


@dataclass(frozen=True)
class EffectiveProvinceRules:
    """The rules in force for one province, one scope, on one date."""

    province_code: str
    scope: str  # "unit" | "personal"
    on: date
    # unit scope: the entity principal must be the legal representative (False for
    # personal scope: an individual's principal is the individual, R-V4)
    principal_must_be_legal_rep: bool
    # a non-legal-rep principal is allowed with a 法定代表人授权书 (unit scope)
    principal_authorisation_letter_allowed: bool
    # a website principal who is not the legal rep needs an authorisation letter
    # (unit scope; False for personal scope, where both principals are one person)
    website_principal_letter_required: bool
    # "allowed" | "refused" | "residence_proof" for an individual whose ID is from
    # another province; "refused" for unit scope (units file where licensed, R-V5)
    personal_nonlocal: str
    residence_proofs: tuple[str, ...]  # accepted proofs where residence_proof
    phone_must_be_local: bool
    min_domain_validity_days: int
    authority_review_working_days: int
    # province extras for this scope (Guangdong 网站建设方案书, Xinjiang 党建确认函 …),
    # then national extras not replaced by a province version; each {"name",
    # "scope", "condition"?, "threshold"?, "detail"?, "source", "as_of",
    # "rule_key", "level": "province" | "national"}
    extra_documents: tuple[dict, ...]
    raw: dict[str, object]  # every effective row's value by key (merged for list keys)


def province_rules_for(*, province_code: str, scope: str, on: date) -> EffectiveProvinceRules:
    """The rules for ``province_code`` ("ZJ") and ``scope`` ("unit"/"personal") on ``on``.

    At most two queries: the effective rows (province and national at once),
    and, only when the province has none, a check that the province exists.
    Raises ``ValueError`` for another scope or an empty code and
    ``Province.DoesNotExist`` for an unknown code.
    """
    if not province_code:
        raise ValueError("province_code is required (a province code such as 'ZJ')")
    if scope not in (UNIT, PERSONAL):
        raise ValueError(f"scope must be 'unit' or 'personal', not {scope!r}")
    if isinstance(on, datetime) or not isinstance(on, date):
        raise TypeError(f"on must be a date, not {type(on).__name__}")
    # Most order pages ask for the same few answers several times per request; the answer is
    # shared by every caller in the process, read-only (icpfiling/core/refcache.py).
    return RULES_CACHE.get((province_code, scope, on), lambda: _build(province_code, scope, on))


def _build(province_code: str, scope: str, on: date) -> EffectiveProvinceRules:
    rows = list(
        ProvinceRule.objects.filter(
            Q(province_id=province_code) | Q(province__isnull=True),
            scope__in=(scope, ALL),
            effective_from__lte=on,
        )
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on))
        .only("province_id", "key", "scope", "effective_from", "value", "source", "as_of")
    )
    if (
        not any(r.province_id == province_code for r in rows)
        and not Province.objects.filter(code=province_code).exists()
    ):
        raise Province.DoesNotExist(f"no province with code {province_code!r}")

    raw, winners = _resolve(rows, scope=scope, on=on)
    unit = scope == UNIT

    def val(key: str, default: Any) -> Any:
        entry = raw.get(key)
        return entry["value"] if isinstance(entry, dict) and "value" in entry else default

    principal = val(RuleKey.UNIT_PRINCIPAL_MUST_BE_LEGAL_REP, None)
    if principal is None:
        must, letter_ok = (
            FALLBACK.PRINCIPAL_MUST_BE_LEGAL_REP,
            FALLBACK.PRINCIPAL_AUTHORISATION_LETTER_ALLOWED,
        )
    else:
        must, letter_ok = principal is True, principal == "authorisation_letter_allowed"

    if unit:
        nonlocal_policy, proofs = "refused", ()
    else:
        nonlocal_policy = val(RuleKey.PERSONAL_NONLOCAL, None)
        if nonlocal_policy is None:
            nonlocal_policy, proofs = FALLBACK.PERSONAL_NONLOCAL, FALLBACK.RESIDENCE_PROOFS
        else:
            listed = raw[RuleKey.PERSONAL_NONLOCAL].get("proofs") or []
            proofs = tuple(listed) if nonlocal_policy == "residence_proof" else ()
            if nonlocal_policy == "residence_proof" and not proofs:
                proofs = FALLBACK.RESIDENCE_PROOFS

    return EffectiveProvinceRules(
        province_code=province_code,
        scope=scope,
        on=on,
        principal_must_be_legal_rep=unit and must,
        principal_authorisation_letter_allowed=unit and letter_ok,
        website_principal_letter_required=unit
        and bool(val(RuleKey.WEBSITE_PRINCIPAL_LETTER, FALLBACK.WEBSITE_PRINCIPAL_LETTER_REQUIRED)),
        personal_nonlocal=nonlocal_policy,
        residence_proofs=proofs,
        phone_must_be_local=bool(val(RuleKey.PHONE_MUST_BE_LOCAL, FALLBACK.PHONE_MUST_BE_LOCAL)),
        min_domain_validity_days=int(
            val(RuleKey.MIN_DOMAIN_VALIDITY_DAYS, FALLBACK.MIN_DOMAIN_VALIDITY_DAYS)
        ),
        authority_review_working_days=int(
            val(RuleKey.AUTHORITY_REVIEW_WORKING_DAYS, FALLBACK.AUTHORITY_REVIEW_WORKING_DAYS)
        ),
        extra_documents=tuple(_extra_documents(raw, winners, scope=scope)),
        raw=raw,
    )


def _resolve(
    rows: list[ProvinceRule], *, scope: str, on: date
) -> tuple[dict[str, Any], dict[str, ProvinceRule]]:
    """The winning row's value per key (merged across rows for MERGED_KEYS), and the winners."""

    def rank(r: ProvinceRule) -> tuple[bool, bool, date]:
        return (r.province_id is not None, r.scope == scope, r.effective_from)

    winners: dict[str, ProvinceRule] = {}
    # for merged keys: the latest row per (is province, is exact scope)
    buckets: dict[str, dict[tuple[bool, bool], ProvinceRule]] = {}
    for r in rows:
        if r.key in MERGED_KEYS:
            slot = rank(r)[:2]
            held = buckets.setdefault(r.key, {}).get(slot)
            if held is None or r.effective_from > held.effective_from:
                buckets[r.key][slot] = r
        elif r.key not in winners or rank(r) > rank(winners[r.key]):
            winners[r.key] = r
    raw: dict[str, Any] = {k: copy.deepcopy(r.value) for k, r in winners.items()}
    for key, slots in buckets.items():
        national = [slots[s] for s in ((False, False), (False, True)) if s in slots]
        province = [slots[s] for s in ((True, False), (True, True)) if s in slots]
        raw.update(_merged(key, national, province, scope=scope, on=on))
    return raw, winners


def _applies(item: dict, *, scope: str, on: date) -> bool:
    scopes = item.get("scope", BOTH)
    scopes = [scopes] if isinstance(scopes, str) else scopes
    starts = item.get("effective_from")
    return (scope in scopes or ALL in scopes) and (not starts or str(starts) <= on.isoformat())


def _merged(key: str, national: list, province: list, *, scope: str, on: date) -> dict[str, Any]:
    """``extra_documents`` and ``other_rules`` add up across national and province rows.

    Documents: the province's, then the national ones, except a national
    document that a province document names as its own version (Guangdong's
    "广东省单位互联网信息服务备案承诺书" replaces the national
    "互联网信息服务备案承诺书"). Other rules: a dict by rule key; province
    entries override national ones, exact-scope rows override ``all`` rows.
    Items whose own ``effective_from`` is after ``on`` are left out.
    """
    if key == RuleKey.EXTRA_DOCUMENTS:

        def docs(rows: list, level: str) -> list[dict]:
            return [
                {**copy.deepcopy(d), "rule_key": key, "level": level}
                for r in rows
                for d in (r.value.get("value") or [])
                if isinstance(d, dict) and _applies(d, scope=scope, on=on)
            ]

        own = docs(province, "province")
        inherited = [d for d in docs(national, "national") if not any(d["name"] in o["name"] for o in own)]
        return {key: {"value": own + inherited}}
    merged: dict[str, Any] = {}
    for r in national + province:
        for name, item in (r.value.get("value") or {}).items():
            if not isinstance(item, dict) or _applies(item, scope=scope, on=on):
                merged[name] = copy.deepcopy(item)
    return {key: {"value": merged}}


def _extra_documents(raw: dict[str, Any], winners: dict[str, ProvinceRule], *, scope: str) -> list[dict]:
    """Province extras, the 网站建设方案书 from construction_plan_required, then national extras."""
    docs = list(raw.get(RuleKey.EXTRA_DOCUMENTS, {}).get("value", []))
    plan = raw.get(RuleKey.CONSTRUCTION_PLAN_REQUIRED)
    threshold = plan.get("value") if isinstance(plan, dict) else None
    if isinstance(threshold, dict):
        counting = threshold.get("counting", "")
        doc = {
            "name": plan.get("document", CONSTRUCTION_PLAN_DOCUMENT),
            "scope": [scope],
            "condition": f"{counting} {threshold['op']} {threshold['n']}".strip(),
            "threshold": copy.deepcopy(threshold),
        }
        row = winners[RuleKey.CONSTRUCTION_PLAN_REQUIRED]
        doc |= {
            "source": row.source,
            "as_of": row.as_of,
            "rule_key": RuleKey.CONSTRUCTION_PLAN_REQUIRED.value,
            "level": "national" if row.province_id is None else "province",
        }
        if plan.get("also_requires"):
            doc["also_requires"] = plan["also_requires"]
        own = [d for d in docs if d.get("level") == "province"]
        docs = [*own, doc, *(d for d in docs if d.get("level") != "province")]
    return docs


# --------------------------------------------------------------------------- loader


@dataclass
class _Row:
    province_id: str | None
    key: str
    scope: str
    effective_from: date
    value: dict[str, Any]
    source: str
    as_of: str
    note: str
    seed_value: Any

    @property
    def identity(self) -> tuple:
        return (self.province_id, self.key, self.scope, self.effective_from)


def _seed_date(text: object) -> date | None:
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    if isinstance(text, str) and _ISO_DATE.match(text.strip()):
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            return None
    return None


def _starts(entry: dict) -> date:
    """An explicit effective_from, else a full ISO as_of, else UNDATED_EFFECTIVE_FROM."""
    return _seed_date(entry.get("effective_from")) or _seed_date(entry.get("as_of")) or UNDATED_EFFECTIVE_FROM


def _scope(raw: object, *, key: str | None = None) -> str:
    """The seed's scope (missing, a string or a list of unit/personal) as unit, personal or all."""
    if raw is None:
        found = ALL
    else:
        names = {raw} if isinstance(raw, str) else set(raw)
        names = {UNIT if n == "enterprise" else n for n in names}  # national_defaults says "enterprise"
        if not names or not names <= {UNIT, PERSONAL, ALL}:
            raise ValueError(f"unknown scope {raw!r} in the province seed")
        found = ALL if ALL in names or names == {UNIT, PERSONAL} else names.pop()
    forced = KEY_SCOPE.get(key)
    if forced is None:
        return found
    if found not in (ALL, forced):
        raise ValueError(f"{key} is a {forced} rule, but the seed gives scope {raw!r}")
    return forced


def _split_remark(text: str) -> tuple[str, str | None]:
    m = _TRAILING_REMARK.match(text)
    return (m["name"], m["detail"]) if m else (text, None)


def _flat(v: Any) -> Any:
    """A nested seed fact ({value, source, as_of}) becomes its plain value."""
    if isinstance(v, dict) and "value" in v and "source" in v:
        return copy.deepcopy(v["value"])
    return copy.deepcopy(v)


def _details(entry: dict, *skip: str) -> dict[str, Any]:
    return {k: _flat(v) for k, v in entry.items() if k not in _PROVENANCE and k not in skip}


def _note(entry: dict) -> str:
    parts = [str(entry["note"])] if entry.get("note") else []
    if entry.get("conflict"):
        parts.append(f"seed conflict {entry['conflict']} (province-rules.yaml conflicts:)")
    return "; ".join(parts)


def _values(key: str, entry: dict) -> list[tuple[str, dict[str, Any]]]:
    """(scope, value JSON) rows for one seed entry of a non-list key."""
    v = entry["value"]
    match key:
        case RuleKey.PERSONAL_NONLOCAL:
            if v not in _PERSONAL_NONLOCAL:
                raise ValueError(f"unknown personal_nonlocal value {v!r} in the province seed")
            proofs = [_split_remark(str(p))[0] for p in entry.get("proofs", [])]
            value = {"value": _PERSONAL_NONLOCAL[v], "proofs": proofs, **_details(entry, "proofs")}
            return [(_scope(entry.get("scope"), key=key), value)]
        case RuleKey.DOMAIN_CERTIFICATE_REQUIRED:
            value = {"value": v}
            skip = ()
            if "op" in entry:
                value["threshold"] = {
                    "op": entry["op"],
                    "n": entry["n"],
                    "counting": entry.get("counting", ""),
                }
                skip = ("op", "n", "counting")
            return [(_scope(entry.get("scope"), key=key), {**value, **_details(entry, *skip)})]
        case RuleKey.AGE_RULES:
            parts = ((UNIT, "unit_principals"), (PERSONAL, "personal"))
            return [
                (s, {"value": copy.deepcopy(v[part]), **_details(entry)}) for s, part in parts if part in v
            ]
        case RuleKey.CONSTRUCTION_PLAN_REQUIRED:
            rows = []
            for s in (UNIT, PERSONAL):
                if s not in v:
                    continue
                details = _details(entry, "unit_also_requires")
                if s == UNIT and entry.get("unit_also_requires"):
                    details["also_requires"] = entry["unit_also_requires"]
                rows.append(
                    (s, {"value": copy.deepcopy(v[s]), "document": CONSTRUCTION_PLAN_DOCUMENT, **details})
                )
            return rows
        case _:
            return [(_scope(entry.get("scope"), key=key), {"value": copy.deepcopy(v), **_details(entry)})]


def _list_rows(province_id: str | None, key: str, items: list[dict]) -> list[_Row]:
    """extra_documents / other_rules: one row per scope group, each item keeps its provenance."""
    groups: dict[str, list[dict]] = {}
    for item in items:
        groups.setdefault(_scope(item.get("scope")), []).append(item)
    rows = []
    for scope, group in groups.items():
        if key == RuleKey.EXTRA_DOCUMENTS:
            value: Any = [_document(item, scope) for item in group]
        else:
            value = {item["key"]: _other_rule(item) for item in group}
        sources = list(dict.fromkeys(str(i.get("source", "")) for i in group if i.get("source")))
        as_ofs = list(dict.fromkeys(str(i.get("as_of", "")) for i in group if i.get("as_of")))
        rows.append(
            _Row(
                province_id=province_id,
                key=key,
                scope=scope,
                # the earliest item's start; each item keeps its own (see _applies)
                effective_from=min(_starts(i) for i in group),
                value={"value": value},
                source=", ".join(sources)[:120],
                as_of="; ".join(as_ofs)[:200],
                note="",
                seed_value=copy.deepcopy(group),
            )
        )
    return rows


def _provenance(item: dict) -> dict[str, Any]:
    """An item's source, as_of and, when known, its own start (as for a row: see _starts)."""
    out = {"source": item.get("source", ""), "as_of": str(item.get("as_of", ""))}
    starts = _seed_date(item.get("effective_from")) or _seed_date(item.get("as_of"))
    if starts:
        out["effective_from"] = starts.isoformat()
    return out


def _document(item: dict, scope: str) -> dict[str, Any]:
    name, detail = _split_remark(str(item["name"]))
    doc: dict[str, Any] = {"name": name}
    if detail:
        doc["detail"] = detail
    doc["scope"] = BOTH if scope == ALL else [scope]
    for k in ("condition", "note"):
        if item.get(k):
            doc[k] = item[k]
    return {**doc, **_provenance(item)}


def _other_rule(item: dict) -> dict[str, Any]:
    rule = {"value": copy.deepcopy(item["value"]), **_details(item, "key", "effective_from")}
    for k in ("note", "conflict"):
        if item.get(k):
            rule[k] = item[k]
    return {**rule, **_provenance(item)}


def _entry_rows(province_id: str | None, fields: dict[str, Any]) -> Iterable[_Row]:
    for key, entry in fields.items():
        if key not in RuleKey.values:
            continue
        if key in MERGED_KEYS:
            yield from _list_rows(province_id, key, entry)
            continue
        for scope, value in _values(key, entry):
            yield _Row(
                province_id=province_id,
                key=key,
                scope=scope,
                effective_from=_starts(entry),
                value=value,
                source=str(entry.get("source", ""))[:120],
                as_of=str(entry.get("as_of", ""))[:200],
                note=_note(entry),
                seed_value=copy.deepcopy(entry),
            )


def seed_rows(data: dict[str, Any]) -> list[_Row]:
    """Every row the seed file describes (national defaults first)."""
    codes_by_name = {p["name"]: p["id"] for p in data["provinces"]}
    national = data.get("national_defaults") or {}
    rows = list(_entry_rows(None, national))
    province_keys = set()
    for rule in data["rules"]:
        for row in _entry_rows(rule["id"], rule["fields"]):
            rows.append(row)
            province_keys.add((row.province_id, row.key))
    # national_defaults.<key>.exceptions name provinces by their short name; a
    # province entry for the same key (with its own provenance) wins.
    for key, entry in national.items():
        for name, value in (entry.get("exceptions") or {}).items() if isinstance(entry, dict) else ():
            code = codes_by_name[name]
            if key in RuleKey.values and (code, key) not in province_keys:
                rows.append(
                    _Row(
                        province_id=code,
                        key=key,
                        scope=_scope(None, key=key),
                        effective_from=_starts(entry),
                        value={"value": copy.deepcopy(value)},
                        source=str(entry.get("source", ""))[:120],
                        as_of=str(entry.get("as_of", ""))[:200],
                        note="national_defaults exception",
                        seed_value={"exception_of": key, "province": name, "value": copy.deepcopy(value)},
                    )
                )
    seen: set[tuple] = set()
    for row in rows:
        errors = rule_value_errors(row.key, row.value)
        if errors:
            raise ValueError(f"seed row {row.identity} normalises badly: {errors}")
        if row.identity in seen:
            raise ValueError(f"seed row {row.identity} appears twice")
        seen.add(row.identity)
    return rows


@transaction.atomic
def province_rules_load() -> int:
    """Create or update the seed's rule rows; returns how many rows the seed describes.

    Idempotent (update-or-create keyed on province, key, scope and
    effective_from, done in bulk). Rows an operator added, and seed rows an
    operator has edited since, are left alone; an operator's ``effective_to``
    on a seed row is kept. Seed rows that the seed no longer describes (and
    nobody edited) are deleted: they mirrored the seed, they are not history.
    Provinces must be loaded first (``reference_data_load``).
    """
    rows = seed_rows(province_rules_data())
    needed = {r.province_id for r in rows} - {None}
    missing = needed - set(Province.objects.filter(code__in=needed).values_list("code", flat=True))
    if missing:
        raise RuntimeError(f"provinces {sorted(missing)} are not loaded; run reference_data_load first")

    existing = {(r.province_id, r.key, r.scope, r.effective_from): r for r in ProvinceRule.objects.all()}
    fields = ("value", "source", "as_of", "note", "seed_value")
    to_create, to_update = [], []
    for row in rows:
        current = existing.pop(row.identity, None)
        if current is None:
            to_create.append(
                ProvinceRule(
                    province_id=row.province_id,
                    key=row.key,
                    scope=row.scope,
                    effective_from=row.effective_from,
                    **{f: getattr(row, f) for f in fields},
                )
            )
        elif (
            current.seed_value is not None
            and not current.operator_edited
            and any(getattr(current, f) != getattr(row, f) for f in fields)
        ):
            for f in fields:
                setattr(current, f, getattr(row, f))
            to_update.append(current)
    ProvinceRule.objects.bulk_create(to_create)
    ProvinceRule.objects.bulk_update(to_update, fields)
    stale = [r.pk for r in existing.values() if r.seed_value is not None and not r.operator_edited]
    ProvinceRule.objects.filter(pk__in=stale).delete()
    RULES_CACHE.invalidate()  # bulk writes send no signals
    return len(rows)
