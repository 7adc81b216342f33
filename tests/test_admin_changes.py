"""The admin and the integrators (issue 20 review, items 11 and 15).

A list that does not note the residents of its rows (the subscriptions' delivery log, the
notices' mail status, the meetings) cannot be filtered by a resident: `?resident=<pk>` would
show what is known of her without an access-log entry. A resident's data changed in the admin
is announced as a change made anywhere else: her team's boards hear a live event and the
integrators' subscriptions get a delivery, in the admin's own transaction."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import CarerLink, Consent
from clients.subscriptions import SubscriptionDelivery
from kernteam.admin_base import CHANGED_IN_ADMIN
from kernteam.models import AccessLogEntry, Meeting
from kernteam.notices import Kind, notify
from kernteam.roles import Role
from steps.models import AgreedAction, Goal
from steps.services import agree_action
from tests.factories import carer_for, goal
from tests.subscription_helpers import integration_account, step_up, subscribe

pytestmark = pytest.mark.django_db

HOOK = "https://his.example.nl/kernteam/hook"


def subscribed(team) -> int:
    """An integrator's subscription to the changes of the team's residents, from now on."""
    subscription_id, _secret = subscribe(integration_account(team), HOOK)
    return subscription_id


def on_the_team(admin_client, team):
    """The administrator as a member of the team: goals and actions are team work."""
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get(username="admin")
    team.memberships.create(user=admin, role=Role.COORDINATOR)


def pending() -> list[tuple[int, str]]:
    rows = SubscriptionDelivery.objects.filter(status="pending").order_by("resident_id")
    return list(rows.values_list("resident_id", "event"))


def all_sent() -> None:
    SubscriptionDelivery.objects.update(status="sent")


def as_posted(form, **changes) -> dict:
    """What the admin's form posts when saved as shown, with `changes`."""
    data = {}
    for name in form.fields:
        field = form[name]
        value = field.value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
        if field.field.show_hidden_initial:  # (a field with a callable default)
            data[field.html_initial_name] = data[name]
    return {**data, **changes}


def save(admin_client, url: str, capture, *, inlines: dict | None = None, **changes):
    page = admin_client.get(url)
    assert page.status_code == 200
    data = {**as_posted(page.context["adminform"].form, **changes), **(inlines or {})}
    with capture(execute=True):
        saved = admin_client.post(url, data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    return saved


def links_of(resident) -> dict:
    """The resident page's inline of carer links, posted as shown."""
    links = list(resident.carer_links.order_by("pk"))
    data = {
        "carer_links-TOTAL_FORMS": str(len(links)),
        "carer_links-INITIAL_FORMS": str(len(links)),
    }
    for i, link in enumerate(links):
        data |= {
            f"carer_links-{i}-id": str(link.pk),
            f"carer_links-{i}-carer": str(link.carer_id),
            f"carer_links-{i}-resident": str(resident.pk),
            f"carer_links-{i}-relationship": link.relationship,
            f"carer_links-{i}-since": link.since.isoformat(),
            f"initial-carer_links-{i}-since": link.since.isoformat(),
        }
    return data


def announced(resident) -> tuple[str, dict]:
    return (f"team-{resident.team_id}", {"type": CHANGED_IN_ADMIN, "resident": resident.pk})


# --- item 11: no filtering by resident where the list logs none ------------------------------


def test_the_delivery_log_cannot_be_filtered_by_a_resident(admin_client, daalhof, resident_in):
    resident = resident_in("step2")
    subscription = subscribed(daalhof.team)
    step_up(resident=resident, by=daalhof.gp)
    assert pending() == [(resident.pk, "resident.moved")]
    url = reverse("admin:clients_subscriptiondelivery_changelist")
    for lookup in ("resident", "resident__id__exact", "resident_id", "resident__in"):
        answer = admin_client.get(url, {lookup: resident.pk})
        assert answer.status_code == 400, lookup
        assert "resident.moved" not in answer.content.decode()
    answer = admin_client.get(url, {"resident__last_name": resident.last_name})
    assert answer.status_code == 400
    assert not AccessLogEntry.objects.exists()
    # the subscription's page links to its own log, and the list's filters still work
    for allowed in ({"subscription__id__exact": subscription}, {"status__exact": "pending"}):
        answer = admin_client.get(url, allowed)
        assert answer.status_code == 200
        assert "resident.moved" in answer.content.decode()


@pytest.mark.parametrize(
    ("page", "lookup"),
    [
        ("kernteam_notice", "resident"),
        ("clients_carernotice", "resident"),
        ("kernteam_meeting", "focus"),
    ],
)
def test_no_list_that_logs_no_resident_is_filtered_by_one(
    admin_client, daalhof, resident_in, page, lookup
):
    resident = resident_in("step2")
    notify(users=[daalhof.gp], kind=Kind.CONCERN, key="concern:1", resident=resident, lines=[])
    Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now(), focus=resident)
    answer = admin_client.get(reverse(f"admin:{page}_changelist"), {lookup: resident.pk})
    assert answer.status_code == 400
    assert not AccessLogEntry.objects.exists()


