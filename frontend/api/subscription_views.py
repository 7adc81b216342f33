"""FHIR R4 Subscriptions for integrators (issue 20)."""
