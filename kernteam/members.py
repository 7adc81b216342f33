"""A team's members: who is on it, added and ended in the application (issue 21 §2).

The functional administrator (a superuser) and the team's coordinator, for her own team, add
and end members; a coordinator never adds, changes or ends her own memberships (else she could
make herself the team's GP). One person is one account (one e-mail address, whatever its
capitals, is on one account at most: kernteam 0013), with a membership per team and role: a new
person gets an account without a password and an invitation with the one-time enrolment link
(`kernteam.second_factor`), with which she sets her password and her authenticator app; an
existing account gets one more membership, once the manager confirmed it is the person she
meant when its name is not the one she typed. Nobody is deleted: ending a membership sets its
end date, and the member's boards, API tokens and pages for that team stop at once
(`Membership.save`). Integration accounts (a system's account: `kernteam.roles.INTEGRATIONS`)
are managed in the administration, not here.

Mail goes out after the change is committed, never while the team is locked: a mail that fails
leaves the member added, marked "invitation not sent" (`MembershipChange.Kind.NOT_SENT`), to be
sent again from the members page. A coordinator who gives a clinical role (GP, POH,
elderly-care physician) has the team's GPs told by e-mail.

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
from django.db.models import Q
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
from kernteam.roles import INTEGRATIONS, LOG_OFFICERS, PROGRAMME_OFFICE, Role, role_label
from kernteam.second_factor import has_second_factor, issue_enrolment_link, send_invitation

logger = logging.getLogger("kernteam.accounts")

LinkFor = Callable[[str], str]  # an enrolment token → the absolute link to mail

# Roles with a say in medical decisions: a coordinator who gives one has the team's GPs told.
CLINICAL = (Role.GP, Role.POH, Role.ELDERLY_CARE_PHYSICIAN)


def may_manage_members(*, team, user) -> bool:
    """The functional administrator (a superuser) and the team's coordinator, for her own team,
    add and end members."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_superuser) or Role.COORDINATOR in roles_on(team=team, user=user)


def require_manager(*, team: Team, user) -> None:
    if not may_manage_members(team=team, user=user):
        raise Refused(_not_manager(), forbidden=True)


def _still_manager(team: Team, user) -> None:
    """As `require_manager`, read again (under the team's lock: she may have been ended)."""
    if not user.is_superuser and Role.COORDINATOR not in team.roles_of(user):
        raise Refused(_not_manager(), forbidden=True)


def _not_manager() -> str:
    return _(
        "Only the team coordinator and the functional administrator add or end the members of a "
        "team."
    )


def is_own(membership_user_id: int | None, by) -> bool:
    """A manager's own account, which only the functional administrator changes."""
    return membership_user_id == by.pk and not by.is_superuser


def _refuse_own(user_id: int | None, by) -> None:
    if is_own(user_id, by):
        raise Refused(own_refusal(), forbidden=True)


def own_refusal() -> str:
    return _(
        "You cannot add, change or end your own memberships: ask another coordinator of the "
        "team or the functional administrator."
    )


@dataclass(frozen=True)
class Added:
    membership: Membership
    new_account: bool  # a new person: an account was made for her
    invited: bool  # she has no authenticator app yet: the invitation carries the link
    mail_error: str = ""  # why her mail could not be sent (the error's name); "" when it went
    told: tuple[str, ...] = ()  # the team's GPs told by e-mail of a clinical role
    not_told: tuple[str, ...] = ()  # the team's GPs whose e-mail could not be sent


