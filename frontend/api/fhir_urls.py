"""/fhir/: the FHIR addresses this server answers (settings.KERNTEAM_FHIR_BASE points here).

Read-only resources, `$everything` and the published conformance resources (`fhir_views`);
the integrators' Subscriptions (`subscription_views`)."""

from django.urls import path  # noqa: F401

from frontend.api import fhir_views, subscription_views  # noqa: F401

urlpatterns = [
    # --- subscriptions (subscription_views) ---
    # --- read (fhir_views) ---
]
