"""Local offers and referrals (issue 18 §2): who keeps the catalogue, and referring a resident.

Each write is one transaction and decides everything about itself (who may, what is valid, what
follows); views and the API only parse input and call these.

- The catalogue: a team's coordinator keeps the offers of her team's area, the programme office
  the region-wide ones (`keeper_refusal`). Offers are never deleted: `end_offer` keeps them.
- A referral is an agreed action (`steps.services.agree_action`: the same checks, the meeting in
  progress looked up there, the live event on commit) to a running offer of the resident's own
  area or the region, with its first `ReferralUpdate` ("proposed").
- The agreed action follows the referral: it is done as soon as the referral leaves
  "proposed" (registered, started, declined or stopped): the owner did what was agreed, or it
  is off. It is not ticked off by hand (`steps.services.complete_action` refuses and says to
  record the referral's status): the two never disagree. Waiting for the provider's feedback
  is not an open action: a referral whose wait has not ended (the provider's feedback, typed or
  a status only the provider gives, or the referral stopped: `Referral.objects
  .with_feedback_days`) more than `FEEDBACK_WITHIN_DAYS` after it was made puts the resident
  on the agenda (`steps.meetings.agenda_candidates`).
- Two members recording at once: the form carries the status the member saw
  (`expected_status`); whoever comes second is told who recorded what meanwhile, and nothing
  of hers is saved over it.
- The catalogue: an offer whose end date has come is kept as it was (`ended_refusal`), in the
  application and in the admin; one whose end date is still to come is edited as any other,
  its end date moved or removed.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from clients.models import Resident
from clients.visibility import send_resident_event_on_commit
from kernteam.models import Team, person_name, shown_date, text_limit
from kernteam.policy import is_programme_office, require_member, roles_on
from kernteam.refusals import Refused
from kernteam.roles import Role
from steps.models import AgreedAction, Trajectory
from steps.referrals import (
    FINISHED,
    LocalOffer,
    OfferKind,
    Referral,
    ReferralStatus,
    ReferralUpdate,
)
from steps.services import agree_action

MAY_NOT_REFER = _lazy("Only members of the resident's kernteam refer her to a local offer.")
MAY_NOT_UPDATE = _lazy(
    "Only members of the resident's kernteam record a referral's status and feedback."
)
# the order a referral goes through; declined and stopped end it from any earlier status
PROGRESS = [ReferralStatus.PROPOSED, ReferralStatus.REGISTERED, ReferralStatus.STARTED]
NOTE_LIMIT = 500
OFFER_FIELDS = ("name", "kind", "provider", "contact", "address", "for_whom")


# --- the catalogue ------------------------------------------------------------------------


def keeper_refusal(*, user, team: Team | None) -> str:
    """Why `user` may not keep the offers of `team`'s area (None: the region's); '' if they
    may."""
    if team is None:
        if is_programme_office(user):
            return ""
        return _("Only the programme office keeps the region-wide offers.")
    if Role.COORDINATOR in roles_on(team=team, user=user):
        return ""
    return _("Only the team coordinator of %(team)s keeps the offers of its area.") % {
        "team": team.name
    }


def _require_keeper(*, user, team: Team | None) -> None:
    if refusal := keeper_refusal(user=user, team=team):
        raise Refused(refusal, forbidden=True)


def _cleaned(values: dict) -> dict:
    return {
        name: (value.strip() if isinstance(value, str) else value) for name, value in values.items()
    }


def _check_offer(offer: LocalOffer) -> None:
    """The model's checks, with our own words for what must be filled in."""
    errors: dict[str, list[str]] = {}
    try:
        offer.full_clean(exclude=["team", "created_by"])
    except ValidationError as exc:
        errors = exc.message_dict
    if not offer.name:
        errors["name"] = [_("Give the offer a name.")]
    if not offer.provider:
        errors["provider"] = [_("Name the organisation that provides it.")]
    if errors:
        raise ValidationError(errors)