class ConfirmAccount(Refused):
    """The address is an existing account's whose name is not the one typed: a typo could put
    someone else on the team. Add her only once the manager confirms (`confirmed=True`)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            _("This address belongs to %(name)s. Do you mean her?") % {"name": name},
            field="email",
        )
        self.name = name


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
    confirmed: bool = False,
    path: str = "",
    ip: str | None = None,
    link_for: LinkFor | None = None,
) -> Added:
    """Put a person on the team in `role`. Bad input: `ValidationError` by field (nothing
    written); not allowed: `Refused` (forbidden); an existing account with another name than
    typed: `ConfirmAccount` (`confirmed=True` adds her). The mail is sent after the change is
    committed: if it fails she is added all the same (`Added.mail_error`)."""
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
    if "email" not in errors:
        try:  # (a first look, to name every mistake at once; again under the lock below)
            _account_for(typed, by=by, confirmed=confirmed or bool(errors))
        except ValidationError as exc:
            errors |= {k: v[0] for k, v in exc.message_dict.items()}
    if errors:
        raise ValidationError(errors)
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                Team.objects.select_for_update().filter(pk=team.pk).first()  # one at a time
                _still_manager(team, by)
                # Looked up again: someone may have made her account meanwhile (on another
                # team, which this lock does not hold; the database keeps it to one account).
                account = _account_for(typed, by=by, confirmed=confirmed)
                membership, new_account, token = _add(
                    team=team, by=by, typed=typed, account=account
                )
                what = f"member-added: {membership.user.username} as {typed['role']}"
                _log(team=team, by=by, what=what, path=path, ip=ip)
            break
        except IntegrityError as exc:  # her account, made at the same moment: find it now
            if attempt == 2:
                raise Refused(
                    _("Someone else added this person at the same moment. Look at the list first.")
                ) from exc
    logger.info("%s added %s to %s as %s.", by.username, membership.user, team, role)
    if token:
        error = _mailed(
            lambda: _send_link(membership=membership, by=by, token=token, link_for=link_for)
        )
        if error:
            _not_sent(membership=membership, by=by)
    else:
        error = _mailed(lambda: _send_added(membership=membership, by=by))
    told, not_told = (), ()
    if typed["role"] in CLINICAL:
        told, not_told = _tell_gps(membership=membership, by=by, path=path, ip=ip)
    return Added(
        membership, new_account, bool(token), mail_error=error, told=told, not_told=not_told
    )


def _add(*, team: Team, by, typed: dict, account) -> tuple[Membership, bool, str]:
    """The membership (and her account, if new); the enrolment token if she has no app yet."""
    new_account = account is None
    if new_account:
        account = get_user_model().objects.create_user(
            username=_free_username(typed["email"]),
            email=typed["email"],
            first_name=typed["first_name"],
            last_name=typed["last_name"],
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
    token = "" if has_second_factor(account) else issue_enrolment_link(user=account)
    return membership, new_account, token


def _typed_problems(typed: dict) -> dict[str, str]:
    """What is wrong with the input itself; every length limit is the model field's."""
    errors: dict[str, str] = {}
    user_model = get_user_model()
    for field in ("first_name", "last_name", "email"):
        limit = user_model._meta.get_field(field).max_length
        if not typed[field]:
            errors[field] = {
                "first_name": _("Enter the first name."),
                "last_name": _("Enter the last name."),
                "email": _("Enter the e-mail address: the invitation goes there."),
            }[field]
        elif len(typed[field]) > limit:
            errors[field] = _("At most %(limit)d characters.") % {"limit": limit}
    if "email" not in errors:
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


def _account_for(typed: dict, *, by, confirmed: bool):
    """The account of the person with this address (any capitals), or None for a new person.
    Refused: an address that cannot be a member's (a carer's portal account, an integration
    account, a switched-off account: the functional administrator is told which; anyone else
    gets one neutral reason, which tells nothing about whose address it is); the manager's own
    account; an account whose name is not the one typed, until the manager confirms it."""
    email = typed["email"]
    users = get_user_model().objects
    carers = users.filter(carer__isnull=False)
    if carers.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists():
        raise _unusable(
            by,
            _(
                "This e-mail address belongs to a carer's account (the carers' portal). A "
                "professional needs an account of her own: use her work address."
            ),
        )
    account = users.filter(email__iexact=email).order_by("pk").first()
    if account is None:
        return None
    if account.groups.filter(name=INTEGRATIONS).exists():
        raise _unusable(by, _integration_account())
    if not account.is_active:
        raise _unusable(
            by,
            _(
                "The account with this e-mail address (%(username)s) is switched off. The "
                "functional administrator switches it on in the administration first."
            )
            % {"username": account.username},
        )
    _refuse_own(account.pk, by)
    if not by.is_superuser and (
        account.is_superuser
        or account.groups.filter(name__in=[PROGRAMME_OFFICE, LOG_OFFICERS]).exists()
    ):  # (an office's account on a team would read the team's residents)
        raise _unusable(by, "")
    if not _same_name(account, typed):
        if not _may_name(account, by):  # (no name for an address she could not know)
            raise _unusable(by, "")
        if not confirmed:
            raise ConfirmAccount(person_name(account))
    return account


