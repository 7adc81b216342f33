"""Advance care planning (PZP) on the web: the form to record a conversation (a new version).
Who may record, and what is valid, is decided by `clients.care_planning_services`; the panel
shows the versions (`steps.panel`)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.care_planning import (
    MAY_NOT_RECORD,
    NOTE_LIMIT,
    PARTICIPANTS,
    Capacity,
    CarePlanning,
    Decision,
    Limit,
    Place,
    RepresentativeKind,
    carers_see,
    limit_field,
    may_record,
    may_share,
)
from clients.care_planning_services import care_planning_for, record_care_planning
from frontend.access import resident_for_request
from frontend.forms import date_input, free_text
from frontend.views import board_changed, panel_response
from kernteam.access_log import nothing_changed
from kernteam.policy import roles_on
from kernteam.refusals import Refused


def note_field(code: str) -> str:
    return f"note_{code}"


class CarePlanningForm(forms.Form):
    held_on = forms.DateField(label=_("held on"), initial=timezone.localdate, widget=date_input())
    participants = forms.MultipleChoiceField(
        label=_("who took part"), choices=PARTICIPANTS, widget=forms.CheckboxSelectMultiple
    )
    capacity = forms.ChoiceField(
        label=_("capable of deciding (wilsbekwaam)"), choices=[("", "—"), *Capacity.choices]
    )
    representative_name = forms.CharField(
        label=_("legal representative"), max_length=120, required=False
    )
    representative_relationship = forms.CharField(
        label=_("relationship of the representative"), max_length=80, required=False
    )
    representative_kind = forms.ChoiceField(
        label=_("kind of representation"),
        choices=[("", "—"), *RepresentativeKind.choices],
        required=False,
    )
    place_of_care = forms.ChoiceField(label=_("preferred place of care"), choices=Place.choices)
    place_of_death = forms.ChoiceField(label=_("preferred place of dying"), choices=Place.choices)
    other_wishes = free_text(
        CarePlanning, "other_wishes", rows=3, label=_("other wishes"), required=False
    )
    has_living_will = forms.BooleanField(
        label=_("written directive (wilsverklaring)"), required=False
    )
    has_dnr_medallion = forms.BooleanField(
        label=_("do-not-resuscitate medallion (niet-reanimerenpenning)"), required=False
    )
    shared_with_carers = forms.BooleanField(
        label=_("share the summary of wishes (places, other wishes) with the informal carers"),
        required=False,
    )

    def __init__(self, *args, may_share_wishes: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].widget = date_input(last=timezone.localdate())
        for code, label in Limit.choices:
            self.fields[limit_field(code)] = forms.ChoiceField(
                label=label,
                choices=Decision.choices,
                initial=Decision.NOT_DISCUSSED,
                required=False,  # (left out: not discussed)
            )
            self.fields[note_field(code)] = forms.CharField(
                label=_("note"),
                max_length=NOTE_LIMIT,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": _("note (optional)")}),
            )
        if not may_share_wishes:
            del self.fields["shared_with_carers"]
        self.fields["place_of_care"].initial = Place.NOT_DISCUSSED
        self.fields["place_of_death"].initial = Place.NOT_DISCUSSED

    def limit_rows(self):
        """(decision field, note field) per treatment limit, for the template."""
        return [(self[limit_field(code)], self[note_field(code)]) for code in Limit.values]

    def other_fields(self):
        skip = {limit_field(c) for c in Limit.values} | {note_field(c) for c in Limit.values}
        return [f for f in self if f.name not in skip]

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        limits = {
            code: {
                "decision": data.pop(limit_field(code)) or Decision.NOT_DISCUSSED,
                "note": data.pop(note_field(code)),
            }
            for code in Limit.values
        }
        return {**data, "limits": limits}


TITLE = _("Advance care planning")


@login_required
def resident_care_planning(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form for a new conversation (a new version of the PZP). POST: record it; bad
    input or a refusal shows the form again with why, and what was typed. A role that may not
    record gets the reason (403), not the form."""
    subject = resident_for_request(request, pk=pk)
    roles = roles_on(team=subject.team, user=request.user)
    if not may_record(roles):
        nothing_changed(request)
        context = {"resident": subject, "form": None, "problems": [MAY_NOT_RECORD]}
        return _render(request, context, status=403)
    sharer = may_share(roles)
    form = CarePlanningForm(request.POST or None, may_share_wishes=sharer)
    # sharing is the GP's decision per version: a new version is not shared unless ticked
    # again, so the form says so when the version in force is shared
    shown = care_planning_for(resident=subject, user=request.user)
    shared_now = carers_see(shown.current if shown is not None else None)
    context = {
        "resident": subject,
        "form": form,
        "shared_now": shared_now,
        "may_share_wishes": sharer,
    }
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            record_care_planning(resident=subject, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            found = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            for name, errors in found.items():  # (each treatment limit under its own field)
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        except Refused as exc:
            problems = exc.problems
        else:
            return board_changed(panel_response(request, subject), target="#resident-panel")
    if request.method == "POST":
        nothing_changed(request)
    return _render(request, {**context, "problems": problems})


def _render(request, context: dict, status: int = 200) -> HttpResponse:
    return render(
        request, "frontend/care_planning_form.html", {**context, "title": TITLE}, status=status
    )