def test_a_list_that_logs_its_residents_is_still_filtered_by_one(
    admin_client, resident_in, daalhof
):
    resident, other = resident_in("step2"), resident_in("step2")
    goal(resident, daalhof.poh)
    goal(other, daalhof.poh)
    answer = admin_client.get(reverse("admin:steps_goal_changelist"), {"resident": resident.pk})
    assert answer.status_code == 200
    assert list(AccessLogEntry.objects.values_list("resident", "action")) == [(resident.pk, "read")]


# --- item 15: a change in the admin is announced ------------------------------------------


def test_an_admin_change_of_a_goal_tells_the_boards_and_the_subscriptions(
    admin_client,
    daalhof,
    resident_in,
    team_events,
    django_capture_on_commit_callbacks,
):
    resident = resident_in("step2")
    made = goal(resident, daalhof.poh)
    on_the_team(admin_client, daalhof.team)
    subscription = subscribed(daalhof.team)
    url = reverse("admin:steps_goal_change", args=[made.pk])
    save(admin_client, url, django_capture_on_commit_callbacks)  # nothing changed: no news
    assert (pending(), team_events) == ([], [])

    save(admin_client, url, django_capture_on_commit_callbacks, description="Zelf douchen")
    assert Goal.objects.get(pk=made.pk).description == "Zelf douchen"
    assert pending() == [(resident.pk, CHANGED_IN_ADMIN)]
    assert SubscriptionDelivery.objects.get().subscription_id == subscription
    assert team_events == [announced(resident)]


def test_a_goal_moved_to_another_resident_is_news_for_both(
    admin_client,
    daalhof,
    resident_in,
    team_events,
    django_capture_on_commit_callbacks,
):
    resident, other = resident_in("step2"), resident_in("step2")
    made = goal(resident, daalhof.poh)
    on_the_team(admin_client, daalhof.team)
    subscribed(daalhof.team)
    url = reverse("admin:steps_goal_change", args=[made.pk])
    save(admin_client, url, django_capture_on_commit_callbacks, resident=other.pk)
    assert pending() == sorted([(resident.pk, CHANGED_IN_ADMIN), (other.pk, CHANGED_IN_ADMIN)])


def test_an_admin_change_of_an_agreed_action_is_announced(
    admin_client,
    daalhof,
    resident_in,
    team_events,
    django_capture_on_commit_callbacks,
):
    resident = resident_in("step2")
    action = agree_action(
        resident=resident,
        by=daalhof.poh,
        description="Medicatie nalopen",
        due_on=timezone.localdate() + datetime.timedelta(days=7),
        owner_member=daalhof.poh,
    )
    on_the_team(admin_client, daalhof.team)
    subscribed(daalhof.team)
    url = reverse("admin:steps_agreedaction_change", args=[action.pk])
    save(admin_client, url, django_capture_on_commit_callbacks, description="Medicijnen nalopen")
    assert AgreedAction.objects.get(pk=action.pk).description == "Medicijnen nalopen"
    assert pending() == [(resident.pk, CHANGED_IN_ADMIN)]
    assert team_events == [announced(resident)]


def test_a_goal_added_in_the_admin_is_announced_once_by_its_service(
    admin_client,
    daalhof,
    resident_in,
    team_events,
    django_capture_on_commit_callbacks,
):
    resident = resident_in("step2")
    on_the_team(admin_client, daalhof.team)  # (the service asks for a member)
    subscribed(daalhof.team)
    with django_capture_on_commit_callbacks(execute=True):
        added = admin_client.post(
            reverse("admin:steps_goal_add"),
            {"resident": resident.pk, "domain": "social", "description": "Naar de soos"},
        )
    assert added.status_code == 302, added.context["adminform"].form.errors
    assert pending() == [(resident.pk, "resident.goal_added")]
    assert [event["type"] for _group, event in team_events] == ["resident.goal_added"]


def test_an_admin_change_of_a_residents_details_is_announced(
    admin_client,
    daalhof,
    resident_in,
    team_events,
    django_capture_on_commit_callbacks,
):
    resident = resident_in("step2")
    carer_for(resident)
    subscribed(daalhof.team)
    url = reverse("admin:clients_resident_change", args=[resident.pk])
    save(admin_client, url, django_capture_on_commit_callbacks, inlines=links_of(resident))
    assert (pending(), team_events) == ([], [])  # saved as shown: nothing changed

    save(
        admin_client,
        url,
        django_capture_on_commit_callbacks,
        inlines=links_of(resident),
        first_name="Anna",
    )
    assert pending() == [(resident.pk, CHANGED_IN_ADMIN)]
    assert team_events == [announced(resident)]


