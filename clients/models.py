"""Residents, their carers, consent and assessments: the minimum a team needs (no BSN)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.instruments import FRAILTY_INSTRUMENTS, Instrument, Purpose, spec
from kernteam.models import RemembersLoaded, Team, limited_text, shown_date, years_later
from kernteam.roles import Role
from kernteam.undeletable import AppendOnly, Undeletable, UndeletableQuerySet


class Resident(RemembersLoaded, Undeletable, models.Model):
    typed_fields = ("date_of_birth",)
    # Kernteams look after older people: a date of birth gives an age in this range.
    AGES = (50, 120)

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="residents")
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=120)
    salutation = models.CharField(
        _("salutation"), max_length=20, blank=True, help_text=_("e.g. Mevrouw, Mijnheer")
    )
    date_of_birth = models.DateField(_("date of birth"))
    neighbourhood = models.CharField(_("neighbourhood"), max_length=120)
    gp_practice = models.CharField(_("GP practice"), max_length=120, blank=True)
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("care coordinator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coordinated_residents",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}"
        return f"{self.salutation} {name}" if self.salutation else name

    def age(self, on: datetime.date | None = None) -> int:
        on = on or timezone.localdate()
        born = self.date_of_birth
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    @classmethod
    def born_between(
        cls, today: datetime.date | None = None
    ) -> tuple[datetime.date, datetime.date]:
        """The dates of birth that give an age within `AGES` today."""
        today = today or timezone.localdate()
        youngest, oldest = cls.AGES
        first = years_later(today, -(oldest + 1)) + datetime.timedelta(days=1)
        return first, years_later(today, -youngest)

    @classmethod
    def date_of_birth_problem(cls, born: datetime.date) -> str | None:
        """Why `born` cannot be a resident's date of birth (None when it can)."""
        if born > timezone.localdate():
            return _("The date of birth lies in the future.")
        first, last = cls.born_between()
        if not first <= born <= last:
            youngest, oldest = cls.AGES
            return _(
                "The date of birth must lie between %(first)s and %(last)s: "
                "an age of %(youngest)d to %(oldest)d years."
            ) % {
                "first": shown_date(first),
                "last": shown_date(last),
                "youngest": youngest,
                "oldest": oldest,
            }
        return None

    def clean(self) -> None:
        if problems := self.typed_problems():
            raise ValidationError(problems)
        if self.coordinator_id and self.team_id and not self.team.has_person(self.coordinator):
            raise ValidationError(
                {"coordinator": _("The care coordinator must be a member of the resident's team.")}
            )

    @property
    def is_closed(self) -> bool:
        """A closed record is read-only (its trajectory lives in the steps app)."""
        trajectory = getattr(self, "trajectory", None)
        return trajectory is not None and trajectory.is_closed

    def check_writable(self) -> None:
        """A closed record is read-only: nothing is added to it or changed in it."""
        if self.is_closed:
            raise ValidationError(_("This record is closed and can no longer be changed."))

    def active_consent(self) -> Consent | None:
        return Consent.in_force(self.consents.all())

    def latest_assessment(self, instruments) -> Assessment | None:
        return (
            self.assessments.filter(instrument__in=instruments)
            .order_by("-assessed_on", "-pk")
            .first()
        )

    def latest_frailty_screening(self) -> Assessment | None:
        return self.latest_assessment(FRAILTY_INSTRUMENTS)


