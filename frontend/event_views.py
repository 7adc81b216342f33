"""Recording an outcome event from the resident panel (`steps.outcome_services`): a short form,
usable in a few taps on a phone. Opened in the panel (htmx) or by its own address (a page)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontend.access import resident_for_request
from frontend.form_errors import attach_errors
from frontend.forms import date_input, free_text
from frontend.views import board_changed, panel_response
from kernteam.access_log import nothing_changed
from kernteam.refusals import Refused
from steps.outcome_services import record_event
from steps.outcomes import RECORDABLE_PLACE_CHOICES, EventKind, OutcomeEvent


class EventForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What happened?"), choices=EventKind.choices, widget=forms.RadioSelect
    )
    occurred_on = forms.DateField(label=_("date"), initial=timezone.localdate, widget=date_input())
    place = forms.ChoiceField(
        label=_("place of death"),
        choices=RECORDABLE_PLACE_CHOICES,
        widget=forms.RadioSelect,
        required=False,
    )
    note = free_text(OutcomeEvent, "note", rows=2, label=_("Note (optional)"), required=False)
    # shown only when the service warns of a likely double entry (`record_event`)
    confirm_duplicate = forms.BooleanField(label=_("Record it anyway"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_on"].widget = date_input(last=timezone.localdate())


TITLE = _("Record an event")


@login_required
def resident_event(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form. POST: record the event; field errors (a date in the future, no place
    for a death, …) show the form again with what was typed; the same kind of event on the
    same day on record already, the form says by whom and asks to confirm. On success the
    panel is shown, offering the move the event goes with (`steps.panel.Panel.event_moves`)."""
    subject = resident_for_request(request, pk=pk)
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["kind"] != EventKind.DEATH:
            data["place"] = ""  # (hidden unless a death is chosen: a choice left from before)
        try:
            record_event(resident=subject, by=request.user, **data)
        except ValidationError as exc:
            attach_errors(form, exc)
        except Refused as exc:
            form.add_error(None, " ".join(exc.problems))
        else:
            return board_changed(panel_response(request, subject), target="#resident-panel")
    if request.method == "POST":
        nothing_changed(request)  # the form again: nothing was recorded
    context = {"resident": subject, "form": form, "title": TITLE}
    return render(request, "frontend/event_form.html", context)
