"""The access log (NEN 7513): each access to a resident's data writes exactly one entry per
resident, with who, role, on behalf of which team, what, when and from where; nobody rewrites it."""

from __future__ import annotations

import datetime

import pytest
from channels.db import database_sync_to_async
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kernteam.models import AccessLogEntry, Meeting
from kernteam.undeletable import ProtectedRecord
from steps.meetings import open_meeting
from tests.helpers import exactly
from tests.test_live_board import socket


def entries():
    return list(
        AccessLogEntry.objects.order_by("pk").values_list(
            "user__username", "role", "team__slug", "resident__last_name", "action", "what"
        )
    )


@pytest.fixture
def nurse(client, daalhof):
    client.force_login(daalhof.district_nurse)
    return client


def test_the_panel_writes_one_read_entry(nurse, daalhof, resident_in):
    janssen = resident_in("step2", last_name="Janssen")
    nurse.get(reverse("resident", args=[janssen.pk]), HTTP_HX_REQUEST="true")
    assert entries() == [
        ("district_nurse.daalhof", "district_nurse", "daalhof", "Janssen", "read", "resident")
    ]
    entry = AccessLogEntry.objects.get()
    assert entry.ip == "127.0.0.1" and entry.path == f"/residents/{janssen.pk}/"


def test_a_change_writes_one_write_entry(nurse, daalhof, resident_in):
    janssen = resident_in("step2", last_name="Janssen")
    nurse.post(
        reverse("resident_move", args=[janssen.pk]),
        {"transition": "step_up_to_3", "expected_state": "step2", "reason": "Gevallen"},
    )
    assert entries() == [
        ("district_nurse.daalhof", "district_nurse", "daalhof", "Janssen", "write", "resident_move")
    ]


