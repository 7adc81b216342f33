"""A team's members: who is on it, added and ended in the application (issue 21 §2).

The functional administrator (a superuser) and the team's coordinator, for her own team, add
and end members. One person is one account, with a membership per team and role: a new person
gets an account without a password and an invitation with the one-time enrolment link
(`kernteam.second_factor`), with which she sets her password and her authenticator app; an
existing account (found by its e-mail address, whatever its capitals) gets one more membership.
Nobody is deleted: ending a membership sets its end date, and the member's boards, API tokens
and pages for that team stop at once (`Membership.save`). Integration accounts (a system's
account: `kernteam.roles.INTEGRATIONS`) are managed in the administration, not here.

Every change is kept twice: in the team's history (`MembershipChange`, on the members page) and
in the access log (`member-added: <username> as <role>`, `member-invited: …`, `member-ended: …`,
with the team and without a resident).
"""

from __future__ import annotations

import logging
import re
import smtplib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kernteam.access_log import write
from kernteam.models import (
    AccessLogEntry,
    Membership,
    MembershipChange,
    Team,
    person_name,
    primary_role,
    shown_date,
)
from kernteam.policy import roles_on
from kernteam.refusals import Refused
from kernteam.roles import INTEGRATIONS, Role, role_label
from kernteam.second_factor import has_second_factor, issue_enrolment_link, send_invitation

logger = logging.getLogger("kernteam.accounts")

LinkFor = Callable[[str], str]  # an enrolment token → the absolute link to mail


def may_manage_members(*, team, user) -> bool:
    """The functional administrator (a superuser) and the team's coordinator, for her own team,
    add and end members."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_superuser) or Role.COORDINATOR in roles_on(team=team, user=user)


def require_manager(*, team: Team, user) -> None:
    if not may_manage_members(team=team, user=user):
        raise Refused(
            _(
                "Only the team coordinator and the functional administrator add or end the "
                "members of a team."
            ),
            forbidden=True,
        )


@dataclass(frozen=True)
class Added:
    membership: Membership
    new_account: bool  # a new person: an account was made for her
    invited: bool  # an enrolment link was sent (no second factor yet)


def add_member(
    *,
    team: Team,
    by,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    agb_code: str = "",
    uzi_number: str = "",
    organisation: str = "",
    phone: str = "",
    path: str = "",
    ip: str | None = None,
    link_for: LinkFor | None = None,
) -> Added:
    """Put a person on the team in `role`. Bad input: `ValidationError` by field (nothing
    written); not allowed: `Refused` (forbidden); the mail could not be sent: `Refused`, and
    nothing was written either."""
    require_manager(team=team, user=by)
    typed = {
        "first_name": " ".join((first_name or "").split()),
        "last_name": " ".join((last_name or "").split()),
        "email": (email or "").strip(),
        "role": (role or "").strip(),
        "agb_code": (agb_code or "").strip(),
        "uzi_number": (uzi_number or "").strip(),
        "organisation": (organisation or "").strip(),
        "phone": (phone or "").strip(),
    }
    errors = _typed_problems(typed)
    account = None
    if "email" not in errors:
        try:
            account = _account_with(typed["email"])
        except ValidationError as exc:
            errors |= {k: v[0] for k, v in exc.message_dict.items()}
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            Team.objects.select_for_update().filter(pk=team.pk).first()  # one at a time
            added = _add(team=team, by=by, typed=typed, account=account, link_for=link_for)
            what = f"member-added: {added.membership.user.username} as {typed['role']}"
            _log(team=team, by=by, what=what, path=path, ip=ip)
    except (smtplib.SMTPException, OSError) as exc:
        raise Refused(
            _(
                "The e-mail to %(email)s could not be sent (%(error)s), so %(name)s was not "
                "added. Try again later."
            )
            % {
                "email": typed["email"],
                "error": exc.__class__.__name__,
                "name": f"{typed['first_name']} {typed['last_name']}",
            }
        ) from exc
    except IntegrityError as exc:  # (someone added her at the same moment)
        raise Refused(
            _("Someone else added this person at the same moment. Look at the list first.")
        ) from exc
    logger.info("%s added %s to %s as %s.", by.username, added.membership.user, team, role)
    return added


def _add(*, team: Team, by, typed: dict, account, link_for: LinkFor | None) -> Added:
    new_account = account is None
    if new_account:
        account = get_user_model().objects.create_user(
            username=_free_username(typed["email"]),
            email=typed["email"],
            first_name=typed["first_name"][:150],
            last_name=typed["last_name"][:150],
        )  # (no password: she sets it with the link, `frontend.two_factor_views`)
    elif team.memberships.active().filter(user=account, role=typed["role"]).exists():
        raise ValidationError({"role": _already(typed["role"])})
    membership = Membership(
        team=team,
        user=account,
        role=typed["role"],
        organisation=typed["organisation"],
        phone=typed["phone"],
        agb_code=typed["agb_code"] or _known(account, "agb_code"),
        uzi_number=typed["uzi_number"] or _known(account, "uzi_number"),
    )
    membership.full_clean(validate_constraints=False)
    membership.save()
    MembershipChange.objects.create(
        team=team, membership=membership, kind=MembershipChange.Kind.ADDED, by=by
    )
    invited = not has_second_factor(account)
    if invited:
        _send_link(membership=membership, by=by, link_for=link_for)
    else:
        _send_added(membership=membership, by=by)
    return Added(membership=membership, new_account=new_account, invited=invited)


def _typed_problems(typed: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    user_model = get_user_model()
    for field in ("first_name", "last_name"):
        limit = user_model._meta.get_field(field).max_length
        if not typed[field]:
            errors[field] = (
                _("Enter the first name.") if field == "first_name" else _("Enter the last name.")
            )
        elif len(typed[field]) > limit:
            errors[field] = _("At most %(limit)d characters.") % {"limit": limit}
    if not typed["email"]:
        errors["email"] = _("Enter the e-mail address: the invitation goes there.")
    else:
        try:
            validate_email(typed["email"])
        except ValidationError:
            errors["email"] = _("Enter a valid e-mail address, e.g. naam@praktijk.nl.")
    if typed["role"] not in Role.values:
        errors["role"] = _("Choose the discipline.")
    for field in ("agb_code", "uzi_number", "organisation", "phone"):
        model_field = Membership._meta.get_field(field)
        if not typed[field]:
            continue
        try:
            model_field.run_validators(typed[field])  # (the length limit too)
        except ValidationError as exc:
            errors[field] = exc.messages[0]
    return errors


def _account_with(email: str):
    """The account of the person with this address (any capitals), or None for a new person.
    Not a carer's portal account, an integration account, or one that is switched off."""
    found = list(
        get_user_model()
        .objects.filter(email__iexact=email)
        .order_by("pk")
        .prefetch_related("groups")[:2]
    )
    carers = get_user_model().objects.filter(carer__isnull=False)
    if (
        carers.filter(email__iexact=email).exists()
        or carers.filter(username__iexact=email).exists()
    ):
        raise ValidationError(
            {
                "email": _(
                    "This e-mail address belongs to a carer's account (the carers' portal). A "
                    "professional needs an account of her own: use her work address."
                )
            }
        )
    if len(found) > 1:
        raise ValidationError(
            {
                "email": _(
                    "Several accounts have this e-mail address, so it is not clear who is meant. "
                    "The functional administrator has to sort this out first."
                )
            }
        )
    if not found:
        return None
    account = found[0]
    if any(group.name == INTEGRATIONS for group in account.groups.all()):
        raise ValidationError({"email": _integration_account()})
    if not account.is_active:
        raise ValidationError(
            {
                "email": _(
                    "The account with this e-mail address (%(username)s) is switched off. The "
                    "functional administrator switches it on in the administration first."
                )
                % {"username": account.username}
            }
        )
    return account


