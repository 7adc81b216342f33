"""The FHIR addresses every layer above names the same way: the configured base and a
resident's Patient id (the export in `steps.fhir`, the notifications in
`clients.subscription_delivery`, the read addresses in `frontend.api.fhir_views`)."""

from __future__ import annotations

from django.conf import settings

FHIR_JSON = "application/fhir+json"


def fhir_base() -> str:
    """settings.KERNTEAM_FHIR_BASE, ending in '/': fullUrl = base + 'Patient/resident-12'."""
    return settings.KERNTEAM_FHIR_BASE.rstrip("/") + "/"


def patient_id(resident_id: int) -> str:
    """The Patient's logical id of a resident."""
    return f"resident-{resident_id}"


def patient_url(resident_id: int) -> str:
    """The Patient's fullUrl (and the address this server answers for it)."""
    return f"{fhir_base()}Patient/{patient_id(resident_id)}"
