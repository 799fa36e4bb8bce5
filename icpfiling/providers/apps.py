from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    """A provider's own administration: onboarding (R-M4), settings (R-M1), staff (R-M2)."""

    name = "icpfiling.providers"
    label = "providers"
