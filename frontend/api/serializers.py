"""What the API shows. Output serializers read what views hand them (already filtered by the
access policy); input serializers only parse, the domain services decide."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clients.instruments import Instrument
from clients.models import Assessment, Carer, CarerLink, Concern, CoordinatorChange, Resident
from kernteam.models import AgendaReason, Meeting, Team, person_name, text_limit
from kernteam.roles import Role
from steps.board import FLAGS
from steps.models import TRANSITION_LABELS, AgreedAction, Domain, Goal, Kind, StepChange
from steps.outcomes import ADMISSIONS, RECORDABLE_PLACE_CHOICES, EventKind
from steps.states import ClosureReason, State


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    def to_representation(self, user):
        return {"id": user.pk, "name": person_name(user)}


class TeamSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField(help_text="Your roles on this team.")

    class Meta:
        model = Team
        fields = ["slug", "name", "neighbourhood", "municipality", "roles"]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Role.choices)))
    def get_roles(self, team) -> list[str]:
        return sorted(self.context["roles"].get(team.pk, ()))


class ResidentSerializer(serializers.Serializer):
    """A resident as on the board: read from an annotated trajectory (`flagged_trajectories`)."""

    id = serializers.IntegerField(source="resident.pk")
    team = serializers.SlugField(source="resident.team.slug")
    first_name = serializers.CharField(source="resident.first_name")
    last_name = serializers.CharField(source="resident.last_name")
    display_name = serializers.CharField(source="resident.display_name")
    date_of_birth = serializers.DateField(source="resident.date_of_birth")
    neighbourhood = serializers.CharField(source="resident.neighbourhood")
    state = serializers.ChoiceField(State.choices)
    review_due = serializers.DateField(allow_null=True)
    coordinator = PersonSerializer(source="resident.coordinator", allow_null=True)
    urgent_step_up_to_confirm = serializers.SerializerMethodField()
    flags = serializers.SerializerMethodField()

    def get_urgent_step_up_to_confirm(self, row) -> bool:
        return row.pending_confirmation_id is not None

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(list(FLAGS))))
    def get_flags(self, row) -> list[str]:
        from steps.board import flags_of

        return list(flags_of(row, self.context["today"]))


class ResidentPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ResidentSerializer(many=True)


class ConsentSerializer(serializers.Serializer):
    given_on = serializers.DateField()
    disciplines = serializers.ListField(child=serializers.ChoiceField(Role.choices))
    share_with_carers = serializers.BooleanField()


TRANSITIONS = sorted(TRANSITION_LABELS)
GOAL_STATUSES = Goal.Status.choices  # (named enums in the schema: see SPECTACULAR_SETTINGS)
ACTION_STATUSES = AgreedAction.Status.choices
MEETING_STATUSES = Meeting.Status.choices


class AvailableTransitionSerializer(serializers.Serializer):
    name = serializers.ChoiceField(TRANSITIONS)
    label = serializers.CharField()


class ResidentDetailSerializer(ResidentSerializer):
    gp_practice = serializers.CharField(source="resident.gp_practice")
    closure_reason = serializers.ChoiceField(ClosureReason.choices, allow_blank=True)
    consent = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField(
        help_text="The transitions you may take now (a reason assumed; the form asks for it)."
    )

    @extend_schema_field(ConsentSerializer(allow_null=True))
    def get_consent(self, row):
        consent = row.resident.active_consent()
        return ConsentSerializer(consent).data if consent else None

    @extend_schema_field(AvailableTransitionSerializer(many=True))
    def get_available_transitions(self, row) -> list[dict]:
        names = self.context["available_transitions"]
        return [{"name": n, "label": str(TRANSITION_LABELS[n])} for n in names]


class StepChangeSerializer(serializers.ModelSerializer):
    actor = PersonSerializer()
    urgent = serializers.BooleanField()
    kind = serializers.ChoiceField(Kind.choices)
    from_state = serializers.ChoiceField(State.choices, allow_blank=True)
    to_state = serializers.ChoiceField(State.choices)
    actor_role = serializers.ChoiceField(Role.choices, allow_blank=True)
    closure_reason = serializers.ChoiceField(ClosureReason.choices, allow_blank=True)

    class Meta:
        model = StepChange
        fields = [
            "id",
            "kind",
            "from_state",
            "to_state",
            "at",
            "actor",
            "actor_role",
            "reason",
            "meeting",
            "confirms",
            "closure_reason",
            "urgent",
        ]


_DATE, _MOMENT = serializers.DateField(), serializers.DateTimeField()  # (as the API writes them)


class MovedSerializer(serializers.Serializer):
    """The answer to a move: the resident's new state and the history row it wrote. (The
    transitions available next are on the resident: GET /api/v1/residents/<id>/.)"""

    resident = serializers.IntegerField(source="trajectory.resident_id")
    state = serializers.ChoiceField(State.choices, source="trajectory.state")
    previous_state = serializers.ChoiceField(State.choices, source="change.from_state")
    review_due = serializers.DateField(source="trajectory.review_due", allow_null=True)
    urgent_step_up_to_confirm = serializers.SerializerMethodField()
    change = StepChangeSerializer()

    def get_urgent_step_up_to_confirm(self, moved) -> bool:
        return moved["trajectory"].pending_confirmation_id is not None

    # A move's answer is the API's busiest write: written out here, it skips building this
    # serializer's and StepChangeSerializer's fields for every answer (about a tenth of a
    # move's time, docs/performance.md). tests/test_api_writes.py checks that it says exactly
    # what the fields above say.
    def to_representation(self, moved) -> dict:
        trajectory, change = moved["trajectory"], moved["change"]
        review_due = trajectory.review_due
        return {
            "resident": trajectory.resident_id,
            "state": trajectory.state,
            "previous_state": change.from_state,
            "review_due": _DATE.to_representation(review_due) if review_due else None,
            "urgent_step_up_to_confirm": trajectory.pending_confirmation_id is not None,
            "change": {
                "id": change.pk,
                "kind": change.kind,
                "from_state": change.from_state,
                "to_state": change.to_state,
                "at": _MOMENT.to_representation(change.at),
                "actor": {"id": change.actor_id, "name": person_name(change.actor)},
                "actor_role": change.actor_role,
                "reason": change.reason,
                "meeting": change.meeting_id,
                "confirms": change.confirms_id,
                "closure_reason": change.closure_reason,
                "urgent": change.urgent,
            },
        }


class Text(serializers.CharField):
    """Free text as the API takes it, and as its schema says: a JSON string (a number is
    refused, not turned into text), as long as the model's field allows at most (`model`,
    `field`), and unless blank is allowed, with more in it than spaces (minLength, pattern).
    Surrounding spaces count towards the limit; the domain strips them."""

    default_error_messages = {"invalid": _("Enter text (a JSON string).")}
    # DRF refuses NUL and lone surrogates in any text: the pattern says so too. It runs in
    # linear time (DRF runs it even on a value already too long): not blank is a lookahead at
    # the start, never a "something" between two greedy runs that backtrack over each other.
    ANY = "[^\\u0000\\uD800-\\uDFFF]*"
    NOT_BLANK = "(?!\\s*$)"

    def __init__(self, model, field: str, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        if kwargs.get("allow_blank"):
            pattern, message = f"^{self.ANY}$", _("Write text without NUL characters.")
        else:
            kwargs["min_length"] = 1
            pattern, message = (
                f"^{self.NOT_BLANK}{self.ANY}$",
                _("Write some text: more than spaces, and no NUL characters."),
            )
        kwargs["validators"] = [RegexValidator(pattern, message=message)]
        super().__init__(max_length=text_limit(model, field), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "number"})
class Score(serializers.Field):
    """A score as a JSON number; whether it fits the instrument (range, steps) is the
    domain's answer (400 with a message for `score`)."""

    default_error_messages = {"invalid": _("Enter the score as a number.")}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return Decimal(str(data))

    def to_representation(self, value):
        return float(value)


