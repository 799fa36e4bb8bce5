from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "icpfiling.tenancy"
    label = "tenancy"
    verbose_name = _("接入商")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from icpfiling.tenancy.models import Provider, ProviderHostname
        from icpfiling.tenancy.resolve import forget_provider

        # The host cache holds provider rows: any change to one, or to its
        # hostnames, is seen by the next request, not after the cache expires.
        for model in (Provider, ProviderHostname):
            post_save.connect(forget_provider, sender=model, dispatch_uid=f"forget-{model.__name__}-save")
            post_delete.connect(forget_provider, sender=model, dispatch_uid=f"forget-{model.__name__}-delete")
