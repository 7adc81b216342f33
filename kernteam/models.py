"""Teams, the people on them, and their meetings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernteam.roles import ROLE_PRECEDENCE, Role
from kernteam.undeletable import AppendOnly, Undeletable, UndeletableQuerySet


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

    def has_active_role(self, role: str) -> bool:
        return self.memberships.active().filter(role=role).exists()


class MembershipQuerySet(UndeletableQuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(ended_on__isnull=True)


class Membership(Undeletable, models.Model):
    """A person holding a role on a team. Leaving a team ends the membership; it is kept."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    organisation = models.CharField(_("organisation"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    started_on = models.DateField(_("started on"), default=timezone.localdate)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

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
        return f"{self.user.get_full_name() or self.user.username} · {self.get_role_display()}"


def primary_role(roles: set[str]) -> str:
    return next((r for r in ROLE_PRECEDENCE if r in roles), "")


class Meeting(Undeletable, models.Model):
    """A multidisciplinary team meeting (MDO).

    Decisions taken while it is open are team decisions."""

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
    # Follow the chair: the resident the chair has open now.
    focus = models.ForeignKey(
        "clients.Resident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-scheduled_for"]
        verbose_name = _("team meeting")
        verbose_name_plural = _("team meetings")

    def __str__(self) -> str:
        return f"MDO {self.team} {timezone.localtime(self.scheduled_for):%d-%m-%Y}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def open(self, *, by) -> None:
        """The coordinator opens a planned meeting; decisions taken in it are team decisions."""
        if not self.is_coordinator(by):
            raise MeetingRefused(_("Only the team coordinator opens a meeting."))
        if self.status != self.Status.PLANNED:
            raise MeetingRefused(_("Only a planned meeting can be opened."))
        self.status = self.Status.OPEN
        self.chair = by
        self.opened_at = timezone.now()
        self.save(update_fields=["status", "chair", "opened_at"])

    def is_coordinator(self, user) -> bool:
        return Role.COORDINATOR in self.team.roles_of(user)

    def close(self, *, by) -> None:
        """The coordinator closes the meeting; its decisions are then its minutes."""
        if not self.is_coordinator(by):
            raise MeetingRefused(_("Only the team coordinator closes a meeting."))
        if self.status != self.Status.OPEN:
            raise MeetingRefused(_("Only a meeting in progress can be closed."))
        self.status = self.Status.CLOSED
        self.closed_at = timezone.now()
        self.focus = None
        self.save(update_fields=["status", "closed_at", "focus"])

    @property
    def takes_decisions(self) -> bool:
        """Open, and opened today: a meeting left open does not decide next week."""
        return (
            self.is_open
            and self.opened_at is not None
            and timezone.localdate(self.opened_at) == timezone.localdate()
        )


class MeetingRefused(Exception):
    pass


class AgendaReason(models.TextChoices):
    """Why a resident is on a meeting's agenda, in the order the team goes through them."""

    SIGNAL = "signal", _("new signal")
    SCREENING = "screening", _("screening above the cut-off")
    REVIEW = "review", _("review is due")
    URGENT = "urgent", _("urgent step-up to confirm")
    CONCERN = "concern", _("carer's concern")
    QUESTION = "question", _("question from a member")


class AgendaItem(Undeletable, models.Model):
    """A resident on a meeting's agenda, with why. Built from the board when the meeting is
    prepared or opened; members add residents with a question; the coordinator reorders."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="agenda")
    resident = models.ForeignKey(
        "clients.Resident", on_delete=models.PROTECT, related_name="agenda_items"
    )
    position = models.PositiveIntegerField(_("position"))
    reasons = models.JSONField(_("reasons"), default=list)
    question = models.TextField(_("question"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
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
