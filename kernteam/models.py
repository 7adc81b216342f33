"""Teams, the people on them, and their meetings."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from kernteam.events import send_user_event_on_commit
from kernteam.roles import INTEGRATIONS, ROLE_PRECEDENCE, Role
from kernteam.undeletable import AppendOnly, Undeletable, UndeletableQuerySet


def limited_text(verbose_name, *, max_length: int, **kwargs) -> models.TextField:
    """A free-text field with its one length limit: the model checks it (full_clean), and the
    forms, the admin and the API read it from the field (`text_limit`)."""
    return models.TextField(
        verbose_name, max_length=max_length, validators=[MaxLengthValidator(max_length)], **kwargs
    )


def text_limit(model, field: str) -> int:
    """The length limit of a model's text field: what every entry point accepts at most."""
    return model._meta.get_field(field).max_length


def years_later(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later (or earlier); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def shown_date(day: datetime.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def local_day(moment: datetime.datetime) -> datetime.date | None:
    """The local date of a moment a user typed; None when it cannot be placed in time at all
    (e.g. year 1 with an offset that would take it before year 1)."""
    try:
        return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    except (OverflowError, ValueError):
        return None


class RemembersLoaded:
    """Remembers the values of `typed_fields` as read from the database, so that a rule about
    a value a user types applies when it is typed (new or changed), not to a value stored
    earlier that the calendar has since overtaken."""

    typed_fields: tuple[str, ...] = ()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_typed = {
            name: value
            for name, value in zip(field_names, values, strict=True)
            if name in cls.typed_fields
        }
        return instance

    def refresh_from_db(self, using=None, fields=None, **kwargs) -> None:
        super().refresh_from_db(using=using, fields=fields, **kwargs)
        loaded = getattr(self, "_loaded_typed", {})
        for name in self.typed_fields:
            if fields is None or name in fields:
                loaded[name] = getattr(self, name)
        self._loaded_typed = loaded

    def typed_problems(self) -> dict[str, str]:
        """Why each newly typed value of `typed_fields` cannot be accepted, by field: the
        model's `<field>_problem(value)` (None when it can)."""
        problems = {}
        for name in self.typed_fields:
            value = getattr(self, name)
            check = getattr(self, f"{name}_problem")
            if value and self.is_typed(name) and (problem := check(value)):
                problems[name] = problem
        return problems

    def is_typed(self, field: str) -> bool:
        """Whether `field` holds a new value (a new record, or a change since it was read)."""
        loaded = getattr(self, "_loaded_typed", {})
        return self.pk is None or field not in loaded or loaded[field] != getattr(self, field)


class Team(Undeletable, models.Model):
    """A Kernteam Ouderen around one neighbourhood or GP practice."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    neighbourhood = models.CharField(_("neighbourhood"), max_length=120)
    municipality = models.CharField(_("municipality"), max_length=120)

    class Meta:
        ordering = ["name"]
        verbose_name = _("kernteam")
        verbose_name_plural = _("kernteams")

    def __str__(self) -> str:
        return self.name

    def roles_of(self, user) -> set[str]:
        """The roles `user` currently holds on this team (empty for non-members)."""
        if user is None or not user.is_authenticated:
            return set()
        active = self.memberships.active().filter(user=user).order_by()  # (no join for order)
        return set(active.values_list("role", flat=True))

    def people(self) -> MembershipQuerySet:
        """The active memberships of the people on the team: not those of integration accounts
        (`MembershipQuerySet.of_people`). Whom the team names, chooses, tells and counts: a care
        coordinator, an action's owner, a role a rule asks for, digests and reminders, meeting
        attendees, the KPIs. What an account may see follows its roles (`roles_of`)."""
        return self.memberships.active().of_people()

    def has_person(self, user) -> bool:
        """Whether `user` is one of the people on the team (`people`)."""
        return user is not None and self.people().filter(user_id=user.pk).exists()

    def has_active_role(self, role: str) -> bool:
        """Whether one of the people on the team holds `role` (`people`)."""
        return self.people().filter(role=role).exists()


class MembershipQuerySet(UndeletableQuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(ended_on__isnull=True)

    def of_people(self) -> MembershipQuerySet:
        """Not the memberships of integration accounts (a system's account, not a person on
        the team: `kernteam.roles.INTEGRATIONS`). The one rule of who counts as a person on a
        team (`Team.people`)."""
        return self.exclude(user__groups__name=INTEGRATIONS)


# A health professional's identifiers, exported on the FHIR Practitioner when known: the AGB
# code (Vektis, 8 digits) and the UZI number of the person's UZI card (CIBG, 9 digits).
AGB_CODE = RegexValidator(r"^[0-9]{8}\Z", _("An AGB code consists of 8 digits."), "agb_code")
UZI_NUMBER = RegexValidator(r"^[0-9]{9}\Z", _("A UZI number consists of 9 digits."), "uzi_number")


class Membership(Undeletable, models.Model):
    """A person holding a role on a team. Leaving a team ends the membership; it is kept.

    The AGB code and UZI number belong to the person, not to the role: optional, and the same
    on all of one person's memberships (`clean`)."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    organisation = models.CharField(_("organisation"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    started_on = models.DateField(_("started on"), default=timezone.localdate)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    agb_code = models.CharField(
        _("AGB code"),
        max_length=8,
        blank=True,
        validators=[AGB_CODE],
        help_text=_("The person's AGB code (8 digits), if known."),
    )
    uzi_number = models.CharField(
        _("UZI number"),
        max_length=9,
        blank=True,
        validators=[UZI_NUMBER],
        help_text=_("The number on the person's UZI card (9 digits), if known."),
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["team", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user", "role"],
                condition=models.Q(ended_on__isnull=True),
                name="one_active_membership_per_role",
            )
        ]

    def __str__(self) -> str:
        return f"{person_name(self.user)} · {self.get_role_display()}"

    def save(self, *args, **kwargs) -> None:
        """Made, changed or ended (the admin, a command, anything): the member's open boards
        read their roles again, or close when they are no longer on the team."""
        super().save(*args, **kwargs)
        send_user_event_on_commit(
            user_id=self.user_id, message={"type": "member.changed", "team": self.team_id}
        )

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            errors["ended_on"] = _("The membership cannot end before it began (%(since)s).") % {
                "since": shown_date(self.started_on)
            }
        errors |= self.identifier_problems()
        if errors:
            raise ValidationError(errors)

    def identifier_problems(self) -> dict[str, str]:
        """An AGB code or UZI number is the person's: the same on all her memberships, and no
        other person's (her FHIR Practitioner carries it; a server finds her by it)."""
        problems: dict[str, str] = {}
        if not self.user_id:
            return problems
        others = Membership.objects.exclude(pk=self.pk).select_related("team", "user")
        messages = {
            "agb_code": (
                _(
                    "This person has AGB code %(value)s on %(membership)s: an AGB code belongs "
                    "to the person, not to the role."
                ),
                _("This AGB code is recorded for another person (%(person)s)."),
            ),
            "uzi_number": (
                _(
                    "This person has UZI number %(value)s on %(membership)s: a UZI number "
                    "belongs to the person, not to the role."
                ),
                _("This UZI number is recorded for another person (%(person)s)."),
            ),
        }
        for field, (differs, taken) in messages.items():
            value = getattr(self, field)
            if not value:
                continue
            own = others.filter(user_id=self.user_id).exclude(**{field: ""})
            if other := own.exclude(**{field: value}).first():
                problems[field] = differs % {
                    "value": getattr(other, field),
                    "membership": f"{other.team} ({other.get_role_display()})",
                }
            elif other := others.filter(**{field: value}).exclude(user_id=self.user_id).first():
                problems[field] = taken % {"person": person_name(other.user)}
        return problems


def on_the_team(*, team, user, besides: int | None = None) -> models.Exists:
    """Whether `user` is a person on `team` (`Team.people`) whose account is switched on: one
    whom the team can name, e.g. as care coordinator. `team` and `user` may be `OuterRef`s;
    `besides`: leave out this membership (what if it ended?). The one rule behind "care
    coordinator left" (`steps.meetings.coordinator_left_q`)."""
    rows = Membership.objects.active().of_people().filter(team=team, user=user)
    rows = rows.filter(user__is_active=True)
    if besides is not None:
        rows = rows.exclude(pk=besides)
    return models.Exists(rows)


def person_name(user) -> str:
    """How the application names a person: their full name, else their username ("" for
    nobody)."""
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def primary_role(roles: set[str]) -> str:
    return next((r for r in ROLE_PRECEDENCE if r in roles), "")


class MembershipChange(AppendOnly, models.Model):
    """The team's own history of who joined and left (`kernteam.members`): a member added, an
    invitation sent again (or not sent: its mail failed), a membership ended. Written once;
    shown on the team's members page. (The access log keeps the same changes for the log
    officer.)"""

    class Kind(models.TextChoices):
        ADDED = "added", _("added")
        INVITED = "invited", _("invitation sent again")
        # the invitation's e-mail could not be sent (the member was added; send it again)
        NOT_SENT = "not_sent", _("invitation not sent")
        ENDED = "ended", _("ended")
        CHANGED = "changed", _("changed")  # in the administration (role, person, dates)

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="membership_changes")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(_("what"), max_length=10, choices=Kind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("when"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("membership change")
        verbose_name_plural = _("membership changes")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.membership} {self.kind}"


# A meeting is planned for a moment the database can store and read back; the plannable
# window (`Meeting.plannable`) is narrower and moves with the calendar.
MEETINGS_FROM = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
MEETINGS_UNTIL = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)


