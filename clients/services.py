"""Recording what a team member measured, and what a carer worries about. Each is one
transaction; the team's boards hear of it on commit."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clients.carer_notices import CarerKind, notify_carers
from clients.models import (
    Assessment,
    Carer,
    CarerInvitation,
    CarerLink,
    Concern,
    Consent,
    CoordinatorChange,
    Resident,
)
from clients.notify import notify_members
from clients.visibility import can_see_resident, send_resident_event_on_commit
from kernteam.models import Meeting, deciding_meeting, person_name, primary_role
from kernteam.notices import Kind
from kernteam.policy import require_member
from kernteam.refusals import Refused
from kernteam.roles import Role


def record_assessment(
    *, resident: Resident, by, instrument: str, score: Decimal, assessed_on: datetime.date
) -> Assessment:
    """Validation (range, step, closed record) raises ValidationError with field messages."""
    require_member(team=resident.team, user=by)
    assessment = Assessment(
        resident=resident,
        instrument=instrument,
        score=score,
        assessed_on=assessed_on,
        assessed_by=by,
    )
    with transaction.atomic():
        lock_record(resident)
        _as_it_is_now(resident).check_writable()  # (closed meanwhile?)
        assessment.save()  # validates and derives the outcome
        send_resident_event_on_commit(resident=resident, event="resident.assessed")
    return assessment


def record_consent(
    *,
    resident: Resident,
    by,
    given_on: datetime.date,
    disciplines: list[str],
    share_with_carers: bool = False,
) -> Consent:
    """Record the resident's consent and its scope. It replaces the consent in force (so a
    narrower scope takes effect at once); the earlier one is kept, withdrawn."""
    require_member(team=resident.team, user=by)
    with transaction.atomic():
        lock_record(resident)  # one change of scope at a time, and none once closed
        locked = _as_it_is_now(resident)
        consent = Consent(
            resident=locked,
            given_on=given_on,
            disciplines=sorted(set(disciplines)),
            share_with_carers=share_with_carers,
            recorded_by=by,
        )
        consent.full_clean(validate_constraints=False)  # the consent in force is replaced below
        for earlier in locked.consents.filter(withdrawn_at__isnull=True):
            earlier.withdraw(by=by)
        consent.save()
        send_resident_event_on_commit(resident=resident, event="resident.consent_changed")
    return consent


def withdraw_consent(*, resident: Resident, by) -> None:
    """The resident withdraws consent: from now on only the GP and POH see the record, and
    carers lose access. (Closing the record for this reason is a separate step.)"""
    require_member(team=resident.team, user=by)
    with transaction.atomic():
        lock_record(resident)
        for consent in resident.consents.filter(withdrawn_at__isnull=True):
            consent.withdraw(by=by)
        send_resident_event_on_commit(resident=resident, event="resident.consent_changed")


# Outside a meeting, these roles name or change a resident's care coordinator.
NAME_COORDINATOR_OUTSIDE_MEETINGS = frozenset({Role.GP, Role.COORDINATOR})


def may_name_coordinator(*, roles: set[str], meeting: Meeting | None) -> bool:
    """In the team's meeting in progress any member names the care coordinator (a team
    decision); between meetings, the GP or the team coordinator."""
    return bool(roles) and (meeting is not None or bool(roles & NAME_COORDINATOR_OUTSIDE_MEETINGS))


def coordinator_candidates(resident: Resident) -> list[tuple[int, str]]:
    """(user id, "name (roles)") of everyone who may be named: the people on the resident's
    team (`Team.people`: no integration account) who may see the resident's file, by name."""
    memberships = resident.team.people().select_related("user")
    roles: dict[int, list[str]] = {}
    users = {}
    for m in memberships:
        if m.user_id not in users and not can_see_resident(user=m.user, resident=resident):
            continue
        users[m.user_id] = m.user
        roles.setdefault(m.user_id, []).append(m.get_role_display())
    rows = [(pk, f"{person_name(user)} ({', '.join(roles[pk])})") for pk, user in users.items()]
    return sorted(rows, key=lambda row: row[1].casefold())


class CoordinatorConflict(Refused):
    """Someone else named another care coordinator first. The message says who, whom, when."""

    def __init__(self, message: str, *, current: int | None):
        self.current_coordinator = current
        super().__init__(message, conflict={"current_coordinator": current})


