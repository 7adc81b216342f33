"""The catalogue of local offers (issue 18 §2): a team's area and the region's. Members of a team
read their team's catalogue, the programme office every one; the team coordinator keeps her
area's offers and the programme office the region's (`steps.referral_services`, which decides
and says why not). Offers are no resident's data: nothing here writes the access log."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontend.form_errors import attach_errors
from frontend.forms import date_input
from kernteam.models import Team
from kernteam.policy import is_programme_office, kpi_teams, roles_on
from kernteam.refusals import Refused
from steps.referral_services import (
    OFFER_FIELDS,
    create_offer,
    edit_offer,
    end_offer,
    ended_refusal,
    keeper_refusal,
)
from steps.referrals import LocalOffer, OfferKind


class OfferForm(forms.ModelForm):
    class Meta:
        model = LocalOffer
        fields = list(OFFER_FIELDS)
        widgets = {"for_whom": forms.Textarea(attrs={"rows": 2})}


class EditOfferForm(OfferForm):
    """Editing a running offer: its end date too, when one is set or to be set (empty: none)."""

    class Meta(OfferForm.Meta):
        fields = [*OFFER_FIELDS, "ended_on"]
        labels = {"ended_on": _("ends on")}
        help_texts = {
            "ended_on": _(
                "Empty: no end date. Once this day has come, the offer is kept as it was."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ended_on"].widget = date_input(first=timezone.localdate())


class EndForm(forms.Form):
    ended_on = forms.DateField(label=_("ended on"), initial=timezone.localdate)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ended_on"].widget = date_input()


def _visible_team(request: HttpRequest, slug: str) -> Team:
    """The team whose catalogue the user may read: a member's own, or any for the programme
    office; else 404."""
    team = get_object_or_404(Team, slug=slug)
    if not (roles_on(team=team, user=request.user) or is_programme_office(request.user)):
        raise Http404
    return team


def _may_read_region(request: HttpRequest) -> bool:
    return is_programme_office(request.user) or kpi_teams(request.user).exists()


def _back(team: Team | None) -> str:
    return reverse("team_offers", args=[team.slug]) if team else reverse("offers")


def _grouped(offers) -> list[tuple[str, list[LocalOffer]]]:
    groups: dict[str, list[LocalOffer]] = {}
    for offer in offers:
        groups.setdefault(offer.kind, []).append(offer)
    return [(str(OfferKind(k).label), groups[k]) for k in OfferKind.values if k in groups]


def _catalogue(request, *, team: Team | None, offers) -> HttpResponse:
    today = timezone.localdate()
    offers = list(offers)
    running = [o for o in offers if o.is_running(today)]
    ended = [o for o in offers if not o.is_running(today)]
    context = {
        "team": team,
        "groups": _grouped(running),
        "ended": ended,
        "may_keep": not keeper_refusal(user=request.user, team=team),
        "may_keep_region": not keeper_refusal(user=request.user, team=None),
        "office": is_programme_office(request.user),
        "teams": (
            Team.objects.order_by("name")
            if is_programme_office(request.user)
            else kpi_teams(request.user).order_by("name")
        ),
    }
    return render(request, "frontend/offers.html", context)


@login_required
def offers(request: HttpRequest) -> HttpResponse:
    """The region's offers. A member of one team goes to her team's catalogue (which lists the
    region's too); the programme office keeps the region's here."""
    if slug := request.GET.get("team", ""):  # (the area chooser)
        return redirect("team_offers", slug=_visible_team(request, slug).slug)
    if not is_programme_office(request.user):
        teams = list(kpi_teams(request.user).order_by("name")[:1])
        if not teams:
            raise Http404
        return redirect("team_offers", slug=teams[0].slug)
    region = LocalOffer.objects.filter(team__isnull=True).select_related("team")
    return _catalogue(request, team=None, offers=region)


@login_required
def team_offers(request: HttpRequest, slug: str) -> HttpResponse:
    team = _visible_team(request, slug)
    found = (
        LocalOffer.objects.for_team(team)
        .select_related("team")
        .order_by("kind", "team", "name", "pk")
    )
    return _catalogue(request, team=team, offers=found)


def _refused(request, *, team, offer, message: str) -> HttpResponse:
    context = {"team": team, "offer": offer, "form": None, "problems": [message]}
    return render(request, "frontend/offer_form.html", context, status=403)


def _offer_form(request, *, team: Team | None, offer: LocalOffer | None) -> HttpResponse:
    """New (offer None) or edit: the keeper's form; anyone else gets the reason (403)."""
    if refusal := keeper_refusal(user=request.user, team=team):
        return _refused(request, team=team, offer=offer, message=refusal)
    if offer is not None and (refusal := ended_refusal(offer=offer)):
        context = {"team": team, "offer": offer, "form": None, "problems": [refusal]}
        return render(request, "frontend/offer_form.html", context, status=400)
    fields = list(OFFER_FIELDS) if offer is None else [*OFFER_FIELDS, "ended_on"]
    form_class = OfferForm if offer is None else EditOfferForm
    form = form_class(request.POST or None, instance=None)
    if offer is not None and request.method != "POST":
        form = form_class(initial={name: getattr(offer, name) for name in fields})
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in fields}
        try:
            if offer is None:
                create_offer(by=request.user, team=team, **values)
            else:
                edit_offer(offer=offer, by=request.user, **values)
        except (ValidationError, Refused) as exc:
            attach_errors(form, exc)
        else:
            return redirect(_back(team))
    context = {"team": team, "offer": offer, "form": form, "problems": []}
    return render(request, "frontend/offer_form.html", context)


@login_required
def team_offer_new(request: HttpRequest, slug: str) -> HttpResponse:
    return _offer_form(request, team=_visible_team(request, slug), offer=None)


@login_required
def region_offer_new(request: HttpRequest) -> HttpResponse:
    if not _may_read_region(request):
        raise Http404
    return _offer_form(request, team=None, offer=None)


def _offer(request, pk: int) -> LocalOffer:
    offer = get_object_or_404(LocalOffer.objects.select_related("team"), pk=pk)
    if offer.team is not None:
        _visible_team(request, offer.team.slug)
    elif not _may_read_region(request):
        raise Http404
    return offer


@login_required
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    offer = _offer(request, pk)
    return _offer_form(request, team=offer.team, offer=offer)


@login_required
def offer_end(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form to end an offer (the day). POST: end it; it stays in the catalogue."""
    offer = _offer(request, pk)
    if refusal := keeper_refusal(user=request.user, team=offer.team):
        return _refused(request, team=offer.team, offer=offer, message=refusal)
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            end_offer(offer=offer, by=request.user, ended_on=form.cleaned_data["ended_on"])
        except Refused as exc:
            attach_errors(form, exc)
        else:
            return redirect(_back(offer.team))
    context = {"team": offer.team, "offer": offer, "form": form, "problems": [], "ending": True}
    return render(request, "frontend/offer_form.html", context)
