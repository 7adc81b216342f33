"""Meeting mode: the agenda the board builds, members' questions, the chair's lead, decisions
recorded against the meeting, and the minutes they make."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.services import raise_concern
from kernteam.models import AgendaItem, Meeting
from kernteam.refusals import Refused
from steps.meetings import (
    add_to_agenda,
    agenda_candidates,
    close_meeting,
    focus_on,
    move_agenda_item,
    open_meeting,
    plan_meeting,
    prepare_agenda,
)
from steps.services import move_resident
from tests.factories import carer_for, give_consent, goal, score
from tests.helpers import exactly


@pytest.fixture
def planned(daalhof) -> Meeting:
    return plan_meeting(team=daalhof.team, by=daalhof.coordinator, scheduled_for=timezone.now())


def next_week() -> str:
    """A week from today at 14:00, as the planning form takes it: a review due today is on
    that meeting's agenda, one due in 90 days is not."""
    return f"{timezone.localdate() + datetime.timedelta(days=7)}T14:00"


def names(meeting: Meeting) -> list[str]:
    return [i.resident.last_name for i in meeting.agenda.order_by("position")]


@pytest.fixture
def board_with_reasons(daalhof, resident_in):
    """One resident per agenda reason, and two who need no discussion."""
    today = timezone.localdate()
    made = {
        "signal": resident_in("signalled", last_name="Signaal"),
        "screening": resident_in("screening", last_name="Screening"),
        "low": resident_in("screening", last_name="Laag"),
        "review": resident_in("step2", last_name="Evaluatie"),
        "calm": resident_in("step1", last_name="Rustig"),
        "urgent": resident_in("step2", last_name="Urgent"),
        "concern": resident_in("step1", last_name="Zorg"),
    }
    score(made["screening"], "gfi", 6, daalhof.poh)
    score(made["low"], "gfi", 2, daalhof.poh)
    for key, due in (("review", today), ("calm", today + datetime.timedelta(days=90))):
        made[key].trajectory.review_due = due
        made[key].trajectory.save(update_fields=["review_due"])
    move_resident(
        resident=made["urgent"],
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Twee keer gevallen",
    )
    made["urgent"].trajectory.refresh_from_db()
    made["urgent"].trajectory.review_due = today + datetime.timedelta(days=80)
    made["urgent"].trajectory.save(update_fields=["review_due"])
    made["concern"].trajectory.review_due = today + datetime.timedelta(days=300)
    made["concern"].trajectory.save(update_fields=["review_due"])
    raise_concern(
        resident=made["concern"],
        by=carer_for(made["concern"], username="thea").user,
        text="Verward",
    )
    return made


def test_the_board_builds_the_agenda_in_the_teams_order(planned, board_with_reasons):
    made = board_with_reasons
    candidates = agenda_candidates(meeting=planned)
    assert candidates == {
        made["signal"].pk: ["signal"],
        made["screening"].pk: ["screening"],
        # (step 2 and up without a medication review on record: steps.medication)
        made["review"].pk: ["review", "medication"],
        made["urgent"].pk: ["urgent", "care_planning", "medication"],  # (step 3, no PZP yet)
        made["concern"].pk: ["concern"],
    }
    assert (
        prepare_agenda(meeting=planned, by=planned.team.memberships.get(role="coordinator").user)
        == 5
    )
    assert names(planned) == ["Signaal", "Screening", "Evaluatie", "Urgent", "Zorg"]


def test_preparing_again_keeps_the_order_and_adds_what_is_new(
    daalhof, planned, board_with_reasons, resident_in
):
    prepare_agenda(meeting=planned, by=daalhof.coordinator)
    first = AgendaItem.objects.get(meeting=planned, resident=board_with_reasons["concern"])
    move_agenda_item(item=first, by=daalhof.coordinator, direction="up")
    resident_in("signalled", last_name="Nieuw")
    assert prepare_agenda(meeting=planned, by=daalhof.coordinator) == 1
    assert names(planned) == ["Signaal", "Screening", "Evaluatie", "Zorg", "Urgent", "Nieuw"]