def test_the_board_logs_every_card_it_shows_in_one_query(nurse, daalhof, resident_in):
    for i in range(300):
        resident_in(["step1", "step2", "step3"][i % 3], last_name=f"Bewoner{i:03}")
    hidden = resident_in("signalled", last_name="Zonder")  # no consent: not for the nurse
    with CaptureQueriesContext(connection) as queries:
        nurse.get(reverse("board", args=["daalhof"]))
    writes = [q["sql"] for q in queries if "accesslogentry" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(writes) == 1 and writes[0].startswith("COPY"), writes
    else:  # bulk_create: as few INSERTs as SQLite's limit on parameters allows
        fields = [f for f in AccessLogEntry._meta.concrete_fields if not f.primary_key]
        batch = connection.ops.bulk_batch_size(fields, [None] * 300)
        assert len(writes) == -(-300 // batch), writes
        assert all(sql.startswith("INSERT") for sql in writes), writes
    logged = AccessLogEntry.objects.filter(what="board", action="read")
    assert logged.count() == 300 and not logged.filter(resident=hidden).exists()


def test_a_refused_access_shows_nothing_and_logs_nothing(client, malberg, resident_in):
    janssen = resident_in("step2")
    client.force_login(malberg.gp)
    assert client.get(reverse("resident", args=[janssen.pk])).status_code == 404
    assert entries() == []


def test_a_move_that_lost_the_race_logs_what_it_showed_as_a_read(daalhof, resident_in):
    """The 409 names the state the resident is in now and who moved them: that was a look."""
    from tests.test_api import api_as
    from tests.test_api_writes import move

    janssen = resident_in("step3", last_name="Janssen")
    response = move(api_as(daalhof.district_nurse), janssen, "step_up_to_4", "step2")
    assert response.status_code == 409 and response.json()["current_state"] == "step3"
    nurse = ("district_nurse.daalhof", "district_nurse", "daalhof")
    assert entries() == [(*nurse, "Janssen", "read", "api-transitions")]


def test_a_refused_move_logs_a_read_not_a_write(nurse, daalhof, resident_in):
    """The guard's reasons are about the resident; nothing changed. In the API and on the page."""
    from tests.test_api import api_as
    from tests.test_api_writes import move

    janssen = resident_in("step3", last_name="Janssen")
    response = move(api_as(daalhof.district_nurse), janssen, "step_down_to_2", "step3")
    assert response.status_code == 400
    assert response.json() == {
        "transition": ["Afschalen kan alleen als teambesluit in een MDO, of door de huisarts."]
    }
    page = nurse.post(
        reverse("resident_move", args=[janssen.pk]),
        {"transition": "step_down_to_2", "expected_state": "step3", "reason": "Beter"},
    )
    assert page.status_code == 200 and janssen.trajectory.history.count() == 0
    assert [(e[0], e[4], e[5]) for e in entries()] == [
        ("district_nurse.daalhof", "read", "api-transitions"),
        ("district_nurse.daalhof", "read", "resident_move"),
    ]


def test_a_form_shown_again_with_its_errors_logs_a_read(nurse, daalhof, resident_in):
    janssen = resident_in("step2", last_name="Janssen")
    page = nurse.post(reverse("resident_add", args=[janssen.pk, "goal"]), {"domain": "nope"})
    assert page.status_code == 200 and not janssen.goals.exists()
    assert [(e[4], e[5]) for e in entries()] == [("read", "resident_add")]


def test_a_confirmation_refused_outside_a_meeting_logs_a_read(nurse, daalhof, resident_in):
    janssen = resident_in("step3", last_name="Janssen")
    page = nurse.post(reverse("resident_confirm", args=[janssen.pk]), {"step_up": "0"})
    assert "Er is geen urgente opschaling om in een MDO te bevestigen." in page.content.decode()
    assert [(e[4], e[5]) for e in entries()] == [("read", "resident_confirm")]


def test_the_agenda_logs_the_residents_it_names_to_the_reader(client, daalhof, resident_in):
    janssen = resident_in("step2", last_name="Janssen")
    janssen.trajectory.review_due = timezone.localdate()
    janssen.trajectory.save(update_fields=["review_due"])
    resident_in("signalled", last_name="Zonder")  # no consent: named to the GP and POH only
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    open_meeting(meeting=meeting, by=daalhof.coordinator)
    for user in (daalhof.coordinator, daalhof.gp):
        client.force_login(user)
        client.get(reverse("meeting", args=["daalhof", meeting.pk]))
    assert sorted(e[:4] for e in entries() if e[5] == "meeting") == [
        ("coordinator.daalhof", "coordinator", "daalhof", "Janssen"),
        ("gp.daalhof", "gp", "daalhof", "Janssen"),
        ("gp.daalhof", "gp", "daalhof", "Zonder"),
    ]


@pytest.mark.django_db(transaction=True)
async def test_a_live_subscription_writes_one_entry(daalhof):
    board = await socket("daalhof", user=daalhof.welfare)
    connected, _ = await board.connect()
    assert connected
    await board.disconnect()
    logged = await database_sync_to_async(entries)()
    assert logged == [("welfare.daalhof", "welfare", "daalhof", None, "subscribe", "board-live")]


def test_nobody_rewrites_the_log(nurse, resident_in):
    nurse.get(reverse("resident", args=[resident_in("step2").pk]))
    entry = AccessLogEntry.objects.get()
    with pytest.raises(ProtectedRecord, match=exactly("AccessLogEntry records cannot be changed.")):
        entry.save()
    with pytest.raises(ProtectedRecord, match=exactly("AccessLogEntry records are never deleted.")):
        entry.delete()
    with pytest.raises(ProtectedRecord, match=exactly("AccessLogEntry records cannot be changed.")):
        AccessLogEntry.objects.update(what="x")
    # the trigger refuses; the application's own role (CI's PostgreSQL pass) has no right to try
    refused = pytest.raises(DatabaseError, match=r"append-only|permission denied")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE kernteam_accesslogentry SET what = 'x' WHERE id = %s", [entry.pk])
    if connection.vendor == "postgresql":
        refused = pytest.raises(DatabaseError, match=r"append-only|permission denied")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM kernteam_accesslogentry WHERE id = %s", [entry.pk])
    assert AccessLogEntry.objects.get(pk=entry.pk).what == "resident"


@pytest.fixture
def log_officer(db):
    from django.contrib.auth.models import Group

    from kernteam.roles import LOG_OFFICERS
    from tests.factories import UserFactory

    officer = UserFactory(username="logfunctionaris", first_name="Lotte", last_name="Logman")
    officer.groups.add(Group.objects.get_or_create(name=LOG_OFFICERS)[0])
    return officer


def test_only_the_log_officer_reads_the_log(client, daalhof, admin_user, log_officer, resident_in):
    janssen = resident_in("step2", last_name="Janssen")
    for user in (daalhof.gp, daalhof.coordinator, admin_user):  # not even the superuser
        client.force_login(user)
        assert client.get(reverse("access_log")).status_code == 404
        assert client.get(reverse("resident_access", args=[janssen.pk])).status_code == 404
    client.force_login(log_officer)
    assert client.get(reverse("access_log")).status_code == 200


def test_the_log_officer_filters_by_resident_user_and_period(
    client, daalhof, log_officer, resident_in
):
    janssen, peters = (
        resident_in("step2", last_name="Janssen"),
        resident_in("step1", last_name="Peters"),
    )
    for user, resident in ((daalhof.gp, janssen), (daalhof.district_nurse, peters)):
        client.force_login(user)
        client.get(reverse("resident", args=[resident.pk]))
    client.force_login(log_officer)
    log = reverse("access_log")
    # residents by their link in the log (names can turn up in staff names too)
    j, p = (f'href="{reverse("resident_access", args=[r.pk])}"' for r in (janssen, peters))
    html = client.get(log, {"resident": janssen.pk}).content.decode()
    assert j in html and p not in html
    html = client.get(log, {"user": "district_nurse"}).content.decode()
    assert p in html and j not in html
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert "Geen regels." in client.get(log, {"since": tomorrow}).content.decode()
    assert j in client.get(log, {"until": tomorrow}).content.decode()


def test_a_resident_gets_the_overview_of_who_looked_at_their_file(
    client, daalhof, log_officer, resident_in
):
    janssen = resident_in("step2", last_name="Janssen")
    client.force_login(daalhof.district_nurse)
    client.get(reverse("resident", args=[janssen.pk]))
    client.force_login(log_officer)
    response = client.get(reverse("resident_access", args=[janssen.pk]), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == '\ufeff"wanneer";"wie";"rol";"namens";"handeling";"wat"'
    nurse = daalhof.district_nurse.get_full_name()
    assert any(
        f';"{nurse}";"district_nurse";"Kernteam Daalhof";"inzage";"resident"' in line
        for line in lines
    )
    # the export itself is an access to the resident's data, and is logged as one
    export = AccessLogEntry.objects.get(action="export")
    assert (export.user, export.role, export.resident) == (log_officer, "log_officer", janssen)


def test_the_admin_is_for_superusers_and_what_they_open_is_logged(client, daalhof, resident_in):
    janssen = resident_in("step2", last_name="Janssen")
    staff = daalhof.gp
    staff.is_staff = True
    staff.save()
    client.force_login(staff)  # staff status alone does not open the admin
    refused = client.get(reverse("admin:clients_resident_change", args=[janssen.pk]))
    assert refused.status_code == 302 and "/admin/login/" in refused.url
    staff.is_superuser = True
    staff.save()
    assert (
        client.get(reverse("admin:clients_resident_change", args=[janssen.pk])).status_code == 200
    )
    client.get(reverse("admin:steps_trajectory_changelist"))
    assert entries() == [
        ("gp.daalhof", "admin", "daalhof", "Janssen", "read", "admin:resident"),
        ("gp.daalhof", "admin", "daalhof", "Janssen", "read", "admin:trajectory-list"),
    ]  # a list names each resident it shows (tests/test_admin_logging.py)


def test_a_resident_number_beyond_any_id_is_a_field_error(
    client, daalhof, log_officer, resident_in
):
    """On SQLite such a number overflowed the query (a 500). A filter in error lists nothing."""
    client.force_login(daalhof.gp)
    client.get(reverse("resident", args=[resident_in("step2").pk]))
    client.force_login(log_officer)
    page = client.get(reverse("access_log"), {"resident": "99999999999999999999999"})
    assert page.status_code == 200 and list(page.context["page"]) == []
    assert page.context["form"].errors["resident"] == [
        "Zorg ervoor dat deze waarde hoogstens 9223372036854775807 is."
    ]


def test_the_log_without_a_resident_filter_looks_up_no_resident(client, log_officer):
    client.force_login(log_officer)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("access_log")).status_code == 200
    assert not [q["sql"] for q in queries if 'FROM "clients_resident"' in q["sql"]]


def test_the_officer_s_own_reads_of_the_log_do_not_fill_her_listing(
    client, daalhof, log_officer, resident_in
):
    """Each page of the log she opens notes the residents it names; those notes stay out of her
    own listing (they would push the entries she is looking at to the next page) but are in the
    log for another officer, and in the resident's overview."""
    janssen = resident_in("step2", last_name="Janssen")
    client.force_login(daalhof.gp)
    client.get(reverse("resident", args=[janssen.pk]))
    client.force_login(log_officer)
    for _ in range(3):
        page = client.get(reverse("access_log")).context["page"]
    assert [(e.user.username, e.what) for e in page] == [("gp.daalhof", "resident")]
    assert AccessLogEntry.objects.filter(user=log_officer, what="access-log").count() == 3
    colleague = type(log_officer).objects.create(username="tweede")
    colleague.groups.set(log_officer.groups.all())
    client.force_login(colleague)
    page = client.get(reverse("access_log")).context["page"]
    assert [e.user.username for e in page] == [*["logfunctionaris"] * 3, "gp.daalhof"]
    overview = client.get(reverse("resident_access", args=[janssen.pk])).context["page"]
    assert [e.what for e in overview].count("access-log") == 3 + 1  # the colleague's too


def test_a_copied_entry_reads_back_as_an_inserted_one(daalhof, resident_in):
    """On PostgreSQL many rows go by COPY (`copy_entries`), a few by bulk_create (SQLite: always
    bulk_create): the same entry either way, with its time, address and a team-less row (a live
    board's subscription has no resident)."""
    from kernteam.access_log import COPY_FROM, write

    janssen = resident_in("step2", last_name="Janssen")
    nurse = daalhof.district_nurse
    rows = [
        (daalhof.team, janssen.pk, "read", "board", "district_nurse"),
        (None, None, "read", "x", ""),
    ]
    columns = ("user_id", "role", "team_id", "resident_id", "action", "what", "path", "ip")
    with CaptureQueriesContext(connection) as queries:
        write(user=nurse, rows=rows * COPY_FROM, path="/teams/daalhof/board/", ip="10.0.0.1")
    statements = [q["sql"].split()[0] for q in queries if "accesslogentry" in q["sql"]]
    assert statements == (["COPY"] if connection.vendor == "postgresql" else ["INSERT"])
    copied = list(AccessLogEntry.objects.order_by("pk").values_list(*columns, "at"))
    write(user=nurse, rows=rows, path="/teams/daalhof/board/", ip="10.0.0.1")  # bulk_create
    inserted = list(AccessLogEntry.objects.order_by("pk").values_list(*columns, "at"))[-2:]
    assert [row[:-1] for row in copied] == [row[:-1] for row in inserted] * COPY_FROM
    assert inserted[0][-1] >= copied[0][-1] > timezone.now() - datetime.timedelta(minutes=1)
