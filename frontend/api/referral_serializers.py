"""The API's local offers and referrals (`steps.referrals`): what it shows and what it takes."""

from __future__ import annotations

from rest_framework import serializers

from frontend.api.serializers import JsonBoolean, PersonSerializer, Text
from steps.models import AgreedAction
from steps.referrals import LocalOffer, OfferKind, Referral, ReferralStatus, ReferralUpdate

KINDS = ", ".join(f"`{k}` ({label})" for k, label in OfferKind.choices)
STATUSES = ", ".join(f"`{k}` ({label})" for k, label in ReferralStatus.choices)


class OfferSerializer(serializers.ModelSerializer):
    team = serializers.SlugField(
        source="team.slug", allow_null=True, help_text="The team's area; null: region-wide."
    )
    kind = serializers.CharField(help_text=f"What it is: {KINDS}.")
    kind_label = serializers.CharField(source="get_kind_display", help_text="In words.")
    running = serializers.SerializerMethodField(help_text="Residents can be referred to it now.")

    class Meta:
        model = LocalOffer
        fields = [
            "id",
            "team",
            "name",
            "kind",
            "kind_label",
            "provider",
            "contact",
            "address",
            "for_whom",
            "ended_on",
            "running",
        ]

    def get_running(self, offer) -> bool:
        return offer.is_running()


class ReferralUpdateSerializer(serializers.ModelSerializer):
    status = serializers.CharField(help_text=f"The status it became: {STATUSES}.")
    by = PersonSerializer(help_text="Who recorded it.")

    class Meta:
        model = ReferralUpdate
        fields = ["id", "status", "feedback", "feedback_on", "by", "at"]


class ReferralSerializer(serializers.ModelSerializer):
    resident = serializers.IntegerField(source="action.resident_id")
    offer = OfferSerializer()
    status = serializers.CharField(help_text=f"Where it stands: {STATUSES}.")
    status_label = serializers.CharField(source="get_status_display", help_text="In words.")
    action = serializers.IntegerField(
        source="action.pk", help_text="The agreed action it is (see /actions/)."
    )
    action_status = serializers.ChoiceField(
        AgreedAction.Status.choices,
        source="action.status",
        help_text="Done once the referral is no longer proposed.",
    )
    owner = PersonSerializer(source="action.owner_member", help_text="Who refers.")
    due_on = serializers.DateField(source="action.due_on")
    shared_with_carers = serializers.BooleanField(source="action.shared_with_carers")
    feedback_due_on = serializers.DateField(
        help_text="Without feedback after this day, the resident is on the next agenda."
    )
    feedback_late = serializers.SerializerMethodField()
    updates = ReferralUpdateSerializer(many=True, help_text="Every change, oldest first.")

    class Meta:
        model = Referral
        fields = [
            "id",
            "resident",
            "offer",
            "status",
            "status_label",
            "referred_on",
            "feedback",
            "feedback_on",
            "feedback_due_on",
            "feedback_late",
            "action",
            "action_status",
            "owner",
            "due_on",
            "shared_with_carers",
            "updates",
        ]

    def get_feedback_late(self, referral) -> bool:
        return referral.feedback_late()


class ReferralInputSerializer(serializers.Serializer):
    offer = serializers.IntegerField(
        help_text="A running offer of the resident's team's area or of the region "
        "(GET /teams/<slug>/offers/)."
    )
    owner_member = serializers.IntegerField(
        help_text="Who refers: a team member's user id (usually the welfare worker)."
    )
    due_on = serializers.DateField(help_text="Refer by this day: today or later.")
    shared_with_carers = JsonBoolean(required=False, default=False)
    note = Text(
        AgreedAction,
        "description",
        required=False,
        allow_blank=True,
        default="",
        help_text="For the team, with the agreed action (at most 500 characters); not shown "
        "to carers.",
    )


class ReferralUpdateInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        ReferralStatus.choices,
        help_text="proposed → registered → started; declined or stopped end it. Not back.",
    )
    expected_status = serializers.ChoiceField(
        ReferralStatus.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="The status the client last saw: when someone recorded another one "
        "meanwhile, nothing is saved (409, with `current_status`).",
    )
    feedback = Text(
        Referral,
        "feedback",
        required=False,
        allow_blank=True,
        default="",
        help_text="What the provider said (terugkoppeling); empty keeps what was recorded.",
    )
    feedback_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the feedback came: not in the future, not before the referral "
        "(today when feedback is given without it).",
    )
