from django.apps import AppConfig


class OperatorConfig(AppConfig):
    """The platform operator's console (an admin site on the platform host)."""

    name = "icpfiling.operator"
    label = "operator"
