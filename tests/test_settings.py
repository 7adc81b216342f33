"""The embedded default and the production path both start from the environment alone."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from config.settings import public_fhir_base_problem
from tests.helpers import PRODUCTION, ROOT, run_manage


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:6379/0"},
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


@pytest.mark.parametrize(
    ("base", "problem"),
    [
        (None, "is not set"),
        ("", "is not set"),
        ("http://kernteam.example.nl/fhir/", "is not an https address"),
        ("https://127.0.0.1:8000/fhir/", "names a loopback or unspecified address"),
        ("https://localhost/fhir/", "names no host, or localhost"),
    ],
)
def test_production_refuses_to_start_without_a_public_fhir_base(base, problem):
    """The embedded default (http://127.0.0.1:8000/fhir/) would hand integrators ids they store
    and that can never change: production names its own, https, reachable."""
    env = {**PRODUCTION, "KERNTEAM_FHIR_BASE": base}
    if base is None:
        env = {k: v for k, v in env.items() if k != "KERNTEAM_FHIR_BASE"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert f"ImproperlyConfigured: KERNTEAM_FHIR_BASE {problem}: set it to" in result.stderr


@pytest.mark.parametrize(
    ("base", "problem"),
    [
        ("https://kernteam.example.nl/fhir/", None),
        ("https://kernteam.example.nl:8443/fhir", None),
        ("https://10.0.0.5/fhir/", None),  # (a private address: an integrator in the same network)
        ("https://[::1]/fhir/", "names a loopback or unspecified address"),
        ("https://127.1.2.3/fhir/", "names a loopback or unspecified address"),
        ("https://0.0.0.0/fhir/", "names a loopback or unspecified address"),
        ("https://kernteam.localhost/fhir/", "names no host, or localhost"),
        ("https://LOCALHOST./fhir/", "names no host, or localhost"),
        ("https:///fhir/", "names no host, or localhost"),
        ("HTTP://kernteam.example.nl/fhir/", "is not an https address"),
        ("kernteam.example.nl/fhir/", "is not an https address"),
    ],
)
def test_what_a_public_fhir_base_is(base, problem):
    assert public_fhir_base_problem(base) == problem


def test_production_keeps_its_fhir_base():
    code = "from django.conf import settings as s; print(s.KERNTEAM_FHIR_BASE)"
    env = {**PRODUCTION, "KERNTEAM_FHIR_BASE": "https://kernteam.example.nl/fhir"}
    result = run_manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "https://kernteam.example.nl/fhir/"


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
