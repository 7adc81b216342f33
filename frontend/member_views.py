"""A team's members on the web (issue 21 §2): the list (active, invited, ended, the history),
adding a member, ending a membership (after a confirmation naming what follows), and sending an
invitation again. The domain rules are `kernteam.members`'; here input is parsed and pages are
rendered.

Who gets in: the functional administrator (a superuser: every team, from her home page) and the
team's coordinator, who is told why not (403) when it is her own membership. Another member of
the team is told why not (403); anyone else finds no such team (404). An address of an account
by another name than typed is added only after the coordinator confirms it (the "confirm"
button, which carries the address it confirms).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.models import Resident
from clients.visibility import visible_residents
from frontend.form_errors import attach_errors
from kernteam.access_log import client_ip, note, nothing_changed
from kernteam.members import (
    ConfirmAccount,
    add_member,
    end_membership,
    is_own,
    may_manage_members,
    other_coordinators,
    own_refusal,
    resend_invitation,
)
from kernteam.models import Membership, MembershipChange, Team, person_name
from kernteam.policy import roles_on
from kernteam.refusals import Refused
from kernteam.roles import INTEGRATIONS, Role
from steps.meetings import COORDINATED, coordinator_left_q


class MemberForm(forms.Form):
    """What the coordinator types. Every check (and its Dutch message) is the domain's
    (`kernteam.members.add_member`): the form only collects."""

    first_name = forms.CharField(label=gettext_lazy("First name"), required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), required=False)
    email = forms.CharField(
        label=gettext_lazy("E-mail address"),
        required=False,
        help_text=gettext_lazy(
            "The invitation goes here: a link to choose a password and set up the "
            "authenticator app. Kernteam never sends a password."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.CharField(
        label=gettext_lazy("Discipline"),
        required=False,
        widget=forms.Select(choices=[("", gettext_lazy("— choose —")), *Role.choices]),
    )
    agb_code = forms.CharField(
        label=gettext_lazy("AGB code (if known)"),
        required=False,
        help_text=gettext_lazy("8 digits"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    uzi_number = forms.CharField(
        label=gettext_lazy("UZI number (if known)"),
        required=False,
        help_text=gettext_lazy("9 digits, on the UZI card"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    organisation = forms.CharField(label=gettext_lazy("Organisation"), required=False)
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )


def _team(request: HttpRequest, slug: str) -> Team:
    """The team, for its members and the functional administrator; else 404."""
    team = get_object_or_404(Team, slug=slug)
    if not request.user.is_superuser and not roles_on(team=team, user=request.user):
        raise Http404
    return team


def _refused(request: HttpRequest, team: Team, reasons: list[str]) -> HttpResponse:
    context = {"team": team, "problems": reasons}
    return render(request, "frontend/members/refused.html", context, status=403)


NOT_SENT = MembershipChange.Kind.NOT_SENT
INVITATION_KINDS = (MembershipChange.Kind.ADDED, MembershipChange.Kind.INVITED, NOT_SENT)

NOT_MANAGER = gettext_lazy(
    "Only the team coordinator and the functional administrator add or end the members of a "
    "team. Ask your team coordinator."
)


def _link_for(request: HttpRequest):
    return lambda token: request.build_absolute_uri(reverse("enrolment_link", args=[token]))


@login_required
def members(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team(request, slug)
    if not may_manage_members(team=team, user=request.user):
        return _refused(request, team, [str(NOT_MANAGER)])
    rows = team.memberships.select_related("user").order_by(
        "user__last_name", "user__first_name", "role", "pk"
    )
    active = [m for m in rows if m.ended_on is None]
    integrations = set(
        team.memberships.filter(user__groups__name=INTEGRATIONS).values_list("pk", flat=True)
    )
    users = {m.user_id for m in active}
    devices = TOTPDevice.objects.filter(user_id__in=users).values_list("user_id", "confirmed")
    enrolled = {user for user, confirmed in devices if confirmed}
    invited = {user for user, confirmed in devices if not confirmed}  # (a link was issued)
    last_word = dict(  # the latest on each one's invitation: sent (added, again) or not
        MembershipChange.objects.filter(
            membership__in=[m.pk for m in active], kind__in=INVITATION_KINDS
        )
        .order_by("at", "pk")
        .values_list("membership_id", "kind")
    )
    coordinated = dict(
        Resident.objects.filter(
            team=team, coordinator_id__in=users, trajectory__state__in=COORDINATED
        )
        .order_by()
        .values_list("coordinator_id")
        .annotate(n=Count("pk"))
    )
    for m in active:
        m.enrolled = m.user_id in enrolled
        m.invited = m.user_id in invited
        m.not_sent = not (m.enrolled or m.invited) and last_word.get(m.pk) == NOT_SENT
        m.coordinates = coordinated.get(m.user_id, 0)
        m.own = is_own(m.user_id, request.user)
    history = (
        MembershipChange.objects.filter(team=team)
        .select_related("membership__user", "by")
        .order_by("-at", "-pk")[:100]
    )
    context = {
        "team": team,
        "active": [m for m in active if m.pk not in integrations],
        "integrations": [m for m in active if m.pk in integrations],
        "ended": sorted(
            (m for m in rows if m.ended_on is not None), key=lambda m: m.ended_on, reverse=True
        ),
        "history": history,
    }
    return render(request, "frontend/members/index.html", context)


@login_required
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team(request, slug)
    if not may_manage_members(team=team, user=request.user):
        return _refused(request, team, [str(NOT_MANAGER)])
    form = MemberForm(request.POST or None)
    confirm = None
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().casefold()
        try:
            added = add_member(
                team=team,
                by=request.user,
                **form.cleaned_data,
                confirmed=bool(email) and request.POST.get("confirm", "").casefold() == email,
                path=request.path,
                ip=client_ip(request),
                link_for=_link_for(request),
            )
        except ConfirmAccount as exc:  # (an existing account, by another name than typed)
            confirm = {"question": exc.problems[0], "name": exc.name, "email": email}
        except Refused as exc:
            if exc.forbidden:
                return _refused(request, team, exc.problems)
            attach_errors(form, exc)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            said = messages.warning if added.mail_error or added.not_told else messages.success
            said(request, _added_message(added))
            return redirect("members", slug=team.slug)
    for name in form.errors:  # (marked for screen readers and the eye)
        if name in form.fields:
            form.fields[name].widget.attrs["aria-invalid"] = "true"
    status = 400 if form.errors else 200
    context = {"team": team, "form": form, "confirm": confirm}
    return render(request, "frontend/members/add.html", context, status=status)


def _added_message(added) -> str:
    said = _what_was_sent(added)
    if added.told:
        said += " " + _("Told by e-mail, as the team's GP: %(names)s.") % {
            "names": ", ".join(added.told)
        }
    if added.not_told:
        said += " " + _(
            "The e-mail to the team's GP could not be sent to: %(names)s. Tell them yourself."
        ) % {"names": ", ".join(added.not_told)}
    return said


def _what_was_sent(added) -> str:
    membership = added.membership
    user = membership.user
    values = {
        "name": person_name(user),
        "role": membership.get_role_display(),
        "email": user.email,
        "username": user.username,
        "error": added.mail_error,
    }
    if added.mail_error and added.invited:
        return (
            _(
                "%(name)s is on the team as %(role)s, but the invitation to %(email)s could not "
                'be sent (%(error)s). The list marks her "invitation not sent": send it again '
                "from there later."
            )
            % values
        )
    if added.mail_error:
        return (
            _(
                "%(name)s is now also on this team as %(role)s; the e-mail telling her so could "
                "not be sent (%(error)s)."
            )
            % values
        )
    if added.new_account and added.invited:
        return (
            _(
                "%(name)s is on the team as %(role)s. The invitation went to %(email)s: with its "
                "link she chooses her password and sets up the authenticator app (username "
                "%(username)s)."
            )
            % values
        )
    if added.invited:
        return (
            _(
                "%(name)s already had an account (%(username)s) and is now also on this team as "
                "%(role)s. She has not set up the authenticator app yet: the link for it went to "
                "%(email)s."
            )
            % values
        )
    return (
        _(
            "%(name)s already had an account (%(username)s) and is now also on this team as "
            "%(role)s. She was told by e-mail (%(email)s)."
        )
        % values
    )


def _membership(team: Team, pk: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), pk=pk, team=team)


def residents_losing(membership: Membership, user) -> tuple[int, list[Resident]]:
    """What ending this membership leaves without a care coordinator: the number of the team's
    residents (in a step, or admitted) she coordinates, none if she stays on the team in another
    role; and those of them `user` may see (to name them)."""
    team = membership.team
    if membership.ended_on is not None:
        return 0, []
    theirs = Resident.objects.filter(team=team, coordinator_id=membership.user_id).filter(
        coordinator_left_q(resident="", state="trajectory__state", besides=membership.pk)
    )
    shown = list(theirs.filter(visible_residents(user=user, team=team)).order_by("last_name"))
    return theirs.count(), shown


@login_required
def member_end(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The confirmation (GET) and the end itself (POST)."""
    team = _team(request, slug)
    if not may_manage_members(team=team, user=request.user):
        return _refused(request, team, [str(NOT_MANAGER)])
    membership = _membership(team, pk)
    if is_own(membership.user_id, request.user):
        return _refused(request, team, [own_refusal()])
    count, shown = residents_losing(membership, request.user)
    if request.method == "POST":
        try:
            end_membership(
                membership=membership, by=request.user, path=request.path, ip=client_ip(request)
            )
        except Refused as exc:
            nothing_changed(request)
            if exc.forbidden:
                return _refused(request, team, exc.problems)
            messages.error(request, " ".join(exc.problems))
            return redirect("members", slug=team.slug)
        messages.success(request, _ended_message(membership, count))
        return redirect("members", slug=team.slug)
    if membership.ended_on is not None:
        messages.error(request, _("This membership has ended already."))
        return redirect("members", slug=team.slug)
    last_coordinator = (
        membership.role == Role.COORDINATOR
        and not other_coordinators(team=team, besides=membership.pk).exists()
    )
    context = {
        "team": team,
        "membership": membership,
        "name": person_name(membership.user),
        "count": count,
        "shown": shown,
        "unseen": count - len(shown),
        "last_coordinator": last_coordinator,
        "is_admin": request.user.is_superuser,
    }
    if shown:  # (their names are shown: a read of their data)
        note(request, team=team, residents=[r.pk for r in shown], what="member-end-residents")
    return render(request, "frontend/members/end.html", context)


def _ended_message(membership: Membership, count: int) -> str:
    values = {"name": person_name(membership.user), "role": membership.get_role_display()}
    said = _("%(name)s is no longer on the team as %(role)s.") % values
    if count:
        said += " " + ngettext(
            "%(n)d resident gets a new care coordinator: she is on the agenda of the next meeting.",
            "%(n)d residents get a new care coordinator: they are on the agenda of the next "
            "meeting.",
            count,
        ) % {"n": count}
    return said


@login_required
@require_POST
def member_invite(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team = _team(request, slug)
    if not may_manage_members(team=team, user=request.user):
        return _refused(request, team, [str(NOT_MANAGER)])
    membership = _membership(team, pk)
    try:
        resend_invitation(
            membership=membership,
            by=request.user,
            path=request.path,
            ip=client_ip(request),
            link_for=_link_for(request),
        )
    except Refused as exc:
        if exc.forbidden:
            return _refused(request, team, exc.problems)
        messages.error(request, " ".join(exc.problems))
    else:
        messages.success(
            request,
            _("A new link went to %(email)s; the earlier one no longer works.")
            % {"email": membership.user.email},
        )
    return redirect("members", slug=team.slug)
