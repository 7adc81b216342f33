from django.apps import AppConfig


class KernteamConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kernteam"
    verbose_name = "Kernteams"