class Meeting(RemembersLoaded, Undeletable, models.Model):
    """A multidisciplinary team meeting (MDO).

    Decisions taken while it is open are team decisions. It is planned, opened and closed by
    the coordinator through `steps.meetings`, which prepares its agenda from the board."""

    typed_fields = ("scheduled_for",)

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPEN = "open", _("In progress")
        CLOSED = "closed", _("Closed")

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="meetings")
    scheduled_for = models.DateTimeField(_("scheduled for"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="chaired_meetings",
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Follow the chair: the resident open now, and who opened it (the presenter: the chair, or
    # a member who may see a resident the chair may not).
    focus = models.ForeignKey(
        "clients.Resident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("presenter"),
    )
    # Who was present: ticked by the chair when she opens the meeting.
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("present")
    )

    class Meta:
        ordering = ["-scheduled_for"]
        verbose_name = _("team meeting")
        verbose_name_plural = _("team meetings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scheduled_for__gte=MEETINGS_FROM)
                & models.Q(scheduled_for__lt=MEETINGS_UNTIL),
                name="meeting_scheduled_in_a_readable_range",
            )
        ]

    def __str__(self) -> str:
        day = local_day(self.scheduled_for) if self.scheduled_for else None
        return f"MDO {self.team} {day:%d-%m-%Y}" if day else f"MDO {self.team}"

    @staticmethod
    def plannable(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
        """The days a meeting can be planned on: from a year back (recording one held) to two
        years ahead."""
        today = today or timezone.localdate()
        return years_later(today, -1), years_later(today, 2)

    @classmethod
    def scheduled_for_problem(cls, moment: datetime.datetime) -> str | None:
        """Why a meeting cannot be planned for `moment` (None when it can)."""
        first, last = cls.plannable()
        day = local_day(moment)
        if day is None or not first <= day <= last:
            return _("The date of the meeting must lie between %(first)s and %(last)s.") % {
                "first": shown_date(first),
                "last": shown_date(last),
            }
        return None

    def clean(self) -> None:
        if problems := self.typed_problems():
            raise ValidationError(problems)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def is_coordinator(self, user) -> bool:
        return Role.COORDINATOR in self.team.roles_of(user)

    @property
    def takes_decisions(self) -> bool:
        """Open, and opened today: a meeting left open does not decide next week."""
        start, end = _today()
        return self.is_open and self.opened_at is not None and start <= self.opened_at < end


def _today() -> tuple[datetime.datetime, datetime.datetime]:
    """Today in the local time zone, as [start, end) moments."""
    today = timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min)
    )
    return start, end


