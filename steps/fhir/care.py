"""The care records around the steps (issue 20: PZP, medication reviews, outcome events,
referrals and local offers, the resident's own goal). Filled in by the issue's work."""

from __future__ import annotations

from django.db.models import Prefetch

from clients.models import Resident
from steps.fhir.context import Resource, Shared


def prefetches() -> list[Prefetch | str]:
    """What `resident_resources` reads, fetched once for all residents of a bundle."""
    return []


def resident_resources(*, resident: Resident, shared: Shared) -> list[Resource]:
    return []


def shared_resources(*, shared: Shared) -> list[Resource]:
    """Resources several residents refer to, once each (the offers: HealthcareService)."""
    return []
