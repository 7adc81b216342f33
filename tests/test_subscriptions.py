"""Subscriptions of integrators (issue 20 §2): who may make, read and stop them, what a FHIR
Subscription must say (refusals as OperationOutcomes naming the element), and which changes
make a delivery, in the change's own transaction. Sending is tests/test_subscription_delivery.py.
"""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from fhir.resources.R4B.subscription import Subscription as FHIRSubscription

from clients.care_planning_services import record_care_planning
from clients.services import change_coordinator, record_consent, withdraw_consent
from clients.subscriptions import ORPHANED, Status, Subscription, SubscriptionDelivery
from kernteam.models import AccessLogEntry, AgendaItem
from kernteam.roles import INTEGRATIONS, Role
from steps.meetings import focus_on
from steps.services import add_goal, agree_action, move_resident
from tests.factories import MembershipFactory, give_consent, open_meeting
from tests.helpers import api_as
from tests.subscription_helpers import (
    SUBSCRIPTIONS,
    deliveries,
    integration_account,
    issues,
    nl,
    step_up,
    subscribe,
    subscription_body,
)

HOOK = "https://his.example.nl/kernteam/hook"
LOCAL = "http://127.0.0.1:8130/hook"


@pytest.fixture
def his(daalhof):
    """The GP information system's connector: an integration account of Daalhof (role GP)."""
    return integration_account(daalhof.team)


# --- who may subscribe ---------------------------------------------------------------------


def test_an_integration_account_subscribes_and_sees_the_secret_once(his, daalhof, settings):
    settings.KERNTEAM_FHIR_BASE = "https://kernteam.example.nl/fhir/"
    made = api_as(his).post(SUBSCRIPTIONS, subscription_body(HOOK), format="json")
    assert made.status_code == 201, made.content
    assert made.headers["Content-Type"].startswith("application/fhir+json")
    body = made.json()
    stored = Subscription.objects.get()
    assert (stored.team, stored.owner, stored.status) == (daalhof.team, his, Status.ACTIVE)
    assert made.headers["Location"] == f"https://kernteam.example.nl/fhir/Subscription/{stored.pk}"
    assert body["status"] == "active" and body["id"] == str(stored.pk)
    assert body["extension"] == [
        {
            "url": "https://kernteam.example.nl/fhir/StructureDefinition/subscription-secret",
            "valueString": stored.secret,
        }
    ]
    assert stored.secret.startswith("whsec_")
    assert len(base64.b64decode(stored.secret.removeprefix("whsec_"))) == 32
    assert body["channel"]["_payload"]["extension"][0]["valueCode"] == "id-only"
    FHIRSubscription.model_validate(body)  # a valid R4 Subscription

    listed = api_as(his).get(SUBSCRIPTIONS)
    one = api_as(his).get(f"{SUBSCRIPTIONS}/{stored.pk}")
    assert listed.status_code == one.status_code == 200
    assert listed.json()["total"] == 1
    assert listed.json()["entry"][0]["resource"] == one.json()
    for shown in (listed, one):
        assert stored.secret not in shown.content.decode()  # shown once, at creation
    assert not AccessLogEntry.objects.exists()  # no resident's data


def test_fhir_json_bodies_are_taken(his):
    made = api_as(his).post(
        SUBSCRIPTIONS,
        data=json.dumps(subscription_body(HOOK)),
        content_type="application/fhir+json",
        HTTP_ACCEPT="application/fhir+json",
    )
    assert made.status_code == 201, made.content


def test_a_member_who_is_no_integration_account_is_refused(daalhof, his):
    subscription_id, _secret = subscribe(his, HOOK)
    gp = api_as(daalhof.gp)  # a member, not in the group
    refused = [
        gp.post(SUBSCRIPTIONS, subscription_body(HOOK), format="json"),
        gp.get(SUBSCRIPTIONS),
        gp.get(f"{SUBSCRIPTIONS}/{subscription_id}"),
        gp.delete(f"{SUBSCRIPTIONS}/{subscription_id}"),
    ]
    message = "Only an integration account of a kernteam can manage subscriptions."
    for response in refused:
        assert response.status_code == 403
        assert issues(response) == [("forbidden", "", nl(message))]
    assert Subscription.objects.get().status == Status.ACTIVE
    assert api_as(None).get(SUBSCRIPTIONS).status_code == 401


