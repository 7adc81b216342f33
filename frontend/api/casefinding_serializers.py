"""What the casefinding API shows and reads (`clients.casefinding`): rounds with their counts
per status (names nobody), candidates (the GP and POH only), the preview of an upload."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from clients.casefinding import QUESTIONNAIRES, SETTABLE, Status, round_counts
from frontend.api.serializers import PersonSerializer, Score

# (one enum in the API schema: ENUM_NAME_OVERRIDES)
SETTABLE_CHOICES = [(s.value, s.label) for s in SETTABLE]


class FormBoolean(serializers.BooleanField):
    """true or false in a form field (also 1/0): anything else refused in words."""

    default_error_messages = {"invalid": _("Give true or false.")}


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # (the domain says what is wrong with an empty file, in Dutch)
        help_text="The practice's list as CSV (UTF-8 or Windows-1252, ';' or ','); see "
        "docs/casefinding.md for the columns. Under 20 MB, at most 10,000 rows.",
    )
    dry_run = FormBoolean(
        required=False,
        default=False,
        help_text="true: check every row and answer the preview; nothing is saved.",
    )


class RoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    imported_at = serializers.DateTimeField()
    imported_by = PersonSerializer()
    rows_in_file = serializers.IntegerField()
    known_residents = serializers.IntegerField(
        help_text="Rows that are residents of the team already: matched, not imported."
    )
    already_candidates = serializers.IntegerField(
        help_text="Rows that are an open candidate of the team already (by patient number, or "
        "by name and date of birth): not imported twice."
    )
    closed_candidates = serializers.IntegerField(
        help_text="Rows that are a closed candidate of the team (declined, not reached, below "
        "the cut-off) whose re-invite date lies ahead: not imported."
    )
    candidates = serializers.IntegerField(source="count_all")
    per_status = serializers.SerializerMethodField()

    def get_per_status(self, found) -> dict[str, int]:
        return {value: number for value, _label, number in round_counts(found)}


class AlreadyImportedSerializer(RoundSerializer):
    already_imported_at = serializers.DateTimeField()
    detail = serializers.CharField(help_text="When it was imported; nothing changed.")


class CandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    round = serializers.IntegerField(source="round_id")
    practice_number = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_of_birth = serializers.DateField()
    medicines = serializers.IntegerField(allow_null=True)
    multimorbidity = serializers.BooleanField(allow_null=True)
    no_contact = serializers.BooleanField(allow_null=True, help_text="No GP contact for 3+ years.")
    frailty_score = serializers.DecimalField(
        max_digits=5, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    status = serializers.ChoiceField(Status.choices)
    invited_on = serializers.DateField(allow_null=True)
    follow_up_on = serializers.DateField(allow_null=True)
    instrument = serializers.CharField(allow_blank=True)
    score = serializers.DecimalField(
        max_digits=4, decimal_places=1, coerce_to_string=False, allow_null=True
    )
    returned_on = serializers.DateField(allow_null=True)
    reinvite_on = serializers.DateField(allow_null=True)
    resident = serializers.IntegerField(
        source="resident_id", allow_null=True, help_text="The resident she became (signalled)."
    )


class PreviewRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    practice_number = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_of_birth = serializers.DateField()
    known_resident = serializers.IntegerField(allow_null=True)
    already_candidate = serializers.BooleanField()
    closed_until = serializers.DateField(
        allow_null=True, help_text="A closed candidate of the team: invited again from then."
    )


class PreviewSerializer(serializers.Serializer):
    file_name = serializers.CharField()
    sha256 = serializers.CharField()
    rows = serializers.IntegerField(help_text="Rows read without a problem.")
    new = serializers.IntegerField(help_text="Rows that would become candidates.")
    known_residents = serializers.IntegerField()
    already_candidates = serializers.IntegerField()
    closed_candidates = serializers.IntegerField()
    ignored_columns = serializers.ListField(child=serializers.CharField())
    already_imported_at = serializers.DateTimeField(allow_null=True)
    detail = serializers.CharField(
        allow_blank=True,
        help_text="Nothing new on the list (every row known already): importing it is refused.",
    )
    candidates = PreviewRowSerializer(
        many=True, required=False, help_text="Each row, for the GP and the POH only."
    )


class StatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(SETTABLE_CHOICES)
    follow_up_on = serializers.DateField(
        required=False, allow_null=True, help_text="Default: 28 days on (invited, no response)."
    )


class QuestionnaireInputSerializer(serializers.Serializer):
    instrument = serializers.CharField(
        error_messages={"invalid": _("Choose the questionnaire: GFI or TFI.")},
        help_text=f"The questionnaire: {' or '.join(QUESTIONNAIRES)} (another is refused).",
    )
    score = Score()
    returned_on = serializers.DateField(required=False, help_text="Default: today.")
