"""Fail-closed managers and the abstract base for tenant-owned models."""

from __future__ import annotations

from functools import cache

from django.db import models
from django.utils.encoding import force_str

from icpfiling.tenancy.context import TenantScopeError, current_scope


class TenantScopedQuerySet(models.QuerySet):
    pass


class TenantScopedManager(models.Manager.from_queryset(TenantScopedQuerySet)):
    """Filters by the active tenant; raises when there is none (R-T2).

    It is also the *base* manager of tenant-owned models, so related-object
    access (``visit.order``) and prefetches are filtered too: the failure mode
    where FK traversal bypasses the tenant filter (reliability reference §3)
    cannot happen silently.
    """

    use_in_migrations = False

    def get_queryset(self) -> TenantScopedQuerySet:
        qs = super().get_queryset()
        scope = current_scope()
        if scope is None:
            raise TenantScopeError(
                f"{self.model._meta.label} queried outside a tenant scope; "
                "wrap the code in tenant_scope(provider) or, deliberately, tenant_scopes_disabled()"
            )
        if scope.disabled:
            return qs
        return qs.filter(tenant_id=scope.tenant_id)


@cache
def _choice_labels(field) -> dict:
    # Keys only are hashed here; Django's own _get_FIELD_display hashes every (value, label)
    # pair on every call, which translates each lazy label: ~15 gettext calls per display.
    return dict(field.flatchoices)


class TenantOwnedModel(models.Model):
    """Every tenant-owned row carries its tenant; children copy it down."""

    tenant = models.ForeignKey(
        "tenancy.Provider", on_delete=models.PROTECT, related_name="+", db_index=True, editable=False
    )

    objects = TenantScopedManager()

    class Meta:
        abstract = True
        base_manager_name = "objects"
        default_manager_name = "objects"

    def save(self, *args, **kwargs) -> None:
        scope = current_scope()
        if self.tenant_id is None and scope is not None and scope.tenant_id is not None:
            self.tenant_id = scope.tenant_id
        if scope is None:
            raise TenantScopeError(f"{self._meta.label} saved outside a tenant scope")
        if not scope.disabled and self.tenant_id != scope.tenant_id:
            # Writing another tenant's row from inside a scope is never legitimate.
            raise TenantScopeError(
                f"{self._meta.label} of tenant {self.tenant_id} saved in scope {scope.tenant_id}"
            )
        super().save(*args, **kwargs)

    def _get_FIELD_display(self, field):
        """``get_<field>_display``: the same result as Django's, without re-hashing the labels."""
        value = getattr(self, field.attname)
        try:
            label = _choice_labels(field).get(value, value)
        except TypeError:  # an unhashable value (a list in a JSON field): Django's way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)