def test_the_group_alone_is_not_enough(db):
    """In the group but on no team (its membership ended): refused like any non-member."""
    account = integration_account()
    answer = api_as(account).post(SUBSCRIPTIONS, subscription_body(HOOK), format="json")
    assert answer.status_code == 403 and not Subscription.objects.exists()


def test_an_account_subscribes_to_its_own_team_only(his, malberg):
    other = api_as(his).post(
        SUBSCRIPTIONS,
        subscription_body(HOOK, criteria=f"Patient?_kernteam={malberg.team.slug}"),
        format="json",
    )
    assert other.status_code == 403
    assert issues(other) == [
        (
            "forbidden",
            "Subscription.criteria",
            nl("This account may only subscribe to its own team."),
        )
    ]
    assert not Subscription.objects.exists()


def test_an_account_on_two_teams_names_the_team(daalhof, malberg):
    account = integration_account(daalhof.team, malberg.team)
    plain = api_as(account).post(SUBSCRIPTIONS, subscription_body(HOOK), format="json")
    assert plain.status_code == 400
    first = min(daalhof.team.slug, malberg.team.slug)
    assert issues(plain) == [
        (
            "value",
            "Subscription.criteria",
            nl("This account is on several teams: name one, e.g. Patient?_kernteam=%(slug)s.")
            % {"slug": first},
        )
    ]
    criteria = f"Patient?_kernteam={malberg.team.slug}"
    subscription_id, _ = subscribe(account, HOOK, criteria=criteria)
    assert Subscription.objects.get(pk=subscription_id).team == malberg.team


REQUIRED = "This element is required."
NOT_PUBLIC = "The endpoint must be a public address, not this machine."


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"channel": {"endpoint": "ftp://his.example.nl/hook"}},
            ("value", "Subscription.channel.endpoint", "The endpoint must be an https URL."),
        ),
        (
            {"channel": {"endpoint": "https://user:pw@his.example.nl/hook"}},
            (
                "value",
                "Subscription.channel.endpoint",
                "The endpoint may not hold a user name, password or fragment.",
            ),
        ),
        (
            {"channel": {"endpoint": "http://his.example.nl/hook"}},
            ("value", "Subscription.channel.endpoint", "The endpoint must be an https URL."),
        ),
        (
            {"channel": {"endpoint": LOCAL}},  # the setting is off (the default)
            (
                "value",
                "Subscription.channel.endpoint",
                "http is not allowed here: the endpoint must be an https URL.",
            ),
        ),
        (
            {"channel": {"endpoint": None}},
            ("required", "Subscription.channel.endpoint", REQUIRED),
        ),
        ({"criteria": None}, ("required", "Subscription.criteria", REQUIRED)),
        ({"criteria": "  "}, ("required", "Subscription.criteria", REQUIRED)),
        ({"reason": None}, ("required", "Subscription.reason", REQUIRED)),
        (
            {"criteria": "Observation?code=gfi"},
            (
                "value",
                "Subscription.criteria",
                "Only Patient or Patient?_kernteam=<team> is supported.",
            ),
        ),
        (
            {"status": "off"},
            ("value", "Subscription.status", "A new subscription's status is requested."),
        ),
        (
            {"channel": {"type": "websocket"}},
            ("not-supported", "Subscription.channel.type", "Only rest-hook is offered."),
        ),
        (
            {"channel": {"payload": "application/fhir+xml"}},
            (
                "not-supported",
                "Subscription.channel.payload",
                "The payload must be application/fhir+json.",
            ),
        ),
        (
            {
                "channel": {
                    "_payload": {
                        "extension": [
                            {
                                "url": "http://hl7.org/fhir/uv/subscriptions-backport/"
                                "StructureDefinition/backport-payload-content",
                                "valueCode": "full-resource",
                            }
                        ]
                    }
                }
            },
            (
                "not-supported",
                "Subscription.channel.payload",
                "Only id-only notifications are offered: extend the payload with "
                "backport-payload-content, valueCode id-only.",
            ),
        ),
        (
            {"channel": {"_payload": None}},  # no payload content: R4 would send resources
            (
                "not-supported",
                "Subscription.channel.payload",
                "Only id-only notifications are offered: extend the payload with "
                "backport-payload-content, valueCode id-only.",
            ),
        ),
    ],
)
def test_a_subscription_that_cannot_be_kept_is_refused_naming_the_element(his, changes, expected):
    answer = api_as(his).post(SUBSCRIPTIONS, subscription_body(HOOK, **changes), format="json")
    assert answer.status_code == 400, answer.content
    code, where, message = expected
    assert issues(answer) == [(code, where, nl(message))]
    assert not Subscription.objects.exists()


