"""Proactieve zorgplanning (PZP, advance care planning): the record of a conversation with the
resident (and her representative) about what matters and about limits to treatment.

One row per conversation is one version: written once (`AppendOnly`, and a database trigger),
never changed; a new conversation makes a new version and the earlier ones are kept, shown as
superseded. The latest by the day it was held (then by id) is the one in force.

The rules about who records, reads and shares it live here too, in one place
(`RECORDERS`, `READERS`, `SHARERS`, `may_record`, `may_read`, `may_share`, `carers_see`); the
writing service is `clients.care_planning_services.record_care_planning`.

Imported at the end of `clients.models` (foreign keys by name: nothing is imported from there).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernteam.models import limited_text, shown_date
from kernteam.roles import Role
from kernteam.undeletable import AppendOnly

# --- the rules --------------------------------------------------------------------------------

# Who records a conversation (GP, elderly-care physician, POH: shared/domain.md).
RECORDERS = frozenset({Role.GP, Role.ELDERLY_CARE_PHYSICIAN, Role.POH})
# Who reads it, when they may see the resident at all (`clients.visibility`): never the welfare
# worker or the team coordinator.
READERS = frozenset(
    {
        Role.GP,
        Role.POH,
        Role.ELDERLY_CARE_PHYSICIAN,
        Role.DISTRICT_NURSE,
        Role.DEMENTIA_CASE_MANAGER,
    }
)
# Who marks the summary of wishes as shared with the resident's carers.
SHARERS = frozenset({Role.GP})

MAY_NOT_RECORD = _(
    "Only the GP, the elderly-care physician or the POH records advance care planning."
)
MAY_NOT_READ = _(
    "Advance care planning is read only by the GP, the POH, the elderly-care physician, the "
    "district nurse and the dementia case manager."
)
MAY_NOT_SHARE = _("Only the GP shares the summary of wishes with the informal carers.")


def may_record(roles: set[str] | frozenset[str]) -> bool:
    return bool(set(roles) & RECORDERS)


def may_read(roles: set[str] | frozenset[str]) -> bool:
    """The role's side of reading; the resident's side is `clients.visibility`."""
    return bool(set(roles) & READERS)


def may_share(roles: set[str] | frozenset[str]) -> bool:
    return bool(set(roles) & SHARERS)


def carers_see(current: CarePlanning | None) -> bool:
    """Carers see the summary of wishes (preferred places and other wishes; never treatment
    limits, capacity or the representative) only when the version in force is marked shared
    (which only a GP can do: `SHARERS`)."""
    return current is not None and current.shared_with_carers


# --- the record -------------------------------------------------------------------------------


class Capacity(models.TextChoices):
    """Whether the resident could decide for herself (*wilsbekwaam*)."""

    YES = "yes", _("yes")
    NO = "no", _("no")
    DOUBT = "doubt", _("in doubt")


class RepresentativeKind(models.TextChoices):
    CURATOR = "curator", _("curator")
    MENTOR = "mentor", _("mentor")
    AUTHORISED = "authorised", _("authorised representative (gemachtigde)")
    PARTNER_FAMILY = "partner_family", _("partner or family")


class Limit(models.TextChoices):
    """The treatment limits (*behandelgrenzen*) a conversation covers."""

    RESUSCITATION = "resuscitation", _("resuscitation")
    VENTILATION = "ventilation", _("ventilation")
    ICU = "icu", _("ICU admission")
    HOSPITAL = "hospital", _("hospital admission")
    ANTIBIOTICS = "antibiotics", _("antibiotics")
    TUBE_FEEDING = "tube_feeding", _("tube feeding")
    BLOOD_TRANSFUSION = "blood_transfusion", _("blood transfusion")


class Decision(models.TextChoices):
    YES = "yes", _("yes (wel)")
    NO = "no", _("no (niet)")
    NOT_DISCUSSED = "not_discussed", _("not discussed")


class Place(models.TextChoices):
    HOME = "home", _("at home")
    CARE_HOME = "care_home", _("in a care home")
    HOSPICE = "hospice", _("in a hospice")
    HOSPITAL = "hospital", _("in hospital")
    OTHER = "other", _("elsewhere (see wishes)")
    NOT_DISCUSSED = "not_discussed", _("unknown or not discussed")


class Participant(models.TextChoices):
    """Who took part besides the professionals (whose roles are `kernteam.roles.Role`)."""

    RESIDENT = "resident", _("the resident")
    REPRESENTATIVE = "representative", _("the representative")
    CARER = "carer", _("an informal carer")


PARTICIPANTS = (*Participant.choices, *Role.choices)
NOTE_LIMIT = 500


def limit_field(code: str) -> str:
    """The name under which a limit's problems are reported (web form field, API field)."""
    return f"limit_{code}"