class TransitionInputSerializer(serializers.Serializer):
    transition = serializers.ChoiceField(TRANSITIONS)
    expected_state = serializers.ChoiceField(
        State.choices, help_text="The state you saw the resident in; 409 if it changed meanwhile."
    )
    reason = Text(StepChange, "reason", required=False, allow_blank=True, default="")
    closure_reason = serializers.ChoiceField(
        ClosureReason.choices, required=False, allow_blank=True, default=""
    )
    # the outcome event the move goes with (`steps.outcomes.record_for_move`)
    admission = serializers.ChoiceField(
        [(kind.value, kind.label) for kind in ADMISSIONS],
        required=False,
        default=EventKind.HOSPITAL,
        help_text="`admit` only: a hospital or a crisis admission (default `hospital`). The "
        "move links the newest unlinked event of that kind of the last 7 days, else records "
        "one, dated today.",
    )
    event_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="`close` as `deceased` or `nursing_home` only: the date of death or of the "
        "admission (default today; not in the future, not before birth). Leave it out when "
        "the event is on record (`/events/`): the move links that one as recorded.",
    )
    event_place = serializers.ChoiceField(
        RECORDABLE_PLACE_CHOICES,
        required=False,
        allow_blank=True,
        default="",
        help_text="`close` as `deceased` only: where the resident died. Left out, the death is "
        "recorded with place `unknown` (older clients); leave it out when the death is on "
        "record.",
    )