def test_a_resident_with_several_reasons_is_on_the_agenda_once(
    daalhof, planned, board_with_reasons
):
    urgent = board_with_reasons["urgent"]
    raise_concern(resident=urgent, by=carer_for(urgent, username="zoon").user, text="Valt")
    prepare_agenda(meeting=planned, by=daalhof.coordinator)
    item = planned.agenda.get(resident=urgent)
    assert item.reasons == ["urgent", "concern", "care_planning", "medication"]
    assert item.reason_labels == [
        "urgente opschaling bevestigen",
        "zorg van mantelzorger",
        "PZP nog niet besproken",
        "medicatiebeoordeling nodig",
    ]


def test_only_the_coordinator_prepares_and_reorders(daalhof, planned, board_with_reasons):
    only_the_coordinator = exactly("Alleen de coördinator van het kernteam stelt de agenda op.")
    with pytest.raises(Refused, match=only_the_coordinator):
        prepare_agenda(meeting=planned, by=daalhof.gp)
    prepare_agenda(meeting=planned, by=daalhof.coordinator)
    item = planned.agenda.first()
    with pytest.raises(Refused, match=only_the_coordinator):
        move_agenda_item(item=item, by=daalhof.district_nurse, direction="down")
    move_agenda_item(item=item, by=daalhof.coordinator, direction="up")  # already first
    assert names(planned)[0] == "Signaal"


def test_a_member_raises_a_question(daalhof, malberg, planned, resident_in):
    resident = resident_in("step1", last_name="Vraag")
    item = add_to_agenda(
        meeting=planned, by=daalhof.welfare, resident=resident, question="Eenzaam?"
    )
    again = add_to_agenda(meeting=planned, by=daalhof.gp, resident=resident, question="Rijbewijs?")
    assert item.pk == again.pk and again.reasons == ["question"]
    assert again.question == "Eenzaam?\nRijbewijs?" and again.added_by == daalhof.welfare
    members_only = exactly("Alleen leden van dit kernteam kunnen iets op de agenda zetten.")
    with pytest.raises(Refused, match=members_only):
        add_to_agenda(meeting=planned, by=malberg.gp, resident=resident, question="?")
    say_what = exactly("Schrijf op wat u met het team wilt bespreken.")
    with pytest.raises(Refused, match=say_what):
        add_to_agenda(meeting=planned, by=daalhof.gp, resident=resident, question=" ")


def test_opening_builds_the_agenda_and_the_chair_leads(
    daalhof, malberg, planned, board_with_reasons, team_events, django_capture_on_commit_callbacks
):
    only_the_coordinator = exactly("Alleen de coördinator van het kernteam opent een MDO.")
    with pytest.raises(Refused, match=only_the_coordinator):
        open_meeting(meeting=planned, by=daalhof.gp)
    meeting = open_meeting(meeting=planned, by=daalhof.coordinator)
    assert meeting.chair == daalhof.coordinator and meeting.agenda.count() == 5
    screening = board_with_reasons["screening"]
    with pytest.raises(
        Refused, match=exactly("Alleen leden van dit kernteam presenteren in het MDO.")
    ):
        focus_on(meeting=meeting, by=malberg.gp, resident=screening)
    with django_capture_on_commit_callbacks(execute=True):
        focus_on(meeting=meeting, by=daalhof.coordinator, resident=screening)
    assert team_events == [
        (
            f"team-{daalhof.team.pk}",
            {"type": "meeting.focus", "meeting": meeting.pk, "resident": screening.pk},
        )
    ]
    item = meeting.agenda.get(resident=screening)
    assert item.opened_at is not None and item.discussed_at is None  # opened, not discussed
    assert Meeting.objects.get(pk=meeting.pk).focus == screening
    assert Meeting.objects.get(pk=meeting.pk).presenter == daalhof.coordinator


