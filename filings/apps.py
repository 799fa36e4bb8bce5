from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilingsConfig(AppConfig):
    name = "filings"
    verbose_name = _("备案订单")

    def ready(self) -> None:
        from filings.materials.requirements import PROVIDER_DOCUMENTS_CACHE
        from filings.models import ProviderDocument

        # Every order page lists the provider's own materials; its admin's edits reach every process.
        PROVIDER_DOCUMENTS_CACHE.follow(ProviderDocument)