def deciding_meetings(*, team_id: int) -> models.QuerySet[Meeting]:
    """The team's meetings that take decisions now (`Meeting.takes_decisions`), latest first:
    as a queryset, so that a write service can read it in the query that locks its row."""
    start, end = _today()
    return Meeting.objects.filter(
        team_id=team_id, status=Meeting.Status.OPEN, opened_at__gte=start, opened_at__lt=end
    ).order_by("-opened_at", "-pk")


def deciding_meeting(*, team_id: int) -> Meeting | None:
    """The team's meeting in progress that was opened today, if any: what is decided or agreed
    now is the team's decision, recorded in that meeting. Write services look it up themselves,
    inside their transaction; their callers never pass it in (the admin may name one)."""
    return deciding_meetings(team_id=team_id).first()


class AgendaReason(models.TextChoices):
    """Why a resident is on a meeting's agenda, in the order the team goes through them."""

    SIGNAL = "signal", _("new signal")
    SCREENING = "screening", _("screening above the cut-off")
    REVIEW = "review", _("review is due")
    URGENT = "urgent", _("urgent step-up to confirm")
    # the resident's care coordinator is no longer a person on the team (`steps.meetings`)
    COORDINATOR_LEFT = "coordinator_left", _("care coordinator left")
    CONCERN = "concern", _("carer's concern")
    EVENT = "event", _("event since the last meeting")
    QUESTION = "question", _("question from a member")
    CARE_PLANNING = "care_planning", _("advance care planning not yet discussed")
    MEDICATION = "medication", _("medication review needed")
    REFERRAL = "referral", _("referral without feedback")


