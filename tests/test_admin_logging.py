"""The admin names residents on its lists, record pages, history pages, autocomplete and in its
bulk actions: each resident it shows or changes gets an access-log entry, with the role "admin"
and the resident's own team."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse
from django.utils import timezone

from clients.models import Resident
from clients.services import raise_concern
from kernteam.admin_base import KernteamAdminSite
from kernteam.models import AccessLogEntry, AgendaItem, Meeting
from steps.models import Trajectory
from steps.services import agree_action, move_resident
from tests.factories import ResidentFactory, carer_for, give_consent, goal, score


def logged(what: str | None = None, action: str | None = None) -> list[tuple]:
    rows = AccessLogEntry.objects.order_by("pk")
    if what is not None:
        rows = rows.filter(what=what)
    if action is not None:
        rows = rows.filter(action=action)
    return sorted(rows.values_list("role", "team__slug", "resident__last_name", "action"))


@pytest.fixture
def two_residents(daalhof, malberg, resident_in):
    """Janssen (Daalhof) and Peters (Malberg), each with a record of every kind."""
    janssen = resident_in("step3", last_name="Janssen")
    peters = ResidentFactory(team=malberg.team, state="step2", last_name="Peters")
    give_consent(peters, malberg.poh)
    for resident, team in ((janssen, daalhof), (peters, malberg)):
        score(resident, "gfi", 6, team.poh)
        goal(resident, team.poh)
        carer = carer_for(resident)
        raise_concern(resident=resident, by=team.poh, text="Valt vaak", carer=carer)
        agree_action(
            resident=resident,
            by=team.poh,
            description="Thuiszorg aanvragen",
            due_on=timezone.localdate() + datetime.timedelta(days=7),
            owner_member=team.poh,
        )
    move_resident(
        resident=peters,
        transition="step_up_to_3",
        expected_state="step2",
        by=malberg.gp,
        reason="Gevallen",
    )
    return janssen, peters


LISTS = [
    "clients_resident",
    "clients_carerlink",
    "clients_consent",
    "clients_assessment",
    "clients_concern",
    "steps_trajectory",
    "steps_stepchange",
    "steps_goal",
    "steps_agreedaction",
]


@pytest.mark.parametrize("name", LISTS)
def test_every_list_names_each_resident_it_shows(admin_client, two_residents, name):
    page = admin_client.get(reverse(f"admin:{name}_changelist"))
    assert page.status_code == 200
    model = name.split("_", 1)[1]
    both = [("admin", "daalhof", "Janssen", "read"), ("admin", "malberg", "Peters", "read")]
    shown = both[1:] if name == "steps_stepchange" else both  # only Peters was moved
    assert logged() == logged(f"admin:{model}-list") == shown


def test_a_list_logs_only_the_rows_on_the_page(admin_client, two_residents):
    """A search narrows the list: only who is shown is logged."""
    admin_client.get(reverse("admin:clients_resident_changelist"), {"q": "Peters"})
    assert logged("admin:resident-list") == [("admin", "malberg", "Peters", "read")]


def test_a_record_page_and_its_history_name_the_resident(admin_client, two_residents):
    janssen, _ = two_residents
    trajectory = Trajectory.objects.get(resident=janssen)
    for view in ("change", "history"):
        url = reverse(f"admin:steps_trajectory_{view}", args=[trajectory.pk])
        assert admin_client.get(url).status_code == 200
    assert logged("admin:trajectory") == [("admin", "daalhof", "Janssen", "read")]
    assert logged("admin:trajectory-history") == [("admin", "daalhof", "Janssen", "read")]


def test_a_saved_change_is_a_write_and_a_refused_one_a_read(admin_client, two_residents):
    janssen, _ = two_residents
    url = reverse("admin:clients_resident_change", args=[janssen.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "team"}
    data.update(
        {
            "date_of_birth": janssen.date_of_birth.isoformat(),
            "last_name": "Janssen",
            "first_name": "Anna",
            "carer_links-TOTAL_FORMS": "1",
            "carer_links-INITIAL_FORMS": "1",
            "carer_links-0-id": str(janssen.carer_links.get().pk),
            "carer_links-0-carer": str(janssen.carer_links.get().carer_id),
            "carer_links-0-resident": str(janssen.pk),
            "carer_links-0-relationship": "child",
            "carer_links-0-since": timezone.localdate().isoformat(),
        }
    )
    refused = admin_client.post(url, {**data, "last_name": ""})  # shown again: a read
    assert refused.status_code == 200
    saved = admin_client.post(url, data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    janssen.refresh_from_db()
    assert janssen.first_name == "Anna"
    janssen_by_admin = ("admin", "daalhof", "Janssen")
    assert logged("admin:resident") == [
        (*janssen_by_admin, "read"),  # the page
        (*janssen_by_admin, "read"),  # the page again, with the error
        (*janssen_by_admin, "write"),  # saved
    ]


def test_the_pages_of_a_carer_and_a_meeting_name_their_residents(
    admin_client, daalhof, two_residents
):
    janssen, _ = two_residents
    carer = janssen.carer_links.get().carer
    assert (
        admin_client.get(reverse("admin:clients_carer_change", args=[carer.pk])).status_code == 200
    )
    assert logged("admin:carer") == [("admin", "daalhof", "Janssen", "read")]
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    AgendaItem.objects.create(meeting=meeting, resident=janssen, position=1, reasons=["review"])
    url = reverse("admin:kernteam_meeting_change", args=[meeting.pk])
    assert admin_client.get(url).status_code == 200
    assert logged("admin:meeting") == [("admin", "daalhof", "Janssen", "read")]
    # the meetings list shows no resident, and logs none
    admin_client.get(reverse("admin:kernteam_meeting_changelist"))
    assert logged("admin:meeting-list") == []


def test_the_autocomplete_names_the_residents_it_suggests(admin_client, two_residents):
    url = reverse("admin:autocomplete")
    params = {"app_label": "steps", "model_name": "goal", "field_name": "resident"}
    answer = admin_client.get(url, {**params, "term": "Peters"})
    assert [r["text"] for r in answer.json()["results"]] == ["Mevrouw Maria Peters"]
    assert logged("admin:autocomplete-resident") == [("admin", "malberg", "Peters", "read")]


def test_a_bulk_move_logs_the_form_as_a_read_and_the_move_as_a_write(
    client, daalhof, two_residents
):
    janssen, _ = two_residents
    daalhof.gp.is_staff = daalhof.gp.is_superuser = True
    daalhof.gp.save()
    client.force_login(daalhof.gp)
    trajectory = Trajectory.objects.get(resident=janssen)
    url = reverse("admin:steps_trajectory_changelist")
    chosen = {"action": "do_step_down_to_2", "_selected_action": [trajectory.pk]}
    form = client.post(url, chosen)
    assert b'name="reason"' in form.content
    what = "admin:trajectory-do_step_down_to_2"
    assert logged(what) == [("admin", "daalhof", "Janssen", "read")]
    client.post(
        url,
        {**chosen, "apply": "1", "reason": "Gaat beter", f"seen_state_{trajectory.pk}": "step3"},
    )
    trajectory.refresh_from_db()
    assert trajectory.state == "step2"
    assert logged(what, "write") == [("admin", "daalhof", "Janssen", "write")]


def test_a_list_without_residents_logs_nothing(admin_client, two_residents):
    for name in ("kernteam_team", "kernteam_membership", "clients_carer", "auth_user"):
        assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert AccessLogEntry.objects.filter(what__startswith="admin:").count() == 0


def test_a_bulk_move_the_rules_refuse_logs_a_read(admin_client, two_residents):
    """The administrator is on no team: the move is refused (the message names Janssen), and
    nothing about her changed."""
    janssen, _ = two_residents
    trajectory = Trajectory.objects.get(resident=janssen)
    admin_client.post(
        reverse("admin:steps_trajectory_changelist"),
        {
            "action": "do_step_down_to_2",
            "_selected_action": [trajectory.pk],
            "apply": "1",
            "reason": "Gaat beter",
            f"seen_state_{trajectory.pk}": "step3",
        },
    )
    trajectory.refresh_from_db()
    assert trajectory.state == "step3"
    assert logged("admin:trajectory-do_step_down_to_2") == [("admin", "daalhof", "Janssen", "read")]


def test_a_bulk_withdrawal_of_consent_logs_a_write(admin_client, two_residents):
    _, peters = two_residents
    consent = peters.consents.get(withdrawn_at__isnull=True)
    admin_client.post(
        reverse("admin:clients_consent_changelist"),
        {"action": "withdraw", "_selected_action": [consent.pk]},
    )
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert logged("admin:consent-withdraw") == [("admin", "malberg", "Peters", "write")]


def test_a_record_added_in_the_admin_is_a_write_for_its_resident(admin_client, two_residents):
    janssen, peters = two_residents
    carer = janssen.carer_links.get().carer  # Janssen's carer also looks after Peters
    added = admin_client.post(
        reverse("admin:clients_carerlink_add"),
        {
            "carer": carer.pk,
            "resident": peters.pk,
            "relationship": "neighbour",
            "since": timezone.localdate().isoformat(),
        },
    )
    assert added.status_code == 302, added.context["adminform"].form.errors
    assert peters.carer_links.count() == 2
    assert logged("admin:carerlink") == [("admin", "malberg", "Peters", "write")]


def test_an_add_form_shown_again_logs_the_resident_chosen_in_it_as_a_read(
    admin_client, two_residents
):
    _, peters = two_residents
    carer = peters.carer_links.get().carer
    refused = admin_client.post(
        reverse("admin:clients_carerlink_add"),
        {
            "carer": carer.pk,
            "resident": peters.pk,  # already linked: refused, and the form names Peters again
            "relationship": "neighbour",
            "since": timezone.localdate().isoformat(),
        },
    )
    assert refused.status_code == 200 and peters.carer_links.count() == 1
    assert "Peters" in refused.content.decode()
    assert logged("admin:carerlink") == [("admin", "malberg", "Peters", "read")]


def test_no_admin_form_offers_a_resident_it_does_not_log(admin_client, daalhof, two_residents):
    """A resident is chosen by autocomplete (which logs what it suggests), never from a select
    listing every resident: no add page, and no page of a record about Janssen, names Zwijsen,
    a resident of another team that none of these records is about."""
    janssen, _ = two_residents
    ResidentFactory(team=daalhof.team, state="step1", last_name="Zwijsen")
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    AgendaItem.objects.create(meeting=meeting, resident=janssen, position=1, reasons=["review"])
    records = [
        janssen,
        janssen.carer_links.get(),
        janssen.carer_links.get().carer,
        janssen.consents.first(),
        janssen.assessments.get(),
        janssen.goals.get(),
        janssen.actions.get(),
        janssen.trajectory,
        meeting,
    ]
    pages = [
        reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        for opts in (m._meta for m in apps.get_models() if admin.site.is_registered(m))
    ] + [
        reverse(f"admin:{r._meta.app_label}_{r._meta.model_name}_change", args=[r.pk])
        for r in records
    ]
    shown = {url: admin_client.get(url) for url in pages}
    assert sum(page.status_code == 200 for page in shown.values()) > len(records)
    offered = [url for url, page in shown.items() if "Zwijsen" in page.content.decode()]
    assert offered == []


def test_opening_and_closing_a_meeting_logs_no_resident(client, daalhof, two_residents):
    """Only the meeting changes, and the list the action answers with names no resident: the
    residents on its agenda are neither written nor shown."""
    janssen, _ = two_residents
    daalhof.coordinator.is_staff = daalhof.coordinator.is_superuser = True
    daalhof.coordinator.save()
    client.force_login(daalhof.coordinator)
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    AgendaItem.objects.create(meeting=meeting, resident=janssen, position=1, reasons=["review"])
    url = reverse("admin:kernteam_meeting_changelist")
    for action, status in (("open_meeting", "open"), ("close_meeting", "closed")):
        client.post(url, {"action": action, "_selected_action": [meeting.pk]})
        meeting.refresh_from_db()
        assert meeting.status == status
    assert AccessLogEntry.objects.filter(what__startswith="admin:meeting").count() == 0


def test_the_admin_site_is_kernteam_s_own_whatever_the_import_order():
    """Its logging autocomplete is the site's own method, not a patch of the global site that
    holds only if kernteam/admin.py is imported before the admin's URLs are built."""
    assert isinstance(admin.site, KernteamAdminSite)


def test_the_admin_index_names_no_changed_record(admin_client, two_residents):
    """ "Recent actions" would list the records changed in the admin by their names (a resident,
    her consent) on every visit of the index, unlogged: the index has none."""
    _, peters = two_residents
    user = admin_client.get(reverse("admin:index")).context["user"]
    for records in (Resident.objects.filter(pk=peters.pk), peters.consents.all()):
        LogEntry.objects.log_actions(user_id=user.pk, queryset=records, action_flag=CHANGE)
    page = admin_client.get(reverse("admin:index"))
    assert page.status_code == 200
    assert "Peters" not in page.content.decode()