def _integration_account() -> str:
    return _(
        "This is an integration account (a system's account, not a person): the functional "
        "administrator manages it in the administration."
    )


def _already(role: str) -> str:
    return _("This person is already on the team as %(role)s.") % {"role": role_label(role)}


def _known(account, field: str) -> str:
    """The person's AGB code or UZI number from another of her memberships ("" if none)."""
    other = account.memberships.exclude(**{field: ""}).order_by("-pk").first()
    return getattr(other, field) if other else ""


def _free_username(email: str) -> str:
    """A username from the address's local part (letters, digits, . _ -), unique whatever its
    capitals; never the address itself (carers sign in with theirs: `frontend.sign_in`)."""
    local = unicodedata.normalize("NFKD", email.split("@")[0]).encode("ascii", "ignore")
    base = re.sub(r"[^a-z0-9._-]+", "", local.decode().lower()).strip("._-")[:140] or "lid"
    taken = get_user_model().objects.filter(username__iregex=rf"^{re.escape(base)}[0-9]*$")
    names = {name.lower() for name in taken.values_list("username", flat=True)}
    if base not in names:
        return base
    number = 2
    while f"{base}{number}" in names:
        number += 1
    return f"{base}{number}"


# --- mail -------------------------------------------------------------------------------------


def _default_link(token: str) -> str:
    return f"{settings.KERNTEAM_BASE_URL}{reverse('enrolment_link', args=[token])}"


def _send_link(*, membership: Membership, by, link_for: LinkFor | None) -> None:
    """A new enrolment link (an earlier one stops working), mailed with the invitation."""
    token = issue_enrolment_link(user=membership.user)
    send_invitation(
        user=membership.user,
        link=(link_for or _default_link)(token),
        team=membership.team.name,
        role=membership.get_role_display(),
        by=person_name(by),
    )