def create_offer(
    *,
    by,
    team: Team | None,
    name: str,
    kind: str,
    provider: str,
    contact: str = "",
    address: str = "",
    for_whom: str = "",
) -> LocalOffer:
    """A new offer of `team`'s area (None: the region), by its keeper. ValidationError by
    field for bad input; nothing is saved then."""
    _require_keeper(user=by, team=team)
    values = _cleaned(
        dict(
            name=name,
            kind=kind,
            provider=provider,
            contact=contact,
            address=address,
            for_whom=for_whom,
        )
    )
    offer = LocalOffer(team=team, created_by=by, **values)
    _check_offer(offer)
    offer.save()
    return offer


def _end_date_problem(ended_on: datetime.date, today: datetime.date) -> str:
    """Why `ended_on` cannot be an offer's end date ('' when it can): within a year of today."""
    first, last = today - datetime.timedelta(days=365), today + datetime.timedelta(days=365)
    if first <= ended_on <= last:
        return ""
    return _("The end date must lie between %(first)s and %(last)s.") % {
        "first": shown_date(first),
        "last": shown_date(last),
    }


def _locked_running(offer: LocalOffer, today: datetime.date) -> LocalOffer:
    """The offer, locked, while it runs. One whose end date has come (`is_running`) is kept as
    it was, for the history of the referrals to it."""
    locked = LocalOffer.objects.select_for_update().get(pk=offer.pk)
    if refusal := ended_refusal(offer=locked, day=today):
        raise Refused(refusal)
    return locked


def ended_refusal(*, offer: LocalOffer, day: datetime.date | None = None) -> str:
    """Why `offer` can no longer be edited on `day` (today): its end date has come. '' while it
    runs (an end date still to come can be changed)."""
    if offer.is_running(day):
        return ""
    return _("This offer ended on %(day)s: it is kept as it was.") % {
        "day": shown_date(offer.ended_on)
    }


def edit_offer(*, offer: LocalOffer, by, **values) -> LocalOffer:
    """Change what the catalogue says of a running offer (`OFFER_FIELDS`, and `ended_on`: an
    end date still to come can be moved or removed), by its keeper. An offer whose end date has
    come stays as it was, for the history of the referrals to it (`_locked_running`)."""
    unknown = set(values) - {*OFFER_FIELDS, "ended_on"}
    if unknown:
        raise TypeError(f"edit_offer: unknown fields {sorted(unknown)}")
    _require_keeper(user=by, team=offer.team)
    today = timezone.localdate()
    if (ended_on := values.get("ended_on")) and (problem := _end_date_problem(ended_on, today)):
        raise Refused(problem, field="ended_on")
    with transaction.atomic():
        locked = _locked_running(offer, today)
        for name, value in _cleaned(values).items():
            setattr(locked, name, value)
        locked.updated_at = timezone.now()
        _check_offer(locked)
        locked.save()
    return locked


def end_offer(*, offer: LocalOffer, by, ended_on: datetime.date | None = None) -> LocalOffer:
    """The offer ends on `ended_on` (today by default; a later day is allowed, up to a year
    ahead, and replaces an end date still to come): from then on nobody can refer to it. It
    stays in the catalogue, marked ended."""
    _require_keeper(user=by, team=offer.team)
    today = timezone.localdate()
    ended_on = ended_on or today
    if problem := _end_date_problem(ended_on, today):
        raise Refused(problem, field="ended_on")
    with transaction.atomic():
        locked = LocalOffer.objects.select_for_update().get(pk=offer.pk)
        if not locked.is_running(today):
            raise Refused(
                _("This offer already ended on %(day)s.") % {"day": shown_date(locked.ended_on)}
            )
        locked.ended_on = ended_on
        locked.updated_at = timezone.now()
        locked.save(update_fields=["ended_on", "updated_at"])
    return locked