def change_coordinator(
    *, resident: Resident, by, coordinator_id: int | None, expected: int | None
) -> CoordinatorChange:
    """Name or change the resident's care coordinator (*regiehouder*): one of the people on
    the resident's team (`Team.people`: not an integration account). In the team's meeting in
    progress (`deciding_meeting`, looked up here) any member does it, for the team; between
    meetings the GP or the team coordinator. Every change is kept (`CoordinatorChange`); not on
    a closed record. `expected` is the coordinator the user saw (None: none): if another was
    named meanwhile, `CoordinatorConflict`. The resident's row is locked, so two changes at
    once are taken one after the other."""
    roles = require_member(team=resident.team, user=by)
    with transaction.atomic():
        lock_record(resident)
        locked = _as_it_is_now(resident)
        meeting = deciding_meeting(team_id=locked.team_id)
        if not may_name_coordinator(roles=roles, meeting=meeting):
            raise Refused(
                _(
                    "Outside a team meeting, only the GP or the team coordinator can name the "
                    "care coordinator."
                ),
                forbidden=True,
            )
        if locked.is_closed:
            raise Refused(_("This record is closed and can no longer be changed."))
        if locked.coordinator_id != expected:
            raise _coordinator_conflict(locked)
        if coordinator_id is None:
            raise Refused(_("Choose the care coordinator."), field="coordinator")
        named = locked.team.people().filter(user_id=coordinator_id).first()
        if named is None:
            raise Refused(
                _("The care coordinator must be a member of the resident's team."),
                field="coordinator",
            )
        if not can_see_resident(user=named.user, resident=locked):
            raise Refused(
                _(
                    "%(who)s may not see this resident's file (the consent does not name their "
                    "discipline), so cannot coordinate the care."
                )
                % {"who": person_name(named.user)},
                field="coordinator",
            )
        if coordinator_id == locked.coordinator_id:
            raise Refused(
                _("%(who)s is already the care coordinator.") % {"who": person_name(named.user)},
                field="coordinator",
            )
        acting = roles if meeting is not None else roles & NAME_COORDINATOR_OUTSIDE_MEETINGS
        change = CoordinatorChange.objects.create(
            resident=locked,
            from_coordinator_id=locked.coordinator_id,
            to_coordinator=named.user,
            actor=by,
            actor_role=primary_role(acting),
            meeting=meeting,
        )
        locked.coordinator = named.user
        locked.save(update_fields=["coordinator"])
        resident.coordinator = named.user  # (the caller's instance shows it too)
        send_resident_event_on_commit(resident=locked, event="resident.coordinator_changed")
        notify_carers(resident=locked, kind=CarerKind.COORDINATOR, key=f"coordinator:{change.pk}")
    return change


def _coordinator_conflict(resident: Resident) -> CoordinatorConflict:
    current = resident.coordinator
    last = resident.coordinator_changes.select_related("actor").first()
    if current is None:
        message = _(
            "The care coordinator was changed while you were working: %(resident)s has none "
            "now. Nothing was changed; check and choose again."
        ) % {"resident": resident.display_name}
    else:
        message = _(
            "%(who)s named %(coordinator)s care coordinator of %(resident)s (%(when)s) while "
            "you were working. Nothing was changed; check and choose again."
        ) % {
            "who": person_name(last.actor) if last else "?",
            "coordinator": person_name(current),
            "resident": resident.display_name,
            "when": date_format(timezone.localtime(last.at), "DATETIME_FORMAT") if last else "",
        }
    return CoordinatorConflict(message, current=resident.coordinator_id)


def lock_record(resident: Resident) -> None:
    """Lock the resident's row until the transaction ends.

    Whatever changes consent or adds an assessment or a concern takes this lock first (and then
    reads whether the record is closed), and so does closing the record (before it
    locks the trajectory: `steps.services.move_resident`), which withdraws the consent in force.
    Whichever of the two commits first, the other sees it: a consent recorded meanwhile is
    withdrawn by the closing, or finds the record closed and is refused. (SQLite runs one
    writing transaction at a time: there, the order alone does it.)

    FOR NO KEY UPDATE: the row is not deleted nor its key changed, so rows that only point at the
    resident (a goal added meanwhile, an access-log entry) need not wait for it; a plain FOR
    UPDATE would deadlock a closing with a goal added after the trajectory was locked."""
    rows = Resident.objects.select_for_update(no_key=True).filter(pk=resident.pk)
    list(rows.values_list("pk"))


def _as_it_is_now(resident: Resident) -> Resident:
    """The resident and its trajectory (is the record closed?) read afresh. After
    `lock_record`, not in the same query: on PostgreSQL, a row joined to the locked one comes
    from the query's snapshot, taken before it waited for the lock."""
    return Resident.objects.select_related("team", "trajectory").get(pk=resident.pk)