class Carer(Undeletable, models.Model):
    """A mantelzorger: family, friend or neighbour. Linked to residents, never to a team."""

    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=120)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carer",
    )
    residents = models.ManyToManyField(Resident, through="CarerLink", related_name="carers")

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("informal carer")
        verbose_name_plural = _("informal carers")
        constraints = [
            # A carer signs in with this address, whatever its capitals (frontend.sign_in):
            # one account per address, or the address would name no one. Carers without an
            # account may share one (a couple's address); they are not invited with it.
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(user__isnull=False) & ~models.Q(email=""),
                name="one_carer_account_per_address",
                violation_error_message=_(
                    "Another carer with an account already signs in with this e-mail address."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class CarerLinkQuerySet(UndeletableQuerySet):
    def active(self) -> CarerLinkQuerySet:
        """Links in force: a carer whose link has ended no longer sees or does anything."""
        return self.filter(ended_on__isnull=True)


NEUTRAL_OF = {
    "daughter": "child",
    "son": "child",
    "daughter_in_law": "child_in_law",
    "son_in_law": "child_in_law",
    "granddaughter": "grandchild",
    "grandson": "grandchild",
    "sister": "sibling",
    "brother": "sibling",
    "neighbour_woman": "neighbour",
    "neighbour_man": "neighbour",
    "friend_woman": "friend",
    "friend_man": "friend",
}
NEUTRAL_CODES = frozenset(NEUTRAL_OF.values())


class CarerLink(Undeletable, models.Model):
    class Relationship(models.TextChoices):
        """Who the carer is to the resident, in the word a family would use ("dochter",
        "buurvrouw"). The neutral codes (child, sibling, neighbour, …) are those of links
        recorded before the choice named the person; they stay valid and read as they did, but
        a new link names the person (`OFFERED`)."""

        PARTNER = "partner", _("partner")
        DAUGHTER = "daughter", _("daughter")
        SON = "son", _("son")
        DAUGHTER_IN_LAW = "daughter_in_law", _("daughter-in-law")
        SON_IN_LAW = "son_in_law", _("son-in-law")
        GRANDDAUGHTER = "granddaughter", _("granddaughter")
        GRANDSON = "grandson", _("grandson")
        SISTER = "sister", _("sister")
        BROTHER = "brother", _("brother")
        NEIGHBOUR_WOMAN = "neighbour_woman", _("neighbour (woman)")
        NEIGHBOUR_MAN = "neighbour_man", _("neighbour (man)")
        FRIEND_WOMAN = "friend_woman", _("friend (woman)")
        FRIEND_MAN = "friend_man", _("friend (man)")
        OTHER = "other", _("other relationship")
        # recorded before the choice named the person (not offered for new links)
        CHILD = "child", _("child")
        CHILD_IN_LAW = "child_in_law", _("child-in-law")
        GRANDCHILD = "grandchild", _("grandchild")
        SIBLING = "sibling", _("brother or sister")
        NEIGHBOUR = "neighbour", _("neighbour")
        FRIEND = "friend", _("friend")

        @classmethod
        def offered(cls) -> list[tuple[str, str]]:
            """The choices for a new link: each names the person."""
            return [(value, label) for value, label in cls.choices if value not in NEUTRAL_CODES]

        @classmethod
        def neutral(cls, code: str) -> str:
            """The relationship without the person's sex (daughter → child), for coded exports
            whose code lists are neutral (HL7 v3 RoleCode in FHIR)."""
            return NEUTRAL_OF.get(code, code)

    carer = models.ForeignKey(Carer, on_delete=models.PROTECT, related_name="links")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="carer_links")
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    since = models.DateField(_("since"), default=timezone.localdate)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    objects = CarerLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("carer link")
        verbose_name_plural = _("carer links")
        constraints = [
            models.UniqueConstraint(
                fields=["carer", "resident"],
                condition=models.Q(ended_on__isnull=True),
                name="one_active_link_per_carer_and_resident",
            )
        ]

    def __str__(self) -> str:
        return f"{self.carer} ({self.get_relationship_display()}) → {self.resident}"

    def clean(self) -> None:
        errors = {}
        today = timezone.localdate()
        if self.since and self.since > today:
            errors["since"] = _("The date lies in the future.")
        if self.ended_on and self.ended_on > today:
            errors["ended_on"] = _("The date lies in the future.")
        elif self.ended_on and self.since and self.ended_on < self.since:
            errors["ended_on"] = _("The link cannot end before it began (%(since)s).") % {
                "since": shown_date(self.since)
            }
        if errors:
            raise ValidationError(errors)


class Consent(Undeletable, models.Model):
    """Consent to share data, with its scope. Withdrawal is recorded, never erased."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="consents")
    given_on = models.DateField(_("given on"))
    disciplines = models.JSONField(
        _("disciplines"),
        default=list,
        blank=True,  # clean() says what is missing, in words
        help_text=_("Roles on the team with whom data may be shared."),
    )
    share_with_carers = models.BooleanField(_("share with informal carers"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-given_on", "-pk"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_consent_in_force_per_resident",
            )
        ]

    def __str__(self) -> str:
        state = _("withdrawn") if self.withdrawn_at else _("given")
        return f"{self.resident}: {state} {self.given_on:%d-%m-%Y}"

    @staticmethod
    def in_force(consents: Iterable[Consent]) -> Consent | None:
        """The consent in force among one resident's `consents` (a queryset, or the prefetched
        ones: no query of its own): the latest given that is not withdrawn."""
        current = [consent for consent in consents if consent.withdrawn_at is None]
        return max(current, key=lambda consent: (consent.given_on, consent.pk), default=None)

    def clean(self) -> None:
        if self.resident_id:
            self.resident.check_writable()
        errors = {}
        disciplines = self.disciplines
        if not isinstance(disciplines, list) or not all(isinstance(d, str) for d in disciplines):
            errors["disciplines"] = _('List the disciplines, e.g. ["gp", "poh"].')
        elif not disciplines:
            errors["disciplines"] = _("Name at least one discipline the consent covers.")
        elif unknown := sorted(set(disciplines) - set(Role.values)):
            errors["disciplines"] = _("Unknown discipline: %(roles)s.") % {
                "roles": ", ".join(unknown)
            }
        if self.given_on and (problem := self.given_on_problem(self.given_on)):
            errors["given_on"] = problem
        if (
            self.resident_id
            and self.recorded_by_id
            and not self.resident.team.roles_of(self.recorded_by)
        ):
            errors["__all__"] = _("Consent is recorded by a member of the resident's team.")
        if errors:
            raise ValidationError(errors)

    # Consent the team relies on is recent: recorded when given, or soon after.
    OLDEST_YEARS = 2

    @classmethod
    def given_on_problem(cls, day: datetime.date) -> str | None:
        today = timezone.localdate()
        if day > today:
            return _("The date lies in the future.")
        first = years_later(today, -cls.OLDEST_YEARS)
        if day < first:
            return _(
                "Consent given before %(first)s is too old to rely on: ask the resident again."
            ) % {"first": shown_date(first)}
        return None

    def withdraw(self, *, by) -> None:
        if self.withdrawn_at is None:
            self.withdrawn_at = timezone.now()
            self.withdrawn_by = by
            self.save(update_fields=["withdrawn_at", "withdrawn_by"])


class AssessmentQuerySet(UndeletableQuerySet):
    def frailty(self):
        return self.filter(instrument__in=FRAILTY_INSTRUMENTS)


class Assessment(Undeletable, models.Model):
    """One instrument score. The outcome is derived from the score when it is recorded."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="assessments")
    instrument = models.CharField(_("instrument"), max_length=12, choices=Instrument.choices)
    score = models.DecimalField(_("score"), max_digits=4, decimal_places=1)
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    carer = models.ForeignKey(
        Carer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        help_text=_("For carer-burden instruments: whose burden was measured."),
    )
    above_cutoff = models.BooleanField(_("at or above the cut-off"), editable=False)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_on", "-pk"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.score} ({self.outcome})"

    def save(self, *args, **kwargs) -> None:
        self.full_clean(exclude=["resident", "assessed_by", "carer", "above_cutoff"])
        self.derive_outcome()
        super().save(*args, **kwargs)

    @property
    def purpose(self) -> str:
        return spec(self.instrument).purpose

    @property
    def outcome(self) -> str:
        s = spec(self.instrument)
        return str(s.positive if self.above_cutoff else s.negative)

    def derive_outcome(self) -> None:
        """Set the stored outcome from the score; call after validation."""
        self.above_cutoff = spec(self.instrument).is_positive(Decimal(self.score))

    # A score can be transcribed from earlier records (the screening that led to the signal),
    # but not from long before the team knew the resident.
    YEARS_BEFORE_SIGNAL = 5

    def earliest_assessment_day(self) -> datetime.date:
        known = self.resident.created_at if self.resident_id else timezone.now()
        return years_later(timezone.localdate(known), -self.YEARS_BEFORE_SIGNAL)

    def assessed_on_problem(self) -> str | None:
        if self.assessed_on > timezone.localdate():
            return _("The assessment date lies in the future.")
        first = self.earliest_assessment_day()
        if self.assessed_on < first:
            return _(
                "The assessment date lies before %(first)s, five years before the resident "
                "was signalled."
            ) % {"first": shown_date(first)}
        return None

    def clean(self) -> None:
        errors = {}
        if self.resident_id:
            self.resident.check_writable()
        if self.instrument not in Instrument.values:
            errors["instrument"] = _("Choose an instrument.")
        elif self.score is not None and (
            problem := spec(self.instrument).range_error(Decimal(self.score))
        ):
            errors["score"] = problem
        if self.assessed_on and (problem := self.assessed_on_problem()):
            errors["assessed_on"] = problem
        if (
            self.carer_id
            and self.instrument in Instrument.values
            and spec(self.instrument).purpose != Purpose.CARER_BURDEN
        ):
            errors["carer"] = _("Only carer-burden instruments are about a carer.")
        if errors:
            raise ValidationError(errors)


