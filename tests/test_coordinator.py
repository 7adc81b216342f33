"""The care coordinator (*regiehouder*): named and changed by the team in its meeting, or between
meetings by the GP or the team coordinator; only an active member of the resident's team; never
on a closed record; two changes at once are taken one after the other, and the second is told
what happened. Every change is kept and shows in the panel's history, the minutes and (the new
name and contact) the carer portal."""

from __future__ import annotations

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from clients.models import CoordinatorChange
from clients.services import CoordinatorConflict, change_coordinator, record_consent
from kernteam.models import Meeting, person_name
from kernteam.refusals import Refused
from kernteam.roles import Role
from kernteam.undeletable import ProtectedRecord
from steps.models import StepChange
from steps.panel import resident_panel
from steps.services import move_resident
from tests.factories import MembershipFactory, UserFactory, carer_for
from tests.factories import open_meeting as meeting_in_progress
from tests.helpers import race

OUTSIDE = (
    "Outside a team meeting, only the GP or the team coordinator can name the care coordinator."
)
NOT_A_MEMBER = "The care coordinator must be a member of the resident's team."
CLOSED = "This record is closed and can no longer be changed."


def name(resident, by, coordinator, *, expected="as-is"):
    expected = resident.coordinator_id if expected == "as-is" else expected
    return change_coordinator(
        resident=resident,
        by=by,
        coordinator_id=coordinator.pk if coordinator is not None else None,
        expected=expected,
    )


def refusal(resident, by, coordinator, **kwargs) -> Refused:
    with translation.override("en"), pytest.raises(Refused) as refused:
        name(resident, by, coordinator, **kwargs)
    return refused.value


def dutch(message: str) -> str:
    with translation.override("nl"):
        return escape(gettext(message))


def shown(user) -> str:
    return escape(person_name(user))


# --- who may, and when ------------------------------------------------------------------------


