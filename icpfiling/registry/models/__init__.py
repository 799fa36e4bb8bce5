"""Registry models: the national reference tables and the filed records (records), and the dated
province rules (rules).
"""

from icpfiling.registry.models.history import ChangeKind, RegistryChange, ServiceKind
from icpfiling.registry.models.records import (
    AccessRecord,
    CertificateType,
    EntityNature,
    EntityNumberSequence,
    FiledApp,
    FiledAppDomain,
    FiledAppPackage,
    FiledEntity,
    FiledWebsite,
    FiledWebsiteDomain,
    FormerCertificate,
    PersonalIdType,
    Province,
    RegistryStatus,
)
from icpfiling.registry.models.rules import (
    DOMAIN_CERTIFICATE_VALUES,
    FOOTER_VALUES,
    PERSONAL_NONLOCAL_VALUES,
    THRESHOLD_OPS,
    THRESHOLD_SHAPE,
    ProvinceRule,
    RuleKey,
    RuleScope,
    rule_value_errors,
)

__all__ = [
    "DOMAIN_CERTIFICATE_VALUES",
    "FOOTER_VALUES",
    "PERSONAL_NONLOCAL_VALUES",
    "THRESHOLD_OPS",
    "THRESHOLD_SHAPE",
    "AccessRecord",
    "CertificateType",
    "ChangeKind",
    "EntityNature",
    "EntityNumberSequence",
    "FiledApp",
    "FiledAppDomain",
    "FiledAppPackage",
    "FiledEntity",
    "FiledWebsite",
    "FiledWebsiteDomain",
    "FormerCertificate",
    "PersonalIdType",
    "Province",
    "ProvinceRule",
    "RegistryChange",
    "RegistryStatus",
    "RuleKey",
    "RuleScope",
    "ServiceKind",
    "rule_value_errors",
]
