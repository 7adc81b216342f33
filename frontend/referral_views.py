"""Referrals to local offers on the web (issue 18 §2): the panel's "Verwijzingen" section has a
form to refer the resident and, per referral, one to record its status and the provider's
feedback. Who may, what is valid and what follows is decided by `steps.referral_services`; every
read and write goes through `resident_for_request` (access log)."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontend.access import resident_for_request
from frontend.form_errors import attach_errors
from frontend.forms import date_input, free_text
from frontend.views import board_changed, panel_response
from kernteam.access_log import nothing_changed
from kernteam.models import person_name, years_later
from kernteam.refusals import Refused
from kernteam.roles import Role
from steps.models import AgreedAction
from steps.referral_services import NOTE_LIMIT, offers_to_refer, refer_resident, update_referral
from steps.referrals import LocalOffer, OfferKind, Referral, ReferralStatus

# a welfare worker refers within two weeks, as a rule
DUE_IN_DAYS = 14


class ReferralForm(forms.Form):
    """Refer to an offer: which, who does it (a team member), by when, shared with carers."""

    offer = forms.ChoiceField(label=_("offer"))
    owner = forms.ChoiceField(label=_("who refers"))
    due_on = forms.DateField(label=_("refer by"), widget=date_input())
    shared_with_carers = forms.BooleanField(label=_("shared with informal carers"), required=False)
    note = forms.CharField(
        label=_("note for the team (optional)"),
        max_length=NOTE_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown with the agreed action; not to the carers."),
    )

    def __init__(self, *args, resident, **kwargs):
        super().__init__(*args, **kwargs)
        self.resident = resident
        offers = list(offers_to_refer(team=resident.team))
        # the offers it offers: running ones. What was chosen is looked up among all of the
        # area's and the region's, so that one ended meanwhile is refused with why (service)
        self.offers = {str(o.pk): o for o in LocalOffer.objects.for_team(resident.team)}
        if self.is_bound and (chosen := self.offers.get(str(self.data.get("offer", "")))):
            offers = offers if chosen in offers else [*offers, chosen]
        groups: dict[str, list[tuple[str, str]]] = {}
        for offer in offers:
            area = offer.team.neighbourhood if offer.team else _("region")
            label = f"{offer.name} — {offer.provider} ({area})"
            groups.setdefault(str(OfferKind(offer.kind).label).capitalize(), []).append(
                (str(offer.pk), label)
            )
        self.fields["offer"].choices = [("", "—"), *groups.items()]
        self.running = offers
        members = resident.team.people().select_related("user").order_by("role")
        seen, choices, welfare = set(), [("", "—")], ""
        for m in members:
            if m.user_id in seen:
                continue
            seen.add(m.user_id)
            choices.append((str(m.user_id), f"{person_name(m.user)} ({m.get_role_display()})"))
            if m.role == Role.WELFARE and not welfare:
                welfare = str(m.user_id)
        self.fields["owner"].choices = choices
        self.fields["owner"].initial = welfare  # usually the welfare worker
        today = timezone.localdate()
        self.fields["due_on"].initial = today + datetime.timedelta(days=DUE_IN_DAYS)
        self.fields["due_on"].widget = date_input(
            today, years_later(today, AgreedAction.DUE_WITHIN_YEARS)
        )

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if problem := AgreedAction.due_on_problem(due_on):
            raise forms.ValidationError(problem)
        return due_on

    def chosen_offer(self):
        # (the choices hold only offers this resident can be referred to now; the service
        # checks again, in its transaction)
        return self.offers[self.cleaned_data["offer"]]

    def chosen_owner(self):
        return get_user_model().objects.get(pk=int(self.cleaned_data["owner"]))


class ReferralUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=ReferralStatus.choices)
    feedback = free_text(
        Referral, "feedback", rows=3, label=_("the provider's feedback"), required=False
    )
    feedback_on = forms.DateField(
        label=_("feedback received on"), required=False, widget=date_input()
    )
    # the status the member saw: someone else's change meanwhile is refused (the service)
    expected_status = forms.ChoiceField(
        choices=ReferralStatus.choices, widget=forms.HiddenInput, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["feedback_on"].widget = date_input(last=timezone.localdate())


TITLE = _("Refer to a local offer")
UPDATE_TITLE = _("Status and feedback")


# the service's field names, as the referral's forms call them
RENAMED = {"owner_member": "owner", "description": "note"}


@login_required
def resident_refer(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form to refer. POST: refer (an agreed action with the referral); bad input or
    a refusal shows the form again with why, and what was typed."""
    subject = resident_for_request(request, pk=pk)
    form = ReferralForm(request.POST or None, resident=subject)
    if request.method == "POST" and form.is_valid():
        try:
            refer_resident(
                resident=subject,
                by=request.user,
                offer=form.chosen_offer(),
                owner_member=form.chosen_owner(),
                due_on=form.cleaned_data["due_on"],
                shared_with_carers=form.cleaned_data["shared_with_carers"],
                note=form.cleaned_data["note"],
            )
        except (ValidationError, Refused) as exc:
            attach_errors(form, exc, rename=RENAMED)
        else:
            return board_changed(panel_response(request, subject), target="#resident-panel")
    if request.method == "POST":
        nothing_changed(request)  # the form again: nobody was referred
    context = {"resident": subject, "form": form, "title": TITLE, "empty": not form.running}
    return render(request, "frontend/referral_form.html", context)


@login_required
def referral_update(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form for a referral's status and feedback. POST: record them; a refusal shows
    the form again with why."""
    referral = get_object_or_404(Referral.objects.select_related("action", "offer"), pk=pk)
    subject = resident_for_request(request, pk=referral.action.resident_id)  # 404: not yours
    referral.action.resident = subject
    initial = {"status": referral.status, "expected_status": referral.status}
    form = ReferralUpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            update_referral(
                referral=referral,
                by=request.user,
                status=data["status"],
                feedback=data["feedback"],
                feedback_on=data["feedback_on"],
                expected_status=data["expected_status"] or None,
            )
        except (ValidationError, Refused) as exc:
            if isinstance(exc, Refused) and exc.conflict:
                # what was typed stays; saving again goes from what is on record now
                form.data = form.data.copy()
                form.data["expected_status"] = exc.conflict["current_status"]
            attach_errors(form, exc, rename=RENAMED)
        else:
            return board_changed(panel_response(request, subject), target="#resident-panel")
    if request.method == "POST":
        nothing_changed(request)
    context = {"resident": subject, "form": form, "title": UPDATE_TITLE, "referral": referral}
    return render(request, "frontend/referral_update_form.html", context)
