"""Cache keys carry the tenant (R-T5)."""

from icpfiling.tenancy.context import current_tenant_id


def make_tenant_key(key: str, key_prefix: str, version: int) -> str:
    tenant = current_tenant_id()
    return f"t{tenant if tenant is not None else '-'}:{key_prefix}:{version}:{key}"