def test_every_problem_is_named_at_once_and_bad_json_is_an_operation_outcome(his):
    body = subscription_body(HOOK, criteria=None, channel={"type": "email", "endpoint": None})
    answer = api_as(his).post(SUBSCRIPTIONS, body, format="json")
    assert [(code, where) for code, where, _ in issues(answer)] == [
        ("required", "Subscription.criteria"),
        ("required", "Subscription.channel.endpoint"),
        ("not-supported", "Subscription.channel.type"),
    ]
    for wrong in ({"resourceType": "Patient"}, ["Subscription"]):
        answer = api_as(his).post(SUBSCRIPTIONS, wrong, format="json")
        assert issues(answer) == [
            ("invalid", "Subscription", nl("Send a FHIR Subscription resource."))
        ]
    broken = api_as(his).post(SUBSCRIPTIONS, "{", content_type="application/fhir+json")
    assert broken.status_code == 400 and issues(broken)[0][0] == "invalid"


def test_http_to_this_machine_only_where_the_setting_allows_it(his, settings):
    settings.KERNTEAM_WEBHOOK_ALLOW_HTTP_LOCALHOST = True
    for endpoint in (LOCAL, "http://localhost:8131/hook", "http://[::1]:8132/hook"):
        subscribe(his, endpoint)
    remote = api_as(his).post(
        SUBSCRIPTIONS, subscription_body("http://203.0.113.8/hook"), format="json"
    )  # (a documentation address: not global either)
    assert issues(remote) == [("value", "Subscription.channel.endpoint", nl(NOT_PUBLIC))]
    remote = api_as(his).post(
        SUBSCRIPTIONS, subscription_body("http://8.8.8.8/hook"), format="json"
    )
    assert issues(remote) == [
        ("value", "Subscription.channel.endpoint", nl("The endpoint must be an https URL."))
    ]
    settings.KERNTEAM_WEBHOOK_ALLOW_HTTP_LOCALHOST = False
    settings.DEBUG = True  # a developer's machine
    subscribe(his, LOCAL)


# --- odd input: every element checked, a 400 naming it, never a 500, nothing saved ------------

