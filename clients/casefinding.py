"""Casefinding (issue 18 §1): the practice's yearly list of older patients at risk, uploaded as
CSV, checked row by row (the preview), then imported as one round of *candidates*.

A candidate is not a resident of the team: a round stores the minimum (the practice's own
patient number, name, date of birth, the risk flags the list gives, the status of the invitation,
and when a questionnaire comes back its score), never a BSN. A returned score above the cut-off
makes the candidate a signalled resident (`steps.casefinding_services`); below it, the candidate
is closed with a re-invite date a year on.

Here: the models, who may do what, the status of a candidate (`change_candidate_status`) and the
selectors (`rounds_of`, `candidates_of`, `follow_up_list`, `likely_duplicates`). Reading the file,
the preview and the import are in `clients.casefinding_import`.

Imported at the end of `clients.models` (foreign keys by name: nothing is imported from there).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kernteam.models import Team, years_later
from kernteam.policy import require_member
from kernteam.refusals import Refused
from kernteam.roles import Role
from kernteam.undeletable import Undeletable

# --- the rules ----------------------------------------------------------------------------------

# Who uploads a list and sees a round's counts: the GP, the POH or the team coordinator. Who sees
# the candidates themselves (names, dates of birth) and changes their status: the GP and the POH
# only (directly involved in care; there is no consent yet).
RUNNERS = frozenset({Role.GP, Role.POH, Role.COORDINATOR})
READERS = frozenset({Role.GP, Role.POH})

MAX_BYTES = 20 * 1024 * 1024  # a file of 20 MB or more is refused before it is read
MAX_ROWS = 10_000  # a practice's 75+ list is a few thousand rows at most
MIN_AGE = 65
FOLLOW_UP_DAYS = 28  # no reaction this long after the invitation: on the follow-up list
REINVITE_YEARS = 1


def may_run(roles) -> bool:
    return bool(set(roles) & RUNNERS)


def may_read_candidates(roles) -> bool:
    return bool(set(roles) & READERS)


def require_runner(*, team: Team, user) -> set[str]:
    roles = require_member(
        team=team, user=user, message=_("Only members of this kernteam can do this.")
    )
    if not may_run(roles):
        raise Refused(
            _("Only the GP, the POH or the team coordinator runs casefinding."), forbidden=True
        )
    return roles


def require_reader(*, team: Team, user) -> set[str]:
    roles = require_member(
        team=team, user=user, message=_("Only members of this kernteam can do this.")
    )
    if not may_read_candidates(roles):
        raise Refused(
            _("Only the GP and the POH see and change the candidates of a casefinding round."),
            forbidden=True,
        )
    return roles


# --- the records --------------------------------------------------------------------------------


class CasefindingRound(Undeletable, models.Model):
    """One imported list. Its SHA-256 makes a second import of the same file change nothing."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="casefinding_rounds")
    file_name = models.CharField(gettext_lazy("file"), max_length=200)
    file_sha256 = models.CharField(max_length=64, editable=False)
    imported_at = models.DateTimeField(gettext_lazy("imported at"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rows_in_file = models.PositiveIntegerField(default=0)
    known_residents = models.PositiveIntegerField(default=0)
    already_candidates = models.PositiveIntegerField(default=0)
    closed_candidates = models.PositiveIntegerField(default=0)  # closed until re-invite date

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = gettext_lazy("casefinding round")
        verbose_name_plural = gettext_lazy("casefinding rounds")
        constraints = [
            models.UniqueConstraint(
                fields=["team", "file_sha256"], name="casefinding_file_once_per_team"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.file_name} ({timezone.localdate(self.imported_at):%d-%m-%Y})"


class Status(models.TextChoices):
    TO_INVITE = "to_invite", gettext_lazy("to invite")
    INVITED = "invited", gettext_lazy("invited")
    RETURNED = "returned", gettext_lazy("questionnaire returned")
    NO_RESPONSE = "no_response", gettext_lazy("no response")
    DECLINED = "declined", gettext_lazy("declined")
    UNREACHABLE = "unreachable", gettext_lazy("not reached")


OPEN_STATUSES = (Status.TO_INVITE, Status.INVITED, Status.NO_RESPONSE)
# What a member sets by hand; "questionnaire returned" comes with its score.
SETTABLE = (Status.INVITED, Status.NO_RESPONSE, Status.DECLINED, Status.UNREACHABLE)
QUESTIONNAIRES = ("gfi", "tfi")


class Candidate(Undeletable, models.Model):
    """A patient on a practice's list: the minimum to invite her and follow up, never a BSN."""

    round = models.ForeignKey(CasefindingRound, on_delete=models.PROTECT, related_name="candidates")
    practice_number = models.CharField(gettext_lazy("practice patient number"), max_length=20)
    first_name = models.CharField(gettext_lazy("first name"), max_length=80)
    last_name = models.CharField(gettext_lazy("last name"), max_length=120)
    date_of_birth = models.DateField(gettext_lazy("date of birth"))
    medicines = models.PositiveSmallIntegerField(gettext_lazy("medicines"), null=True, blank=True)
    multimorbidity = models.BooleanField(gettext_lazy("multimorbidity"), null=True, blank=True)
    no_contact = models.BooleanField(
        gettext_lazy("no GP contact for 3+ years"), null=True, blank=True
    )
    frailty_score = models.DecimalField(
        gettext_lazy("frailty score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        gettext_lazy("status"), max_length=12, choices=Status.choices, default=Status.TO_INVITE
    )
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    invited_on = models.DateField(gettext_lazy("invited on"), null=True, blank=True)
    follow_up_on = models.DateField(gettext_lazy("follow up on"), null=True, blank=True)
    instrument = models.CharField(gettext_lazy("instrument"), max_length=12, blank=True)
    score = models.DecimalField(
        gettext_lazy("score"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    returned_on = models.DateField(gettext_lazy("returned on"), null=True, blank=True)
    reinvite_on = models.DateField(gettext_lazy("invite again on"), null=True, blank=True)
    resident = models.ForeignKey(
        "clients.Resident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="casefinding_candidates",
    )

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = gettext_lazy("casefinding candidate")
        verbose_name_plural = gettext_lazy("casefinding candidates")
        indexes = [models.Index(fields=["round", "status"], name="candidate_round_status")]

    def __str__(self) -> str:
        return f"{self.practice_number} ({self.get_status_display()})"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def flags(self) -> list[str]:
        """The risk flags the list gave, in words."""
        found = []
        if self.medicines is not None:
            found.append(_("%(n)d medicines") % {"n": self.medicines})
        if self.multimorbidity:
            found.append(_("multimorbidity"))
        if self.no_contact:
            found.append(_("no GP contact for 3+ years"))
        if self.frailty_score is not None:
            found.append(_("frailty score %(score)s") % {"score": _number(self.frailty_score)})
        return found

    @property
    def above_cutoff(self) -> bool:
        return self.resident_id is not None and self.status == Status.RETURNED


def _number(value: Decimal) -> str:
    return number_format(value.normalize())


# --- the status of a candidate -------------------------------------------------------------------


def change_candidate_status(
    *, candidate: Candidate, by, status: str, follow_up_on: datetime.date | None = None
) -> Candidate:
    """The GP or POH records what happened to an invitation. Invited: followed up
    `FOLLOW_UP_DAYS` later unless a date is given; no response (only once invited): followed up
    on the date given (default `FOLLOW_UP_DAYS` on); declined or not reached: closed, invited
    again next year. A closed candidate does not change (a returned questionnaire:
    `steps.casefinding_services`)."""
    team = candidate.round.team
    require_reader(team=team, user=by)
    if status not in SETTABLE:
        raise Refused(_("Choose what happened to the invitation."), field="status")
    today = timezone.localdate()
    if follow_up_on is not None and not today <= follow_up_on <= years_later(today, 1):
        raise Refused(
            _("The follow-up date must lie between today and a year from now."),
            field="follow_up_on",
        )
    with transaction.atomic():
        locked = Candidate.objects.select_for_update().get(pk=candidate.pk)
        if not locked.is_open:
            raise Refused(
                _("This candidate is closed (%(status)s): nothing more to record.")
                % {"status": locked.get_status_display()}
            )
        if status == Status.NO_RESPONSE and locked.invited_on is None:
            raise Refused(
                _("“No response” follows an invitation: record that she was invited first."),
                field="status",
            )
        locked.status = status
        locked.status_changed_at = timezone.now()
        locked.status_changed_by = by
        if status == Status.INVITED:
            locked.invited_on = today
        if status in (Status.INVITED, Status.NO_RESPONSE):
            locked.follow_up_on = follow_up_on or today + datetime.timedelta(days=FOLLOW_UP_DAYS)
            locked.reinvite_on = None
        else:
            locked.follow_up_on = None
            locked.reinvite_on = years_later(today, REINVITE_YEARS)
        locked.save()
    return locked


# --- selectors ------------------------------------------------------------------------------------


def rounds_of(*, team: Team):
    """The team's rounds, newest first, each with its candidates counted per status
    (`count_<status>`) and in all (`count_all`). Names nobody."""
    counts = {
        f"count_{value}": Count("candidates", filter=Q(candidates__status=value))
        for value in Status.values
    }
    return (
        CasefindingRound.objects.filter(team=team)
        .select_related("imported_by")
        .annotate(count_all=Count("candidates"), **counts)
    )


def round_counts(found: CasefindingRound) -> list[tuple[str, str, int]]:
    """(status, label, number) for a round from `rounds_of`."""
    return [(value, label, getattr(found, f"count_{value}")) for value, label in Status.choices]


def candidates_of(*, round: CasefindingRound, status: str = ""):
    rows = round.candidates.select_related("resident")
    return rows.filter(status=status) if status else rows


def follow_up_list(*, team: Team, today: datetime.date | None = None):
    """Invited (or not reached yet) with no reaction by their follow-up date: to phone or
    invite again. Oldest first."""
    today = today or timezone.localdate()
    return (
        Candidate.objects.filter(
            round__team=team,
            status__in=(Status.INVITED, Status.NO_RESPONSE),
            follow_up_on__lte=today,
        )
        .select_related("round")
        .order_by("follow_up_on", "last_name", "pk")
    )


def candidate_of_team(*, pk: int, team: Team | None = None) -> Candidate | None:
    rows = Candidate.objects.select_related("round__team", "resident").filter(pk=pk)
    if team is not None:
        rows = rows.filter(round__team=team)
    return next(iter(rows), None)


def likely_duplicates(*, team: Team, first_name: str, last_name: str, date_of_birth):
    """The team's residents who are likely the same person: the same first and last name
    (whatever the capitals and spacing) and the same date of birth, in any state, closed
    records included (one reopens a closed record rather than signalling her anew)."""
    from clients.models import Resident

    first = " ".join((first_name or "").split())
    last = " ".join((last_name or "").split())
    if not (first and last and date_of_birth):
        return Resident.objects.none()
    return (
        Resident.objects.filter(
            team=team,
            first_name__iexact=first,
            last_name__iexact=last,
            date_of_birth=date_of_birth,
        )
        .select_related("trajectory", "team")
        .order_by("pk")
    )
