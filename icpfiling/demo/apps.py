from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo providers, accounts and orders in every state (``manage.py seed_demo``)."""

    name = "icpfiling.demo"
    label = "demo"
