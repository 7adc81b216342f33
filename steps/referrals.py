"""The neighbourhood's own offers and the referrals to them (issue 18 §2).

A *local offer* is what the woonzorgzones (Deltaplan Maastricht-Heuvelland) and Welzijn op
Recept (PlusWIJken) offer older people at home: meals, a meeting place, an odd-jobs service, a
personal alarm, day activities, a welfare coach, carer support, a fall-prevention course. A
team's coordinator keeps the offers of her team's area (`team`), the programme office the
region-wide ones (`team` empty). An offer is never deleted: an ended one keeps its `ended_on`
and stays for the history of the referrals to it.

A *referral* is an agreed action (`AgreedAction`: who, by when, shared with the carers or not)
to one offer, with the referral's own status and the provider's feedback (*terugkoppeling*).
Every change of status or feedback is kept as a `ReferralUpdate` (append-only): what the
provider said is never overwritten.
"""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Min, OuterRef, Subquery, When
from django.db.models.functions import Coalesce, Least, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernteam.models import Team, limited_text
from kernteam.undeletable import AppendOnly, Undeletable, UndeletableQuerySet

# A referral without the provider's feedback this long after it was made goes on the next
# agenda ("verwijzing zonder terugkoppeling"), and the KPI counts feedback within it.
FEEDBACK_WITHIN_DAYS = 42


class OfferKind(models.TextChoices):
    MEALS = "meals", _("meals")
    MEETING_PLACE = "meeting_place", _("meeting place")
    ODD_JOBS = "odd_jobs", _("odd-jobs service")
    PERSONAL_ALARM = "personal_alarm", _("personal alarm")
    DAY_ACTIVITIES = "day_activities", _("day activities")
    WELFARE_COACH = "welfare_coach", _("welfare coach")
    CARER_SUPPORT = "carer_support", _("carer support")
    FALL_PREVENTION = "fall_prevention", _("fall-prevention course")
    OTHER = "other", _("other")


class LocalOfferQuerySet(UndeletableQuerySet):
    def running(self, day: datetime.date | None = None) -> LocalOfferQuerySet:
        """Offers not ended by `day` (today)."""
        day = day or timezone.localdate()
        return self.filter(models.Q(ended_on__isnull=True) | models.Q(ended_on__gt=day))

    def for_team(self, team: Team) -> LocalOfferQuerySet:
        """The offers a team's members can refer to: its area's and the region's."""
        return self.filter(models.Q(team=team) | models.Q(team__isnull=True))


