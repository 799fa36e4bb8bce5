"""Loads the reference tables from the project's seed data (idempotent)."""

from __future__ import annotations

from django.db import transaction

from icpfiling.core.refcache import ReferenceCache
from icpfiling.registry.models import CertificateType, EntityNature, PersonalIdType, Province
from icpfiling.registry.province_rules import province_rules_load
from icpfiling.registry.seed_files import province_rules_data, reference_data

# The ID types (a fixed list of a dozen rows) that order pages name; every write forgets them.
ID_TYPES_CACHE = ReferenceCache("personal_id_types")


def personal_id_type_names() -> dict[str, str]:
    """Code -> the type's name in the active language (shared rows, named per request)."""
    types = ID_TYPES_CACHE.get("all", lambda: tuple(PersonalIdType.objects.all()))
    return {t.code: str(t) for t in types}


@transaction.atomic
def reference_data_load() -> dict[str, int]:
    """Create or update provinces, natures, certificate and ID types. Returns counts."""
    provinces = province_rules_data()["provinces"]
    for p in provinces:
        Province.objects.update_or_create(
            code=p["id"],
            defaults={
                "name": p["name"],
                "full_name": p["full_name"],
                "admin_code": p["admin_code"],
                "short_name": p["short_name_official"],
                "icp_prefix": p["icp_prefix"],
            },
        )
    ref = reference_data()
    for n in ref["entity_natures"]:
        EntityNature.objects.update_or_create(
            code=n["code"], defaults={"name": n["name"], "is_individual": bool(n.get("individual"))}
        )
    for c in ref["certificate_types"]:
        ct, _ = CertificateType.objects.update_or_create(code=c["code"], defaults={"name": c["name"]})
        ct.natures.set(c["natures"])
    for t in ref["personal_id_types"]:
        PersonalIdType.objects.update_or_create(
            code=t["code"], defaults={"name": t["name"], "for_citizens": t["citizens"]}
        )
    rule_rows = province_rules_load()
    return {
        "province_rules": rule_rows,
        "provinces": len(provinces),
        "natures": len(ref["entity_natures"]),
        "certificate_types": len(ref["certificate_types"]),
        "personal_id_types": len(ref["personal_id_types"]),
    }
