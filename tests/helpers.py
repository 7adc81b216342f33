"""Plain helpers shared by several test modules. Fixtures live in conftest.py; the live board's
helpers in tests/live.py; the KPI tests' hand-counted dataset in tests/kpi_region.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import close_old_connections, connection
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from kernteam.roles import Role
from tests.factories import MembershipFactory, TeamFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def exactly(message: str) -> str:
    """A `pytest.raises(match=...)` pattern that matches this whole message and nothing else."""
    return f"^{re.escape(message)}$"


# --- the API -------------------------------------------------------------------------------

API = "/api/v1"


def api_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        _, token = AuthToken.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


# --- races: real threads, real connections -------------------------------------------------


def race(n: int, attempt) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = attempt(i)
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


# --- manage.py in a process of its own --------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.production",
    "SECRET_KEY": "x7#kq!2vLr9@mP4zT8wE6yU1iO3aS5dF7gH9jK0lZ2xC4vB6nM8",
    "ALLOWED_HOSTS": "kernteam.example.nl",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/kernteam",
    "KERNTEAM_FHIR_BASE": "https://kernteam.example.nl/fhir/",
}


# --- signing in, with the second factor ------------------------------------------------------


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def sign_in(client, user):
    user.set_password("juist-wachtwoord-1")
    user.save()
    response = client.post(
        reverse("login"), {"username": user.username, "password": "juist-wachtwoord-1"}
    )
    assert response.status_code == 302
    return response


def set_up(client, user) -> TOTPDevice:
    """Confirm the device the opened link shows, with the app's first code."""
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post(reverse("two_factor"), {"code": code_for(device)})
    assert done.status_code == 302 and done.url.startswith(reverse("recovery_codes"))
    return device


# --- services a test needs; persona teams -----------------------------------------------------


def require_service(available: bool, reason: str) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI needs this service: {reason}")
    pytest.skip(reason)


@dataclass
class Team:
    """A kernteam with one member per role, reachable by role name."""

    team: object
    gp: object
    poh: object
    district_nurse: object
    welfare: object
    dementia_case_manager: object
    elderly_care_physician: object
    coordinator: object

    def member(self, role: str):
        return getattr(self, role)


def build_team(neighbourhood: str, with_roles=tuple(Role.values)) -> Team:
    team = TeamFactory(neighbourhood=neighbourhood)
    members = {}
    for role in Role.values:
        if role in with_roles:
            user = UserFactory(username=f"{role}.{team.slug}")
            MembershipFactory(team=team, user=user, role=role)
            members[role] = user
        else:
            members[role] = None
    return Team(team=team, **members)


def export_reader(residents):
    """Whom a test's FHIR bundle is for: a GP of the first resident's team, who reads all the
    export holds (her roles read now, so the export asks no query for them); anonymous when the
    team has no GP (she then reads no PZP)."""
    from django.contrib.auth.models import AnonymousUser

    from kernteam.models import Membership
    from kernteam.policy import member_roles

    first = residents.order_by("pk").first()
    gp = (
        Membership.objects.active()
        .filter(team_id=first.team_id, role=Role.GP)
        .select_related("user")
        .order_by("pk")
        .first()
        if first is not None
        else None
    )
    if gp is None:
        return AnonymousUser()
    member_roles(gp.user)
    return gp.user


def fhir_export(residents, *, bundle_type: str = "collection") -> dict:
    """`export_bundle` for these residents, read by a GP of their team (`export_reader`)."""
    from steps.fhir import export_bundle

    return export_bundle(
        residents=residents, reader=export_reader(residents), bundle_type=bundle_type
    )