def offers_to_refer(*, team: Team, day: datetime.date | None = None) -> QuerySet[LocalOffer]:
    """The offers a team's members can refer to now: running, of its area or the region's."""
    return LocalOffer.objects.for_team(team).running(day).select_related("team")


# --- referrals ----------------------------------------------------------------------------


def referrals_of(*, resident: Resident) -> list[Referral]:
    """A resident's referrals, latest first, with their offer, action, every update and the
    days of the provider's feedback (`Referral.objects.with_feedback_days`)."""
    return list(
        Referral.objects.filter(action__resident=resident)
        .with_feedback_days()
        .select_related("offer__team", "action__owner_member", "action__resident")
        .prefetch_related("updates__by")
    )


def offer_problem(*, offer: LocalOffer, resident: Resident, day: datetime.date) -> str:
    """Why a resident cannot be referred to `offer` now ('' when she can)."""
    if offer.team_id is not None and offer.team_id != resident.team_id:
        return _(
            "This offer belongs to another kernteam's area: choose an offer of your own area or "
            "of the region."
        )
    if not offer.is_running(day):
        return _("This offer ended on %(day)s: nobody can be referred to it any more.") % {
            "day": shown_date(offer.ended_on)
        }
    return ""


def refer_resident(
    *,
    resident: Resident,
    by,
    offer: LocalOffer,
    owner_member,
    due_on: datetime.date,
    shared_with_carers: bool,
    note: str = "",
) -> Referral:
    """Refer `resident` to `offer`: an agreed action ("<offer> (<provider>)[: note]") owned by
    `owner_member` (a member of her team, usually the welfare worker), due `due_on`, with the
    referral ("proposed") and its first update, in one transaction. An offer of another
    team's area or one that ended is refused (field `offer`); the action's own rules apply as
    for any agreed action (ValidationError by field). A referral to carer support counts as
    support for the carer (`AgreedAction.supports_carer`)."""
    require_member(team=resident.team, user=by, message=MAY_NOT_REFER)
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise Refused(
            _("The note may be %(limit)d characters long at most.") % {"limit": NOTE_LIMIT},
            field="note",
        )
    if owner_member is None:
        raise ValidationError({"owner_member": _("Name who refers: a member of the team.")})
    today = timezone.localdate()
    with transaction.atomic():
        locked = LocalOffer.objects.select_for_update().get(pk=offer.pk)  # (not ended meanwhile)
        if problem := offer_problem(offer=locked, resident=resident, day=today):
            raise Refused(problem, field="offer")
        description = f"{locked.name} ({locked.provider})"
        if note:
            description = f"{description}: {note}"
        action = agree_action(
            resident=resident,
            by=by,
            description=description[: text_limit(AgreedAction, "description")],
            due_on=due_on,
            owner_member=owner_member,
            shared_with_carers=shared_with_carers,
            supports_carer=locked.kind == OfferKind.CARER_SUPPORT,
        )
        referral = Referral.objects.create(
            action=action, offer=locked, status=ReferralStatus.PROPOSED, referred_on=today
        )
        ReferralUpdate.objects.create(referral=referral, status=ReferralStatus.PROPOSED, by=by)
        send_resident_event_on_commit(resident=resident, event="resident.referral_added")
    return referral


def status_problem(*, before: str, after: str) -> str:
    """Why a referral in status `before` cannot become `after` ('' when it can)."""
    if before == after:
        return ""
    if before in FINISHED:
        return _("This referral is %(status)s: it is finished. Refer again for a new start.") % {
            "status": ReferralStatus(before).label
        }
    if after in FINISHED:
        return ""
    if PROGRESS.index(after) < PROGRESS.index(before):
        return _("A referral that is %(before)s cannot go back to %(after)s.") % {
            "before": ReferralStatus(before).label,
            "after": ReferralStatus(after).label,
        }
    return ""