def _may_name(account, by) -> bool:
    """Whether the manager may read the name behind an address: the functional administrator,
    or a coordinator who is on a team with her now."""
    if by.is_superuser:
        return True
    teams = Membership.objects.active().filter(user=by).values("team_id")
    return Membership.objects.active().filter(user=account, team_id__in=teams).exists()


def _unusable(by, reason: str) -> ValidationError:
    if not by.is_superuser:
        reason = _(
            "This e-mail address cannot be used for a member; ask the administrator of Kernteam."
        )
    return ValidationError({"email": reason})


def _same_name(account, typed: dict) -> bool:
    def key(first: str, last: str) -> str:
        return " ".join(f"{first} {last}".split()).casefold()

    return key(account.first_name, account.last_name) == key(
        typed["first_name"], typed["last_name"]
    )


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


# --- mail, after the change is committed ---------------------------------------------------


def _mailed(send: Callable[[], None]) -> str:
    """Send; "" when it went, else the error's name (logged)."""
    try:
        send()
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("Members: a mail could not be sent (%s: %s).", exc.__class__.__name__, exc)
        return exc.__class__.__name__
    return ""


def _not_sent(*, membership: Membership, by) -> None:
    """Her invitation did not go out: the link nobody received stops working, and the members
    page marks her "invitation not sent" (the history's latest word on her invitation)."""
    with transaction.atomic():
        _void_unused_links(membership.user)
        MembershipChange.objects.create(
            team=membership.team,
            membership=membership,
            kind=MembershipChange.Kind.NOT_SENT,
            by=by,
        )


def _default_link(token: str) -> str:
    return f"{settings.KERNTEAM_BASE_URL}{reverse('enrolment_link', args=[token])}"


def _send_link(*, membership: Membership, by, token: str, link_for: LinkFor | None) -> None:
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


