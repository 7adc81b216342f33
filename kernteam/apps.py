from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class KernteamConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kernteam"
    verbose_name = "Kernteams"

    def ready(self) -> None:
        from kernteam import signals  # noqa: F401 (connects the receivers)


class KernteamAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with Kernteam's own site (kernteam.admin_base.KernteamAdminSite):
    its autocomplete and index are part of the access-log rules. In INSTALLED_APPS in place of
    "django.contrib.admin"; `default = False` keeps KernteamConfig the app config of kernteam."""

    default = False
    default_site = "kernteam.admin_base.KernteamAdminSite"