def update_referral(
    *,
    referral: Referral,
    by,
    status: str,
    feedback: str = "",
    feedback_on: datetime.date | None = None,
    expected_status: str | None = None,
) -> Referral:
    """Record a new status and/or the provider's feedback (*terugkoppeling*), by a member of the
    resident's team. Feedback comes with the day it was received (today when not given): not
    in the future, not before the referral. Empty feedback keeps what was recorded. Every
    change is a new `ReferralUpdate`; the action is done once the referral leaves
    "proposed". Refused by field when the input does not fit, and when nothing would change.
    `expected_status`: the status the member saw; when someone else recorded another one
    meanwhile, nothing is saved and the refusal (a conflict) says who, what and when."""
    resident = referral.action.resident
    require_member(team=resident.team, user=by, message=MAY_NOT_UPDATE)
    feedback = (feedback or "").strip()
    today = timezone.localdate()
    problems: dict[str, list[str]] = {}
    if status not in ReferralStatus.values:
        problems["status"] = [_("Choose a status from the list.")]
    if len(feedback) > (limit := text_limit(Referral, "feedback")):
        problems["feedback"] = [
            _("The feedback may be %(limit)d characters long at most.") % {"limit": limit}
        ]
    if feedback_on is not None and not feedback:
        problems["feedback"] = [_("Write down what the provider said, or leave the date empty.")]
    if feedback and feedback_on is None:
        feedback_on = today
    if feedback_on is not None and feedback_on > today:
        problems["feedback_on"] = [_("The feedback cannot have been received in the future.")]
    if problems:
        raise Refused([p for ps in problems.values() for p in ps], fields=problems)
    with transaction.atomic():
        trajectory = Trajectory.objects.select_for_update().get(resident_id=resident.pk)
        if trajectory.is_closed:
            raise Refused(_("This record is closed and can no longer be changed."), field="status")
        locked = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("action", "offer")
            .get(pk=referral.pk)
        )
        if expected_status is not None and locked.status != expected_status:
            raise _changed_meanwhile(locked)
        if feedback_on is not None and feedback_on < locked.referred_on:
            raise Refused(
                _("The feedback cannot have been received before the referral (%(day)s).")
                % {"day": shown_date(locked.referred_on)},
                field="feedback_on",
            )
        if problem := status_problem(before=locked.status, after=status):
            raise Refused(problem, field="status")
        new_feedback = bool(feedback) and (feedback, feedback_on) != (
            locked.feedback,
            locked.feedback_on,
        )
        if status == locked.status and not new_feedback:
            raise Refused(
                _("Nothing changed: choose another status or record the provider's feedback."),
                field="status",
            )
        locked.status = status
        if new_feedback:
            locked.feedback, locked.feedback_on = feedback, feedback_on
        locked.save(update_fields=["status", "feedback", "feedback_on"])
        ReferralUpdate.objects.create(
            referral=locked,
            status=status,
            feedback=feedback if new_feedback else "",
            feedback_on=feedback_on if new_feedback else None,
            by=by,
        )
        action = locked.action
        if status != ReferralStatus.PROPOSED and action.status == AgreedAction.Status.OPEN:
            action.status = AgreedAction.Status.DONE
            action.done_at, action.done_by = timezone.now(), by
            action.save(update_fields=["status", "done_at", "done_by"])
        send_resident_event_on_commit(resident=resident, event="resident.referral_updated")
    locked.action.resident = resident
    return locked


def _changed_meanwhile(referral: Referral) -> Refused:
    """Someone recorded another status while the member was filling in hers: who, what, when."""
    last = referral.updates.select_related("by").order_by("-at", "-pk").first()
    message = _(
        "Meanwhile %(who)s recorded this referral as “%(status)s” (%(when)s). Nothing was "
        "saved: look at the referral again and record yours again if it is still needed."
    ) % {
        "who": person_name(last.by) if last else "?",
        "status": referral.get_status_display(),
        "when": date_format(timezone.localtime(last.at), "DATETIME_FORMAT") if last else "",
    }
    return Refused(message, field="status", conflict={"current_status": referral.status})
