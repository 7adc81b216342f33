from django.apps import AppConfig


class FrontendConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "frontend"

    def ready(self) -> None:
        # The token cache's invalidation (its signal receivers) counts in every process: web
        # workers, commands and the shell alike.
        from frontend.api import token_cache  # noqa: F401
