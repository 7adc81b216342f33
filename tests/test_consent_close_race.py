"""The GP closes a record "for consent withdrawn" while colleagues record a consent at the same
moment. Whichever commits first, a closed record ends with no consent in force: a consent that
came first is withdrawn by the closing, one that came later is refused because the record is
closed. Real connections, real threads, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from clients.models import Consent
from clients.services import record_consent
from kernteam.roles import Role
from steps.models import StepChange
from steps.services import move_resident
from tests.factories import ResidentFactory, give_consent
from tests.helpers import race

CLOSED = "Dit dossier is afgesloten en kan niet meer worden gewijzigd."
CONSENTS = 10
ROUNDS = 8  # (the old code broke the rule in about half the rounds)


@pytest.mark.django_db(transaction=True)
def test_a_closed_record_keeps_no_consent_recorded_while_it_was_closed(daalhof):
    recorders = [daalhof.poh, daalhof.district_nurse, daalhof.gp, daalhof.coordinator]
    for round_ in range(ROUNDS):
        resident = ResidentFactory(team=daalhof.team, state="step2")
        give_consent(resident, daalhof.poh)

        def attempt(i: int, resident=resident):
            with translation.override("nl"):
                if i == 0:
                    return move_resident(
                        resident=resident,
                        transition="close",
                        expected_state="step2",
                        by=daalhof.gp,
                        reason="Mevrouw wil geen zorg meer van het team.",
                        closure_reason="consent_withdrawn",
                    )
                return _consent(resident, recorders[i % len(recorders)])

        close, *consents = race(1 + CONSENTS, attempt)

        assert isinstance(close, StepChange), (round_, close)
        resident.trajectory.refresh_from_db()
        assert resident.trajectory.state == "closed"
        in_force = Consent.objects.filter(resident=resident, withdrawn_at__isnull=True)
        assert not in_force.exists(), (round_, list(in_force.values("pk", "recorded_at")))
        refused = [c for c in consents if not isinstance(c, Consent)]
        for refusal in refused:
            assert isinstance(refusal, ValidationError), (round_, refusal)
            assert refusal.messages == [CLOSED], (round_, refusal.messages)
        recorded = Consent.objects.filter(resident=resident).count()
        assert recorded == 1 + CONSENTS - len(refused), round_


def _consent(resident, by) -> Consent:
    return record_consent(
        resident=resident,
        by=by,
        given_on=timezone.localdate(),
        disciplines=[Role.GP, Role.POH, Role.WELFARE],
    )
