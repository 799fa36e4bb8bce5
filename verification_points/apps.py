from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerificationPointsConfig(AppConfig):
    name = "verification_points"
    verbose_name = _("核验点")