def test_ending_a_carer_link_in_the_admin_is_announced(
    admin_client,
    daalhof,
    resident_in,
    team_events,
    django_capture_on_commit_callbacks,
):
    resident = resident_in("step2")
    link = carer_for(resident).links.get()
    other = resident_in("step2")
    carer_for(other)
    subscribed(daalhof.team)
    today = timezone.localdate().isoformat()
    url = reverse("admin:clients_carerlink_change", args=[link.pk])
    save(admin_client, url, django_capture_on_commit_callbacks, ended_on=today)
    assert CarerLink.objects.get(pk=link.pk).ended_on is not None
    assert pending() == [(resident.pk, CHANGED_IN_ADMIN)]
    assert team_events == [announced(resident)]

    all_sent()  # ended on the resident's page (its inline) as well
    team_events.clear()
    inlines = links_of(other) | {"carer_links-0-ended_on": today}
    url = reverse("admin:clients_resident_change", args=[other.pk])
    save(admin_client, url, django_capture_on_commit_callbacks, inlines=inlines)
    assert other.carer_links.get().ended_on is not None
    assert pending() == [(other.pk, CHANGED_IN_ADMIN)]
    assert team_events == [announced(other)]


def test_a_carers_details_changed_in_the_admin_are_news_for_each_of_her_residents(
    admin_client,
    daalhof,
    resident_in,
    team_events,
    django_capture_on_commit_callbacks,
):
    resident, other = resident_in("step2"), resident_in("step1")
    carer = carer_for(resident)
    CarerLink.objects.create(carer=carer, resident=other, relationship="neighbour")
    subscribed(daalhof.team)
    links = list(carer.links.order_by("pk"))
    inlines = {"links-TOTAL_FORMS": "2", "links-INITIAL_FORMS": "2"}
    for i, link in enumerate(links):
        inlines |= {
            f"links-{i}-id": str(link.pk),
            f"links-{i}-carer": str(carer.pk),
            f"links-{i}-resident": str(link.resident_id),
            f"links-{i}-relationship": link.relationship,
            f"links-{i}-since": link.since.isoformat(),
            f"initial-links-{i}-since": link.since.isoformat(),
        }
    url = reverse("admin:clients_carer_change", args=[carer.pk])
    save(admin_client, url, django_capture_on_commit_callbacks, inlines=inlines, phone="0431234567")
    assert pending() == sorted([(resident.pk, CHANGED_IN_ADMIN), (other.pk, CHANGED_IN_ADMIN)])


def test_a_consent_withdrawn_in_the_admin_is_announced_as_a_consent_change(
    admin_client,
    daalhof,
    resident_in,
    team_events,
    django_capture_on_commit_callbacks,
):
    resident = resident_in("step2")
    consent = Consent.objects.get(resident=resident)
    subscribed(daalhof.team)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:clients_consent_changelist"),
            {"action": "withdraw", "_selected_action": [consent.pk]},
        )
    assert Consent.objects.get(pk=consent.pk).withdrawn_at is not None
    assert pending() == [(resident.pk, "resident.consent_changed")]
    assert [event["type"] for _group, event in team_events] == ["resident.consent_changed"]


def test_a_meeting_changed_in_the_admin_announces_no_resident(
    admin_client,
    daalhof,
    resident_in,
    team_events,
    django_capture_on_commit_callbacks,
):
    resident = resident_in("step2")
    meeting = Meeting.objects.create(
        team=daalhof.team, scheduled_for=timezone.now() + datetime.timedelta(days=2)
    )
    meeting.agenda.create(resident=resident, position=1, reasons=["review"])
    subscribed(daalhof.team)
    url = reverse("admin:kernteam_meeting_change", args=[meeting.pk])
    page = admin_client.get(url)
    data = as_posted(page.context["adminform"].form)
    moment = timezone.localtime(meeting.scheduled_for) + datetime.timedelta(hours=1)
    data |= {
        "scheduled_for_0": moment.date().isoformat(),
        "scheduled_for_1": moment.strftime("%H:%M:%S"),
        "agenda-TOTAL_FORMS": "1",
        "agenda-INITIAL_FORMS": "1",
        "agenda-0-id": str(meeting.agenda.get().pk),
        "agenda-0-meeting": str(meeting.pk),
    }
    data.pop("scheduled_for", None)
    with django_capture_on_commit_callbacks(execute=True):
        saved = admin_client.post(url, data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    assert (pending(), team_events) == ([], [])
