"""The resident's own goal, "Wat is belangrijk voor u?" (issue 17, part 3): noted in her own
words as versions (earlier ones kept), who may note it and what is refused, at the top of the
panel, goals that serve it, in the minutes, in the carer portal only with consent to share,
the admin and the access log."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from clients.services import record_consent
from kernteam.models import AccessLogEntry
from kernteam.refusals import Refused
from kernteam.undeletable import ProtectedRecord
from steps.meetings import close_meeting
from steps.minutes import meeting_minutes
from steps.own_goal import OwnGoal
from steps.own_goal_services import note_own_goal
from steps.portal import carer_view
from steps.services import add_goal
from tests.factories import carer_for, give_consent, open_meeting
from tests.helpers import exactly

pytestmark = pytest.mark.django_db

NOT_ALLOWED = (
    "Alleen leden van het kernteam van de cliënt die dit dossier mogen inzien, kunnen haar "
    "eigen doel vastleggen."
)
CLOSED = "Dit dossier is afgesloten: haar eigen doel kan niet meer worden aangepast."
EMPTY = "Schrijf op wat belangrijk is voor de cliënt."
UNCHANGED = "Dit is al het doel van de cliënt."


def note(resident, by, text="Thuis blijven wonen, met mijn kat") -> OwnGoal:
    return note_own_goal(resident=resident, by=by, text=text)


# --- noting it, and versions -----------------------------------------------------------------


def test_a_member_notes_her_words_stripped_and_the_boards_hear_of_it(
    daalhof, resident_in, team_events, django_capture_on_commit_callbacks
):
    resident = resident_in("step2")
    with django_capture_on_commit_callbacks(execute=True):
        goal = note(resident, daalhof.welfare, text="  Thuis blijven wonen  ")
    goal.refresh_from_db()
    assert (goal.text, goal.noted_by, goal.resident) == (
        "Thuis blijven wonen",
        daalhof.welfare,
        resident,
    )
    assert [e["type"] for _, e in team_events] == ["resident.own_goal"]


def test_a_new_version_keeps_the_earlier_ones(daalhof, resident_in):
    resident = resident_in("step2")
    with time_machine.travel(timezone.now() - datetime.timedelta(days=30)):
        first = note(resident, daalhof.poh, text="Weer naar de markt kunnen")
    second = note(resident, daalhof.gp, text="Thuis blijven wonen")
    assert list(resident.own_goals.all()) == [second, first]
    assert OwnGoal.objects.get(pk=first.pk).text == "Weer naar de markt kunnen"


def test_versions_are_append_only_in_the_application_and_the_database(daalhof, resident_in):
    goal = note(resident_in("step2"), daalhof.poh)
    with pytest.raises(ProtectedRecord):
        goal.delete()
    with pytest.raises(ProtectedRecord):
        OwnGoal.objects.update(text="Anders")
    with pytest.raises(DatabaseError), transaction.atomic():
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("UPDATE steps_owngoal SET text = 'Anders'")
    assert OwnGoal.objects.get().text == "Thuis blijven wonen, met mijn kat"


@pytest.mark.parametrize(
    "text, message",
    [("", EMPTY), ("   ", EMPTY), ("x" * 1001, None)],
    ids=["empty", "blank", "long"],
)
def test_bad_text_is_a_field_error_and_nothing_is_saved(daalhof, resident_in, text, message):
    with pytest.raises(ValidationError) as refused:
        note(resident_in("step2"), daalhof.poh, text=text)
    expected = message or "De tekst mag hoogstens 1000 tekens lang zijn."
    assert refused.value.message_dict == {"text": [expected]}
    assert not OwnGoal.objects.exists()


def test_unchanged_text_is_no_new_version(daalhof, resident_in):
    resident = resident_in("step2")
    note(resident, daalhof.poh, text="Thuis blijven wonen")
    with pytest.raises(ValidationError) as refused:
        note(resident, daalhof.gp, text=" Thuis blijven wonen ")
    assert refused.value.message_dict == {"text": [UNCHANGED]}
    assert OwnGoal.objects.count() == 1
    # an earlier text again is a change: she went back to it
    note(resident, daalhof.gp, text="Naar de markt")
    note(resident, daalhof.gp, text="Thuis blijven wonen")
    assert OwnGoal.objects.count() == 3


# --- who may not ----------------------------------------------------------------------------


def test_a_carer_may_not(daalhof, resident_in):
    resident = resident_in("step2")
    carer = carer_for(resident, username="thea.goal")
    with pytest.raises(Refused, match=exactly(NOT_ALLOWED)) as refused:
        note(resident, carer.user)
    assert refused.value.forbidden
    assert not OwnGoal.objects.exists()


def test_a_member_of_another_team_may_not(daalhof, malberg, resident_in):
    with pytest.raises(Refused, match=exactly(NOT_ALLOWED)):
        note(resident_in("step2"), malberg.gp)
    assert not OwnGoal.objects.exists()


def test_a_member_outside_the_consent_may_not(daalhof, resident_in):
    resident = resident_in("step2", consent=False)
    give_consent(resident, daalhof.poh, disciplines=["gp", "poh"])
    with pytest.raises(Refused, match=exactly(NOT_ALLOWED)):
        note(resident, daalhof.welfare)
    note(resident, daalhof.poh)  # the POH sees every resident of the team


def test_a_closed_record_takes_no_new_version(daalhof, resident_in):
    resident = resident_in("closed")
    with pytest.raises(Refused, match=exactly(CLOSED)) as refused:
        note(resident, daalhof.gp)
    assert refused.value.fields == {"non_field_errors": [CLOSED]}
    assert not OwnGoal.objects.exists()


# --- the panel ------------------------------------------------------------------------------


def test_the_panel_shows_her_words_first_with_earlier_versions(client, daalhof, resident_in):
    resident = resident_in("step2")
    with time_machine.travel(timezone.now() - datetime.timedelta(days=30)):
        note(resident, daalhof.poh, text="Weer naar de markt kunnen")
    note(resident, daalhof.gp, text="Thuis blijven wonen")
    client.force_login(daalhof.welfare)
    html = client.get(reverse("resident", args=[resident.pk])).content.decode()
    top = html.index('id="own-goal-h"')
    head_end = html.index("</header>", html.index('id="panel-name"'))
    own = html.rindex("<section", 0, top)
    assert head_end < own and "<section" not in html[head_end:own]  # first under the header
    section = html[top : html.index("</section>", top)]
    assert "Wat is belangrijk voor u?" in section
    assert "<p>Thuis blijven wonen</p>" in section
    assert "eerdere versies" in section and "Weer naar de markt kunnen" in section
    assert ">Aanpassen</a>" in section


def test_the_panel_asks_for_it_when_there_is_none(client, daalhof, resident_in):
    resident = resident_in("step2")
    client.force_login(daalhof.poh)
    html = client.get(reverse("resident", args=[resident.pk])).content.decode()
    assert "Nog niet vastgelegd: vraag haar wat voor haar belangrijk is." in html
    assert ">Vastleggen</a>" in html and "eerdere versies" not in html


def test_the_form_notes_a_version_and_shows_field_errors(client, daalhof, resident_in):
    resident = resident_in("step2")
    client.force_login(daalhof.poh)
    url = reverse("resident_own_goal", args=[resident.pk])
    page = client.get(url).content.decode()
    assert "<h1>Wat is belangrijk voor u?</h1>" in page  # its own address: a whole page
    empty = client.post(url, {"text": "  "}).content.decode()
    assert EMPTY in empty and not OwnGoal.objects.exists()
    client.post(url, {"text": "Thuis blijven wonen"})
    assert OwnGoal.objects.get().text == "Thuis blijven wonen"
    again = client.post(url, {"text": "Thuis blijven wonen"}).content.decode()
    assert UNCHANGED in again and OwnGoal.objects.count() == 1


def test_a_goal_that_serves_it_is_marked(client, daalhof, resident_in):
    resident = resident_in("step2")
    note(resident, daalhof.poh)
    add_goal(
        resident=resident,
        by=daalhof.poh,
        domain="social",
        description="Wekelijks naar de soos",
        serves_own_goal=True,
    )
    add_goal(resident=resident, by=daalhof.poh, domain="functional", description="Valpreventie")
    client.force_login(daalhof.poh)
    html = client.get(reverse("resident", args=[resident.pk])).content.decode()
    assert 'Wekelijks naar de soos <span class="serves-own-goal">(dient haar eigen doel)' in html
    assert "Valpreventie <span" not in html
    # the add-goal form offers it
    added = client.post(
        reverse("resident_add", args=[resident.pk, "goal"]),
        {"domain": "psychological", "description": "Minder piekeren", "serves_own_goal": "on"},
    )
    assert added.status_code == 200
    assert resident.goals.get(description="Minder piekeren").serves_own_goal


# --- the minutes and the carer portal --------------------------------------------------------


def test_the_minutes_show_her_goal_as_it_was_when_the_meeting_closed(daalhof, resident_in):
    resident = resident_in("step2")
    note(resident, daalhof.poh, text="Thuis blijven wonen")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    add_goal(resident=resident, by=daalhof.poh, domain="social", description="Naar de soos")
    close_meeting(meeting=meeting, by=daalhof.coordinator)
    meeting.refresh_from_db()
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        note(resident, daalhof.poh, text="Naar mijn dochter verhuizen")
    (entry,) = meeting_minutes(meeting=meeting).entries
    assert entry.own_goal.text == "Thuis blijven wonen"


def test_the_minutes_page_shows_it_at_the_top_of_her_entry(client, daalhof, resident_in):
    resident = resident_in("step2")
    note(resident, daalhof.poh, text="Thuis blijven wonen")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    add_goal(resident=resident, by=daalhof.poh, domain="social", description="Naar de soos")
    client.force_login(daalhof.poh)
    url = reverse("meeting_minutes", args=[daalhof.team.slug, meeting.pk])
    html = client.get(url).content.decode()
    entry = html[html.index('class="minutes-entry"') :]
    goal = entry.index("<q>Thuis blijven wonen</q>")
    assert goal < entry.index("Naar de soos")
    assert "<strong>Wat is belangrijk voor u?</strong>" in entry


def _shared(resident, by, share: bool) -> None:
    record_consent(
        resident=resident,
        by=by,
        given_on=timezone.localdate(),
        disciplines=["gp", "poh"],
        share_with_carers=share,
    )


def test_the_carer_portal_shows_it_only_with_consent_to_share(client, daalhof, resident_in):
    resident = resident_in("step2", consent=False, coordinator=daalhof.poh)
    _shared(resident, daalhof.poh, share=False)
    note(resident, daalhof.poh, text="Thuis blijven wonen")
    carer = carer_for(resident, username="thea.portal")
    assert carer_view(carer=carer, resident=resident).own_goal is None
    client.force_login(carer.user)
    assert "Thuis blijven wonen" not in client.get(reverse("carer_portal")).content.decode()
    _shared(resident, daalhof.poh, share=True)
    assert carer_view(carer=carer, resident=resident).own_goal.text == "Thuis blijven wonen"
    portal = client.get(reverse("carer_portal")).content.decode()
    assert "Wat voor uw naaste belangrijk is" in portal
    assert "<p>Thuis blijven wonen</p>" in portal


def test_the_portal_asks_the_one_rule_of_sharing_with_carers(daalhof, resident_in, monkeypatch):
    """Whether carers see her is decided once (`clients.visibility.sharing_with_carers`): the
    list of a carer's residents and her own goal in the portal both follow it."""
    from django.db.models import Exists, OuterRef

    from clients import visibility
    from clients.models import Consent
    from steps.portal import carer_views

    resident = resident_in("step2", consent=False, coordinator=daalhof.poh)
    _shared(resident, daalhof.poh, share=True)
    note(resident, daalhof.poh, text="Thuis blijven wonen")
    carer = carer_for(resident, username="thea.rule")
    assert carer_view(carer=carer, resident=resident).own_goal.text == "Thuis blijven wonen"

    def never(resident_ref="pk"):  # a narrower rule: no consent shares
        return Exists(Consent.objects.filter(resident=OuterRef(resident_ref), pk__lt=0))

    monkeypatch.setattr(visibility, "sharing_with_carers", never)
    assert carer_views(user=carer.user) == []
    assert carer_view(carer=carer, resident=resident).own_goal is None