class AgendaItem(Undeletable, models.Model):
    """A resident on a meeting's agenda, with why. Built from the board when the meeting is
    prepared or opened; members add residents with a question; the coordinator reorders."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="agenda")
    resident = models.ForeignKey(
        "clients.Resident", on_delete=models.PROTECT, related_name="agenda_items"
    )
    position = models.PositiveIntegerField(_("position"))
    reasons = models.JSONField(_("reasons"), default=list)
    question = limited_text(_("question"), max_length=4000, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # When the chair first opened the resident in the meeting. Whether she was *discussed*
    # is not stored: a decision recorded with the meeting says so (steps.meetings).
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True, editable=False)
    # No longer written (opening is not discussing); kept, with what earlier meetings stored,
    # until the readers left (the API's agenda, the admin) have moved to `opened_at`.
    discussed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "position", "pk"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "resident"], name="resident_once_per_agenda")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.resident}"

    @property
    def reason_labels(self) -> list[str]:
        return [str(AgendaReason(code).label) for code in self.reasons]


class AccessLogEntry(AppendOnly, models.Model):
    """NEN 7513: one access to a resident's data (or, without a resident, to a team's live
    board). Written once; the application cannot change or delete it, nor can PostgreSQL."""

    class Action(models.TextChoices):
        READ = "read", _("read")
        WRITE = "write", _("write")
        EXPORT = "export", _("export")
        SUBSCRIBE = "subscribe", _("live subscription")

    at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("who")
    )
    role = models.CharField(_("role"), max_length=32, blank=True)
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("on behalf of"),
    )
    resident = models.ForeignKey(
        "clients.Resident",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("resident"),
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    what = models.CharField(_("what"), max_length=60)  # the entry point, e.g. "board", "resident"
    path = models.CharField(_("path"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("from where"), null=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [
            models.Index(fields=["resident", "at"]),
            models.Index(fields=["user", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.what}"


from kernteam.notices import DigestRun, Notice, NoticePreference  # noqa: E402,F401