def linked_carer(*, resident: Resident, user) -> Carer | None:
    """The carer account of `user` when it is linked to `resident` now, else None."""
    carer = getattr(user, "carer", None) if getattr(user, "is_authenticated", False) else None
    if carer is None:
        return None
    linked = carer.links.active().filter(resident=resident).exists()
    return carer if linked else None


def raise_concern(*, resident: Resident, by, text: str, carer: Carer | None = None) -> Concern:
    """A linked carer raises a concern themselves; a team member may record one a carer phoned
    in (naming the carer). It flags the board and goes on the next meeting's agenda."""
    own = linked_carer(resident=resident, user=by)
    if own is not None:
        carer = own
    else:
        require_member(team=resident.team, user=by)
        if carer is None or not resident.carer_links.active().filter(carer=carer).exists():
            raise ValidationError({"carer": _("Choose a carer linked to this resident.")})
    resident.check_writable()
    if not (text or "").strip():
        raise ValidationError({"text": _("Write down the concern.")})
    with transaction.atomic():
        lock_record(resident)
        now = _as_it_is_now(resident)
        now.check_writable()  # (closed meanwhile?)
        concern = Concern.objects.create(
            resident=resident, carer=carer, text=text.strip(), recorded_by=by
        )
        send_resident_event_on_commit(resident=resident, event="resident.concern_raised")
        notify_members(  # the care coordinator hears of it (issue 19)
            users=[now.coordinator],
            resident=now,
            kind=Kind.CONCERN,
            key=f"concern:{concern.pk}",
            by=by,
        )
    return concern


def handle_concern(*, concern: Concern, by, meeting=None) -> Concern:
    """A team member has dealt with the concern: in the team's meeting in progress, if any
    (`meeting` names another: the admin), or between meetings. Handling a concern someone just
    handled changes nothing."""
    with transaction.atomic():
        locked = Concern.objects.select_for_update().select_related("resident").get(pk=concern.pk)
        require_member(team=locked.resident.team, user=by)
        if locked.is_open:
            locked.handled_at = timezone.now()
            locked.handled_by = by
            locked.handled_in = meeting or deciding_meeting(team_id=locked.resident.team_id)
            locked.save(update_fields=["handled_at", "handled_by", "handled_in"])
            send_resident_event_on_commit(
                resident=locked.resident, event="resident.concern_handled"
            )
    return locked


def link_carer(
    *,
    resident: Resident,
    by,
    first_name: str,
    last_name: str,
    relationship: str,
    phone: str = "",
    email: str = "",
) -> CarerLink:
    """A member of the resident's team links a carer to the resident (then invites them).

    The carer is recorded anew, without an account, whatever else is recorded elsewhere: the
    team learns nothing about other residents' carers (not even whether an address is known),
    and no account sees this resident before its owner accepts this resident's invitation
    (`accept_invitation` refuses an address that already signs in: `AddressInUse`).
    """
    require_member(team=resident.team, user=by)
    details = {
        "first_name": " ".join((first_name or "").split()),
        "last_name": " ".join((last_name or "").split()),
        "phone": (phone or "").strip(),
        "email": (email or "").strip(),
    }
    Carer(**details).full_clean(exclude=["user"])
    if relationship not in dict(CarerLink.Relationship.offered()):
        # (the neutral codes of links recorded before stay valid, but name no one: not anew)
        raise ValidationError({"relationship": _("Choose how the carer is related.")})
    with transaction.atomic():
        lock_record(resident)
        locked = _as_it_is_now(resident)
        locked.check_writable()  # (closed meanwhile?)
        if any(_same_carer(link.carer, details) for link in _linked_now(locked)):
            name = " ".join((details["first_name"], details["last_name"]))
            raise ValidationError(
                _("%(carer)s is already linked to this resident.") % {"carer": name}
            )
        carer = Carer.objects.create(**details)
        link = CarerLink.objects.create(carer=carer, resident=locked, relationship=relationship)
        send_resident_event_on_commit(resident=locked, event="resident.carer_linked")
    return link


def _linked_now(resident: Resident):
    return resident.carer_links.active().select_related("carer")


def _same_carer(carer: Carer, details: dict) -> bool:
    """This resident's carer already (same name, same address or none): linked twice by two
    colleagues, or by one twice."""

    def key(first: str, last: str, email: str) -> tuple[str, str]:
        return " ".join(f"{first} {last}".split()).casefold(), email.strip().casefold()

    return key(carer.first_name, carer.last_name, carer.email) == key(
        details["first_name"], details["last_name"], details["email"]
    )


