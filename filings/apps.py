from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilingsConfig(AppConfig):
    name = "filings"
    verbose_name = _("备案订单")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from filings.materials.requirements import PROVIDER_DOCUMENTS_CACHE
        from filings.models import ProviderDocument

        # Every order page lists the provider's own materials; its admin's edits reach every process.
        for signal, uid in ((post_save, "save"), (post_delete, "delete")):
            signal.connect(
                PROVIDER_DOCUMENTS_CACHE.receiver, sender=ProviderDocument, dispatch_uid=f"docs-{uid}"
            )
