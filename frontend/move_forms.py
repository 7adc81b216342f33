"""The form of a move with the outcome event it goes with (`steps.outcomes.record_for_move`):
the *admitted* move asks whether it is a hospital or a crisis admission; closing as deceased
asks the date and place of death, closing for a permanent nursing-home admission its date,
unless that event is on record already (the panel offers the close after it was recorded):
then the form says which recorded event the move links, and asks nothing."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontend.forms import MoveForm, date_input
from steps.outcomes import (
    ADMISSIONS,
    RECORDABLE_PLACE_CHOICES,
    EventKind,
    already_recorded,
    linkable_events,
)
from steps.states import ClosureReason

# the closure reasons whose event the close form asks for (date; place for a death)
ASKED = (ClosureReason.DECEASED, ClosureReason.NURSING_HOME)


class EventMoveForm(MoveForm):
    admission = forms.ChoiceField(
        label=_("Kind of admission"),
        choices=[(kind.value, kind.label) for kind in ADMISSIONS],
        widget=forms.RadioSelect,
        required=False,
    )
    event_on = forms.DateField(
        label=_("Date of death or of the nursing-home admission"),
        required=False,
        widget=date_input(),
    )
    event_place = forms.ChoiceField(
        label=_("place of death"),
        choices=RECORDABLE_PLACE_CHOICES,
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, linked: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["event_on"].widget = date_input(last=today)
        self.fields["event_on"].initial = today
        # what the move would link (`linkable_events`): by admission kind or closure reason
        self.linked = linked or {}
        self.linked_notes = [(key, already_recorded(event)) for key, event in self.linked.items()]

    def clean(self):
        data = super().clean()
        reason = data.get("closure_reason")
        asked = data.get("transition") == "close" and reason == ClosureReason.DECEASED
        if asked and reason not in self.linked and not data.get("event_place"):
            self.add_error("event_place", _("Say where the resident died."))
        return data

    def event_kwargs(self) -> dict:
        """What the move service takes of the event the move goes with: the admission's kind;
        the date (and place) of a death or a nursing-home admission not on record (one on
        record is linked as it was recorded, `steps.outcomes.record_for_move`)."""
        data = self.cleaned_data
        if data["transition"] == "admit":
            return {"admission": data["admission"] or EventKind.HOSPITAL}
        reason = data["closure_reason"]
        if data["transition"] != "close" or reason not in ASKED or reason in self.linked:
            return {}
        place = data["event_place"] if reason == ClosureReason.DECEASED else ""
        return {"event_on": data["event_on"], "event_place": place}


def move_form(resident, data=None, *, initial: dict | None = None) -> EventMoveForm:
    """The form of the move named in `data` or `initial`, knowing the events on record it
    would link now; the *admitted* move prefilled with the kind of the admission on record."""
    transition = (data or initial or {}).get("transition", "")
    linked = linkable_events(resident=resident, transition=transition, today=timezone.localdate())
    if initial is not None and transition == "admit":
        initial = {**initial, "admission": next(iter(linked), EventKind.HOSPITAL)}
    return EventMoveForm(data, initial=initial, linked=linked)
