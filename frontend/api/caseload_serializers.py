"""What the caseload API reads and shows (`steps.caseload_import`): the upload, the preview of a
file (every row as it would be imported), and an import."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from frontend.api.casefinding_serializers import FormBoolean
from frontend.api.serializers import PersonSerializer
from kernteam.roles import Role
from steps.states import State


class CaseloadUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # (the domain says what is wrong with an empty file, in Dutch)
        help_text="The team's caseload as CSV (UTF-8 or Windows-1252, ';' or ','); see "
        "docs/caseload.md for the columns, docs/caseload-template.csv and "
        "docs/caseload-example.csv. Under 5 MB, at most 5,000 rows; never a BSN.",
    )
    dry_run = FormBoolean(
        required=False,
        default=False,
        help_text="true: check every row and answer the preview; nothing is saved.",
    )


class ImportedResidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="The resident in this API.")

    def to_representation(self, resident_id):
        return {"id": resident_id, "url": reverse("api-resident", args=[resident_id])}


class CaseloadImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    sha256 = serializers.CharField(
        help_text="The SHA-256 of the file: the same file twice is one import."
    )
    imported_at = serializers.DateTimeField()
    imported_by = PersonSerializer()
    residents_count = serializers.IntegerField(help_text="Residents taken over by this import.")
    residents = ImportedResidentSerializer(many=True, help_text="The residents taken over.")


class CaseloadAlreadyImportedSerializer(CaseloadImportSerializer):
    already_imported_at = serializers.DateTimeField()
    detail = serializers.CharField(help_text="When it was imported; nothing changed.")


class CaseloadRowSerializer(serializers.Serializer):
    """One row as it would be imported, its values resolved (a member for the coordinator)."""

    line = serializers.IntegerField()
    practice_number = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_of_birth = serializers.DateField()
    state = serializers.ChoiceField(State.choices)
    coordinator = PersonSerializer(allow_null=True)
    consent_given_on = serializers.DateField(allow_null=True)
    disciplines = serializers.ListField(child=serializers.ChoiceField(Role.choices))
    share_with_carers = serializers.BooleanField()
    last_review_on = serializers.DateField(allow_null=True)
    next_review_on = serializers.DateField(allow_null=True)
    instrument = serializers.CharField(
        allow_blank=True, help_text="The instrument of the score on record (gfi, tfi, …), if any."
    )
    score = serializers.DecimalField(
        max_digits=5, decimal_places=1, coerce_to_string=False, allow_null=True
    )
    assessed_on = serializers.DateField(allow_null=True)
    already = serializers.BooleanField(
        help_text="Imported before (same patient number and person): skipped."
    )
    resident = serializers.IntegerField(
        allow_null=True, help_text="When `already`: the resident she is."
    )


class CaseloadPreviewSerializer(serializers.Serializer):
    file_name = serializers.CharField()
    sha256 = serializers.CharField()
    new = serializers.IntegerField(help_text="Rows that would become residents.")
    already = serializers.IntegerField(help_text="Rows imported before: skipped.")
    ignored_columns = serializers.ListField(child=serializers.CharField())
    already_imported_at = serializers.DateTimeField(
        allow_null=True, help_text="This very file was imported then: importing it changes nothing."
    )
    detail = serializers.CharField(allow_blank=True)
    rows = CaseloadRowSerializer(many=True, help_text="Each row, as it would be imported.")
