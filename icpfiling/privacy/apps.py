from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "icpfiling.privacy"
    label = "privacy"
    verbose_name = "privacy"
