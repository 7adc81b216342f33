"""A few notices for the scenario team (issue 19), so that the demo's bell is not empty: the
district nurse hears of (up to three of) the open actions colleagues gave her, as a colleague
giving one today would make her hear. Made through `clients.notify.notify_members` (one row per
member and event: seeding again adds nothing); their mails go out when `make run`'s worker
starts, to the console."""

from __future__ import annotations

from clients.notify import notify_members
from demo.context import TeamContext
from kernteam.notices import Kind
from kernteam.roles import Role as R
from steps.models import AgreedAction


def seed_notices(ctx: TeamContext) -> int:
    nurse = ctx.staff.get(R.DISTRICT_NURSE)
    if nurse is None:
        return 0
    given = (
        AgreedAction.objects.filter(
            resident__team=ctx.team, owner_member=nurse, status=AgreedAction.Status.OPEN
        )
        .exclude(created_by=nurse)
        .select_related("resident__team", "created_by")
        .order_by("due_on", "pk")[:3]
    )
    for action in given:
        notify_members(
            users=[nurse],
            resident=action.resident,
            kind=Kind.ACTION_ASSIGNED,
            key=f"action:{action.pk}",
            by=action.created_by,
            on=action.due_on,
        )
    return len(given)