class LocalOffer(Undeletable, models.Model):
    """One offer in the neighbourhood (`team` set: that team's area) or the region (`team`
    empty)."""

    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="local_offers",
        verbose_name=_("team area"),
        help_text=_("Empty: an offer for the whole region."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OfferKind.choices)
    provider = models.CharField(_("provider"), max_length=200)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    for_whom = limited_text(_("who it is for"), max_length=500, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = LocalOfferQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name", "pk"]
        verbose_name = _("local offer")
        verbose_name_plural = _("local offers")

    def __str__(self) -> str:
        return f"{self.name} ({self.provider})"

    def is_running(self, day: datetime.date | None = None) -> bool:
        day = day or timezone.localdate()
        return self.ended_on is None or self.ended_on > day

    @property
    def phone(self) -> str:
        """The contact as a number to dial (for a tel: link), when it is only a phone number."""
        contact = self.contact.strip()
        if not re.fullmatch(r"\+?[0-9][0-9 ()\-]{5,}", contact):
            return ""
        return re.sub(r"[^0-9+]", "", contact)


class ReferralStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")  # voorgesteld
    REGISTERED = "registered", _("registered")  # aangemeld
    STARTED = "started", _("started")  # gestart
    DECLINED = "declined", _("declined by the provider")  # afgewezen
    STOPPED = "stopped", _("stopped")  # gestopt


# a declined or stopped referral is finished: no more feedback is awaited
FINISHED = (ReferralStatus.DECLINED, ReferralStatus.STOPPED)
# A status only the provider can give (she started, the provider declined her): recorded by a
# member, it is the provider's feedback, received on the day it was recorded, even without text.
# "Registered" is our own act and is no feedback.
FROM_PROVIDER = (ReferralStatus.STARTED, ReferralStatus.DECLINED)
# What ends the wait for the provider's feedback: the feedback itself (typed, or a status from
# the provider), or the referral stopping.
ENDS_WAIT = (*FROM_PROVIDER, ReferralStatus.STOPPED)


def _first_of(*values):
    """The earliest of `values` that is not null (null when all are): `Least` alone gives null
    on SQLite as soon as one is."""
    values = list(values)
    return Least(*(Coalesce(*values[i:], *values[:i]) for i in range(len(values))))


def _first_update_day(statuses) -> Subquery:
    """The earliest day among a referral's updates of the day typed feedback was received and
    the (local) day an update to one of `statuses` was recorded."""
    day = _first_of(
        F("feedback_on"),
        Case(When(status__in=statuses, then=TruncDate("at")), output_field=models.DateField()),
    )
    return Subquery(
        ReferralUpdate.objects.filter(referral=OuterRef("pk"))
        .order_by()
        .values("referral")
        .annotate(first=Min(day))
        .values("first"),
        output_field=models.DateField(),
    )


class ReferralQuerySet(UndeletableQuerySet):
    def with_feedback_days(self) -> ReferralQuerySet:
        """THE rule of the provider's feedback (one place: the agenda, the panel's "late"
        marker, the API and the KPI read it from here). Each referral with

        - `feedback_received_on`: the day the provider's feedback first came: the earliest
          typed feedback (`feedback_on` of the referral or of any update) or the day a member
          recorded a status only the provider gives (`FROM_PROVIDER`: started, declined);
        - `wait_ended_on`: the day nobody waited for it any more: `feedback_received_on`, or
          the day the referral was recorded as stopped, whichever came first.

        Both null: the team still waits for the provider."""
        return self.annotate(
            feedback_received_on=_first_of(F("feedback_on"), _first_update_day(FROM_PROVIDER)),
            wait_ended_on=_first_of(F("feedback_on"), _first_update_day(ENDS_WAIT)),
        )

    def awaiting_feedback(self, day: datetime.date | None = None) -> ReferralQuerySet:
        """Referrals whose provider's feedback is late on `day` (today): the wait has not ended
        (`with_feedback_days`) more than `FEEDBACK_WITHIN_DAYS` after the referral (on that
        last day is in time)."""
        day = day or timezone.localdate()
        return self.with_feedback_days().filter(
            wait_ended_on__isnull=True,
            referred_on__lt=day - datetime.timedelta(days=FEEDBACK_WITHIN_DAYS),
        )


class Referral(Undeletable, models.Model):
    """A referral of a resident to a local offer: an agreed action (owner, due date, sharing
    with the carers) with its status and the provider's last feedback. The history of both is
    in `updates`."""

    action = models.OneToOneField(
        "steps.AgreedAction",
        on_delete=models.PROTECT,
        related_name="referral",
        verbose_name=_("agreed action"),
    )
    offer = models.ForeignKey(
        LocalOffer, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("offer")
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ReferralStatus.choices,
        default=ReferralStatus.PROPOSED,
    )
    # the provider's feedback as last recorded (every version: `updates`)
    feedback = limited_text(_("feedback"), max_length=2000, blank=True)
    feedback_on = models.DateField(_("feedback received on"), null=True, blank=True)
    referred_on = models.DateField(_("referred on"), default=timezone.localdate)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-referred_on", "-pk"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self) -> str:
        return f"{self.offer} ({self.get_status_display()})"

    def feedback_due_on(self) -> datetime.date:
        return self.referred_on + datetime.timedelta(days=FEEDBACK_WITHIN_DAYS)

    def feedback_days(self) -> tuple[datetime.date | None, datetime.date | None]:
        """(`feedback_received_on`, `wait_ended_on`) by the rule of
        `ReferralQuerySet.with_feedback_days`: as annotated, else asked of the database."""
        if "wait_ended_on" not in vars(self):
            received, ended = (
                Referral.objects.with_feedback_days()
                .values_list("feedback_received_on", "wait_ended_on")
                .get(pk=self.pk)
            )
            self.feedback_received_on, self.wait_ended_on = received, ended
        return self.feedback_received_on, self.wait_ended_on

    @property
    def awaits_feedback(self) -> bool:
        """The team still waits for the provider's feedback (`with_feedback_days`)."""
        return self.feedback_days()[1] is None

    def feedback_late(self, day: datetime.date | None = None) -> bool:
        """Still waiting and past `feedback_due_on` (the agenda's rule, `awaiting_feedback`)."""
        day = day or timezone.localdate()
        return self.awaits_feedback and self.feedback_due_on() < day

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED


class ReferralUpdate(AppendOnly, models.Model):
    """One change of a referral's status or feedback: what it became, when, by whom."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="updates")
    status = models.CharField(_("status"), max_length=12, choices=ReferralStatus.choices)
    feedback = limited_text(_("feedback"), max_length=2000, blank=True)
    feedback_on = models.DateField(_("feedback received on"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("referral update")
        verbose_name_plural = _("referral updates")

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.get_status_display()} ({self.at:%d-%m-%Y})"
