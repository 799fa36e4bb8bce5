from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "icpfiling.registry"
    label = "registry"
    verbose_name = _("备案库")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from icpfiling.registry.models import PersonalIdType
        from icpfiling.registry.models.rules import ProvinceRule
        from icpfiling.registry.province_rules import RULES_CACHE
        from icpfiling.registry.reference import ID_TYPES_CACHE

        # The operator's console edits rules one row at a time; each edit reaches every process.
        post_save.connect(RULES_CACHE.receiver, sender=ProvinceRule, dispatch_uid="rules-cache-save")
        post_delete.connect(RULES_CACHE.receiver, sender=ProvinceRule, dispatch_uid="rules-cache-delete")
        post_save.connect(ID_TYPES_CACHE.receiver, sender=PersonalIdType, dispatch_uid="id-types-save")
        post_delete.connect(ID_TYPES_CACHE.receiver, sender=PersonalIdType, dispatch_uid="id-types-delete")
