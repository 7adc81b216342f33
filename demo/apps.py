from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo region (`manage.py seed_demo`): built on top of every domain app, so it sits
    above them, never inside the ground floor."""

    name = "demo"
    verbose_name = "Demo region"
