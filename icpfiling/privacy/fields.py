"""Model fields for identity data at rest (R-X1).

``EncryptedCharField`` holds ciphertext in a text column and plaintext in Python. It cannot
be compared in SQL (each encryption differs): an equality look-up on it raises, and the code
looks up the ``BlindIndexField`` beside it instead. ``EncryptedJSONField`` encrypts a whole
JSON document (snapshots, diffs, history), stored as one JSON string so the column type
stays JSON. Values written before encryption (plain text) still read back, so the data
migration can encrypt them in place; the dump tests prove none is left.
"""

from __future__ import annotations

import json

from django.core.exceptions import FieldError
from django.db import models

from icpfiling.privacy import keys


class EncryptedCharField(models.CharField):
    """A CharField whose column holds a Fernet token; ``max_length`` limits the plaintext."""

    description = "Text encrypted at rest"

    def get_internal_type(self) -> str:
        # A token is about 2.5x the plaintext plus 80 characters: a text column, any length.
        return "TextField"

    def from_db_value(self, value, expression, connection):
        if isinstance(value, str) and keys.is_token(value):
            return keys.decrypt(value)
        return value

    def stays_clear(self, value: str) -> bool:
        """Whether this plain value is stored as it is (only the empty string here)."""
        return not value

    def get_db_prep_save(self, value, connection):
        if hasattr(value, "as_sql"):
            return value
        value = self.to_python(value)
        if not value:
            return value
        return keys.encrypt(value)

    def get_prep_value(self, value):
        # Reached by look-ups only (saves go through get_db_prep_save): "" and NULL are the
        # only values SQL can compare; anything else must use the blind index.
        value = super().get_prep_value(value)
        if value:
            raise FieldError(
                f"{self.model.__name__}.{self.name} is encrypted: look it up through its blind index"
            )
        return value


class EncryptedJSONField(models.JSONField):
    """A JSON document encrypted whole; the column keeps its JSON type and holds one string."""

    description = "JSON encrypted at rest"

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        if isinstance(value, str) and keys.is_token(value):
            return json.loads(keys.decrypt(value))
        return value

    def get_db_prep_save(self, value, connection):
        if hasattr(value, "as_sql"):
            return value
        token = keys.encrypt(json.dumps(value, cls=self.encoder, ensure_ascii=False))
        return super().get_db_prep_save(token, connection)

    def get_lookup(self, lookup_name):
        # Key and containment look-ups would compare ciphertext: only NULL tests are left.
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, name):
        return None


class BlindIndexField(models.CharField):
    """The keyed hash of a value, for equality look-ups and unique constraints.

    With ``source``, it is computed from that field of the same row at every save
    (``update_fields`` naming the source must name this field too: ``BlindIndexedModel``
    adds it). Without, the value assigned is hashed when saved (R-O5's entity key). A
    look-up hashes its operand the same way: ``filter(mobile_bidx="13812345678")``.
    """

    description = "Keyed hash (blind index)"

    def __init__(self, *args, kind: str = keys.ID, source: str | None = None, **kwargs):
        if kind not in keys.KINDS:
            raise ValueError(f"BlindIndexField kind must be one of {keys.KINDS}, not {kind!r}")
        self.kind = kind
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        if self.source:
            kwargs["source"] = self.source
        for key, default in (("max_length", 64), ("editable", False), ("blank", True), ("default", "")):
            if kwargs.get(key, default) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def hash(self, value) -> str:
        if value is None or value == "":
            return ""
        value = str(value)
        return value if keys.is_digest(value) else keys.blind_index(value, self.kind)

    def pre_save(self, model_instance, add):
        if self.source:
            value = self.hash(getattr(model_instance, self.source))
        else:
            value = self.hash(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if isinstance(value, str):
            return self.hash(value)
        return value

    def get_lookup(self, lookup_name):
        # The hash already folds case where the kind says so; a case-insensitive match (the
        # admin's "=" search) is an exact match of digests.
        if lookup_name == "iexact":
            lookup_name = "exact"
        return super().get_lookup(lookup_name)


def with_blind_indexes(model, values: dict) -> dict:
    """``values`` for a ``QuerySet.update()``, plus the blind index of every encrypted source in it."""
    extra = {
        field.name: values[field.source]
        for field in model._meta.concrete_fields
        if isinstance(field, BlindIndexField) and field.source in values and field.name not in values
    }
    return {**values, **extra}


class BlindIndexedModel(models.Model):
    """Keeps blind indexes in step on ``save(update_fields=[...])`` that names only the source."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            names = set(update_fields)
            names |= {
                field.name
                for field in self._meta.concrete_fields
                if isinstance(field, BlindIndexField) and field.source in names
            }
            kwargs["update_fields"] = names
        super().save(*args, **kwargs)


class SensitiveRecipientField(EncryptedCharField):
    """An outbox recipient: a phone number is encrypted, an email address or user id is not.

    The outbox keeps one recipient column for every channel; only SMS recipients are personal
    numbers, and the inbox and tests find rows by user id, which stays comparable.
    """

    description = "Recipient, encrypted when it is a phone number"

    @staticmethod
    def _is_phone(value: str) -> bool:
        return "@" not in value and len(keys.normalise(value, keys.MOBILE)) >= 7

    def stays_clear(self, value: str) -> bool:
        return not value or not self._is_phone(value)

    def get_db_prep_save(self, value, connection):
        if isinstance(value, str) and not self._is_phone(value):
            return value
        return super().get_db_prep_save(value, connection)

    def get_prep_value(self, value):
        value = models.CharField.get_prep_value(self, value)
        if isinstance(value, str) and self._is_phone(value):
            raise FieldError(
                f"{self.model.__name__}.{self.name} holds phone numbers encrypted: not comparable"
            )
        return value
