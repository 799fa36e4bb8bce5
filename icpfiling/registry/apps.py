from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "icpfiling.registry"
    label = "registry"
    verbose_name = _("备案库")

    def ready(self) -> None:
        from icpfiling.registry.models import PersonalIdType
        from icpfiling.registry.models.rules import ProvinceRule
        from icpfiling.registry.province_rules import RULES_CACHE
        from icpfiling.registry.reference import ID_TYPES_CACHE

        # The operator's console edits rules one row at a time; each edit reaches every process.
        RULES_CACHE.follow(ProvinceRule)
        ID_TYPES_CACHE.follow(PersonalIdType)
