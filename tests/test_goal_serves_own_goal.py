"""An existing goal linked to the resident's own goal later, and unlinked (issue 17 §3): from
the goal's row on the panel, through `steps.own_goal_services.link_goal_to_own_goal`: by a
member who may see the record, on an open goal of an open record, once her own goal is noted;
the boards hear of it; the access log has it. A goal is changed in place (as its status is)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kernteam.models import AccessLogEntry
from kernteam.refusals import Refused
from steps.models import Goal
from steps.own_goal_services import link_goal_to_own_goal, note_own_goal
from steps.services import add_goal
from tests.factories import carer_for, give_consent
from tests.helpers import exactly

pytestmark = pytest.mark.django_db

NOT_ALLOWED = (
    "Alleen leden van het kernteam van de cliënt die dit dossier mogen inzien, kunnen haar "
    "doelen aan haar eigen doel koppelen."
)
CLOSED = "Dit dossier is afgesloten en kan niet meer worden gewijzigd."
NOT_OPEN = "Alleen een open doel kan aan haar eigen doel worden gekoppeld."
NO_OWN_GOAL = (
    "Leg eerst vast wat voor haar belangrijk is (haar eigen doel); daarna kunt u er een doel "
    "aan koppelen."
)
LINK = "Koppelen aan haar eigen doel"
UNLINK = "Loskoppelen van haar eigen doel"


@pytest.fixture
def janssen(daalhof, resident_in):
    resident = resident_in("step2", last_name="Janssen")
    note_own_goal(resident=resident, by=daalhof.poh, text="Thuis blijven wonen")
    return resident


def goal_of(resident, by, description="Wekelijks naar de soos") -> Goal:
    return add_goal(resident=resident, by=by, domain="social", description=description)


def serves(goal: Goal) -> bool:
    return Goal.objects.get(pk=goal.pk).serves_own_goal


# --- the service -------------------------------------------------------------------------------


def test_a_member_links_an_open_goal_and_unlinks_it_and_the_boards_hear_of_it(
    daalhof, janssen, team_events, django_capture_on_commit_callbacks
):
    goal = goal_of(janssen, daalhof.poh)
    with django_capture_on_commit_callbacks(execute=True):
        link_goal_to_own_goal(goal=goal, by=daalhof.welfare, serves=True)
    assert serves(goal)
    with django_capture_on_commit_callbacks(execute=True):
        link_goal_to_own_goal(goal=goal, by=daalhof.district_nurse, serves=False)
    assert not serves(goal)
    changes = [e for _, e in team_events if e["type"] == "resident.goal_changed"]
    assert (
        changes
        == [
            {"type": "resident.goal_changed", "resident": janssen.pk, "goal": goal.pk},
        ]
        * 2
    )
    assert Goal.objects.get(pk=goal.pk).description == "Wekelijks naar de soos"  # (only that)


def test_linking_it_as_it_already_is_changes_nothing_and_says_nothing(
    daalhof, janssen, team_events, django_capture_on_commit_callbacks
):
    goal = goal_of(janssen, daalhof.poh)
    with django_capture_on_commit_callbacks(execute=True):
        link_goal_to_own_goal(goal=goal, by=daalhof.poh, serves=False)
    assert not serves(goal)
    assert not [e for _, e in team_events if e["type"] == "resident.goal_changed"]


def test_a_carer_another_team_or_a_discipline_outside_the_consent_may_not(
    daalhof, malberg, resident_in
):
    narrow = resident_in("step2", consent=False)
    give_consent(narrow, daalhof.poh, disciplines=["gp", "poh"])
    note_own_goal(resident=narrow, by=daalhof.poh, text="Thuis blijven wonen")
    goal = goal_of(narrow, daalhof.poh)
    carer = carer_for(narrow, username="thea.link").user
    for user in (carer, malberg.gp, daalhof.welfare):
        with pytest.raises(Refused, match=exactly(NOT_ALLOWED)) as refused:
            link_goal_to_own_goal(goal=goal, by=user, serves=True)
        assert refused.value.forbidden
    assert not serves(goal)
    link_goal_to_own_goal(goal=goal, by=daalhof.gp, serves=True)  # the GP sees every resident
    assert serves(goal)


def test_a_closed_record_a_goal_no_longer_open_and_no_own_goal_are_refused(
    daalhof, janssen, resident_in
):
    achieved = goal_of(janssen, daalhof.poh, description="Zelf douchen")
    Goal.objects.filter(pk=achieved.pk).update(status=Goal.Status.ACHIEVED)
    with pytest.raises(Refused, match=exactly(NOT_OPEN)):
        link_goal_to_own_goal(goal=achieved, by=daalhof.poh, serves=True)
    assert not serves(achieved)

    without = resident_in("step2", last_name="Peters")
    goal = goal_of(without, daalhof.poh)
    with pytest.raises(Refused, match=exactly(NO_OWN_GOAL)):
        link_goal_to_own_goal(goal=goal, by=daalhof.poh, serves=True)
    assert not serves(goal)

    # (a goal that served an own goal no longer on record, as data from before the rule)
    linked = goal_of(without, daalhof.poh, description="Koffie")
    Goal.objects.filter(pk=linked.pk).update(serves_own_goal=True)
    link_goal_to_own_goal(goal=linked, by=daalhof.poh, serves=False)  # unlinking: always
    assert not serves(linked)

    closed = resident_in("closed", last_name="Dorssers")
    old = Goal.objects.create(
        resident=closed, domain="social", description="Soos", created_by=daalhof.poh
    )
    with pytest.raises(Refused, match=exactly(CLOSED)):
        link_goal_to_own_goal(goal=old, by=daalhof.gp, serves=False)


# --- the panel -------------------------------------------------------------------------------


def panel(client, user, resident) -> str:
    client.force_login(user)
    return client.get(reverse("resident", args=[resident.pk])).content.decode()


def test_the_goals_row_links_and_unlinks_and_the_log_has_it(client, daalhof, janssen):
    goal = goal_of(janssen, daalhof.poh)
    html = panel(client, daalhof.welfare, janssen)
    row = html[html.index("Wekelijks naar de soos") :]
    row = row[: row.index("</li>")]
    assert LINK in row and reverse("goal_own_goal", args=[goal.pk]) in row
    assert '<button class="button">' in row  # a touch target of 44 px on a phone
    url = reverse("goal_own_goal", args=[goal.pk])
    response = client.post(url, {"serves": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "board-changed"
    page = response.content.decode()
    assert 'Wekelijks naar de soos <span class="serves-own-goal">(dient haar eigen doel)' in page
    assert UNLINK in page and serves(goal)
    client.post(url, {"serves": "0"}, HTTP_HX_REQUEST="true")
    assert not serves(goal)
    actions = AccessLogEntry.objects.filter(
        user=daalhof.welfare, resident=janssen, what="goal_own_goal"
    ).values_list("action", flat=True)
    assert list(actions) == ["write", "write"]


def test_a_refusal_says_why_on_the_panel_and_is_logged_as_a_read(client, daalhof, janssen):
    goal = goal_of(janssen, daalhof.poh)
    Goal.objects.filter(pk=goal.pk).update(status=Goal.Status.DROPPED)
    client.force_login(daalhof.poh)
    response = client.post(reverse("goal_own_goal", args=[goal.pk]), {"serves": "1"})
    assert response.status_code == 200 and NOT_OPEN in response.content.decode()
    assert not serves(goal)
    entry = AccessLogEntry.objects.get(user=daalhof.poh, resident=janssen, what="goal_own_goal")
    assert entry.action == "read"


def test_the_row_offers_nothing_without_an_own_goal_on_a_closed_record_or_a_done_goal(
    client, daalhof, resident_in, janssen
):
    without = resident_in("step2", last_name="Peters")
    goal_of(without, daalhof.poh)
    assert LINK not in panel(client, daalhof.poh, without)
    done = goal_of(janssen, daalhof.poh, description="Zelf douchen")
    Goal.objects.filter(pk=done.pk).update(status=Goal.Status.ACHIEVED)
    html = panel(client, daalhof.poh, janssen)
    assert LINK not in html and UNLINK not in html


def test_who_may_not_see_the_resident_gets_404_and_nothing_changes(client, daalhof, resident_in):
    narrow = resident_in("step2", consent=False)
    give_consent(narrow, daalhof.poh, disciplines=["gp", "poh"])
    note_own_goal(resident=narrow, by=daalhof.poh, text="Thuis blijven wonen")
    goal = goal_of(narrow, daalhof.poh)
    client.force_login(daalhof.welfare)
    response = client.post(reverse("goal_own_goal", args=[goal.pk]), {"serves": "1"})
    assert response.status_code == 404 and not serves(goal)
    assert client.get(reverse("goal_own_goal", args=[goal.pk])).status_code == 405
    assert not AccessLogEntry.objects.filter(user=daalhof.welfare, resident=narrow).exists()


def test_a_new_goal_serves_her_own_goal_only_once_she_has_one(daalhof, resident_in):
    """Adding a goal that serves the own goal asks the same as linking one later."""
    from tests.helpers import API, api_as

    resident = resident_in("step2", last_name="Zonder")
    with pytest.raises(Refused, match=exactly(NO_OWN_GOAL)) as refused:
        add_goal(
            resident=resident,
            by=daalhof.poh,
            domain="social",
            description="Naar de soos",
            serves_own_goal=True,
        )
    assert refused.value.fields == {"serves_own_goal": [NO_OWN_GOAL]}
    response = api_as(daalhof.poh).post(
        f"{API}/residents/{resident.pk}/goals/",
        {"domain": "social", "description": "Naar de soos", "serves_own_goal": True},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"serves_own_goal": [NO_OWN_GOAL]}
    assert not resident.goals.exists()
    note_own_goal(resident=resident, by=daalhof.poh, text="Onder de mensen blijven")
    made = add_goal(
        resident=resident,
        by=daalhof.poh,
        domain="social",
        description="Naar de soos",
        serves_own_goal=True,
    )
    assert serves(made)


def test_a_garbled_choice_changes_nothing_and_says_why(client, daalhof, janssen):
    goal = goal_of(janssen, daalhof.poh)
    link_goal_to_own_goal(goal=goal, by=daalhof.poh, serves=True)
    client.force_login(daalhof.welfare)
    url = reverse("goal_own_goal", args=[goal.pk])
    for given in ({}, {"serves": "yes"}, {"serves": ""}):
        page = client.post(url, given, HTTP_HX_REQUEST="true").content.decode()
        assert "Kies of u het doel aan haar eigen doel koppelt of loskoppelt." in page
        assert serves(goal)  # still linked: a missing choice is no unlinking
