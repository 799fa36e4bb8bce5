"""Bringing stored rows in line with the current keys (R-X1).

One function serves the data migrations (plain text written before encryption, empty blind
indexes) and ``manage.py rotate_field_keys`` (tokens under an older key, blind indexes under an
older index key). It reads the raw column to decide, rewrites only rows that need it, in
batches by primary key, and is idempotent: a second run rewrites nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import models
from django.db.models.functions import Cast

from icpfiling.privacy import keys
from icpfiling.privacy.fields import BlindIndexField, EncryptedCharField, EncryptedJSONField


@dataclass
class RowCounts:
    rows: int = 0  # rows read
    rewritten: int = 0  # rows written back
    values: int = 0  # encrypted values (re)encrypted under the first key
    indexes: int = 0  # blind indexes (re)computed


def protected_fields(model) -> tuple[list[models.Field], list[BlindIndexField]]:
    encrypted = [
        f for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField | EncryptedJSONField)
    ]
    indexes = [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
    return encrypted, indexes


def _raw_text(field: models.Field, raw) -> str:
    if raw is None:
        return ""
    if isinstance(field, EncryptedJSONField):
        # The column holds a JSON document: a token is a JSON string, anything else is clear.
        try:
            raw = json.loads(raw)
        except ValueError:
            return raw
        return raw if isinstance(raw, str) else json.dumps(raw)
    return raw


def _stale(field: models.Field, raw) -> bool:
    text = _raw_text(field, raw)
    if isinstance(field, EncryptedJSONField):
        return not (keys.is_token(text) and keys.under_current_key(text))
    if keys.is_token(text):
        return not keys.under_current_key(text)
    return not field.stays_clear(text)


def reencrypt_model(model, *, manager=None, batch_size: int = 500) -> RowCounts:
    """Encrypts plain values, re-encrypts old tokens and refreshes blind indexes of ``model``."""
    encrypted, indexes = protected_fields(model)
    counts = RowCounts()
    if not encrypted and not indexes:
        return counts
    queryset = (manager if manager is not None else model._default_manager).all()
    raw_names = {f.name: f"_raw_{f.name}" for f in encrypted}
    last_pk = None
    while True:
        page = queryset.order_by("pk")
        if last_pk is not None:
            page = page.filter(pk__gt=last_pk)
        rows = list(
            page.annotate(**{raw: Cast(name, models.TextField()) for name, raw in raw_names.items()})[
                :batch_size
            ]
        )
        if not rows:
            return counts
        last_pk = rows[-1].pk
        counts.rows += len(rows)
        changed = []
        for row in rows:
            dirty = False
            for field in encrypted:
                if _stale(field, getattr(row, raw_names[field.name])):
                    counts.values += 1
                    dirty = True
            for field in indexes:
                source = field.source or field.attname
                wanted = field.hash(getattr(row, source))
                if wanted != getattr(row, field.attname):
                    setattr(row, field.attname, wanted)
                    counts.indexes += 1
                    dirty = True
            if dirty:
                changed.append(row)
        if changed:
            # Every protected field is written back: bulk_update encrypts under the first key.
            model._default_manager.bulk_update(changed, [f.name for f in encrypted + indexes])
            counts.rewritten += len(changed)


def reencrypt_app(apps, app_label: str, *, batch_size: int = 500) -> dict[str, RowCounts]:
    """For a data migration: every model of ``app_label`` (historical models) that has protected fields."""
    return {
        model._meta.label: reencrypt_model(model, batch_size=batch_size)
        for model in apps.get_app_config(app_label).get_models()
        if any(protected_fields(model))
    }