class JsonBoolean(serializers.BooleanField):
    """true or false as JSON says it: no "0", "yes" or 1 taken for one (the schema's type)."""

    default_error_messages = {"invalid": _("Give true or false (a JSON boolean).")}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class SignalInputSerializer(serializers.Serializer):
    team = serializers.SlugField()
    first_name = Text(Resident, "first_name")
    last_name = Text(Resident, "last_name")
    salutation = Text(Resident, "salutation", required=False, default="", allow_blank=True)
    date_of_birth = serializers.DateField()
    neighbourhood = Text(Resident, "neighbourhood", required=False, default="", allow_blank=True)
    gp_practice = Text(Resident, "gp_practice", required=False, default="", allow_blank=True)
    reason = Text(StepChange, "reason")
    confirm_not_duplicate = JsonBoolean(
        required=False,
        default=False,
        help_text="true: signal even though the team has a resident with the same name and date "
        "of birth (otherwise 400, naming the likely duplicate).",
    )


class AssessmentSerializer(serializers.ModelSerializer):
    assessed_by = PersonSerializer()
    instrument = serializers.ChoiceField(Instrument.choices)
    score = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=False)
    purpose = serializers.CharField()
    outcome = serializers.CharField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "instrument",
            "score",
            "assessed_on",
            "assessed_by",
            "carer",
            "above_cutoff",
            "purpose",
            "outcome",
        ]


class AssessmentInputSerializer(serializers.Serializer):
    instrument = serializers.ChoiceField(Instrument.choices)
    score = Score()
    assessed_on = serializers.DateField(required=False, help_text="Default: today.")


class GoalSerializer(serializers.ModelSerializer):
    created_by = PersonSerializer()
    domain = serializers.ChoiceField(Domain.choices)
    status = serializers.ChoiceField(Goal.Status.choices)

    class Meta:
        model = Goal
        fields = [
            "id",
            "domain",
            "description",
            "status",
            "created_at",
            "created_by",
            "meeting",
            "serves_own_goal",
        ]
        extra_kwargs = {
            "serves_own_goal": {"help_text": "Serves the resident's own goal (`own-goal/`)."}
        }


class GoalInputSerializer(serializers.Serializer):
    domain = serializers.ChoiceField(Domain.choices)
    description = Text(Goal, "description")
    serves_own_goal = JsonBoolean(
        required=False,
        default=False,
        help_text="Whether the goal serves what matters to the resident (her own goal).",
    )


class OwnerSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(["member", "carer"])
    id = serializers.IntegerField()
    name = serializers.CharField()


class ActionSerializer(serializers.ModelSerializer):
    owner = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    status = serializers.ChoiceField(AgreedAction.Status.choices)

    class Meta:
        model = AgreedAction
        fields = [
            "id",
            "description",
            "due_on",
            "status",
            "owner",
            "shared_with_carers",
            "supports_carer",
            "goal",
            "meeting",
            "created_at",
            "done_at",
            "overdue",
        ]

    @extend_schema_field(OwnerSerializer)
    def get_owner(self, action) -> dict:
        if action.owner_member_id:
            return {"kind": "member", "id": action.owner_member_id, "name": action.owner_name}
        return {"kind": "carer", "id": action.owner_carer_id, "name": action.owner_name}

    def get_overdue(self, action) -> bool:
        return action.is_overdue()


USER_ID = {"min_value": 1, "max_value": 2**31 - 1}  # (a user's id: a 32-bit key)
ROW_ID = {"min_value": 1, "max_value": 2**63 - 1}  # (our rows' ids: 64-bit keys)


class ActionInputSerializer(serializers.Serializer):
    description = Text(AgreedAction, "description")
    due_on = serializers.DateField()
    owner_member = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A team member's user id.",
        **USER_ID,
    )
    owner_carer = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="A linked carer's id.", **ROW_ID
    )
    shared_with_carers = serializers.BooleanField(required=False, default=False)
    supports_carer = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Support for an informal carer (respite care, carer support): counted by the "
        "outcome KPI on carers with a high burden.",
    )
    goal = serializers.IntegerField(required=False, allow_null=True, default=None, **ROW_ID)


class ConcernSerializer(serializers.ModelSerializer):
    handled_by = PersonSerializer(allow_null=True)
    open = serializers.BooleanField(source="is_open")

    class Meta:
        model = Concern
        fields = ["id", "text", "carer", "raised_at", "handled_at", "handled_by", "handled_in"]
        fields += ["open"]


class ConcernInputSerializer(serializers.Serializer):
    text = Text(Concern, "text")
    carer = serializers.IntegerField(
        help_text="The linked carer who raised it (their id).", **ROW_ID
    )


class MeetingSerializer(serializers.ModelSerializer):
    team = serializers.SlugField(source="team.slug")
    chair = PersonSerializer(allow_null=True)
    status = serializers.ChoiceField(Meeting.Status.choices)

    class Meta:
        model = Meeting
        fields = ["id", "team", "scheduled_for", "status", "chair", "opened_at", "closed_at"]


class AgendaItemSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    resident = serializers.IntegerField(
        allow_null=True,
        help_text="Null when your discipline may not see this resident: then the item says "
        "nothing about them (no name, reasons or question, not opened, not discussed).",
    )
    name = serializers.CharField(allow_blank=True)
    reasons = serializers.ListField(child=serializers.ChoiceField(AgendaReason.choices))
    question = serializers.CharField(allow_blank=True)
    opened_at = serializers.DateTimeField(
        allow_null=True, help_text="When the resident was first presented in this meeting."
    )
    discussed = serializers.BooleanField(
        help_text="A decision about the resident was recorded with this meeting: a move, a "
        "confirmation, a review, a goal, an agreed action, a carer's concern handled or a care "
        "coordinator named. Opening alone is not discussing."
    )