ENDPOINT = "Subscription.channel.endpoint"
BAD_TEXT = "Write some text: more than spaces, and no NUL characters."
NOT_TEXT = "Enter text (a JSON string)."
NOT_A_URL = "Not a valid URL."
CONTROL = "The endpoint may not hold spaces or control characters."


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"reason": "a\ud800b"}, ("Subscription.reason", BAD_TEXT)),
        ({"reason": "a\x00b"}, ("Subscription.reason", BAD_TEXT)),
        ({"reason": "x" * 301}, ("Subscription.reason", "too-long")),
        ({"reason": ["a"]}, ("Subscription.reason", NOT_TEXT)),
        ({"reason": 12}, ("Subscription.reason", NOT_TEXT)),
        ({"criteria": {"a": 1}}, ("Subscription.criteria", NOT_TEXT)),
        ({"criteria": "Patient\x00"}, ("Subscription.criteria", BAD_TEXT)),
        (
            {"status": ["active"]},
            ("Subscription.status", "A new subscription's status is requested."),
        ),
        ({"channel": {"endpoint": "https://ex\ud800.org/"}}, (ENDPOINT, BAD_TEXT)),
        ({"channel": {"endpoint": "https://example.org/\x00"}}, (ENDPOINT, BAD_TEXT)),
        ({"channel": {"endpoint": "https://example.org/a b"}}, (ENDPOINT, CONTROL)),
        ({"channel": {"endpoint": "https://example.org/a\tb"}}, (ENDPOINT, CONTROL)),
        ({"channel": {"endpoint": "https://exa\u200bmple.org/"}}, (ENDPOINT, CONTROL)),
        ({"channel": {"endpoint": "https://example.org:0/"}}, (ENDPOINT, NOT_A_URL)),
        ({"channel": {"endpoint": "https://example.org:70000/"}}, (ENDPOINT, NOT_A_URL)),
        ({"channel": {"endpoint": "https://example.org:x/"}}, (ENDPOINT, NOT_A_URL)),
        ({"channel": {"endpoint": "https://exa_mple..org/"}}, (ENDPOINT, NOT_A_URL)),
        ({"channel": {"endpoint": "https://e.org/" + "x" * 490}}, (ENDPOINT, "too-long")),
        ({"channel": {"endpoint": ["https://example.org/"]}}, (ENDPOINT, NOT_TEXT)),
        ({"channel": {"endpoint": 443}}, (ENDPOINT, NOT_TEXT)),
        (
            {"channel": {"type": ["rest-hook"]}},
            ("Subscription.channel.type", "Only rest-hook is offered."),
        ),
        ({"channel": {"_payload": [1]}}, ("Subscription.channel.payload", "id-only")),
    ],
)
def test_odd_input_is_a_400_naming_the_element_and_saves_nothing(his, changes, expected):
    body = json.dumps(subscription_body(HOOK, **changes))  # (lone surrogates as \\ud800)
    answer = api_as(his).post(SUBSCRIPTIONS, body, content_type="application/fhir+json")
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"] == "application/fhir+json"
    where, message = expected
    found = issues(answer)
    assert {w for _, w, _ in found} == {where}, found  # (a NUL: DRF's message too)
    if message == "too-long":
        assert "300" in found[0][2] or "500" in found[0][2]
    elif message == "id-only":
        assert "id-only" in found[0][2]
    else:
        assert found[0][2] == nl(message)
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://169.254.169.254/latest",  # link-local (a cloud's metadata service)
        "https://[::1]/x",  # loopback: only with the setting
        "https://localhost/x",
        "https://localhost:0/",
        "https://api.localhost/x",
        "https://127.0.0.2/x",
        "https://10.1.2.3/x",  # private
        "https://192.168.1.10:8443/x",
        "https://172.16.0.1/x",
        "https://100.64.0.1/x",  # shared address space
        "https://0.0.0.0/x",
        "https://[fe80::1]/x",
        "https://[fd00::1]/x",
        "https://[::ffff:10.0.0.1]/x",
        "https://240.0.0.1/x",  # reserved
    ],
)
def test_an_endpoint_that_is_not_a_public_address_is_refused(his, endpoint):
    answer = api_as(his).post(SUBSCRIPTIONS, subscription_body(endpoint), format="json")
    assert answer.status_code == 400, answer.content
    assert [(w, m) for _, w, m in issues(answer)] in (
        [(ENDPOINT, nl(NOT_PUBLIC))],
        [(ENDPOINT, nl(NOT_A_URL))],  # (port 0)
    )
    assert not Subscription.objects.exists()


def test_a_public_address_and_a_name_are_taken(his):
    for endpoint in ("https://8.8.8.8/hook", "https://[2001:4860::8888]:8443/hook", HOOK):
        subscribe(his, endpoint)
    assert Subscription.objects.count() == 3


