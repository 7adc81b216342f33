from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StepsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "steps"
    verbose_name = _("Stepped care")
