"""Every transition works for the roles allowed and is refused, with a reason, for all others."""

from __future__ import annotations

import pytest

from kernteam.refusals import Refused
from kernteam.roles import Role
from steps import rules
from steps.moves import transition_names
from steps.services import move_resident
from tests.factories import give_consent, goal, score

ALL_ROLES = tuple(Role.values)
GP_OR_NURSE = (Role.GP, Role.DISTRICT_NURSE)
GP_OR_COORDINATOR = (Role.GP, Role.COORDINATOR)


def prepared(daalhof, resident_in, transition: str):
    """A resident of Daalhof for whom every condition of `transition` holds."""
    poh = daalhof.poh
    if transition == "start_screening":
        r = resident_in("signalled")
        give_consent(r, poh)
    elif transition == "assign_step1":
        r = resident_in("screening")
        score(r, "gfi", 2, poh)
    elif transition in ("assign_step2", "assign_step3"):
        r = resident_in("screening", coordinator=poh)
        score(r, "gfi", 7, poh)
        score(r, "intermed", 20, poh)
        goal(r, poh)
    elif transition == "return_home":
        r = resident_in("step2")
        move_resident(resident=r, transition="admit", expected_state="step2", by=daalhof.gp)
    elif transition == "reopen":
        r = resident_in("closed")
    else:
        r = resident_in(SOURCE[transition])
    r.refresh_from_db()
    return r


SOURCE = {
    "step_up_to_2": "step1",
    "step_up_to_3": "step2",
    "step_up_to_4": "step3",
    "step_down_to_1": "step2",
    "step_down_to_2": "step3",
    "step_down_to_3": "step4",
    "admit": "step2",
    "close": "step2",
}

# Who may take each transition outside a meeting (shared/domain.md, "Rules of movement").
ALLOWED = {
    "start_screening": ALL_ROLES,
    "assign_step1": ALL_ROLES,
    "assign_step2": ALL_ROLES,
    "assign_step3": ALL_ROLES,
    "step_up_to_2": ALL_ROLES,
    "step_up_to_3": ALL_ROLES,
    "step_up_to_4": ALL_ROLES,
    "step_down_to_1": (Role.GP,),
    "step_down_to_2": (Role.GP,),
    "step_down_to_3": (Role.GP,),
    "admit": GP_OR_NURSE,
    "return_home": GP_OR_NURSE,
    "close": GP_OR_COORDINATOR,
    "reopen": ALL_ROLES,
}

TARGET = {
    "start_screening": "screening",
    "assign_step1": "step1",
    "assign_step2": "step2",
    "assign_step3": "step3",
    "step_up_to_2": "step2",
    "step_up_to_3": "step3",
    "step_up_to_4": "step4",
    "step_down_to_1": "step1",
    "step_down_to_2": "step2",
    "step_down_to_3": "step3",
    "admit": "admitted",
    "return_home": "step2",
    "close": "closed",
    "reopen": "signalled",
}

ACTORS = (*ALL_ROLES, "carer", "other_team_gp")


def test_matrix_covers_every_transition():
    assert sorted(ALLOWED) == transition_names()


def attempt(resident, transition, by):
    return move_resident(
        resident=resident,
        transition=transition,
        expected_state=resident.trajectory.state,
        by=by,
        reason="Afgesproken in overleg",
        closure_reason="no_longer_needed",
    )


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("transition", sorted(ALLOWED))
def test_transition_for_each_role(daalhof, malberg, thea, resident_in, transition, actor):
    resident = prepared(daalhof, resident_in, transition)
    before = resident.trajectory.state
    history_before = resident.trajectory.history.count()
    by = {"carer": thea, "other_team_gp": malberg.gp}.get(actor) or daalhof.member(actor)

    if actor in ALLOWED[transition]:
        change = attempt(resident, transition, by)
        resident.trajectory.refresh_from_db()
        assert resident.trajectory.state == TARGET[transition]
        assert (change.from_state, change.to_state) == (before, TARGET[transition])
        assert change.actor == by and change.actor_role == actor
        assert resident.trajectory.history.count() == history_before + 1
    else:
        with pytest.raises(Refused) as refused:
            attempt(resident, transition, by)
        resident.trajectory.refresh_from_db()
        assert resident.trajectory.state == before
        assert resident.trajectory.history.count() == history_before
        assert refused.value.problems == [expected_refusal(transition, actor)]


def expected_refusal(transition: str, actor: str) -> str:
    """The message a refused actor reads: it names the roles, or the missing team decision."""
    if ALLOWED[transition] != ALL_ROLES and not transition.startswith("step_down"):
        return str(rules.role_in(*ALLOWED[transition]).message())
    if actor in ("carer", "other_team_gp"):
        return str(rules.professional_member.message)
    return str(rules.team_decision_or_gp.message)


def test_a_refusal_reads_in_dutch(daalhof, resident_in):
    resident = resident_in("step2")
    with pytest.raises(Refused) as refused:
        attempt(resident, "admit", daalhof.welfare)
    assert refused.value.problems == ["Alleen de huisarts of wijkverpleegkundige mag dit doen."]


def test_a_carer_never_changes_the_step(daalhof, thea, resident_in):
    resident = resident_in("step2")
    members_only = "Alleen leden van het kernteam van deze cliënt kunnen de stap wijzigen."
    for transition, reason in (
        ("step_up_to_3", members_only),
        ("step_down_to_1", members_only),
        ("admit", "Alleen de huisarts of wijkverpleegkundige mag dit doen."),
        ("close", "Alleen de huisarts of coördinator kernteam mag dit doen."),
    ):
        with pytest.raises(Refused) as refused:
            attempt(resident, transition, thea)
        assert refused.value.forbidden, transition
        assert refused.value.problems == [reason], transition
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.state == "step2"
