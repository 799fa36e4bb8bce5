from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "icpfiling.accounts"
    label = "accounts"
    verbose_name = _("账户")

    def ready(self) -> None:
        from icpfiling.accounts import signals  # noqa: F401  (session tracking for R-A2)
