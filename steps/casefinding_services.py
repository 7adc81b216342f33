"""A casefinding questionnaire comes back (issue 18 §1): its score decides what follows.

At or above the instrument's cut-off (`clients.instruments`: the GFI's is a setting) the
candidate becomes a *signalled* resident with the score on record, through the same services as
a signal by hand (`steps.services.signal_resident`, `clients.services.record_assessment`); a
resident the team knows already (same name and date of birth: `likely_duplicates`) gets the
score instead of a second record: an open record gets it as it is, a closed one is reopened
(`reopen`, as a new signal) with the score on record. Below the cut-off the candidate is closed,
invited again a year later. One transaction: the signal, the score and the candidate's new
status, or nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.casefinding import (
    QUESTIONNAIRES,
    REINVITE_YEARS,
    Candidate,
    Status,
    likely_duplicates,
    require_reader,
)
from clients.instruments import Instrument, spec
from clients.models import Resident
from clients.services import record_assessment
from kernteam.models import Team, years_later
from kernteam.refusals import Refused
from steps.services import move_resident, signal_resident


class ReopenRefused(Refused):
    """Her closed record cannot be reopened now: `resident`, for the caller to link."""

    def __init__(self, problems, *, resident):
        self.resident = resident
        super().__init__(problems)


def record_questionnaire(
    *,
    candidate: Candidate,
    by,
    instrument: str,
    score: Decimal,
    returned_on: datetime.date | None = None,
) -> Candidate:
    """The GP or POH records the returned questionnaire's score (GFI or TFI). Refused by field
    for a wrong instrument, a score outside its range, a date in the future or before the
    round; refused when the candidate is closed already."""
    team = candidate.round.team
    require_reader(team=team, user=by)
    today = timezone.localdate()
    returned_on = returned_on or today
    if instrument not in QUESTIONNAIRES:
        raise Refused(_("Choose the questionnaire: GFI or TFI."), field="instrument")
    found = spec(instrument)
    if score is None:
        raise Refused(_("Give the score."), field="score")
    score = Decimal(score)
    if score.is_zero():
        score = abs(score)  # ("-0" is 0)
    if problem := found.range_error(score):
        raise Refused(problem, field="score")
    imported = timezone.localdate(candidate.round.imported_at)
    if returned_on > today:
        raise Refused(_("The date lies in the future."), field="returned_on")
    if returned_on < imported:
        raise Refused(
            _("The questionnaire cannot come back before the list was imported."),
            field="returned_on",
        )
    above = found.is_positive(Decimal(score))
    with transaction.atomic():
        # the team first (as a signal does): two scores for one person make one resident
        list(Team.objects.select_for_update().filter(pk=team.pk).values_list("pk"))
        locked = (
            Candidate.objects.select_for_update().select_related("round__team").get(pk=candidate.pk)
        )
        if not locked.is_open:
            raise Refused(
                _("This candidate is closed (%(status)s): nothing more to record.")
                % {"status": locked.get_status_display()}
            )
        locked.status = Status.RETURNED
        locked.status_changed_at = timezone.now()
        locked.status_changed_by = by
        locked.instrument, locked.score, locked.returned_on = instrument, score, returned_on
        locked.follow_up_on = None
        if above:
            locked.resident = _signalled(locked, by=by, instrument=instrument, score=score)
            try:
                record_assessment(
                    resident=locked.resident,
                    by=by,
                    instrument=instrument,
                    score=Decimal(score),
                    assessed_on=returned_on,
                )
            except ValidationError as exc:
                raise _as_refusal(exc) from exc
            locked.reinvite_on = None
        else:
            locked.reinvite_on = years_later(returned_on, REINVITE_YEARS)
        locked.save()
    return locked


def _signalled(candidate: Candidate, *, by, instrument: str, score: Decimal):
    """The resident she is: the team's own when it knows her already, else signalled now."""
    team = candidate.round.team
    known = likely_duplicates(
        team=team,
        first_name=candidate.first_name,
        last_name=candidate.last_name,
        date_of_birth=candidate.date_of_birth,
    )
    reason = _("Casefinding: %(instrument)s %(score)s returned (cut-off %(cutoff)s).") % {
        "instrument": Instrument(instrument).label,
        "score": f"{Decimal(score).normalize():f}",
        "cutoff": f"{spec(instrument).cutoff.normalize():f}",
    }
    known = list(known)
    existing = next((r for r in known if not r.is_closed), None)
    if existing is not None:
        return existing
    if known:  # only closed records: the newest is reopened, as a new signal
        closed = known[-1]
        try:
            move_resident(
                resident=closed,
                transition="reopen",
                expected_state=closed.trajectory.state,
                by=by,
                reason=reason,
            )
        except Refused as exc:
            raise ReopenRefused(
                _(
                    "%(name)s has a closed record in this team (resident %(id)d), and it cannot "
                    "be reopened now: %(why)s Reopen her record first, then record the score."
                )
                % {"name": closed.display_name, "id": closed.pk, "why": " ".join(exc.problems)},
                resident=closed,
            ) from exc
        return Resident.objects.select_related("trajectory").get(pk=closed.pk)
    try:
        return signal_resident(
            team=team,
            by=by,
            first_name=candidate.first_name,
            last_name=candidate.last_name,
            date_of_birth=candidate.date_of_birth,
            reason=reason,
        )
    except ValidationError as exc:
        raise _as_refusal(exc) from exc


def _as_refusal(exc: ValidationError) -> Refused:
    if hasattr(exc, "error_dict"):
        fields = {
            ("returned_on" if name == "assessed_on" else name): [str(m) for m in messages]
            for name, messages in exc.message_dict.items()
        }
        problems = [m for messages in fields.values() for m in messages]
        return Refused(problems, fields=fields)
    return Refused(list(exc.messages))