# --- the admin and the access log ------------------------------------------------------------


def test_the_form_and_its_writes_are_logged(client, daalhof, resident_in):
    resident = resident_in("step2")
    client.force_login(daalhof.poh)
    url = reverse("resident_own_goal", args=[resident.pk])
    client.get(url)
    client.post(url, {"text": "Thuis blijven wonen"})
    actions = AccessLogEntry.objects.filter(
        user=daalhof.poh, resident=resident, what="resident_own_goal"
    ).values_list("action", flat=True)
    assert sorted(actions) == ["read", "write"]


def test_the_admin_shows_versions_read_only_and_logs_them(admin_client, daalhof, resident_in):
    resident = resident_in("step2")
    goal = note(resident, daalhof.poh, text="Thuis blijven wonen")
    assert admin_client.get(reverse("admin:steps_owngoal_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:steps_owngoal_change", args=[goal.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # read-only
    assert admin_client.get(reverse("admin:steps_owngoal_add")).status_code == 403
    deleted = admin_client.post(reverse("admin:steps_owngoal_delete", args=[goal.pk]))
    assert deleted.status_code == 403
    assert OwnGoal.objects.get().text == "Thuis blijven wonen"
    entries = AccessLogEntry.objects.filter(resident=resident, what__startswith="admin:")
    assert {e.what for e in entries} == {"admin:owngoal-list", "admin:owngoal"}
    assert set(entries.values_list("action", flat=True)) == {"read"}