class CarePlanning(AppendOnly, models.Model):
    """One advance care planning conversation: one version of the resident's PZP."""

    resident = models.ForeignKey(
        "clients.Resident",
        on_delete=models.PROTECT,
        related_name="care_plannings",
        verbose_name=_("resident"),
    )
    held_on = models.DateField(_("held on"))
    participants = models.JSONField(
        _("participants"),
        default=list,
        blank=True,  # clean() says what is missing, in words
        help_text=_("Who took part: resident, representative, carer, and professional roles."),
    )
    capacity = models.CharField(
        _("capable of deciding (wilsbekwaam)"), max_length=10, choices=Capacity.choices
    )
    representative_name = models.CharField(_("legal representative"), max_length=120, blank=True)
    representative_relationship = models.CharField(
        _("relationship of the representative"), max_length=80, blank=True
    )
    representative_kind = models.CharField(
        _("kind of representation"), max_length=20, choices=RepresentativeKind.choices, blank=True
    )
    limits = models.JSONField(
        _("treatment limits"),
        default=dict,
        blank=True,
        help_text=_('Per limit: {"decision": "yes"|"no"|"not_discussed", "note": "…"}.'),
    )
    place_of_care = models.CharField(
        _("preferred place of care"),
        max_length=20,
        choices=Place.choices,
        default=Place.NOT_DISCUSSED,
    )
    place_of_death = models.CharField(
        _("preferred place of dying"),
        max_length=20,
        choices=Place.choices,
        default=Place.NOT_DISCUSSED,
    )
    other_wishes = limited_text(_("other wishes"), max_length=4000, blank=True)
    has_living_will = models.BooleanField(_("written directive (wilsverklaring)"), default=False)
    has_dnr_medallion = models.BooleanField(
        _("do-not-resuscitate medallion (niet-reanimerenpenning)"), default=False
    )
    shared_with_carers = models.BooleanField(
        _("summary of wishes shared with the informal carers"), default=False
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_by_role = models.CharField(
        _("role"), max_length=32, choices=Role.choices, blank=True, editable=False
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("advance care planning")
        verbose_name_plural = _("advance care planning")

    def __str__(self) -> str:
        return f"{self.resident}: PZP {self.held_on:%d-%m-%Y}" if self.held_on else "PZP"

    # --- reading -------------------------------------------------------------------------------

    def limit_rows(self) -> list[tuple[str, str, str, str]]:
        """(code, label, decision, note) of every limit, in the standard's order."""
        rows = []
        for code, label in Limit.choices:
            given = (self.limits or {}).get(code) or {}
            decision = given.get("decision", Decision.NOT_DISCUSSED)
            rows.append((code, str(label), decision, given.get("note", "")))
        return rows

    def limit_lines(self) -> list[tuple[str, str, str]]:
        """(label, decision in words, note) for showing."""
        words = dict(Decision.choices)
        return [(label, str(words.get(d, d)), note) for _, label, d, note in self.limit_rows()]

    def participant_labels(self) -> list[str]:
        words = dict(PARTICIPANTS)
        return [str(words.get(code, code)) for code in self.participants or []]

    # --- checking ------------------------------------------------------------------------------

    def clean(self) -> None:
        errors: dict[str, str] = {}
        born = self.resident.date_of_birth if self.resident_id else None
        if self.held_on and born and (problem := held_on_problem(self.held_on, born=born)):
            errors["held_on"] = problem
        if problem := participants_problem(self.participants):
            errors["participants"] = problem
        name = (self.representative_name or "").strip()
        if name and not self.representative_kind:
            errors["representative_kind"] = _("Say what kind of representative this is.")
        elif self.representative_kind and not name:
            errors["representative_name"] = _("Give the name of the legal representative.")
        errors.update(limits_problems(self.limits))
        if errors:
            raise ValidationError(errors)


def held_on_problem(day: datetime.date, *, born: datetime.date) -> str | None:
    if day > timezone.localdate():
        return _("The date lies in the future.")
    if day < born:
        return _(
            "The conversation cannot have been held before the resident was born (%(born)s)."
        ) % {"born": shown_date(born)}
    return None


def participants_problem(participants) -> str | None:
    if not isinstance(participants, list) or not all(isinstance(p, str) for p in participants):
        return _('List who took part, e.g. ["resident", "gp"].')
    if not participants:
        return _("Say who took part in the conversation.")
    known = {code for code, _label in PARTICIPANTS}
    if unknown := sorted(set(participants) - known):
        return _("Unknown participant: %(codes)s.") % {"codes": ", ".join(unknown)}
    return None


def limits_problems(limits) -> dict[str, str]:
    """Problems with the treatment limits, each under its limit's own name (`limit_field`)."""
    if not isinstance(limits, dict):
        return {"limits": _('Give the limits as {"resuscitation": {"decision": "no"}, …}.')}
    problems = {}
    if unknown := sorted(set(limits) - set(Limit.values), key=str):
        problems["limits"] = _("Unknown treatment limit: %(codes)s.") % {
            "codes": ", ".join(str(c) for c in unknown)
        }
    for code in Limit.values:
        given = limits.get(code)
        if given is None:
            continue
        if not isinstance(given, dict) or set(given) - {"decision", "note"}:
            problems[limit_field(code)] = _('Give "decision" and optionally "note".')
        elif given.get("decision") not in Decision.values:
            problems[limit_field(code)] = _("Choose yes, no or not discussed.")
        elif not isinstance(given.get("note", ""), str):
            problems[limit_field(code)] = _("Write the note as text.")
        elif len(given.get("note", "")) > NOTE_LIMIT:
            problems[limit_field(code)] = _(
                "Keep the note to %(limit)d characters (it has %(n)d)."
            ) % {"limit": NOTE_LIMIT, "n": len(given["note"])}
    return problems


def normalised_limits(limits: dict) -> dict:
    """Every limit, the ones not given as not discussed; notes stripped. (After checking.)"""
    out = {}
    for code in Limit.values:
        given = limits.get(code) or {}
        out[code] = {
            "decision": given.get("decision", Decision.NOT_DISCUSSED),
            "note": (given.get("note") or "").strip(),
        }
    return out


def current_and_earlier(versions: list[CarePlanning]) -> tuple[CarePlanning | None, list]:
    """The version in force (latest by the day held, then id) and the superseded ones."""
    ordered = sorted(versions, key=lambda v: (v.held_on, v.pk), reverse=True)
    return (ordered[0] if ordered else None), ordered[1:]