def test_every_error_answer_is_an_operation_outcome(his, daalhof, settings):
    answers = {
        401: api_as(None).get(SUBSCRIPTIONS),
        403: api_as(daalhof.gp).get(SUBSCRIPTIONS),
        404: api_as(his).get(f"{SUBSCRIPTIONS}/999"),
        405: api_as(his).put(SUBSCRIPTIONS, subscription_body(HOOK), format="json"),
        415: api_as(his).post(SUBSCRIPTIONS, "reason=x", content_type="text/plain"),
    }
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    answers[413] = api_as(his).post(
        SUBSCRIPTIONS, subscription_body(HOOK, reason="x" * 2000), format="json"
    )
    answers[400] = api_as(his).post(SUBSCRIPTIONS, "{", content_type="application/fhir+json")
    for code, answer in answers.items():
        assert answer.status_code == code, (code, answer.content)
        assert answer["Content-Type"] == "application/fhir+json", code
        body = answer.json()
        assert body["resourceType"] == "OperationOutcome", (code, body)
        assert body["issue"] and all(i["severity"] == "error" for i in body["issue"])
    assert not Subscription.objects.exists()


def test_reading_and_stopping_are_for_the_owner_only_and_nothing_is_deleted(his, daalhof):
    subscription_id, _ = subscribe(his, HOOK)
    colleague = integration_account(daalhof.team, username="rdp.koppeling")
    address = f"{SUBSCRIPTIONS}/{subscription_id}"
    for answer in (api_as(colleague).get(address), api_as(colleague).delete(address)):
        assert answer.status_code == 404
        assert issues(answer) == [("not-found", "", nl("No such subscription of yours."))]
    assert api_as(colleague).get(SUBSCRIPTIONS).json()["total"] == 0

    stopped = api_as(his).delete(address)
    assert stopped.status_code == 200 and stopped.json()["status"] == "off"
    row = Subscription.objects.get(pk=subscription_id)
    assert row.status == Status.OFF and row.ended_at is not None
    again = api_as(his).delete(address)  # idempotent: the first moment is kept
    assert again.json()["status"] == "off"
    assert Subscription.objects.get(pk=subscription_id).ended_at == row.ended_at
    assert api_as(his).get(address).json()["end"] == row.ended_at.isoformat()


# --- which changes make a delivery ---------------------------------------------------------


def test_a_move_makes_one_delivery_in_its_own_transaction(his, daalhof, resident_in):
    resident = resident_in("step2")
    subscription_id, _ = subscribe(his, HOOK)
    step_up(resident=resident, by=daalhof.gp)
    assert deliveries(subscription_id=subscription_id) == [
        (resident.pk, "resident.moved", "pending")
    ]


def test_a_change_that_is_rolled_back_notifies_nobody(
    his, daalhof, resident_in, django_capture_on_commit_callbacks
):
    resident = resident_in("step2")
    subscribe(his, HOOK)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        step_up(resident=resident, by=daalhof.gp)
        assert SubscriptionDelivery.objects.count() == 1  # made in the transaction
        raise RuntimeError("the request failed after the move")
    assert not SubscriptionDelivery.objects.exists()
    assert callbacks == [] and not DBTaskResult.objects.exists()  # nothing for the worker

    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # committed: handed over
        step_up(resident=resident, by=daalhof.gp)
    task = DBTaskResult.objects.get()
    assert task.task_path == "clients.subscription_delivery.send_delivery"
    assert task.args_kwargs["args"] == [SubscriptionDelivery.objects.get().pk]


