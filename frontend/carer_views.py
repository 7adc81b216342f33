"""The carers' portal (*mantelzorg*): mobile-first, plain Dutch. A carer sees, for each family
member they are linked to and allowed to see, the step in plain words, the actions shared with
carers, who to call, and when the team looks again; ticks off their own actions; raises a
concern, and sees whether the team has handled it. Professionals link and invite carers from the
resident panel."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clients.models import Carer, Concern
from clients.services import (
    AddressInUse,
    accept_invitation,
    check_carer_address,
    invitation_for,
    invite_carer,
    link_carer,
    raise_concern,
)
from clients.visibility import concerns_sent, resident_for_carer
from frontend.access import resident_for_request
from frontend.forms import CarerLinkForm
from frontend.views import board_changed, panel_response
from kernteam.access_log import note, nothing_changed
from kernteam.models import text_limit
from kernteam.refusals import Refused
from steps.models import AgreedAction
from steps.portal import CarerView, carer_view, carer_views
from steps.services import complete_action, undo_complete


class ConcernForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("What worries you?"),
        max_length=text_limit(Concern, "text"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@dataclass
class FamilyMember:
    """What the portal shows of one resident: the agreements (steps.portal) and the carer's
    own concerns, each with whether the team has handled it."""

    view: CarerView
    concerns: list[Concern]
    undoable: set[int]  # actions this carer ticked off and may still take back


def _family(view: CarerView, user) -> FamilyMember:
    undoable = {a.pk for a in view.actions if a.may_undo(user=user)}
    return FamilyMember(view, concerns_sent(carer=view.carer, resident=view.resident), undoable)


@login_required
def portal(request: HttpRequest) -> HttpResponse:
    family = [_family(view, request.user) for view in carer_views(user=request.user)]
    for member in family:
        resident = member.view.resident
        note(request, team=resident.team, residents=[resident.pk], what="carer-portal")
    return render(request, "frontend/carer_portal.html", {"family": family, "form": ConcernForm()})


@login_required
@require_POST
def carer_action_done(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(AgreedAction, pk=pk)
    carer, resident = resident_for_carer(user=request.user, pk=action.resident_id)
    if action.owner_carer_id != carer.pk or not action.shared_with_carers:
        return redirect("carer_portal")  # not theirs to tick off; nothing changes
    try:
        complete_action(action=action, by=request.user)
    except Refused as exc:
        messages.error(request, " ".join(exc.problems))
    else:
        messages.success(request, _("Thank you. The team can see it is done."))
    note(request, team=resident.team, residents=[resident.pk], what="carer-action-done")
    return redirect("carer_portal")


@login_required
@require_POST
def carer_action_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """The carer takes back a tick-off within a few minutes (a mis-tap)."""
    action = get_object_or_404(AgreedAction, pk=pk)
    carer, resident = resident_for_carer(user=request.user, pk=action.resident_id)
    if action.owner_carer_id != carer.pk or not action.shared_with_carers:
        return redirect("carer_portal")  # not theirs; nothing changes
    try:
        undo_complete(action=action, by=request.user)
    except Refused as exc:
        nothing_changed(request)
        messages.error(request, " ".join(exc.problems))
    else:
        messages.success(request, _("Taken back: the agreement is open again."))
    note(request, team=resident.team, residents=[resident.pk], what="carer-action-undo")
    return redirect("carer_portal")


@login_required
@require_POST
def carer_concern(request: HttpRequest, pk: int) -> HttpResponse:
    carer, resident = resident_for_carer(user=request.user, pk=pk)
    form = ConcernForm(request.POST)
    if form.is_valid():
        raise_concern(resident=resident, by=request.user, text=form.cleaned_data["text"])
        note(request, team=resident.team, residents=[resident.pk], what="carer-concern")
        messages.success(request, _("Thank you. The team has your message and will look at it."))
        return redirect("carer_portal")
    family = [_family(carer_view(carer=carer, resident=resident), request.user)]
    return render(request, "frontend/carer_portal.html", {"family": family, "form": form})


def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the invitation: set a password, and the portal opens. An address that is
    already another account's name is said before the carer chooses a password."""
    invitation = invitation_for(token)
    if invitation is None:
        return render(request, "frontend/carer_invitation_gone.html", status=410)
    carer = invitation.carer
    try:
        if carer.user is None:
            check_carer_address(carer, other_carers=False)
        form = SetPasswordForm(_as_the_carer_knows_it(carer), request.POST or None)
        if request.method == "POST" and form.is_valid():
            user = accept_invitation(
                invitation=invitation, password=form.cleaned_data["new_password1"]
            )
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("carer_portal")
    except AddressInUse:  # (the invitation itself still stands: not "this link is gone")
        context = {"carer": carer}
        return render(request, "frontend/carer_address_in_use.html", context, status=409)
    except ValidationError:
        return render(request, "frontend/carer_invitation_gone.html", status=410)
    return render(request, "frontend/carer_invitation.html", {"form": form, "carer": carer})


def _as_the_carer_knows_it(carer: Carer):
    """The account for the password validators' similarity check (never saved): the carer's
    names and e-mail address, which is what they sign in with, so that a password too like it
    is refused for being like "het e-mailadres" rather than a username they never saw."""
    return get_user_model()(
        username="", email=carer.email, first_name=carer.first_name, last_name=carer.last_name
    )


@login_required
@require_POST
def invite(request: HttpRequest, pk: int, carer: int) -> HttpResponse:
    """From the resident panel: invite a linked carer by email."""
    subject = resident_for_request(request, pk=pk)
    the_carer = get_object_or_404(Carer, pk=carer)

    def send(token: str) -> None:
        link = request.build_absolute_uri(reverse("carer_accept", args=[token]))
        send_mail(
            subject=_("Invitation: see what the kernteam agreed for %(name)s")
            % {"name": subject.display_name},
            message=_(
                "Dear %(carer)s,\n\nThe kernteam of %(name)s invites you to see what was "
                "agreed and what is expected of you. Set your password with this link (valid "
                "for 7 days, once):\n\n%(link)s\n\nKind regards,\n%(sender)s"
            )
            % {
                "carer": the_carer.first_name,
                "name": subject.display_name,
                "link": link,
                "sender": request.user.get_full_name(),
            },
            from_email=None,
            recipient_list=[the_carer.email],
        )

    try:
        # A mail that fails withdraws the new invitation: an earlier one keeps working.
        invite_carer(resident=subject, carer=the_carer, by=request.user, send=send)
    except (ValidationError, Refused) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    except (smtplib.SMTPException, OSError) as exc:
        messages.error(
            request,
            _(
                "The e-mail to %(email)s could not be sent (%(error)s), so no invitation was "
                "sent. Try again later."
            )
            % {"email": the_carer.email, "error": exc.__class__.__name__},
        )
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": the_carer.email})
    return board_changed(panel_response(request, subject), target="#resident-panel")


@login_required
def link(request: HttpRequest, pk: int) -> HttpResponse:
    """From the resident panel: link a carer (then invite them). The form comes back with the
    reasons when the link is refused; on success the panel is replaced."""
    subject = resident_for_request(request, pk=pk)
    form = CarerLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = link_carer(resident=subject, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)  # (each under its field: the service names the form's)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(carer)s is linked as %(relationship)s.")
                % {"carer": made.carer, "relationship": made.get_relationship_display()},
            )
            return board_changed(panel_response(request, subject), target="#resident-panel")
    nothing_changed(request)  # the form (again): nothing was linked
    return render(request, "frontend/carer_link_form.html", {"resident": subject, "form": form})
