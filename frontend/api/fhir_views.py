"""Read-only FHIR addresses (issue 20)."""
