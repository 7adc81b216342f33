"""Need-to-know: within the team, the GP and POH see every resident; other disciplines see a
resident while the consent in force names their discipline. Everyone else gets 404."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from clients.models import Consent
from clients.services import raise_concern, record_consent, withdraw_consent
from clients.visibility import can_see_resident
from kernteam.roles import Role
from steps.models import AgreedAction
from tests.factories import carer_for, open_meeting

SCOPE = ["gp", "poh", "district_nurse"]


@pytest.fixture
def people(daalhof, malberg, thea):
    """Every role of Daalhof, a GP of another team, and a carer."""
    found = {role: daalhof.member(role) for role in Role.values}
    return found | {"other_team_gp": malberg.gp, "carer": thea}


@pytest.fixture
def residents(daalhof, resident_in):
    """One resident without consent, one whose consent names GP, POH and district nurse."""
    unconsented = resident_in("signalled", last_name="Zonder")
    scoped = resident_in("step2", consent=False, last_name="Beperkt")
    record_consent(
        resident=scoped, by=daalhof.poh, given_on=timezone.localdate(), disciplines=SCOPE
    )
    for resident in (unconsented, scoped):
        AgreedAction.objects.create(
            resident=resident,
            description="Huisbezoek",
            created_by=daalhof.gp,
            owner_member=daalhof.gp,
            due_on=timezone.localdate() + datetime.timedelta(days=7),
        )
        raise_concern(resident=resident, by=daalhof.gp, text="Belde", carer=carer_for(resident))
    return {"none": unconsented, "scoped": scoped}


def expected(who: str, consent: str) -> bool:
    if who in ("gp", "poh"):
        return True
    return consent == "scoped" and who in SCOPE


def entry_points(resident):
    action = resident.actions.get()
    concern = resident.concerns.get()
    return [
        ("get", reverse("resident", args=[resident.pk]), {}),
        ("get", reverse("resident", args=[resident.pk]) + "?to=step3", {}),
        ("get", reverse("resident_moves", args=[resident.pk]), {}),
        ("get", reverse("resident_add", args=[resident.pk, "assessment"]), {}),
        ("get", reverse("resident_move", args=[resident.pk]) + "?transition=admit", {}),
        ("post", reverse("action_done", args=[action.pk]), {}),
        ("post", reverse("concern_handled", args=[concern.pk]), {}),
        ("post", reverse("resident_confirm", args=[resident.pk]), {"step_up": "0"}),
    ]


@pytest.mark.parametrize("consent", ["none", "scoped"])
@pytest.mark.parametrize("who", [*Role.values, "other_team_gp", "carer"])
def test_every_entry_point_asks_the_policy(client, people, residents, who, consent):
    resident = residents[consent]
    client.force_login(people[who])
    allowed = expected(who, consent)
    assert can_see_resident(user=people[who], resident=resident) is allowed
    for method, url, data in entry_points(resident):
        response = getattr(client, method)(url, data, HTTP_HX_REQUEST="true")
        if allowed:
            assert response.status_code == 200, (method, url)
        else:
            assert response.status_code == 404, (method, url)
    board = client.get(reverse("board", args=["daalhof"]))
    if who in ("other_team_gp", "carer"):
        assert board.status_code == 404
    else:
        assert (resident.last_name in board.content.decode()) is allowed


def test_anonymous_visitors_are_sent_to_sign_in(client, residents):
    for method, url, data in entry_points(residents["scoped"]):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_narrowing_consent_takes_effect_at_once(client, daalhof, residents):
    scoped = residents["scoped"]
    client.force_login(daalhof.district_nurse)
    assert client.get(reverse("resident", args=[scoped.pk])).status_code == 200
    record_consent(
        resident=scoped,
        by=daalhof.poh,
        given_on=timezone.localdate(),
        disciplines=["gp", "poh", "welfare"],
    )
    assert client.get(reverse("resident", args=[scoped.pk])).status_code == 404
    client.force_login(daalhof.welfare)
    assert client.get(reverse("resident", args=[scoped.pk])).status_code == 200
    assert scoped.consents.count() == 2 and scoped.consents.filter(withdrawn_at=None).count() == 1


def test_withdrawal_leaves_the_gp_and_poh_and_tells_the_boards(
    client, daalhof, residents, team_events, django_capture_on_commit_callbacks
):
    scoped = residents["scoped"]
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_consent(resident=scoped, by=daalhof.gp)
    assert team_events == [
        (f"team-{daalhof.team.pk}", {"type": "resident.consent_changed", "resident": scoped.pk})
    ]
    for role, sees in (("gp", True), ("poh", True), ("district_nurse", False)):
        client.force_login(daalhof.member(role))
        status = client.get(reverse("resident", args=[scoped.pk])).status_code
        assert status == (200 if sees else 404), role
    assert scoped.consents.get().withdrawn_by == daalhof.gp  # kept, withdrawn


def test_only_one_consent_is_in_force(daalhof, residents):
    scoped = residents["scoped"]
    # PostgreSQL names the constraint; SQLite names the column of its partial unique index
    twice = (
        r"one_consent_in_force_per_resident|UNIQUE constraint failed: clients_consent\.resident_id"
    )
    with pytest.raises(IntegrityError, match=twice), transaction.atomic():
        Consent.objects.create(
            resident=scoped,
            given_on=timezone.localdate(),
            recorded_by=daalhof.poh,
            disciplines=["gp"],
        )


def test_the_panel_records_and_withdraws_consent(client, daalhof, residents):
    unconsented = residents["none"]
    client.force_login(daalhof.poh)
    url = reverse("resident_add", args=[unconsented.pk, "consent"])
    empty = client.post(url, {"given_on": timezone.localdate().isoformat()}, HTTP_HX_REQUEST="true")
    assert "Dit veld is verplicht." in empty.content.decode()
    done = client.post(
        url,
        {
            "given_on": timezone.localdate().isoformat(),
            "disciplines": ["gp", "poh", "welfare"],
            "share_with_carers": "on",
        },
        HTTP_HX_REQUEST="true",
    )
    assert done.headers["HX-Trigger"] == "board-changed"
    html = done.content.decode()
    assert "gedeeld met: huisarts, POH-ouderen, welzijnswerker; en met mantelzorgers." in html
    consent = unconsented.active_consent()
    assert consent.disciplines == ["gp", "poh", "welfare"] and consent.share_with_carers

    client.force_login(daalhof.welfare)
    gone = client.post(reverse("consent_withdrawn", args=[unconsented.pk]), HTTP_HX_REQUEST="true")
    assert "u ziet dit dossier daarom niet meer" in gone.content.decode()
    assert unconsented.active_consent() is None


def test_the_agenda_names_only_residents_the_reader_may_see(client, daalhof, residents):
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    from steps.meetings import prepare_agenda

    prepare_agenda(meeting=meeting, by=daalhof.coordinator)
    client.force_login(daalhof.district_nurse)
    html = client.get(reverse("meeting", args=["daalhof", meeting.pk])).content.decode()
    assert "Beperkt" in html and "Zonder" not in html
    assert "Een cliënt wiens toestemming uw discipline niet dekt" in html
    client.force_login(daalhof.gp)
    html = client.get(reverse("meeting", args=["daalhof", meeting.pk])).content.decode()
    assert "Beperkt" in html and "Zonder" in html


# --- the team-level pages, for every kind of person -------------------------------------------


@pytest.fixture
def everyone(people, daalhof, residents, db):
    from django.contrib.auth.models import Group

    from kernteam.roles import LOG_OFFICERS
    from tests.factories import UserFactory

    officer = UserFactory(username="logfunctionaris")
    officer.groups.add(Group.objects.get_or_create(name=LOG_OFFICERS)[0])
    scoped = residents["scoped"]
    record_consent(
        resident=scoped,
        by=daalhof.poh,
        given_on=timezone.localdate(),
        disciplines=SCOPE,
        share_with_carers=True,
    )
    linked = carer_for(scoped, username="dochter")
    return people | {"linked_carer": linked.user, "log_officer": officer, "anonymous": None}


TEAM_PAGES = ["board", "board_closed", "meetings", "meeting", "meeting_minutes", "board_signal"]


def team_page_urls(meeting) -> dict[str, str]:
    urls = {name: reverse(name, args=["daalhof"]) for name in TEAM_PAGES[:3] + TEAM_PAGES[5:]}
    urls["meeting"] = reverse("meeting", args=["daalhof", meeting.pk])
    urls["meeting_minutes"] = reverse("meeting_minutes", args=["daalhof", meeting.pk])
    return urls | {"access_log": reverse("access_log"), "carer_portal": reverse("carer_portal")}


@pytest.mark.parametrize(
    "who",
    [*Role.values, "other_team_gp", "carer", "linked_carer", "log_officer", "anonymous"],
)
def test_team_pages_the_log_and_the_portal_for_everyone(client, daalhof, everyone, who):
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    user = everyone[who]
    if user is not None:
        client.force_login(user)
    for name, url in team_page_urls(meeting).items():
        status = client.get(url).status_code
        if user is None:
            assert status == 302, name  # to the sign-in page
        elif name == "access_log":
            assert status == (200 if who == "log_officer" else 404), name
        elif name == "carer_portal":
            assert status == 200, name  # shows only what is theirs (nothing for most)
        else:
            assert status == (200 if who in Role.values else 404), (who, name)
    if who == "linked_carer":
        assert "Beperkt" in client.get(reverse("carer_portal")).content.decode()
    elif user is not None:
        assert "Beperkt" not in client.get(reverse("carer_portal")).content.decode()