class ConcernQuerySet(UndeletableQuerySet):
    def open(self) -> ConcernQuerySet:
        return self.filter(handled_at__isnull=True)


class Concern(Undeletable, models.Model):
    """A worry a carer raises about a resident (*zorg melden*). It flags the card on the board
    and puts the resident on the next meeting's agenda until a team member handles it."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="concerns")
    carer = models.ForeignKey(
        Carer, on_delete=models.PROTECT, related_name="concerns", verbose_name=_("informal carer")
    )
    text = limited_text(_("concern"), max_length=4000)
    raised_at = models.DateTimeField(default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    handled_at = models.DateTimeField(null=True, blank=True, editable=False)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    handled_in = models.ForeignKey(
        "kernteam.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_concerns",
        editable=False,
    )

    objects = ConcernQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("carer's concern")
        verbose_name_plural = _("carers' concerns")

    def __str__(self) -> str:
        return f"{self.carer} → {self.resident}: {self.text[:40]}"

    @property
    def is_open(self) -> bool:
        return self.handled_at is None


class CarerInvitation(Undeletable, models.Model):
    """A single-use, expiring invitation for a carer to set a password and see the portal.
    Only a hash of the token is kept; the link itself is in the email."""

    carer = models.ForeignKey(Carer, on_delete=models.PROTECT, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(editable=False)
    used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("carer invitation")
        verbose_name_plural = _("carer invitations")

    def __str__(self) -> str:
        return f"{self.carer} ({self.created_at:%d-%m-%Y})"

    @property
    def usable(self) -> bool:
        return self.used_at is None and timezone.now() < self.expires_at


class CoordinatorChange(AppendOnly, models.Model):
    """The care coordinator (*regiehouder*) named or changed: who did it, when, from whom to
    whom, and in which meeting (none: between meetings, by the GP or the team coordinator).
    Written by `clients.services.change_coordinator` only; never changed."""

    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="coordinator_changes", editable=False
    )
    from_coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("previous care coordinator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    to_coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("care coordinator"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    actor_role = models.CharField(
        _("role"), max_length=32, choices=Role.choices, blank=True, editable=False
    )
    at = models.DateTimeField(_("at"), default=timezone.now, editable=False)
    meeting = models.ForeignKey(
        "kernteam.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coordinator_changes",
        editable=False,
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("change of care coordinator")
        verbose_name_plural = _("changes of care coordinator")

    def __str__(self) -> str:
        return f"{self.resident}: {self.from_coordinator or '—'} → {self.to_coordinator}"

    # The resident panel's timeline shows these among the step changes.
    timeline_kind = "coordinator"


from clients.care_planning import CarePlanning  # noqa: E402,F401
from clients.carer_notices import CarerNotice, CarerNoticeStop  # noqa: E402,F401
from clients.casefinding import Candidate, CasefindingRound  # noqa: E402,F401
from clients.medication import MedicationReview  # noqa: E402,F401
from clients.subscriptions import Subscription, SubscriptionDelivery  # noqa: E402,F401
