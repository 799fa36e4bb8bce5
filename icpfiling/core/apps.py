from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "icpfiling.core"
    label = "core"
    verbose_name = "core"
