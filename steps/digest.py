"""The members' daily digest (issue 19 §2): per member, what is due that morning, by kind —
their open actions due or overdue, reviews due within 14 days of residents they coordinate,
urgent step-ups waiting for confirmation (GP and team coordinator), referrals still without
the provider's feedback (whoever follows the referral up, else the care coordinator) — and the
events they chose to read in the digest rather than at once.

Computed team by team in a fixed number of queries per team (never per resident); a member
hears of a resident only while they may see her (`clients.visibility.may_see`), and reads her
initials and age only. One digest per member and day (`kernteam.notices.notify`): a second run
of the same morning creates none."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from clients.models import Consent, Resident
from clients.notify import queue_mails
from clients.visibility import may_see, visible_pairs
from kernteam.models import Team
from kernteam.notices import Delivery, Kind, Notice, initials_and_age, notify, preferences
from kernteam.roles import Role
from steps.models import AgreedAction, Trajectory
from steps.referrals import Referral
from steps.states import STEPS, State

REVIEW_WITHIN_DAYS = 14
EVENTS_WITHIN_DAYS = 14  # an event older than this waits for no digest any more
logger = logging.getLogger(__name__)
STEP_UPS_FOR = frozenset({Role.GP, Role.COORDINATOR})


def digest_key(day: datetime.date) -> str:
    return f"digest:{day.isoformat()}"


def due_lines(*, team: Team, day: datetime.date) -> dict[int, list[dict]]:
    """{user id: lines} for the people on one team (`Team.people`: no integration account):
    what is due on `day`. Seven queries."""
    roles: dict[int, set[str]] = defaultdict(set)
    for user_id, role in team.people().values_list("user_id", "role"):
        roles[user_id].add(role)
    scope = {
        resident_id: disciplines
        for resident_id, disciplines in Consent.objects.filter(
            resident__team=team, withdrawn_at__isnull=True
        ).values_list("resident_id", "disciplines")
    }
    found: list[tuple[int, str, int, datetime.date | None]] = []  # (user, kind, resident, on)
    actions = AgreedAction.objects.filter(
        resident__team=team,
        status=AgreedAction.Status.OPEN,
        owner_member__isnull=False,
        due_on__lte=day,
    ).exclude(resident__trajectory__state=State.CLOSED)
    for owner, resident, due in actions.values_list("owner_member_id", "resident_id", "due_on"):
        found.append((owner, Kind.ACTIONS_DUE, resident, due))
    reviews = Trajectory.objects.filter(
        resident__team=team,
        state__in=STEPS,
        review_due__lte=day + datetime.timedelta(days=REVIEW_WITHIN_DAYS),
        resident__coordinator__isnull=False,
    )
    for coordinator, resident, due in reviews.values_list(
        "resident__coordinator_id", "resident_id", "review_due"
    ):
        found.append((coordinator, Kind.REVIEWS_DUE, resident, due))
    waiting = Trajectory.objects.filter(
        resident__team=team, pending_confirmation__isnull=False
    ).exclude(state=State.CLOSED)
    for resident, at in waiting.values_list("resident_id", "pending_confirmation__at"):
        for user_id, held in roles.items():
            if held & STEP_UPS_FOR:
                found.append((user_id, Kind.STEP_UPS_WAITING, resident, timezone.localdate(at)))
    late = (
        Referral.objects.awaiting_feedback(day)
        .filter(action__resident__team=team)
        .exclude(action__resident__trajectory__state=State.CLOSED)  # (nothing left to record)
    )
    for owner, coordinator, resident, referred in late.values_list(
        "action__owner_member_id",
        "action__resident__coordinator_id",
        "action__resident_id",
        "referred_on",
    ):
        if owner or coordinator:
            found.append((owner or coordinator, Kind.REFERRALS_WAITING, resident, referred))
    people = Resident.objects.filter(pk__in={row[2] for row in found}).only(
        "first_name", "last_name", "date_of_birth"
    )
    who = {resident.pk: initials_and_age(resident, on=day) for resident in people}
    lines: dict[int, list[dict]] = defaultdict(list)
    for user_id, kind, resident, on in sorted(found, key=lambda r: (r[3] or day, r[2])):
        if user_id not in roles or not may_see(
            roles=roles[user_id], disciplines=scope.get(resident)
        ):
            continue  # no longer on the team, or the consent does not name them
        line = {"kind": str(kind), "resident": resident, "who": who[resident]}
        if on is not None:
            line["on"] = on.isoformat()
        lines[user_id].append(line)
    return lines


def send_digests(*, day: datetime.date, teams=None) -> int:
    """Every member's digest for `day` (those not sent yet), only with something to say.
    Returns how many digests were created."""
    key = digest_key(day)
    done = set(Notice.objects.filter(kind=Kind.DIGEST, key=key).values_list("user_id", flat=True))
    teams = teams if teams is not None else Team.objects.order_by("pk")
    due: dict[int, list[dict]] = defaultdict(list)
    for team in teams:
        try:
            found = due_lines(team=team, day=day)
        except Exception:  # one team's bad row does not stop the others' digests
            logger.exception("The digest of %s could not be made", team)
            continue
        for user_id, lines in found.items():
            if user_id not in done:
                due[user_id].extend(lines)
    events = waiting_events(day=day, done=done)
    chosen = preferences(user_ids=set(due) | set(events))
    users = {
        user.pk: user for user in get_user_model().objects.filter(pk__in=chosen, is_active=True)
    }
    made = 0
    for user_id, user in users.items():
        lines = [
            line for line in due.get(user_id, []) if chosen[user_id][line["kind"]] != Delivery.OFF
        ]
        lines = _unique(lines) + [_event_line(n) for n in events.get(user_id, [])]
        if not lines:
            continue  # only on days with something to say
        with transaction.atomic():
            created = notify(
                users=[user],
                kind=Kind.DIGEST,
                key=key,
                lines=lines,
                count=len(lines),
                delivery=Delivery.DIGEST,
            )
            queue_mails(created)
            if created:
                taken = [n.pk for n in events.get(user_id, [])]
                Notice.objects.filter(pk__in=taken, digest__isnull=True).update(digest=created[0])
                made += 1
    return made


def waiting_events(*, day: datetime.date, done: set[int]) -> dict[int, list[Notice]]:
    """Events each member chose to read in the digest, not in one yet (of the last
    `EVENTS_WITHIN_DAYS`), about residents they may still see: four queries, however many."""
    first_day = day - datetime.timedelta(days=EVENTS_WITHIN_DAYS)
    since = timezone.make_aware(datetime.datetime.combine(first_day, datetime.time()))
    waiting = (
        Notice.objects.filter(delivery=Delivery.DIGEST, digest__isnull=True, created_at__gte=since)
        .exclude(kind=Kind.DIGEST)
        .exclude(user_id__in=done)
        .select_related("meeting__team")
        .order_by("created_at", "pk")
    )
    waiting = list(waiting)
    seeing = visible_pairs((n.user_id, n.resident_id) for n in waiting if n.resident_id)
    events: dict[int, list[Notice]] = defaultdict(list)
    for notice in waiting:
        if notice.resident_id and (notice.user_id, notice.resident_id) not in seeing:
            continue  # the consent no longer names her discipline: she no longer hears of her
        events[notice.user_id].append(notice)
    return events


def _unique(lines: list[dict]) -> list[dict]:
    """A member on two teams of one resident, or an action and its referral: one line each."""
    seen, kept = set(), []
    for line in lines:
        mark = (line["kind"], line["resident"], line.get("on"))
        if mark not in seen:
            seen.add(mark)
            kept.append(line)
    return kept


def _event_line(notice: Notice) -> dict:
    line = dict(notice.lines[0]) if notice.lines else {}
    line["kind"] = notice.kind
    if notice.meeting_id:
        line["meeting"] = notice.meeting_id
        line["team"] = notice.meeting.team.slug
    return line