def _send_added(*, membership: Membership, by) -> None:
    """A person who signs in with her second factor already: a short note, no link."""
    user = membership.user
    values = {
        "name": person_name(user),
        "by": person_name(by),
        "team": membership.team.name,
        "role": membership.get_role_display(),
    }
    send_mail(
        subject=_("Kernteam: you are on the kernteam %(team)s") % values,
        message=_(
            "Dear %(name)s,\n\n%(by)s added you to the kernteam %(team)s as %(role)s. Sign in to "
            'Kernteam as usual: the team is on your page "My kernteams".\n\nDid you not expect '
            "this e-mail? Then tell %(by)s or the administrator of Kernteam.\n"
        )
        % values,
        from_email=None,
        recipient_list=[user.email],
    )


# --- an invitation sent again ----------------------------------------------------------------


def resend_invitation(
    *,
    membership: Membership,
    by,
    path: str = "",
    ip: str | None = None,
    link_for: LinkFor | None = None,
) -> None:
    """An invited member lost the mail, or the link expired: a new link (the earlier one stops
    working). Only while she has not set up her authenticator app."""
    require_manager(team=membership.team, user=by)
    _check_not_integration(membership)
    if membership.ended_on is not None:
        raise Refused(_("This membership has ended: add the person again instead."))
    user = membership.user
    if has_second_factor(user):
        raise Refused(
            _(
                "%(name)s has set up the authenticator app already and signs in as usual. Lost "
                "her phone? The functional administrator resets the app in the administration."
            )
            % {"name": person_name(user)}
        )
    if not user.email:
        raise Refused(_("%(name)s has no e-mail address.") % {"name": person_name(user)})
    try:
        with transaction.atomic():
            _send_link(membership=membership, by=by, link_for=link_for)
            MembershipChange.objects.create(
                team=membership.team,
                membership=membership,
                kind=MembershipChange.Kind.INVITED,
                by=by,
            )
            what = f"member-invited: {user.username}"
            _log(team=membership.team, by=by, what=what, path=path, ip=ip)
    except (smtplib.SMTPException, OSError) as exc:
        raise Refused(
            _(
                "The e-mail to %(email)s could not be sent (%(error)s), so no new link was sent. "
                "Try again later."
            )
            % {"email": user.email, "error": exc.__class__.__name__}
        ) from exc


# --- leaving ----------------------------------------------------------------------------------


def end_membership(*, membership: Membership, by, path: str = "", ip: str | None = None):
    """The member leaves the team (in this role): the membership ends today and is kept. Her
    open boards close and her API tokens lose the team at once (`Membership.save`); residents
    she coordinated come up on the next agenda (`steps.meetings.agenda_candidates`). The team's
    last coordinator is ended by the functional administrator only (else nobody could manage
    the team); an invitation she has not used stops working when she is on no team any more."""
    team = membership.team
    require_manager(team=team, user=by)
    _check_not_integration(membership)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.ended_on is not None:
            raise Refused(
                _("This membership ended already, on %(day)s.")
                % {"day": shown_date(locked.ended_on)}
            )
        if locked.role == Role.COORDINATOR and not by.is_superuser:
            others = team.people().filter(role=Role.COORDINATOR).exclude(pk=locked.pk)
            if not others.exists():
                raise Refused(
                    _(
                        "%(name)s is the team's only coordinator. Add the new coordinator first, "
                        "or ask the functional administrator."
                    )
                    % {"name": person_name(locked.user)},
                    forbidden=True,
                )
        locked.ended_on = max(timezone.localdate(), locked.started_on)
        locked.save(update_fields=["ended_on"])
        MembershipChange.objects.create(
            team=team, membership=locked, kind=MembershipChange.Kind.ENDED, by=by
        )
        what = f"member-ended: {locked.user.username} as {locked.role}"
        _log(team=team, by=by, what=what, path=path, ip=ip)
        if not Membership.objects.active().filter(user_id=locked.user_id).exists():
            _void_unused_links(locked.user)
    membership.ended_on = locked.ended_on
    logger.info("%s ended %s on %s.", by.username, locked, team)
    return locked


def _void_unused_links(user) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user, confirmed=False).delete()


def _check_not_integration(membership: Membership) -> None:
    if membership.user.groups.filter(name=INTEGRATIONS).exists():
        raise Refused(_integration_account(), forbidden=True)


def _log(*, team: Team, by, what: str, path: str, ip: str | None) -> None:
    """The change in the access log: the team, no resident; the actor's role on the team, or
    "admin" for the functional administrator who is not on it."""
    role = primary_role(roles_on(team=team, user=by)) or ("admin" if by.is_superuser else "")
    row = (team, None, AccessLogEntry.Action.WRITE, what[:60], role)
    write(user=by, rows=[row], path=path[:300], ip=ip)
    logger.info("Members: %s by %s from %s.", what, by.username, ip or "-")