def _tell_gps(
    *, membership: Membership, by, path: str = "", ip: str | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A coordinator gave a clinical role: the team's GPs hear of it (the functional
    administrator's changes are hers to answer for). Returns whom it told and whom its mail
    did not reach (each of those is in the access log: `gp-not-told: <username>`)."""
    if by.is_superuser:
        return (), ()
    team = membership.team
    gps = (
        team.people()
        .filter(role=Role.GP, user__is_active=True)
        .exclude(user_id__in=[membership.user_id, by.pk])
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__last_name", "user_id")
    )
    told: list[str] = []
    not_told: list[str] = []
    for gp in {m.user_id: m.user for m in gps}.values():
        values = {
            "gp": person_name(gp),
            "by": person_name(by),
            "name": person_name(membership.user),
            "email": membership.user.email,
            "team": team.name,
            "role": membership.get_role_display(),
        }
        sent = _mailed(
            lambda values=values, gp=gp: send_mail(
                subject=_("Kernteam: %(name)s is on the kernteam %(team)s as %(role)s") % values,
                message=_(
                    "Dear %(gp)s,\n\n%(by)s, coordinator of the kernteam %(team)s, added "
                    "%(name)s (%(email)s) to the team as %(role)s. In that role she takes part "
                    "in the team's medical decisions in Kernteam.\n\nYou receive this as the "
                    "team's GP. Did you not expect it? Then tell the functional administrator "
                    "of Kernteam.\n"
                )
                % values,
                from_email=None,
                recipient_list=[gp.email],
            )
        )
        if not sent:
            told.append(person_name(gp))
        else:
            not_told.append(person_name(gp))
            with transaction.atomic():
                _log(team=team, by=by, what=f"gp-not-told: {gp.username}", path=path, ip=ip)
    return tuple(told), tuple(not_told)


# --- an invitation sent again ----------------------------------------------------------------


def resend_invitation(
    *,
    membership: Membership,
    by,
    path: str = "",
    ip: str | None = None,
    link_for: LinkFor | None = None,
) -> None:
    """An invited member lost the mail, or the link expired, or it was not sent: a new link
    (the earlier one stops working). Only while she has not set up her authenticator app. The
    mail goes after the link is committed; if it fails, the new link stops working too and she
    stays marked "invitation not sent"."""
    require_manager(team=membership.team, user=by)
    _check_not_integration(membership)
    _refuse_own(membership.user_id, by)
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
    token = issue_enrolment_link(user=user)  # (committed: the link works once it is read)
    error = _mailed(
        lambda: _send_link(membership=membership, by=by, token=token, link_for=link_for)
    )
    if error:
        _not_sent(membership=membership, by=by)
        raise Refused(
            _(
                "The e-mail to %(email)s could not be sent (%(error)s): no link went out, and "
                "an earlier link no longer works. Try again later."
            )
            % {"email": user.email, "error": error}
        )
    with transaction.atomic():
        MembershipChange.objects.create(
            team=membership.team,
            membership=membership,
            kind=MembershipChange.Kind.INVITED,
            by=by,
        )
        _log(team=membership.team, by=by, what=f"member-invited: {user.username}", path=path, ip=ip)


# --- leaving ----------------------------------------------------------------------------------


def other_coordinators(*, team: Team, besides: int):
    """The team's coordinators who would remain (people, with an account switched on) if the
    membership `besides` ended."""
    people = team.people().filter(role=Role.COORDINATOR, user__is_active=True)
    return people.exclude(pk=besides)


def end_membership(*, membership: Membership, by, path: str = "", ip: str | None = None):
    """The member leaves the team (in this role): the membership ends today and is kept. Her
    open boards close and her API tokens lose the team at once (`Membership.save`); residents
    she coordinated come up on the next agenda (`steps.meetings.coordinator_left_q`). The
    team's last coordinator is ended by the functional administrator only (else nobody could
    manage the team); so is a coordinator's own membership. An invitation she has not used
    stops working when she is on no team any more. One change of the team's members at a time
    (the team's row is locked, as `add_member` does): two coordinators ending each other at the
    same moment cannot leave the team without one."""
    team = membership.team
    require_manager(team=team, user=by)
    _check_not_integration(membership)
    _refuse_own(membership.user_id, by)
    with transaction.atomic():
        Team.objects.select_for_update().filter(pk=team.pk).first()
        _still_manager(team, by)
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.ended_on is not None:
            raise Refused(
                _("This membership ended already, on %(day)s.")
                % {"day": shown_date(locked.ended_on)}
            )
        if (
            locked.role == Role.COORDINATOR
            and not by.is_superuser
            and not other_coordinators(team=team, besides=locked.pk).exists()
        ):
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


def record_change(
    *, membership: Membership, by, kind: str, path: str = "", ip: str | None = None
) -> None:
    """A change made elsewhere (the Django admin), kept as `add_member` and `end_membership`
    keep theirs: in the team's history and in the access log (`member-<kind>: <username> as
    <role>`). Call it inside the change's transaction."""
    MembershipChange.objects.create(team=membership.team, membership=membership, kind=kind, by=by)
    what = f"member-{kind}: {membership.user.username} as {membership.role}"
    _log(team=membership.team, by=by, what=what, path=path, ip=ip)


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
