"""The embedded default and the production path both start from the environment alone."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import PRODUCTION, ROOT, run_manage


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DJANGO_SETTINGS_MODULE": "config.production",
            "SECRET_KEY": "x7#kq!2vLr9@mP4zT8wE6yU1iO3aS5dF7gH9jK0lZ2xC4vB6nM8",
            "ALLOWED_HOSTS": "kernteam.example.nl",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/kernteam",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_never_loads_demo_accounts():
    result = run_manage("seed_demo", "--teams", "1", env=PRODUCTION)
    assert result.returncode != 0
    assert "never loaded under production settings" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage(
        "check",
        env={
            "DJANGO_SETTINGS_MODULE": "config.production",
            "SECRET_KEY": "",
            "ALLOWED_HOSTS": "kernteam.example.nl",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/kernteam",
        },
    )
    assert result.returncode != 0


def test_embedded_default_is_sqlite_and_in_memory_layer():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], s.DEBUG)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert out == ["django.db.backends.sqlite3", "channels.layers.InMemoryChannelLayer", "False"]


def test_migrations_are_complete():
    result = run_manage("makemigrations", "--check", "--dry-run", env={})
    assert result.returncode == 0, result.stdout + result.stderr