def test_changes_while_one_waits_are_coalesced(his, daalhof, resident_in):
    resident, other = resident_in("step2"), resident_in("step1")
    subscribe(his, HOOK)
    add_goal(resident=resident, by=daalhof.gp, domain="social", description="Naar de soos")
    agree_action(
        resident=resident,
        by=daalhof.gp,
        description="Bellen",
        due_on=timezone.localdate() + datetime.timedelta(days=5),
        owner_member=daalhof.poh,
    )
    add_goal(resident=other, by=daalhof.gp, domain="social", description="Wandelen")
    assert deliveries() == [
        (resident.pk, "resident.goal_added", "pending"),
        (other.pk, "resident.goal_added", "pending"),
    ]
    SubscriptionDelivery.objects.filter(resident=resident).update(status="sent")
    add_goal(resident=resident, by=daalhof.gp, domain="functional", description="Fietsen")
    assert deliveries(resident=resident) == [
        (resident.pk, "resident.goal_added", "sent"),
        (resident.pk, "resident.goal_added", "pending"),  # sent already: a new one
    ]


def test_nothing_is_made_for_a_resident_the_account_may_not_see(daalhof, resident_in):
    """A welfare-role integration account: a resident whose consent names no welfare worker
    makes no delivery (not even a row); once it does, her changes do."""
    welfare_his = integration_account(daalhof.team, role=Role.WELFARE, username="wmo.koppeling")
    subscription_id, _ = subscribe(welfare_his, HOOK)
    resident = resident_in("step2", consent=False)
    give_consent(resident, daalhof.poh, disciplines=[Role.GP, Role.POH, Role.DISTRICT_NURSE])
    add_goal(resident=resident, by=daalhof.gp, domain="social", description="Naar de soos")
    assert not SubscriptionDelivery.objects.exists()

    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=timezone.localdate(),
        disciplines=[Role.GP, Role.POH, Role.WELFARE],
    )
    assert deliveries(subscription_id=subscription_id) == [
        (resident.pk, "resident.consent_changed", "pending")
    ]
    SubscriptionDelivery.objects.update(status="sent")
    withdraw_consent(resident=resident, by=daalhof.poh)  # she may no longer be seen: nothing
    assert deliveries(status="pending") == []


def test_every_kind_of_change_notifies_and_the_meeting_s_focus_does_not(his, daalhof, resident_in):
    resident = resident_in("step2")
    subscribe(his, HOOK)
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    AgendaItem.objects.create(meeting=meeting, resident=resident, position=1, reasons=["review"])

    def changed(make) -> list[str]:
        SubscriptionDelivery.objects.update(status="sent")
        make()
        return [e for _, e, s in deliveries() if s == "pending"]

    assert (
        changed(lambda: focus_on(meeting=meeting, resident=resident, by=daalhof.coordinator)) == []
    )
    assert changed(
        lambda: change_coordinator(
            resident=resident, by=daalhof.gp, coordinator_id=daalhof.poh.pk, expected=None
        )
    ) == ["resident.coordinator_changed"]
    assert changed(
        lambda: move_resident(
            resident=resident,
            transition="step_up_to_3",
            expected_state="step2",
            by=daalhof.gp,
            reason="Gevallen",
        )
    ) == ["resident.moved"]


def test_a_stopped_subscription_gets_no_more_deliveries(his, daalhof, resident_in):
    resident = resident_in("step2")
    subscription_id, _ = subscribe(his, HOOK)
    api_as(his).delete(f"{SUBSCRIPTIONS}/{subscription_id}")
    add_goal(resident=resident, by=daalhof.gp, domain="social", description="Naar de soos")
    assert not SubscriptionDelivery.objects.exists()


def test_an_account_that_left_the_group_makes_no_more_deliveries(his, daalhof, resident_in):
    resident = resident_in("step2")
    subscribe(his, HOOK)
    his.groups.remove(Group.objects.get(name=INTEGRATIONS))
    add_goal(resident=resident, by=daalhof.gp, domain="social", description="Naar de soos")
    assert not SubscriptionDelivery.objects.exists()


# --- the administrator's delivery log ------------------------------------------------------


