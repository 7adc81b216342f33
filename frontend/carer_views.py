"""The carers' portal (*mantelzorg*): mobile-first, plain Dutch. A carer sees, for each family
member they are linked to and allowed to see, the step in plain words, the actions shared with
carers, who to call, and when the team looks again; ticks off their own actions; raises a
concern. Professionals invite carers from the resident panel."""

from __future__ import annotations

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
    raise_concern,
)
from clients.visibility import resident_for_carer
from frontend.access import resident_for_request
from frontend.views import board_changed, panel_response
from kernteam.access_log import note
from kernteam.models import text_limit
from kernteam.refusals import Refused
from steps.models import AgreedAction
from steps.portal import carer_view, carer_views
from steps.services import complete_action


class ConcernForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("What worries you?"),
        max_length=text_limit(Concern, "text"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@login_required
def portal(request: HttpRequest) -> HttpResponse:
    views = carer_views(user=request.user)
    for view in views:
        note(request, team=view.resident.team, residents=[view.resident.pk], what="carer-portal")
    return render(request, "frontend/carer_portal.html", {"views": views, "form": ConcernForm()})


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
def carer_concern(request: HttpRequest, pk: int) -> HttpResponse:
    carer, resident = resident_for_carer(user=request.user, pk=pk)
    form = ConcernForm(request.POST)
    if form.is_valid():
        raise_concern(resident=resident, by=request.user, text=form.cleaned_data["text"])
        note(request, team=resident.team, residents=[resident.pk], what="carer-concern")
        messages.success(request, _("Thank you. The team has your message and will look at it."))
        return redirect("carer_portal")
    view = carer_view(carer=carer, resident=resident)
    return render(request, "frontend/carer_portal.html", {"views": [view], "form": form})


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
        user = carer.user or _unsaved_user(carer)
        form = SetPasswordForm(user, request.POST or None)
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


def _unsaved_user(carer: Carer):
    """For the password validators' similarity check, before the account exists."""
    return get_user_model()(
        username=carer.email.lower(), first_name=carer.first_name, last_name=carer.last_name
    )


@login_required
@require_POST
def invite(request: HttpRequest, pk: int, carer: int) -> HttpResponse:
    """From the resident panel: invite a linked carer by email."""
    subject = resident_for_request(request, pk=pk)
    the_carer = get_object_or_404(Carer, pk=carer)
    try:
        token = invite_carer(resident=subject, carer=the_carer, by=request.user)
    except (ValidationError, Refused) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        link = request.build_absolute_uri(reverse("carer_accept", args=[token]))
        send_mail(
            subject=_("Invitation: see what the kernteam agreed for %(name)s")
            % {"name": subject.display_name},
            message=_(
                "Dear %(carer)s,\n\nThe kernteam of %(name)s invites you to see what was agreed "
                "and what is expected of you. Set your password with this link (valid for 7 "
                "days, once):\n\n%(link)s\n\nKind regards,\n%(sender)s"
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
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": the_carer.email})
    return board_changed(panel_response(request, subject), target="#resident-panel")