def test_the_chair_cannot_open_another_teams_resident(daalhof, malberg, planned):
    from tests.factories import ResidentFactory

    meeting = open_meeting(meeting=planned, by=daalhof.coordinator)
    stranger = ResidentFactory(team=malberg.team, state="step1")
    with pytest.raises(Refused, match=exactly("Kies een cliënt van dit kernteam.")):
        focus_on(meeting=meeting, by=daalhof.coordinator, resident=stranger)


def test_a_closed_meeting_keeps_its_agenda(daalhof, planned, resident_in):
    meeting = open_meeting(meeting=planned, by=daalhof.coordinator)
    close_meeting(meeting=meeting, by=daalhof.coordinator)
    closed = exactly("Dit MDO is afgesloten; de agenda kan niet meer veranderen.")
    with pytest.raises(Refused, match=closed):
        add_to_agenda(meeting=meeting, by=daalhof.gp, resident=resident_in("step1"), question="?")
    with pytest.raises(Refused, match=closed):
        prepare_agenda(meeting=meeting, by=daalhof.coordinator)


# --- the screens ------------------------------------------------------------------------


def test_the_coordinator_plans_opens_and_closes_from_the_screens(
    client, daalhof, board_with_reasons
):
    client.force_login(daalhof.coordinator)
    planned = client.post(reverse("meetings", args=["daalhof"]), {"scheduled_for": next_week()})
    meeting = Meeting.objects.get()
    assert planned.url == reverse("meeting", args=["daalhof", meeting.pk])
    client.post(reverse("meeting_step", args=["daalhof", meeting.pk, "open"]))
    meeting.refresh_from_db()
    assert meeting.is_open and meeting.agenda.count() == 5
    html = client.get(reverse("meeting", args=["daalhof", meeting.pk])).content.decode()
    assert "Screening" in html and "MDO afsluiten" in html
    # the new signal has no consent yet: the coordinator sees a place on the agenda, not who
    # or why (issue 14: the reasons are about the resident too)
    assert "Signaal" not in html and "nieuw gesignaleerd" not in html
    assert "Een cliënt wiens toestemming uw discipline niet dekt" in html
    closed = client.post(reverse("meeting_step", args=["daalhof", meeting.pk, "close"]))
    assert closed.url == reverse("meeting_minutes", args=["daalhof", meeting.pk])


def test_a_member_cannot_plan_open_or_close(client, daalhof, planned):
    client.force_login(daalhof.gp)
    html = client.post(
        reverse("meetings", args=["daalhof"]), {"scheduled_for": next_week()}
    ).content.decode()
    assert "Alleen de coördinator van het kernteam plant een MDO." in html
    on_its_page = [(reverse("meeting", args=["daalhof", planned.pk]), 302)]
    opened = client.post(reverse("meeting_step", args=["daalhof", planned.pk, "open"]), follow=True)
    assert opened.redirect_chain == on_its_page
    assert "Alleen de coördinator van het kernteam opent een MDO." in opened.content.decode()
    planned.refresh_from_db()
    assert planned.status == "planned" and Meeting.objects.count() == 1
    open_meeting(meeting=planned, by=daalhof.coordinator)
    closed = client.post(
        reverse("meeting_step", args=["daalhof", planned.pk, "close"]), follow=True
    )
    assert closed.redirect_chain == on_its_page  # not to the minutes: it was not closed
    assert "Alleen de coördinator van het kernteam sluit een MDO af." in closed.content.decode()
    planned.refresh_from_db()
    assert planned.status == "open"


def test_another_teams_meeting_is_404(client, malberg, planned):
    client.force_login(malberg.coordinator)
    for url in (
        reverse("meeting", args=["daalhof", planned.pk]),
        reverse("meeting_minutes", args=["daalhof", planned.pk]),
        reverse("meeting", args=["malberg", planned.pk]),
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(reverse("meeting_step", args=["malberg", planned.pk, "open"])).status_code
        == 404
    )


