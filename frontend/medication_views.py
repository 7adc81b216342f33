"""Medication review on the web: the short form to record one. Who may record, and what is
valid, is decided by `clients.medication_services`; the panel shows the reviews and whether one
is needed (`steps.panel`, `steps.medication`)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.medication import MAX_MEDICINES, MAY_NOT_RECORD, MedicationReview, Reviewer, may_record
from clients.medication_services import record_medication_review
from frontend.access import resident_for_request
from frontend.forms import date_input, free_text
from frontend.views import board_changed, panel_response
from kernteam.access_log import nothing_changed
from kernteam.policy import roles_on
from kernteam.refusals import Refused


class MedicationReviewForm(forms.Form):
    reviewed_on = forms.DateField(
        label=_("reviewed on"), initial=timezone.localdate, widget=date_input()
    )
    reviewer = forms.ChoiceField(label=_("reviewed by"), choices=[("", "—"), *Reviewer.choices])
    medicines_in_use = forms.IntegerField(
        label=_("medicines in use"),
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_MEDICINES, "inputmode": "numeric"}),
    )
    note = free_text(MedicationReview, "note", rows=3, label=_("outcome"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewed_on"].widget = date_input(last=timezone.localdate())


TITLE = _("Medication review")


@login_required
def resident_medication_review(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form. POST: record the review; bad input or a refusal shows the form again with
    why, and what was typed. A role that may not record gets the reason (403), not the form."""
    subject = resident_for_request(request, pk=pk)
    if not may_record(roles_on(team=subject.team, user=request.user)):
        nothing_changed(request)
        context = {"resident": subject, "form": None, "problems": [MAY_NOT_RECORD]}
        return _render(request, context, status=403)
    form = MedicationReviewForm(request.POST or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            record_medication_review(resident=subject, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            found = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            for name, errors in found.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        except Refused as exc:
            problems = exc.problems
        else:
            return board_changed(panel_response(request, subject), target="#resident-panel")
    if request.method == "POST":
        nothing_changed(request)
    return _render(request, {"resident": subject, "form": form, "problems": problems})


def _render(request, context: dict, status: int = 200) -> HttpResponse:
    return render(
        request, "frontend/medication_form.html", {**context, "title": TITLE}, status=status
    )
