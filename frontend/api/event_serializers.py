"""The API's outcome events (`steps.outcomes`): what it shows and what it takes."""

from __future__ import annotations

from rest_framework import serializers

from frontend.api.serializers import JsonBoolean, PersonSerializer, Text
from steps.outcomes import RECORDABLE_PLACE_CHOICES, EventKind, OutcomeEvent, Place

KINDS = ", ".join(f"`{k}` ({label})" for k, label in EventKind.choices)


class OutcomeEventSerializer(serializers.ModelSerializer):
    # (a plain string here: the input's enum names the values, and the schema keeps one enum
    # component per choice set)
    kind = serializers.CharField(help_text=f"What happened: {KINDS}.")
    kind_label = serializers.CharField(source="get_kind_display", help_text="In words.")
    # (its own choice set, `unknown` included: the schema names it apart from the PZP's places)
    place = serializers.ChoiceField(
        [("", "—"), *Place.choices],
        help_text="Where the resident died (a death only; else empty): as recorded, or "
        "`unknown` when the record was closed as deceased without saying where (the admin, "
        "a transition without `event_place`).",
    )
    recorded_by = PersonSerializer(help_text="Who recorded it.")
    step_change = serializers.IntegerField(
        source="step_change_id",
        allow_null=True,
        help_text="The move it goes with (history row id): the *admitted* move, or closing as "
        "deceased or as permanently admitted to a nursing home; null if none (yet).",
    )

    class Meta:
        model = OutcomeEvent
        fields = [
            "id",
            "kind",
            "kind_label",
            "occurred_on",
            "place",
            "note",
            "recorded_by",
            "recorded_at",
            "step_change",
        ]


class OutcomeEventInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(EventKind.choices, help_text="What happened.")
    occurred_on = serializers.DateField(
        required=False, help_text="When it happened; default: today. Not in the future."
    )
    place = serializers.ChoiceField(
        RECORDABLE_PLACE_CHOICES,
        required=False,
        allow_blank=True,
        default="",
        help_text="Where the resident died: required for a death, must be empty otherwise.",
    )
    note = Text(OutcomeEvent, "note", required=False, allow_blank=True, default="")
    confirm_duplicate = JsonBoolean(
        required=False,
        default=False,
        help_text="The same kind of event on the same date is on record for the resident "
        "already (likely a double entry): refused with a message on this field naming who "
        "recorded it, unless `true` (it is another one).",
    )