def test_decisions_in_the_meeting_are_its_minutes(client, daalhof, planned, board_with_reasons):
    made = board_with_reasons
    meeting = open_meeting(meeting=planned, by=daalhof.coordinator)
    client.force_login(daalhof.gp)
    urgent = made["urgent"]
    step_up = urgent.trajectory.pending_confirmation
    panel = client.get(reverse("resident", args=[urgent.pk])).content.decode()
    assert "Opschaling bevestigen" in panel
    client.post(reverse("resident_confirm", args=[urgent.pk]), {"step_up": step_up.pk})
    screening = made["screening"]
    give_consent(screening, daalhof.poh)
    goal(screening, daalhof.poh)
    screening.coordinator = daalhof.poh
    screening.save()
    client.post(
        reverse("resident_move", args=[screening.pk]),
        {"transition": "assign_step2", "expected_state": "screening", "reason": "GFI 6"},
    )
    client.post(
        reverse("resident_add", args=[screening.pk, "action"]),
        {
            "description": "Valrisico-huisbezoek",
            "owner": f"m{daalhof.district_nurse.pk}",
            "due_on": (timezone.localdate() + datetime.timedelta(days=14)).isoformat(),
        },
    )
    concern = made["concern"].concerns.get()
    client.post(reverse("concern_handled", args=[concern.pk]))
    client.force_login(daalhof.coordinator)
    client.post(reverse("meeting_focus", args=["daalhof", meeting.pk, made["review"].pk]))
    client.post(
        reverse("resident_review", args=[made["review"].pk]),
        {"expected_state": "step2", "note": "Stabiel, stap blijft"},
    )
    close_meeting(meeting=meeting, by=daalhof.coordinator)
    client.force_login(daalhof.gp)  # the GP sees every resident; the signal has no consent yet

    html = client.get(reverse("meeting_minutes", args=["daalhof", meeting.pk])).content.decode()
    assert (
        html.index("Signaal") < html.index("Screening") < html.index("Urgent") < html.index("Zorg")
    )
    assert "Urgente opschaling bevestigd" in html
    assert "Screening → Stap 2 · Gecoördineerde zorg — GFI 6" in html
    assert "Valrisico-huisbezoek" in html and "district_nurse.daalhof" not in html
    assert "Verward" in html
    assert "Stabiel, stap blijft" in html  # the review the chair opened and recorded
    assert html.count("Niet besproken.") == 1  # the signal nobody got to
    assert "5 cliënten · 3 stapbesluiten · 1 afspraak gemaakt" in html


def test_minutes_take_the_same_queries_for_a_short_and_a_long_meeting(
    client, daalhof, planned, resident_in
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def measure(n: int) -> int:
        for i in range(n):
            resident = resident_in("step1", last_name=f"Bewoner{i}")
            goal(resident, daalhof.poh).__class__.objects.filter(resident=resident).update(
                meeting=planned
            )
            add_to_agenda(meeting=planned, by=daalhof.poh, resident=resident, question="?")
        client.force_login(daalhof.poh)
        with CaptureQueriesContext(connection) as queries:
            assert (
                client.get(reverse("meeting_minutes", args=["daalhof", planned.pk])).status_code
                == 200
            )
        return len(queries)

    assert measure(2) == measure(20)


def test_the_admin_shows_the_agenda_read_only(admin_client, daalhof, planned, board_with_reasons):
    prepare_agenda(meeting=planned, by=daalhof.coordinator)
    page = admin_client.get(reverse("admin:kernteam_meeting_change", args=[planned.pk]))
    assert page.status_code == 200 and "Signaal" in page.content.decode()
    assert 'name="agenda-0-position"' not in page.content.decode()
