"""/fhir/: the FHIR addresses this server answers (settings.KERNTEAM_FHIR_BASE points here).

Read-only resources, `$everything` and the published conformance resources (`fhir_views`);
the integrators' Subscriptions (`subscription_views`)."""

from django.urls import path, re_path

from frontend.api import fhir_views, subscription_views

urlpatterns = [
    # --- subscriptions (subscription_views) ---
    path("Subscription", subscription_views.subscriptions, name="fhir-subscriptions"),
    path("Subscription/<str:pk>", subscription_views.subscription, name="fhir-subscription"),
    # --- read (fhir_views) ---
    # (after the subscriptions: the read address takes any type, and answers 404 for a type
    # the export does not write; the last one answers 404 for anything else. Regular
    # expressions: the schema keeps an escaped "$", and gives the parameters their pattern.)
    re_path(
        rf"^CodeSystem/(?P<name>{fhir_views.ID})$",
        fhir_views.code_system,
        name="fhir-code-system",
    ),
    re_path(
        rf"^StructureDefinition/(?P<name>{fhir_views.ID})$",
        fhir_views.structure_definition,
        name="fhir-structure-definition",
    ),
    re_path(
        rf"^NamingSystem/(?P<name>{fhir_views.ID})$",
        fhir_views.naming_system,
        name="fhir-naming-system",
    ),
    re_path(
        rf"^Patient/(?P<resource_id>{fhir_views.ID})/\$everything$",
        fhir_views.everything,
        name="fhir-everything",
    ),
    re_path(
        rf"^(?P<resource_type>{fhir_views.TYPE})/(?P<resource_id>{fhir_views.ID})$",
        fhir_views.read,
        name="fhir-read",
    ),
    re_path(r"^[\s\S]*$", fhir_views.unknown, name="fhir-unknown"),  # (any character)
]
