"""Every log record names the tenant it was written under (R-T5)."""

import logging

from icpfiling.tenancy.context import current_scope


class TenantLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        scope = current_scope()
        if scope is None:
            record.tenant = "-"
        elif scope.disabled:
            record.tenant = "*"
        else:
            record.tenant = scope.tenant_id
        return True
