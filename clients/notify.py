"""Members hear about a resident only while they may see her (need-to-know, consent): when
the notice is made (`notify_members`) and again when its mail is sent (`mail_notice`: a mail
queued before a withdrawal is not sent after it). The notice names her by initials and age
(`kernteam.notices`); its mail is composed by `kernteam.notice_mail`."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from clients.models import Resident
from clients.visibility import can_see_resident, visible_pairs
from kernteam.models import Meeting, Membership, Team
from kernteam.notice_mail import compose
from kernteam.notices import Kind, Notice, has_address, initials_and_age, notify
from kernteam.outbox import MailStatus, deliver
from kernteam.roles import Role


def notify_members(
    *, users, resident: Resident, kind: str, key: str, by=None, on: datetime.date | None = None
) -> list[Notice]:
    """Inside the caller's transaction. Nobody hears of what they did themselves (`by`), nor
    does an integration account (only the people on her team: `Team.people`)."""
    seeing = [
        user
        for user in users
        if user is not None
        and (by is None or user.pk != by.pk)
        and can_see_resident(user=user, resident=resident)
    ]
    if seeing:
        people = resident.team.people().filter(user_id__in=[user.pk for user in seeing])
        kept = set(people.values_list("user_id", flat=True))
        seeing = [user for user in seeing if user.pk in kept]
    if not seeing:
        return []
    line = {"who": initials_and_age(resident), "resident": resident.pk}
    if on is not None:
        line["on"] = on.isoformat()
    made = notify(users=seeing, kind=kind, key=key, resident=resident, lines=[line])
    queue_mails(made)
    return made


def queue_mails(notices: Iterable[Notice]) -> None:
    """The notices' mails go to the worker when the transaction commits."""
    for notice in notices:
        if notice.mail_status == MailStatus.PENDING:
            transaction.on_commit(lambda pk=notice.pk: enqueue_mail(pk), robust=True)


def enqueue_mail(notice_id: int, when: datetime.datetime | None = None) -> None:
    (mail_notice.using(run_after=when) if when else mail_notice).enqueue(notice_id)


@task()
def mail_notice(notice_id: int) -> str:
    return deliver(
        model=Notice, pk=notice_id, compose=compose, requeue=enqueue_mail, allowed=may_still_hear
    )


def may_still_hear(notice: Notice) -> bool:
    """At the moment of sending, as when it was made: an active account with an address that
    may still see the resident; "whom you coordinate" while she still does; a meeting's
    reminder while that meeting is still planned on that day and she still coordinates that
    team. A digest keeps only the lines she may still read (none left: not sent)."""
    user = notice.user
    if not has_address(user):
        return False
    if notice.kind == Kind.DIGEST:
        return _keep_readable_lines(notice)
    if notice.resident_id is not None:
        resident = notice.resident
        if notice.kind in FOR_THE_COORDINATOR and resident.coordinator_id != user.pk:
            return False
        return can_see_resident(user=user, resident=resident)
    if notice.meeting_id is not None:
        meeting = notice.meeting
        on = notice.lines[0].get("on") if notice.lines else None
        return (
            meeting.status == Meeting.Status.PLANNED
            and on == timezone.localdate(meeting.scheduled_for).isoformat()
            and _coordinates(user_id=user.pk, team_ids={meeting.team_id}) == {meeting.team_id}
        )
    return False


FOR_THE_COORDINATOR = (Kind.URGENT_STEP_UP, Kind.CONCERN)


def _coordinates(*, user_id: int, team_ids: set[int]) -> set[int]:
    found = (
        Membership.objects.active()
        .of_people()
        .filter(user_id=user_id, team_id__in=team_ids, role=Role.COORDINATOR)
    )
    return set(found.values_list("team_id", flat=True))


def readable_lines(notice: Notice) -> list[dict]:
    """The digest's lines its member may still read: residents she may still see, meetings of
    teams she still coordinates."""
    lines = notice.lines
    seeing = visible_pairs(
        (notice.user_id, line["resident"]) for line in lines if line.get("resident")
    )
    slugs = {line["team"] for line in lines if line.get("meeting")}
    teams = dict(Team.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    still = _coordinates(user_id=notice.user_id, team_ids=set(teams.values())) if teams else set()
    return [
        line
        for line in lines
        if (line.get("resident") and (notice.user_id, line["resident"]) in seeing)
        or (line.get("meeting") and teams.get(line.get("team")) in still)
    ]


def _keep_readable_lines(notice: Notice) -> bool:
    kept = readable_lines(notice)
    if len(kept) != len(notice.lines):
        notice.lines, notice.count = kept, len(kept)
        Notice.objects.filter(pk=notice.pk).update(lines=kept, count=len(kept))
    return bool(kept)


# --- the bell -----------------------------------------------------------------------------

BELL_SIZE = 15
UNREAD_SCANNED = 100  # the count says "99+" beyond this


def _readable(notices: list[Notice]) -> list[Notice]:
    """The notices about residents their member may still see (and those about none)."""
    seeing = visible_pairs((n.user_id, n.resident_id) for n in notices if n.resident_id)
    return [n for n in notices if not n.resident_id or (n.user_id, n.resident_id) in seeing]


def bell_items(*, user) -> list[Notice]:
    """The member's latest notices, newest first: none about a resident she may no longer see
    (the consent narrowed, she left the team)."""
    latest = Notice.objects.filter(user=user).select_related("resident", "meeting__team")
    return _readable(list(latest[: BELL_SIZE * 2]))[:BELL_SIZE]


def unread_count(*, user) -> int:
    unread = Notice.objects.filter(user=user, read_at__isnull=True).only("pk", "user", "resident")
    return len(_readable(list(unread[:UNREAD_SCANNED])))