def test_the_admin_shows_the_delivery_log_and_never_the_secret(
    admin_client, his, daalhof, resident_in
):
    resident = resident_in("step2", last_name="Janssen")
    subscription_id, secret = subscribe(his, HOOK)
    add_goal(resident=resident, by=daalhof.gp, domain="social", description="Naar de soos")
    SubscriptionDelivery.objects.update(attempts=3, last_status_code=503, error="HTTP 503")
    pages = [
        reverse("admin:clients_subscription_changelist"),
        reverse("admin:clients_subscription_change", args=[subscription_id]),
        reverse("admin:clients_subscriptiondelivery_changelist"),
        reverse("admin:clients_subscriptiondelivery_changelist")
        + f"?subscription__id__exact={subscription_id}",
        reverse(
            "admin:clients_subscriptiondelivery_change",
            args=[SubscriptionDelivery.objects.get().pk],
        ),
    ]
    for url in pages:
        page = admin_client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert secret not in html and secret.removeprefix("whsec_") not in html
        assert "Janssen" not in html  # never the resident
    log = admin_client.get(pages[3]).content.decode()
    assert "te versturen" in log or "to be sent" in log  # the status
    assert "503" in log and "HTTP 503" in log
    change = admin_client.get(pages[1]).content.decode()
    assert f"?subscription__id__exact={subscription_id}" in change  # the link to its log
    assert not AccessLogEntry.objects.filter(what__startswith="admin:").exists()


# --- an owner that left, and the PZP -------------------------------------------------------


def _pzp(resident, by) -> None:
    record_care_planning(
        resident=resident,
        by=by,
        held_on=timezone.localdate(),
        participants=["resident", "gp"],
        capacity="yes",
        limits={"resuscitation": {"decision": "no"}},
    )


def test_a_pzp_change_is_told_only_to_an_account_that_reads_the_pzp(daalhof, resident_in):
    """The welfare worker's account sees her (consent for every discipline) but never reads her
    PZP: a notification of it would tell that a PZP conversation was recorded."""
    resident = resident_in("step2")
    gp_his = integration_account(daalhof.team)
    welfare_his = integration_account(daalhof.team, role=Role.WELFARE, username="wmo.koppeling")
    subscribe(gp_his, HOOK)
    subscribe(welfare_his, HOOK)
    _pzp(resident, daalhof.gp)
    told = SubscriptionDelivery.objects.values_list("subscription__owner", "event")
    assert list(told) == [(gp_his.pk, "resident.care_planning")]
    add_goal(resident=resident, by=daalhof.gp, domain="social", description="Naar de soos")
    assert SubscriptionDelivery.objects.filter(subscription__owner=welfare_his).count() == 1


@pytest.mark.parametrize("leaves", ["membership", "group", "deactivated"])
def test_a_subscription_whose_owner_left_is_turned_off_and_can_still_be_stopped(
    his, daalhof, resident_in, leaves
):
    resident = resident_in("step2")
    subscription_id, _ = subscribe(his, HOOK)
    if leaves == "membership":
        his.memberships.update(ended_on=timezone.localdate())
    elif leaves == "group":
        his.groups.clear()
    else:
        his.is_active = False
        his.save(update_fields=["is_active"])
    add_goal(resident=resident, by=daalhof.gp, domain="social", description="Naar de soos")
    assert not SubscriptionDelivery.objects.exists()
    row = Subscription.objects.get(pk=subscription_id)
    assert (row.status, row.error) == (Status.OFF, ORPHANED) and row.ended_at is not None
    if leaves == "membership":  # the account may still list and stop its own
        listed = api_as(his).get(SUBSCRIPTIONS).json()
        assert [e["resource"]["status"] for e in listed["entry"]] == ["off"]
        assert api_as(his).delete(f"{SUBSCRIPTIONS}/{subscription_id}").status_code == 200
        MembershipFactory(team=daalhof.team, user=his, role=Role.GP)  # back on the team
        add_goal(resident=resident, by=daalhof.gp, domain="social", description="Opnieuw")
        assert not SubscriptionDelivery.objects.exists()  # not revived