def carer_account(address: str):
    """The account of the carer who signs in with this e-mail address (any capitals), or
    None: no carer with an account has it, or (recorded before addresses were checked) more
    than one does."""
    address = (address or "").strip()
    if "@" not in address:
        return None
    carers = Carer.objects.filter(email__iexact=address, user__isnull=False)
    users = list(carers.order_by().values_list("user", flat=True).distinct()[:2])
    return get_user_model().objects.get(pk=users[0]) if len(users) == 1 else None


INVITATION_DAYS = 7


def invite_carer(
    *, resident: Resident, carer: Carer, by, send: Callable[[str], None] | None = None
) -> str:
    """A team member invites a carer linked to the resident. Returns the token for the link;
    only its hash is stored. `send(token)` mails the link, outside any transaction (a slow mail
    server holds no lock): if it raises, the new invitation is withdrawn and the earlier one
    keeps working; once it is sent, earlier unused invitations stop working."""
    require_member(team=resident.team, user=by)
    if not resident.carer_links.active().filter(carer=carer).exists():
        raise ValidationError({"carer": _("Choose a carer linked to this resident.")})
    if not carer.email:
        raise ValidationError({"carer": _("Record the carer's email address first.")})
    check_carer_address(carer)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = CarerInvitation.objects.create(
        carer=carer,
        token_hash=_hash(token),
        invited_by=by,
        expires_at=now + datetime.timedelta(days=INVITATION_DAYS),
    )
    if send is not None:
        try:
            send(token)
        except BaseException:
            CarerInvitation.objects.filter(pk=invitation.pk).update(expires_at=now)
            raise
    earlier = carer.invitations.filter(used_at__isnull=True, expires_at__gt=now)
    earlier.exclude(pk=invitation.pk).update(expires_at=now)
    return token


def invitation_for(token: str) -> CarerInvitation | None:
    """The usable invitation with this token, or None (unknown, used or expired)."""
    invitation = (
        CarerInvitation.objects.select_related("carer__user")
        .filter(token_hash=_hash(token))
        .first()
    )
    return invitation if invitation and invitation.usable else None


def accept_invitation(*, invitation: CarerInvitation, password: str):
    """The carer sets a password: their account is created (or its password replaced) and the
    invitation is used up. Returns the user."""
    carer = invitation.carer
    with transaction.atomic():
        locked = CarerInvitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.usable:
            raise ValidationError(_("This invitation has been used or has expired."))
        user = carer.user
        if user is None:
            # (Another carer with this address may accept first: only their account counts.)
            check_carer_address(carer, other_carers=False)
            user = get_user_model()(
                username=carer.email.strip().lower(),
                email=carer.email,
                first_name=carer.first_name,
                last_name=carer.last_name,
            )
        user.set_password(password)
        before = carer.user
        try:
            with transaction.atomic():
                user.save()
                if carer.user_id != user.pk:
                    carer.user = user
                    # (one carer's account per address, whatever its capitals: the database
                    # refuses a second, even one whose name is not the address)
                    carer.save(update_fields=["user"])
        except IntegrityError as exc:  # that other carer accepted at the same moment
            carer.user = before  # (nothing was saved; the invitation stays open)
            raise _address_in_use(carer.email.strip()) from exc
        locked.used_at = timezone.now()
        locked.save(update_fields=["used_at"])
    return user


class AddressInUse(ValidationError):
    """The carer's email address is another carer's, or another account's name."""


def check_carer_address(carer: Carer, *, other_carers: bool = True) -> None:
    """A carer signs in with their email address, whatever its capitals, so it must be theirs
    alone: no other account has it as its name or its address (one address, one account: the
    database's index, kernteam migration 0013, e.g. a professional's), and (when inviting) no
    other carer has it."""
    address = carer.email.strip()
    accounts = get_user_model().objects.filter(
        Q(username__iexact=address) | Q(email__iexact=address)
    )
    if carer.user_id is not None:
        accounts = accounts.exclude(pk=carer.user_id)
    others = Carer.objects.filter(email__iexact=address).exclude(pk=carer.pk)
    if accounts.exists() or (other_carers and others.exists()):
        raise _address_in_use(address)


def _address_in_use(address: str) -> AddressInUse:
    return AddressInUse(
        {
            "carer": _(
                "Another carer or account already uses the email address %(email)s. Each carer "
                "signs in with an address of their own: record a different one first."
            )
            % {"email": address}
        }
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