class MeetingDetailSerializer(MeetingSerializer):
    # Reads the context the view hands it: `hidden` (the team's residents the caller may not
    # see) and `decided` (`steps.meetings.decided_residents`, once per request).
    presenter = serializers.SerializerMethodField()
    focus = serializers.SerializerMethodField(
        help_text="The resident being presented now; null when none, when the meeting is not "
        "in progress, or when your discipline may not see them (`presenter` still says who "
        "presents)."
    )
    attendees = PersonSerializer(many=True, read_only=True, help_text="Who was present.")
    agenda = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "presenter", "focus", "attendees", "agenda"]

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_presenter(self, meeting) -> dict | None:
        """The member presenting now (the chair, or one who may see a resident she may not)."""
        if not meeting.is_open or meeting.presenter is None:
            return None
        return PersonSerializer(meeting.presenter).data

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_focus(self, meeting) -> int | None:
        shown = meeting.is_open and meeting.focus_id not in self.context["hidden"]
        return meeting.focus_id if shown else None

    @extend_schema_field(AgendaItemSerializer(many=True))
    def get_agenda(self, meeting) -> list[dict]:
        hidden, decided = self.context["hidden"], self.context["decided"]
        items = []
        for item in meeting.agenda.all():
            visible = item.resident_id not in hidden
            items.append(
                {
                    "position": item.position,
                    "resident": item.resident_id if visible else None,
                    "name": item.resident.display_name if visible else "",
                    # why a hidden resident is on the agenda is about them: not for this caller
                    "reasons": list(item.reasons) if visible else [],
                    "question": item.question if visible else "",
                    "opened_at": item.opened_at if visible else None,
                    "discussed": visible and item.resident_id in decided,
                }
            )
        return AgendaItemSerializer(items, many=True).data  # (times as the other fields give them)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Shown once: send it as `Authorization: Token …`.")
    expiry = serializers.DateTimeField()


# --- the care coordinator, reviews, carers ------------------------------------------------------


class CoordinatorInputSerializer(serializers.Serializer):
    coordinator = serializers.IntegerField(
        help_text="The user id of the member of the resident's team to name.", **USER_ID
    )
    expected = serializers.IntegerField(
        allow_null=True,
        help_text="The user id of the care coordinator you saw (null: none); 409 if another "
        "was named meanwhile.",
        **USER_ID,
    )


class CoordinatorChangeSerializer(serializers.ModelSerializer):
    from_coordinator = PersonSerializer(allow_null=True)
    to_coordinator = PersonSerializer()
    actor = PersonSerializer()
    actor_role = serializers.ChoiceField(Role.choices, allow_blank=True)

    class Meta:
        model = CoordinatorChange
        fields = ["id", "from_coordinator", "to_coordinator", "at", "actor", "actor_role"]
        fields += ["meeting"]


class CoordinatorSerializer(serializers.Serializer):
    """The answer to naming the care coordinator: who it is now, and the change kept."""

    resident = serializers.IntegerField(source="resident_id")
    coordinator = PersonSerializer(source="to_coordinator")
    change = CoordinatorChangeSerializer(source="*")


class ReviewInputSerializer(serializers.Serializer):
    expected_state = serializers.ChoiceField(
        State.choices, help_text="The state you saw the resident in; 409 if it changed meanwhile."
    )
    note = Text(StepChange, "reason", required=False, allow_blank=True, default="")


class CarerLinkInputSerializer(serializers.Serializer):
    first_name = Text(Carer, "first_name")
    last_name = Text(Carer, "last_name")
    relationship = serializers.ChoiceField(
        CarerLink.Relationship.offered(),  # (the neutral codes of older links: not for a new one)
        error_messages={"invalid_choice": _("Choose how the carer is related.")},
    )
    phone = Text(Carer, "phone", required=False, allow_blank=True, default="")
    email = Text(Carer, "email", required=False, allow_blank=True, default="")


class CarerLinkSerializer(serializers.Serializer):
    carer = serializers.IntegerField(source="carer_id")
    first_name = serializers.CharField(source="carer.first_name")
    last_name = serializers.CharField(source="carer.last_name")
    email = serializers.CharField(source="carer.email")
    relationship = serializers.ChoiceField(CarerLink.Relationship.choices)
    relationship_label = serializers.CharField(source="get_relationship_display")
    since = serializers.DateField()
