"""Medication review (*medicatiebeoordeling*): per resident, who reviewed her medicines, when,
how many she was taking, and a short outcome note.

One row per review, written once (`AppendOnly`, and a database trigger), never changed; the
latest by the day reviewed (then by id) is the last review. Who records and reads lives here,
in one place (`RECORDERS`, `may_record`, `may_read`); whether a resident is eligible and when
the next review is due needs her step, so that rule is `steps.medication`. The writing service
is `clients.medication_services.record_medication_review`.

Imported at the end of `clients.models` (foreign keys by name: nothing is imported from there).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernteam.models import limited_text, shown_date
from kernteam.roles import Role
from kernteam.undeletable import AppendOnly

# --- the rules --------------------------------------------------------------------------------

# Who records a review: the GP, the elderly-care physician or the POH. A pharmacist's review
# (the pharmacist is not a team member) is recorded by one of them with reviewer "pharmacist".
RECORDERS = frozenset({Role.GP, Role.ELDERLY_CARE_PHYSICIAN, Role.POH})

MAY_NOT_RECORD = _(
    "Only the GP, the elderly-care physician or the POH records a medication review."
)

MAX_MEDICINES = 60
MEDICINES_RANGE = _("Give a number of medicines from 0 to 60.")  # (MAX_MEDICINES)


def may_record(roles: set[str] | frozenset[str]) -> bool:
    return bool(set(roles) & RECORDERS)


def may_read(roles: set[str] | frozenset[str]) -> bool:
    """The role's side of reading: any member of the team (carers are never members); the
    resident's side (need-to-know, consent) is `clients.visibility`."""
    return bool(set(roles))


# --- the record -------------------------------------------------------------------------------


class Reviewer(models.TextChoices):
    """Who did the review. The pharmacist (*apotheker*) is not a team role: its own list."""

    GP = "gp", _("GP")
    PHARMACIST = "pharmacist", _("pharmacist")
    ELDERLY_CARE_PHYSICIAN = "elderly_care_physician", _("elderly-care physician")
    POH = "poh", _("practice nurse for older people")


class MedicationReview(AppendOnly, models.Model):
    """One medication review of one resident."""

    resident = models.ForeignKey(
        "clients.Resident",
        on_delete=models.PROTECT,
        related_name="medication_reviews",
        verbose_name=_("resident"),
    )
    reviewed_on = models.DateField(_("reviewed on"))
    reviewer = models.CharField(_("reviewed by"), max_length=32, choices=Reviewer.choices)
    medicines_in_use = models.SmallIntegerField(
        _("medicines in use"),
        help_text=_("The number of medicines in use (0–60)."),
        validators=[
            MinValueValidator(0, message=MEDICINES_RANGE),
            MaxValueValidator(MAX_MEDICINES, message=MEDICINES_RANGE),
        ],
    )
    note = limited_text(_("outcome"), max_length=1000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-reviewed_on", "-pk"]
        verbose_name = _("medication review")
        verbose_name_plural = _("medication reviews")

    def __str__(self) -> str:
        if not self.reviewed_on:
            return str(_("medication review"))
        return f"{self.resident}: {_('medication review')} {self.reviewed_on:%d-%m-%Y}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        born = self.resident.date_of_birth if self.resident_id else None
        if self.reviewed_on and (problem := reviewed_on_problem(self.reviewed_on, born=born)):
            errors["reviewed_on"] = problem
        if errors:
            raise ValidationError(errors)


def reviewed_on_problem(day: datetime.date, *, born: datetime.date | None) -> str | None:
    if day > timezone.localdate():
        return _("The date lies in the future.")
    if born and day < born:
        return _("The review cannot have been done before the resident was born (%(born)s).") % {
            "born": shown_date(born)
        }
    return None
