"""The API's advance care planning (PZP, `clients.care_planning`): what it shows and what it
takes. Input is parsed strictly (booleans are JSON `true`/`false`); the domain decides."""

from __future__ import annotations

from rest_framework import serializers

from clients.care_planning import NOTE_LIMIT as PZP_NOTE_LIMIT
from clients.care_planning import (
    PARTICIPANTS,
    Capacity,
    CarePlanning,
    Decision,
    Limit,
    Place,
    RepresentativeKind,
)
from frontend.api.serializers import JsonBoolean, PersonSerializer, Text
from kernteam.roles import Role


class LimitSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        Decision.choices,
        help_text="yes (wel), no (niet) or not_discussed (niet besproken).",
    )
    note = serializers.CharField(
        max_length=PZP_NOTE_LIMIT,
        required=False,
        allow_blank=True,
        default="",
        help_text="What was said about it (optional).",
    )


class LimitsSerializer(serializers.Serializer):
    """One entry per treatment limit (behandelgrens). In input, a limit left out is recorded as
    not discussed; other keys are ignored, as everywhere in this API."""

    def get_fields(self):
        return {
            code: LimitSerializer(required=False, help_text=str(label))
            for code, label in Limit.choices
        }


class CarePlanningSerializer(serializers.ModelSerializer):
    """One conversation: a version of the resident's PZP. The latest by `held_on` (then `id`)
    is in force; the others are `superseded`."""

    participants = serializers.ListField(
        child=serializers.ChoiceField(PARTICIPANTS),
        help_text="Who took part: resident, representative, carer, and professional roles.",
    )
    capacity = serializers.ChoiceField(
        Capacity.choices, help_text="Capable of deciding for herself (wilsbekwaam)."
    )
    representative_kind = serializers.ChoiceField(RepresentativeKind.choices, allow_blank=True)
    limits = LimitsSerializer(help_text="Treatment limits (behandelgrenzen), each with a note.")
    place_of_care = serializers.ChoiceField(Place.choices, help_text="Preferred place of care.")
    place_of_death = serializers.ChoiceField(Place.choices, help_text="Preferred place of dying.")
    recorded_by = PersonSerializer()
    recorded_by_role = serializers.ChoiceField(Role.choices, allow_blank=True)
    superseded = serializers.SerializerMethodField(
        help_text="A later conversation replaced this version (it is kept)."
    )

    class Meta:
        model = CarePlanning
        fields = [
            "id",
            "held_on",
            "participants",
            "capacity",
            "representative_name",
            "representative_relationship",
            "representative_kind",
            "limits",
            "place_of_care",
            "place_of_death",
            "other_wishes",
            "has_living_will",
            "has_dnr_medallion",
            "shared_with_carers",
            "recorded_by",
            "recorded_by_role",
            "recorded_at",
            "superseded",
        ]

    def get_superseded(self, version) -> bool:
        return version.pk != self.context.get("current")


class CarePlanningInputSerializer(serializers.Serializer):
    held_on = serializers.DateField(
        help_text="The day of the conversation: not in the future, not before birth."
    )
    participants = serializers.ListField(
        child=serializers.ChoiceField(PARTICIPANTS),
        help_text="Who took part: resident, representative, carer, and professional roles.",
    )
    capacity = serializers.ChoiceField(
        Capacity.choices, help_text="Capable of deciding for herself (wilsbekwaam)."
    )
    representative_name = Text(
        CarePlanning,
        "representative_name",
        required=False,
        allow_blank=True,
        default="",
        help_text="The legal representative, if any (then `representative_kind` too).",
    )
    representative_relationship = Text(
        CarePlanning, "representative_relationship", required=False, allow_blank=True, default=""
    )
    representative_kind = serializers.ChoiceField(
        RepresentativeKind.choices, required=False, allow_blank=True, default=""
    )
    limits = LimitsSerializer(
        required=False,
        default=dict,
        help_text="Treatment limits (behandelgrenzen); one left out is not discussed.",
    )
    place_of_care = serializers.ChoiceField(
        Place.choices,
        required=False,
        default=Place.NOT_DISCUSSED,
        help_text="Preferred place of care.",
    )
    place_of_death = serializers.ChoiceField(
        Place.choices,
        required=False,
        default=Place.NOT_DISCUSSED,
        help_text="Preferred place of dying.",
    )
    other_wishes = Text(CarePlanning, "other_wishes", required=False, allow_blank=True, default="")
    has_living_will = JsonBoolean(
        required=False,
        default=False,
        help_text="A written directive (wilsverklaring) exists: `true` or `false`.",
    )
    has_dnr_medallion = JsonBoolean(
        required=False,
        default=False,
        help_text="A niet-reanimerenpenning exists: `true` or `false`.",
    )
    shared_with_carers = JsonBoolean(
        required=False,
        default=False,
        help_text="Share the summary of wishes (places, other wishes; never the limits) with "
        "the resident's carers: `true` or `false`. Only the GP may (403 otherwise). Decided "
        "per version: a new version is shared only when this is `true`, also when the version "
        "it supersedes was shared; left out or `false`, the carers no longer see the summary.",
    )