@pytest.mark.django_db
def test_in_a_meeting_any_member_names_the_coordinator_for_the_team(
    daalhof, resident_in, team_events, django_capture_on_commit_callbacks
):
    resident = resident_in("screening")
    meeting = meeting_in_progress(daalhof.team, daalhof.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        change = name(resident, daalhof.welfare, daalhof.district_nurse)
    resident.refresh_from_db()
    assert resident.coordinator == daalhof.district_nurse
    kept = CoordinatorChange.objects.get()
    assert (kept, kept.from_coordinator, kept.to_coordinator) == (
        change,
        None,
        daalhof.district_nurse,
    )
    assert (kept.actor, kept.actor_role, kept.meeting) == (daalhof.welfare, "welfare", meeting)
    assert team_events == [
        (
            f"team-{daalhof.team.pk}",
            {"type": "resident.coordinator_changed", "resident": resident.pk},
        )
    ]


@pytest.mark.django_db
def test_outside_a_meeting_only_the_gp_or_the_team_coordinator(daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    for member in (daalhof.poh, daalhof.district_nurse, daalhof.elderly_care_physician):
        refused = refusal(resident, member, daalhof.district_nurse)
        assert refused.problems == [OUTSIDE] and refused.forbidden
    resident.refresh_from_db()
    assert resident.coordinator == daalhof.poh and not CoordinatorChange.objects.exists()

    by_gp = name(resident, daalhof.gp, daalhof.district_nurse)
    by_team_coordinator = name(resident, daalhof.coordinator, daalhof.welfare)
    assert [
        (c.from_coordinator, c.to_coordinator, c.actor, c.actor_role, c.meeting)
        for c in (by_gp, by_team_coordinator)
    ] == [
        (daalhof.poh, daalhof.district_nurse, daalhof.gp, "gp", None),
        (daalhof.district_nurse, daalhof.welfare, daalhof.coordinator, "coordinator", None),
    ]
    resident.refresh_from_db()
    assert resident.coordinator == daalhof.welfare


@pytest.mark.django_db
def test_a_meeting_left_open_since_yesterday_is_no_meeting(daalhof, resident_in):
    resident = resident_in("step2")
    meeting = meeting_in_progress(daalhof.team, daalhof.coordinator)
    Meeting.objects.filter(pk=meeting.pk).update(
        opened_at=timezone.now() - datetime.timedelta(days=1)
    )
    assert refusal(resident, daalhof.poh, daalhof.poh).problems == [OUTSIDE]


@pytest.mark.django_db
def test_someone_of_another_team_is_refused(daalhof, malberg, resident_in):
    resident = resident_in("step2")
    meeting_in_progress(daalhof.team, daalhof.coordinator)
    refused = refusal(resident, malberg.gp, daalhof.poh, expected=None)
    assert refused.forbidden
    assert refused.problems == ["Only members of this resident's kernteam can do this."]


@pytest.mark.django_db
def test_only_an_active_member_of_the_residents_team_can_be_named(daalhof, malberg, resident_in):
    resident = resident_in("step2")
    left = UserFactory(username="vertrokken")
    MembershipFactory(team=daalhof.team, user=left, role=Role.DISTRICT_NURSE, ended_on=None)
    left.memberships.update(ended_on=timezone.localdate())
    carer = carer_for(resident, username="thea")
    for someone in (malberg.poh, left, carer.user):
        refused = refusal(resident, daalhof.gp, someone)
        assert (refused.problems, refused.fields, refused.forbidden) == (
            [NOT_A_MEMBER],
            {"coordinator": [NOT_A_MEMBER]},
            False,
        )
    refused = refusal(resident, daalhof.gp, None)
    assert refused.fields == {"coordinator": ["Choose the care coordinator."]}
    resident.refresh_from_db()
    assert resident.coordinator is None and not CoordinatorChange.objects.exists()


@pytest.mark.django_db
def test_naming_who_is_the_coordinator_already_changes_nothing(daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    refused = refusal(resident, daalhof.gp, daalhof.poh)
    assert refused.fields == {
        "coordinator": [f"{person_name(daalhof.poh)} is already the care coordinator."]
    }
    assert not CoordinatorChange.objects.exists()


@pytest.mark.django_db
def test_not_on_a_closed_record(daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    move_resident(
        resident=resident,
        transition="close",
        expected_state="step2",
        by=daalhof.gp,
        reason="Verhuisd",
        closure_reason="moved",
    )
    resident.refresh_from_db()
    refused = refusal(resident, daalhof.gp, daalhof.district_nurse)
    assert refused.problems == [CLOSED] and not refused.forbidden
    resident.refresh_from_db()
    assert resident.coordinator == daalhof.poh and not CoordinatorChange.objects.exists()


# --- changed meanwhile --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_coordinator_changed_meanwhile_is_a_conflict(daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    seen = resident.coordinator_id
    name(resident, daalhof.gp, daalhof.district_nurse)
    with translation.override("en"), pytest.raises(CoordinatorConflict) as conflict:
        name(resident, daalhof.coordinator, daalhof.welfare, expected=seen)
    message = str(conflict.value)
    assert conflict.value.current_coordinator == daalhof.district_nurse.pk
    assert conflict.value.conflict == {"current_coordinator": daalhof.district_nurse.pk}
    assert person_name(daalhof.gp) in message and person_name(daalhof.district_nurse) in message
    assert "Nothing was changed" in message
    resident.refresh_from_db()
    assert resident.coordinator == daalhof.district_nurse
    assert CoordinatorChange.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_changes_at_once_one_wins_the_other_is_told(daalhof):
    from tests.factories import ResidentFactory, give_consent

    resident = ResidentFactory(team=daalhof.team, state="step2")
    give_consent(resident, daalhof.poh)  # (both may see the file)
    chosen = [daalhof.poh, daalhof.district_nurse]
    by = [daalhof.gp, daalhof.coordinator]
    results = race(
        2,
        lambda i: change_coordinator(
            resident=resident, by=by[i], coordinator_id=chosen[i].pk, expected=None
        ),
    )
    wins = [r for r in results if isinstance(r, CoordinatorChange)]
    conflicts = [r for r in results if isinstance(r, CoordinatorConflict)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    resident.refresh_from_db()
    assert resident.coordinator == wins[0].to_coordinator
    assert conflicts[0].current_coordinator == resident.coordinator_id
    assert list(CoordinatorChange.objects.values_list("to_coordinator", flat=True)) == [
        resident.coordinator_id
    ]


# --- every change is kept -----------------------------------------------------------------


@pytest.mark.django_db
def test_every_change_is_kept_and_never_changed(daalhof, resident_in):
    resident = resident_in("step2")
    first = name(resident, daalhof.gp, daalhof.poh)
    name(resident, daalhof.gp, daalhof.district_nurse)
    assert list(
        resident.coordinator_changes.order_by("at", "pk").values_list(
            "from_coordinator", "to_coordinator"
        )
    ) == [(None, daalhof.poh.pk), (daalhof.poh.pk, daalhof.district_nurse.pk)]
    with pytest.raises(ProtectedRecord):
        first.save()
    with pytest.raises(ProtectedRecord):
        CoordinatorChange.objects.filter(pk=first.pk).update(to_coordinator=daalhof.gp)
    with pytest.raises(ProtectedRecord):
        first.delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE clients_coordinatorchange SET to_coordinator_id = %s WHERE id = %s",
            [daalhof.gp.pk, first.pk],
        )
    first.refresh_from_db()
    assert first.to_coordinator == daalhof.poh


@pytest.mark.django_db
def test_the_panel_history_shows_the_changes_among_the_moves(daalhof, resident_in):
    resident = resident_in("step1")
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    StepChange.objects.create(
        trajectory=resident.trajectory,
        kind="enter",
        from_state="screening",
        to_state="step1",
        actor=daalhof.gp,
        at=now - 2 * hour,
    )
    CoordinatorChange.objects.create(
        resident=resident, to_coordinator=daalhof.poh, actor=daalhof.gp, at=now - hour
    )
    StepChange.objects.create(
        trajectory=resident.trajectory,
        kind="review",
        from_state="step1",
        to_state="step1",
        actor=daalhof.gp,
        at=now,
    )
    panel = resident_panel(resident=resident, user=daalhof.gp)
    assert [type(row).__name__ for row in panel.timeline] == [
        "StepChange",
        "CoordinatorChange",
        "StepChange",
    ]
    assert [row.at for row in panel.timeline] == [now, now - hour, now - 2 * hour]


# --- the panel --------------------------------------------------------------------------------


def panel_html(client, resident) -> str:
    return client.get(reverse("resident", args=[resident.pk])).content.decode()


def post(client, resident, **data):
    url = reverse("resident_coordinator", args=[resident.pk])
    return client.post(url, data, HTTP_HX_REQUEST="true")


@pytest.mark.django_db
def test_the_gp_changes_the_coordinator_from_the_panel(client, daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    button = dutch("Change the care coordinator")
    client.force_login(daalhof.district_nurse)  # outside a meeting: neither GP nor coordinator
    assert button not in panel_html(client, resident)
    client.force_login(daalhof.gp)
    assert button in panel_html(client, resident)
    form = client.get(reverse("resident_coordinator", args=[resident.pk])).content.decode()
    assert f'name="expected" value="{daalhof.poh.pk}"' in form
    assert f'<option value="{daalhof.district_nurse.pk}">' in form  # every member, by name
    assert shown(daalhof.welfare) in form

    response = post(
        client, resident, coordinator=daalhof.district_nurse.pk, expected=daalhof.poh.pk
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "board-changed"
    html = response.content.decode()
    resident.refresh_from_db()
    assert resident.coordinator == daalhof.district_nurse
    # the history says who changed it, from whom to whom
    timeline = html.split('class="timeline"')[1]
    assert f"{shown(daalhof.poh)} → {shown(daalhof.district_nurse)}" in timeline
    assert shown(daalhof.gp) in timeline


@pytest.mark.django_db
def test_a_refused_change_says_why_and_keeps_the_choice(client, daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    client.force_login(daalhof.poh)  # outside a meeting
    html = post(
        client, resident, coordinator=daalhof.district_nurse.pk, expected=daalhof.poh.pk
    ).content.decode()
    assert dutch(OUTSIDE) in html
    assert f'<option value="{daalhof.district_nurse.pk}" selected>' in html
    resident.refresh_from_db()
    assert resident.coordinator == daalhof.poh and not CoordinatorChange.objects.exists()


@pytest.mark.django_db
def test_a_change_made_meanwhile_is_shown_and_the_choice_kept(client, daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    name(resident, daalhof.coordinator, daalhof.welfare)  # while the GP had the form open
    client.force_login(daalhof.gp)
    html = post(
        client, resident, coordinator=daalhof.district_nurse.pk, expected=daalhof.poh.pk
    ).content.decode()
    assert shown(daalhof.welfare) in html.split('role="alert"')[1].split("</ul>")[0]
    assert f'<option value="{daalhof.district_nurse.pk}" selected>' in html
    # she has seen who it is now: saving again overrides it, knowingly
    assert f'name="expected" value="{daalhof.welfare.pk}"' in html
    resident.refresh_from_db()
    assert resident.coordinator == daalhof.welfare
    again = post(
        client, resident, coordinator=daalhof.district_nurse.pk, expected=daalhof.welfare.pk
    )
    assert again.status_code == 200
    resident.refresh_from_db()
    assert resident.coordinator == daalhof.district_nurse


@pytest.mark.django_db
def test_a_closed_record_offers_no_change(client, daalhof, resident_in):
    resident = resident_in("closed", coordinator=daalhof.poh)
    client.force_login(daalhof.gp)
    html = panel_html(client, resident)
    assert dutch("Change the care coordinator") not in html
    assert shown(daalhof.poh) in html


# --- the minutes and the carer portal ------------------------------------------------------------


@pytest.mark.django_db
def test_the_minutes_record_the_coordinator_named_in_the_meeting(client, daalhof, resident_in):
    resident = resident_in("step2", last_name="Janssen", coordinator=daalhof.poh)
    meeting = meeting_in_progress(daalhof.team, daalhof.coordinator)
    name(resident, daalhof.welfare, daalhof.district_nurse)
    client.force_login(daalhof.gp)
    url = reverse("meeting_minutes", args=["daalhof", meeting.pk])
    html = client.get(url).content.decode()
    entry = html.split("Janssen")[1]
    assert f"{shown(daalhof.poh)} → <strong>{shown(daalhof.district_nurse)}</strong>" in entry
    assert shown(daalhof.welfare) in entry
    assert dutch("Not discussed.") not in entry


@pytest.mark.django_db
def test_the_carer_portal_shows_the_new_coordinator_at_once(client, daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    record_consent(
        resident=resident,
        by=daalhof.gp,
        given_on=timezone.localdate(),
        disciplines=list(Role.values),
        share_with_carers=True,
    )
    nurse = daalhof.team.memberships.get(user=daalhof.district_nurse)
    nurse.phone = "043 123 45 67"
    nurse.save()
    daalhof.district_nurse.email = "wijkzuster@example.nl"
    daalhof.district_nurse.save()
    carer = carer_for(resident, username="thea")
    client.force_login(carer.user)
    before = client.get(reverse("carer_portal")).content.decode()
    assert shown(daalhof.poh) in before and "043 123 45 67" not in before

    name(resident, daalhof.gp, daalhof.district_nurse)
    after = client.get(reverse("carer_portal")).content.decode()
    assert shown(daalhof.district_nurse) in after
    assert "043 123 45 67" in after and "wijkzuster@example.nl" in after
    assert shown(daalhof.poh) not in after


@pytest.mark.django_db
def test_the_form_opened_by_its_own_address_is_a_page_with_a_way_back(client, daalhof, resident_in):
    resident = resident_in("step2", last_name="Janssen")
    client.force_login(daalhof.gp)
    page = client.get(reverse("resident_coordinator", args=[resident.pk])).content.decode()
    assert f'<a href="{reverse("resident", args=[resident.pk])}">' in page
    assert f"<h1>{dutch('Care coordinator')}</h1>" in page and "hx-post" not in page
    part = client.get(
        reverse("resident_coordinator", args=[resident.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<h1>" not in part and 'hx-target="#coordinator-form"' in part


def test_only_someone_who_may_see_the_file_can_coordinate(daalhof, resident_in):
    """The consent names the GP, POH and district nurse: the welfare worker may not see the
    file, so is neither offered nor accepted as the care coordinator."""
    from clients.services import coordinator_candidates

    resident = resident_in("step2", consent=False)
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=timezone.localdate(),
        disciplines=[Role.GP, Role.POH, Role.DISTRICT_NURSE],
    )
    offered = {pk for pk, _label in coordinator_candidates(resident)}
    assert daalhof.district_nurse.pk in offered and daalhof.welfare.pk not in offered
    refused = refusal(resident, daalhof.gp, daalhof.welfare)
    assert (refused.fields, refused.forbidden) == (
        {
            "coordinator": [
                f"{person_name(daalhof.welfare)} may not see this resident's file (the consent "
                "does not name their discipline), so cannot coordinate the care."
            ]
        },
        False,
    )
    resident.refresh_from_db()
    assert resident.coordinator_id is None
