"""The API's medication reviews (`clients.medication`): what it shows and what it takes."""

from __future__ import annotations

from rest_framework import serializers

from clients.medication import MAX_MEDICINES, MedicationReview, Reviewer
from frontend.api.serializers import PersonSerializer, Text

REVIEWERS = ", ".join(f"`{k}` ({label})" for k, label in Reviewer.choices)


class MedicationReviewSerializer(serializers.ModelSerializer):
    # (a plain string here: the input's enum names the values)
    reviewer = serializers.CharField(help_text=f"Who did the review: {REVIEWERS}.")
    reviewer_label = serializers.CharField(source="get_reviewer_display", help_text="In words.")
    recorded_by = PersonSerializer(help_text="Who recorded it.")

    class Meta:
        model = MedicationReview
        fields = [
            "id",
            "reviewed_on",
            "reviewer",
            "reviewer_label",
            "medicines_in_use",
            "note",
            "recorded_by",
            "recorded_at",
        ]


class MedicationReviewInputSerializer(serializers.Serializer):
    reviewed_on = serializers.DateField(
        help_text="The day of the review: not in the future, not before the resident's birth."
    )
    reviewer = serializers.ChoiceField(
        Reviewer.choices,
        help_text="Who did the review. A pharmacist's review is recorded by the GP, the "
        "elderly-care physician or the POH with `pharmacist`.",
    )
    medicines_in_use = serializers.IntegerField(
        min_value=0, max_value=MAX_MEDICINES, help_text="The number of medicines in use."
    )
    note = Text(MedicationReview, "note", required=False, allow_blank=True, default="")
