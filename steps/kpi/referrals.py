"""The KPIs of the referrals to local offers (issue 18 §2; `steps.referrals`), per month:
referrals per kind of offer, step-downs with a referral, referrals with the provider's feedback
within six weeks. They read the residents' history (`Scope.histories`, shared with the other
KPIs) and one query for the referrals (`Scope.referrals`), shared by the three.

A referral belongs to the team of its resident (`AgreedAction.resident`), as every KPI counts
a resident with the team she is with; a referral to a region-wide offer counts for the team of
the resident who was referred. Every referral counts, whatever its status now: proposed,
registered, started, declined or stopped (a referral declined or stopped later was still made),
and whatever became of its agreed action. An offer that has ended since counts under its kind
like one still running: the referral was made while it ran. Past months are as the records
stand now: a referral or feedback recorded late counts from the day it gives.
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from kernteam.models import Team
from steps.kpi.scope import Month, Scope, Table, share
from steps.models import Kind
from steps.referrals import FEEDBACK_WITHIN_DAYS, OfferKind

# A step-down counts as one with a referral when a referral was made from this many days before
# it up to this many days after it.
AROUND_STEP_DOWN = datetime.timedelta(days=30)
FEEDBACK_WITHIN = datetime.timedelta(days=FEEDBACK_WITHIN_DAYS)


# --- referrals per kind of offer ------------------------------------------------------------


@dataclass(frozen=True)
class ReferralsPerKind:
    """KPI *referrals to local offers per kind, per month*.

    The referrals of the teams' residents (see the module: every status, proposed included; an
    ended offer too), in the month of the day they were made (`referred_on`), by the kind of
    offer they were made to (`steps.referrals.OfferKind`). Referrals are counted, not
    residents: a resident referred to two offers in a month adds two.
    """

    months: Sequence[Month]
    counts: dict[str, list[int]]  # offer kind -> per month

    def total(self, index: int) -> int:
        return sum(n[index] for n in self.counts.values())

    def kind_total(self, kind: str) -> int:
        return sum(self.counts[kind])

    @property
    def grand_total(self) -> int:
        return sum(self.total(i) for i in range(len(self.months)))

    def table(self) -> Table:
        headers = [_("month"), *(OfferKind(k).label for k in OfferKind.values), _("total")]
        rows = [
            [month, *(self.counts[k][i] for k in OfferKind.values), self.total(i)]
            for i, month in enumerate(self.months)
        ]
        return Table(headers, rows)


def referrals_per_kind_in(scope: Scope) -> ReferralsPerKind:
    counts = {kind: [0] * len(scope.months) for kind in OfferKind.values}
    for _resident, kind, day, _received, _ended in scope.referrals:
        if (m := scope.month_index(day)) is not None and kind in counts:
            counts[kind][m] += 1
    return ReferralsPerKind(scope.months, counts)


# --- step-downs with a referral ---------------------------------------------------------------


@dataclass(frozen=True)
class StepDownReferrals:
    """KPI *share of step-downs with a referral to a local offer*, per month.

    *Step-downs*: the history rows of kind "step down" of the teams' residents, in the month of
    the local day they were recorded, as in `StepMoves` (moves, not residents: a resident who
    stepped down twice counts twice). *With a referral*: her record holds a referral to a local
    offer (any kind, any status: declined or stopped still counts as a referral made) made from
    30 days before the step-down's day up to 30 days after it, both days included; a referral
    may serve two step-downs. A step-down of the last 30 days is judged on what is on record
    today: its referral may still come, so the share of the last two months can still rise
    (`waiting`: those step-downs without a referral yet whose 30 days after have not passed).
    """

    months: Sequence[Month]
    step_downs: list[int]
    with_referral: list[int]
    waiting: list[int]

    def share(self, index: int) -> float | None:
        return share(self.with_referral[index], self.step_downs[index])

    @property
    def total_share(self) -> float | None:
        return share(sum(self.with_referral), sum(self.step_downs))

    def table(self) -> Table:
        headers = [
            _("month"),
            _("step-downs"),
            _("with a referral (30 days before to 30 days after)"),
            _("share (%)"),
            _("without one yet, less than 30 days ago"),
        ]
        rows = [
            [month, self.step_downs[i], self.with_referral[i], self.share(i), self.waiting[i]]
            for i, month in enumerate(self.months)
        ]
        return Table(headers, rows)


def step_down_referrals_in(scope: Scope) -> StepDownReferrals:
    n = len(scope.months)
    step_downs, with_referral, waiting = [0] * n, [0] * n, [0] * n
    referred: dict[int, list[datetime.date]] = defaultdict(list)
    for resident_id, _kind, day, _received, _ended in scope.referrals:
        referred[resident_id].append(day)
    for days in referred.values():
        days.sort()
    judged = scope.today - AROUND_STEP_DOWN  # a step-down on or before it is judged for good
    step_down = str(Kind.STEP_DOWN)  # (a plain string compares six times faster)
    for resident_id, rows in scope.histories.items():
        for row in rows:
            if row[1] != step_down or (m := scope.month_index(day := row[0])) is None:
                continue
            step_downs[m] += 1
            days = referred.get(resident_id, ())
            k = bisect.bisect_left(days, day - AROUND_STEP_DOWN)
            if k < len(days) and days[k] <= day + AROUND_STEP_DOWN:
                with_referral[m] += 1
            elif day > judged:
                waiting[m] += 1
    return StepDownReferrals(scope.months, step_downs, with_referral, waiting)


# --- feedback within six weeks ----------------------------------------------------------------


@dataclass(frozen=True)
class ReferralFeedback:
    """KPI *share of referrals with the provider's feedback within 6 weeks*, per month.

    *Referrals due*: the referrals of the teams' residents (see the module: every status)
    whose six weeks ended in the month: their last day for feedback, `referred_on` + 42 days
    (`steps.referrals.FEEDBACK_WITHIN_DAYS`), lies in the month and before today. A referral
    whose last day is today or still to come may yet get its feedback in time: it is not
    counted until that day has passed, so the current month holds the days before today only.
    A referral stopped on or before its last day without feedback by then is not counted:
    nobody waited for feedback any more.
    *With feedback in time*: the provider's feedback came on or before that last day: on day
    42 is in time, on day 43 is not. When it came is the one rule of the agenda and the panel
    (`Referral.objects.with_feedback_days`): the earliest typed feedback on record (of the
    referral and of its updates), or the day a member recorded a status only the provider
    gives (started, declined by the provider), even without text. "Registered" is our own act:
    no feedback. So a referral counts as late exactly when it went on the agenda ("verwijzing
    zonder terugkoppeling") after its six weeks.
    """

    months: Sequence[Month]
    due: list[int]
    in_time: list[int]

    def share(self, index: int) -> float | None:
        return share(self.in_time[index], self.due[index])

    @property
    def total_share(self) -> float | None:
        return share(sum(self.in_time), sum(self.due))

    def table(self) -> Table:
        headers = [
            _("month"),
            _("referrals whose 6 weeks ended"),
            _("with feedback within 6 weeks"),
            _("share (%)"),
        ]
        rows = [
            [month, self.due[i], self.in_time[i], self.share(i)]
            for i, month in enumerate(self.months)
        ]
        return Table(headers, rows)


def referral_feedback_in(scope: Scope) -> ReferralFeedback:
    n = len(scope.months)
    due, in_time = [0] * n, [0] * n
    for _resident, _kind, day, received, ended in scope.referrals:
        last = day + FEEDBACK_WITHIN
        if last >= scope.today or (m := scope.month_index(last)) is None:
            continue
        came = received is not None and received <= last
        if not came and ended is not None and ended <= last:
            continue  # stopped in time without feedback: none was awaited any more
        due[m] += 1
        in_time[m] += came
    return ReferralFeedback(scope.months, due, in_time)


# --- the public selectors -------------------------------------------------------------------


def referrals_per_kind(
    *, teams: Iterable[Team], today: datetime.date | None = None
) -> ReferralsPerKind:
    return referrals_per_kind_in(Scope(teams=teams, today=today))


def step_down_referrals(
    *, teams: Iterable[Team], today: datetime.date | None = None
) -> StepDownReferrals:
    return step_down_referrals_in(Scope(teams=teams, today=today))


def referral_feedback(
    *, teams: Iterable[Team], today: datetime.date | None = None
) -> ReferralFeedback:
    return referral_feedback_in(Scope(teams=teams, today=today))
