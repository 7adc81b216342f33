"""Every way in to a resident's data writes the access log (NEN 7513), whatever the entry point.

`ROUTES` names every URL pattern of the project (the web pages, the API, the admin, the live
board's sockets) with one of:
- `Visit`: this test requests it, with its arguments filled in from a small world around one
  resident (Janssen), and asserts that an entry naming the resident was written;
- `ProvenBy`: the tests that prove it logs, where a generic request does not fit;
- `NoResidentData`: why it shows and changes no resident's data.
Admin pages are listed per model in `ADMIN_MODELS`. A route added without an entry fails
`test_every_route_is_accounted_for` with what to do.
"""

from __future__ import annotations

import datetime
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from clients.models import Resident
from clients.services import change_coordinator, raise_concern, record_consent
from frontend.routing import websocket_urlpatterns
from kernteam.models import AccessLogEntry, AgendaItem
from kernteam.roles import LOG_OFFICERS, Role
from steps.models import Trajectory
from steps.services import add_goal, agree_action
from tests.factories import UserFactory, carer_for, open_meeting, score
from tests.helpers import api_as


@dataclass
class World:
    """Janssen of Daalhof with a record of every kind, on the agenda of the open meeting."""

    team: object
    janssen: Resident
    closed: Resident
    other: Resident
    meeting: object
    users: dict
    carer: object
    records: dict = field(default_factory=dict)


@pytest.fixture
def world(daalhof, resident_in, admin_user) -> World:
    janssen = resident_in("step2", last_name="Janssen")
    closed = resident_in("closed", last_name="Dorssers")
    other = resident_in("step1", last_name="Peters")
    record_consent(
        resident=janssen,
        by=daalhof.gp,
        given_on=timezone.localdate(),
        disciplines=list(Role.values),
        share_with_carers=True,  # for the carer's portal
    )
    carer = carer_for(janssen, username="thea")
    carer.email = "thea@example.nl"
    carer.save()
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    AgendaItem.objects.create(meeting=meeting, resident=janssen, position=1, reasons=["review"])
    officer = UserFactory(username="logfunctionaris")
    officer.groups.add(Group.objects.get_or_create(name=LOG_OFFICERS)[0])
    records = {
        "assessment": score(janssen, "gfi", 6, daalhof.poh),
        "goal": add_goal(
            resident=janssen, by=daalhof.gp, domain="social", description="Eten", meeting=meeting
        ),
        "action": agree_action(
            resident=janssen,
            by=daalhof.gp,
            description="Boodschappen",
            due_on=timezone.localdate() + datetime.timedelta(days=7),
            owner_carer=carer,
            shared_with_carers=True,
        ),
        "concern": raise_concern(resident=janssen, by=daalhof.gp, text="Valt", carer=carer),
        "coordinator": change_coordinator(
            resident=janssen, by=daalhof.gp, coordinator_id=daalhof.poh.pk, expected=None
        ),
    }
    users = {
        "gp": daalhof.gp,
        "coordinator": daalhof.coordinator,
        "carer": carer.user,
        "officer": officer,
        "admin": admin_user,
    }
    return World(daalhof.team, janssen, closed, other, meeting, users, carer, records)


@dataclass(frozen=True)
class Visit:
    """Request the route as `user` (GET, or POST with `data`) and expect an entry naming
    `resident` with `action`. URL arguments: `slug` is the team's, `pk` Janssen's, unless
    `kwargs` says otherwise."""

    user: str = "gp"
    method: str = "get"
    kwargs: Callable[[World], dict] = lambda w: {}
    data: Callable[[World], dict] = lambda w: {}
    resident: Callable[[World], Resident] = lambda w: w.janssen
    action: str = "read"
    api: bool = False


@dataclass(frozen=True)
class ProvenBy:
    tests: tuple[str, ...]  # "tests.module::test_name"


@dataclass(frozen=True)
class NoResidentData:
    reason: str


def W(**kw) -> Visit:  # a write: POST, expecting a write entry
    return Visit(method="post", action="write", **kw)


API = dict(api=True)
LIVE = ProvenBy(("tests.test_access_log::test_a_live_subscription_writes_one_entry",))
SIGN_IN = NoResidentData("signing in and out, second factor, passwords: no resident data")

ROUTES: dict[str, Visit | tuple[Visit, ...] | ProvenBy | NoResidentData] = {
    # --- the web pages ------------------------------------------------------------------------
    "home": NoResidentData("counts per state of the user's teams: aggregates"),
    "healthz": NoResidentData("a health check"),
    "favicon.ico": NoResidentData("a redirect to a static file"),
    "board": Visit(),
    "board_signal": (
        Visit(resident=lambda w: None),  # the empty form: no resident yet, nothing logged
        W(
            data=lambda w: {
                "first_name": "Jo",
                "last_name": "Kessels",
                "date_of_birth": _born(85),
                "reason": "Valt vaak",
            },
            resident=lambda w: Resident.objects.get(last_name="Kessels"),
        ),
    ),
    "board_closed": Visit(resident=lambda w: w.closed),
    "meetings": NoResidentData("the team's meetings: dates and states, no resident"),
    "meeting": Visit(kwargs=lambda w: {"pk": w.meeting.pk}),
    "meeting_minutes": Visit(kwargs=lambda w: {"pk": w.meeting.pk}),
    "agenda_add": W(
        user="gp",
        kwargs=lambda w: {"pk": w.meeting.pk},
        data=lambda w: {"resident": w.other.pk, "question": "Valrisico?"},
        resident=lambda w: w.other,
    ),
    "agenda_move": NoResidentData(
        "reorders the agenda (no resident's data changes) and redirects to the meeting page, "
        "which logs what it shows"
    ),
    "meeting_focus": W(
        user="coordinator",
        kwargs=lambda w: {"pk": w.meeting.pk, "resident": w.janssen.pk},
    ),
    "meeting_focus_now": ProvenBy(
        (
            "tests.test_meeting_room::"
            "test_a_follower_who_may_not_see_gets_the_placeholder_with_the_reason",
        )
    ),
    "board_meeting": NoResidentData("the board's way to the meeting in progress: no resident"),
    "meeting_step": NoResidentData(
        "opens, prepares or closes a meeting and redirects; the meeting page and the minutes "
        "log the residents they show"
    ),
    "resident": Visit(),
    "resident_moves": Visit(),
    "resident_move": (
        Visit(),
        W(data=lambda w: {"transition": "step_up_to_3", "expected_state": "step2", "reason": "x"}),
    ),
    # refused outside a meeting: the reasons shown are a read of the resident
    "resident_confirm": Visit(method="post", data=lambda w: {"step_up": "0"}),
    "resident_review": (Visit(), W(data=lambda w: {"expected_state": "step2", "note": "x"})),
    "resident_event": (
        Visit(),  # the form: a read of the resident it is for
        W(data=lambda w: {"kind": "fall", "occurred_on": timezone.localdate().isoformat()}),
    ),
    "resident_own_goal": (
        Visit(),  # the form: a read of the resident (her current words)
        W(data=lambda w: {"text": "Thuis blijven wonen"}),
    ),
    "resident_coordinator": (
        Visit(),  # the form: a read of the resident (who coordinates now)
        W(data=lambda w: {"coordinator": w.users["gp"].pk, "expected": w.janssen.coordinator_id}),
    ),
    "resident_add": W(
        kwargs=lambda w: {"what": "goal"},
        data=lambda w: {"domain": "social", "description": "Naar de soos"},
    ),
    "consent_withdrawn": W(),
    "resident_care_planning": (
        Visit(),  # the form: a read of the resident it is for
        W(
            data=lambda w: {
                "held_on": timezone.localdate().isoformat(),
                "participants": ["resident", "gp"],
                "capacity": "yes",
                "place_of_care": "home",
                "place_of_death": "home",
            }
        ),
    ),
    "resident_medication_review": (
        Visit(),  # the form: a read of the resident it is for
        W(
            data=lambda w: {
                "reviewed_on": timezone.localdate().isoformat(),
                "reviewer": "pharmacist",
                "medicines_in_use": "12",
            }
        ),
    ),
    # referrals to local offers (issue 18 §2): the form (a read) and the referral (a write);
    # the catalogue of offers names no resident
    "resident_refer": ProvenBy(
        (
            "tests.test_referrals::"
            "test_the_welfare_worker_refers_from_the_panel_and_records_the_feedback",
        )
    ),
    "referral_update": ProvenBy(
        (
            "tests.test_referrals::"
            "test_the_welfare_worker_refers_from_the_panel_and_records_the_feedback",
        )
    ),
    "offers": NoResidentData("the catalogue of local offers: providers, not residents"),
    "region_offer_new": NoResidentData("a form for a region-wide local offer"),
    "offer_edit": NoResidentData("a form for a local offer"),
    "offer_end": NoResidentData("ending a local offer"),
    "team_offers": NoResidentData("the catalogue of local offers: providers, not residents"),
    "team_offer_new": NoResidentData("a form for a local offer of the team's area"),
    "concern_handled": W(kwargs=lambda w: {"pk": w.records["concern"].pk}),
    "action_done": W(kwargs=lambda w: {"pk": w.records["action"].pk}),
    # (Janssen has no own goal: unlinking, which needs none, is the write)
    "goal_own_goal": W(
        kwargs=lambda w: {"pk": w.records["goal"].pk}, data=lambda w: {"serves": "0"}
    ),
    "carer_portal": Visit(user="carer"),
    "carer_action_done": W(user="carer", kwargs=lambda w: {"pk": w.records["action"].pk}),
    "carer_action_undo": W(user="carer", kwargs=lambda w: {"pk": w.records["action"].pk}),
    "carer_concern": W(user="carer", data=lambda w: {"text": "Ze eet slecht"}),
    "carer_accept": NoResidentData("the carer's own name and a password form"),
    "carer_notice_stop": NoResidentData("a carer stops a kind of e-mail: no resident named"),
    "notice_settings": NoResidentData("the member's own notification choices"),
    "notice_all_read": NoResidentData("marks the member's own notices read"),
    "notice_bell": NoResidentData("the member's notices: initials and age, as in a mail"),
    "notice_open": NoResidentData(
        "a notice or digest: initials and age, as in a mail; the panel it leads to logs"
    ),
    "carer_invite": W(kwargs=lambda w: {"carer": w.carer.pk}),
    "carer_link": (
        Visit(),  # the empty form: a read of the resident it is for
        W(
            data=lambda w: {
                "first_name": "Jan",
                "last_name": "Ramakers",
                "relationship": "son",
                "email": "jan.ramakers@example.nl",
            }
        ),
    ),
    # casefinding (issue 18 §1): the page (its follow-up list), a round's candidates, and
    # what is recorded per candidate
    "casefinding": ProvenBy(("tests.test_casefinding::test_the_follow_up_list_on_the_page",)),
    "casefinding_round": ProvenBy(
        ("tests.test_casefinding::test_status_and_score_on_the_round_page_and_the_access_log",)
    ),
    "casefinding_candidate_status": ProvenBy(
        ("tests.test_casefinding::test_status_and_score_on_the_round_page_and_the_access_log",)
    ),
    "casefinding_candidate_questionnaire": ProvenBy(
        ("tests.test_casefinding::test_status_and_score_on_the_round_page_and_the_access_log",)
    ),
    # the caseload import (issue 21 §1): the preview names the team's residents it matches
    # (reads), the import writes the new residents
    "caseload": ProvenBy(
        (
            "tests.test_caseload_pages::test_import_lands_on_the_board_with_the_residents_in_their_steps",
            "tests.test_caseload_pages::test_a_resaved_file_shows_the_residents_as_imported_before",
        )
    ),
    # members (issue 21 §2): professionals and the membership history, no resident data; the
    # end page names the residents she coordinates that the user may see, noted as reads
    "members": NoResidentData(
        "the team's members: professionals, their disciplines and the membership history"
    ),
    "member_add": NoResidentData("adds a professional to the team: no resident"),
    "member_end": ProvenBy(("tests.test_members::test_the_end_page_names_what_follows",)),
    "member_invite": NoResidentData("sends a member's invitation again: no resident"),
    "kpi": NoResidentData("KPI aggregates: no resident is named"),
    "kpi_csv": NoResidentData("KPI aggregates: no resident is named"),
    "access_log": Visit(user="officer", data=lambda w: {"resident": w.janssen.pk}),
    "resident_access": (
        Visit(user="officer"),
        Visit(user="officer", action="export", data=lambda w: {"format": "csv"}),
    ),
    "two_factor": SIGN_IN,
    "recovery_code": SIGN_IN,
    "recovery_codes": SIGN_IN,
    "enrolment_link": SIGN_IN,
    "enrolment_password": SIGN_IN,
    "login": SIGN_IN,
    "logout": SIGN_IN,
    "set_language": NoResidentData("sets the language"),
    # --- the API ------------------------------------------------------------------------------
    "api-schema": NoResidentData("the OpenAPI schema"),
    "api-docs": NoResidentData("the API's documentation"),
    "api-tokens": NoResidentData("issues the caller's own token"),
    "api-teams": NoResidentData("the caller's teams and roles"),
    "api-team": NoResidentData("one of the caller's teams and roles"),
    "api-meetings": NoResidentData("the team's meetings: dates and states, no agenda"),
    "api-meeting": Visit(kwargs=lambda w: {"pk": w.meeting.pk}, **API),
    "api-team-fhir": Visit(action="export", **API),
    "api-residents": (
        Visit(**API),
        W(
            data=lambda w: {
                "team": w.team.slug,
                "first_name": "Jo",
                "last_name": "Kessels",
                "date_of_birth": _born(85),
                "reason": "Valt vaak",
            },
            resident=lambda w: Resident.objects.get(last_name="Kessels"),
            **API,
        ),
    ),
    "api-resident": Visit(**API),
    "api-transitions": (
        Visit(**API),
        W(
            data=lambda w: {
                "transition": "step_up_to_3",
                "expected_state": "step2",
                "reason": "Gevallen",
            },
            **API,
        ),
    ),
    "api-assessments": (
        Visit(**API),
        W(data=lambda w: {"instrument": "gfi", "score": 5}, **API),
    ),
    "api-goals": (
        Visit(**API),
        W(data=lambda w: {"domain": "social", "description": "Soos"}, **API),
    ),
    "api-actions": (
        Visit(**API),
        W(
            data=lambda w: {
                "description": "Thuiszorg",
                "due_on": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
                "owner_member": w.users["gp"].pk,
            },
            **API,
        ),
    ),
    "api-concerns": (Visit(**API), W(data=lambda w: {"text": "Valt", "carer": w.carer.pk}, **API)),
    "api-resident-fhir": Visit(action="export", **API),
    "api-coordinator": (
        Visit(**API),
        Visit(
            method="put",
            action="write",
            data=lambda w: {"coordinator": w.users["gp"].pk, "expected": w.janssen.coordinator_id},
            **API,
        ),
    ),
    "api-reviews": W(data=lambda w: {"expected_state": "step2", "note": "Gaat goed"}, **API),
    "api-events": (Visit(**API), W(data=lambda w: {"kind": "emergency"}, **API)),
    "api-own-goal": (Visit(**API), W(data=lambda w: {"text": "Thuis blijven wonen"}, **API)),
    "api-carers": W(
        data=lambda w: {"first_name": "Jan", "last_name": "Ramakers", "relationship": "son"},
        **API,
    ),
    "api-care-planning": (
        Visit(**API),
        W(
            data=lambda w: {
                "held_on": timezone.localdate().isoformat(),
                "participants": ["resident", "gp"],
                "capacity": "yes",
            },
            **API,
        ),
    ),
    "api-medication-reviews": (
        Visit(**API),
        W(
            data=lambda w: {
                "reviewed_on": timezone.localdate().isoformat(),
                "reviewer": "gp",
                "medicines_in_use": 9,
            },
            **API,
        ),
    ),
    "api-team-offers": NoResidentData("the catalogue of local offers: providers, not residents"),
    # the FHIR read addresses (issue 20 §1): one resource of the export (an export of its
    # resident, as the bundles), $everything, and the published code systems and extensions
    "fhir-read": Visit(
        action="export",
        kwargs=lambda w: {
            "resource_type": "Task",
            "resource_id": f"action-{w.records['action'].pk}",
        },
        **API,
    ),
    "fhir-everything": Visit(
        action="export", kwargs=lambda w: {"resource_id": f"resident-{w.janssen.pk}"}, **API
    ),
    "fhir-code-system": NoResidentData("a published code system: codes and their labels"),
    "fhir-structure-definition": NoResidentData("a published extension's definition"),
    "fhir-naming-system": NoResidentData("a published identifier system's definition"),
    "fhir-unknown": NoResidentData("answers 404 for an address nothing answers"),
    # integrators' subscriptions (issue 20 §2): an endpoint, criteria and a status per
    # subscription; the deliveries name residents only to the receiver, which fetches them
    # with its own token (logged as any read)
    "fhir-subscriptions": NoResidentData("an integrator's subscriptions: no resident data"),
    "fhir-subscription": NoResidentData("an integrator's subscription: no resident data"),
    "api-referrals": ProvenBy(
        ("tests.test_api_referrals::test_reads_and_writes_of_referrals_are_in_the_access_log",)
    ),
    "api-referral-updates": ProvenBy(
        ("tests.test_api_referrals::test_reads_and_writes_of_referrals_are_in_the_access_log",)
    ),
    "api-caseload": ProvenBy(
        (
            "tests.test_api_caseload::test_the_import_makes_every_resident_in_her_step",
            "tests.test_api_caseload::test_the_dry_run_answers_every_row_resolved_and_writes_nothing",
        )
    ),
    # casefinding (issue 18 §1): lists of candidates (entries without a resident, and the
    # residents they became), uploads and what is recorded per candidate
    "api-casefinding": ProvenBy(
        ("tests.test_api_casefinding::test_reading_the_candidates_is_in_the_access_log",)
    ),
    "api-casefinding-candidates": ProvenBy(
        ("tests.test_api_casefinding::test_reading_the_candidates_is_in_the_access_log",)
    ),
    "api-casefinding-follow-up": ProvenBy(
        ("tests.test_api_casefinding::test_the_follow_up_list_is_in_the_access_log",)
    ),
    "api-candidate-status": ProvenBy(
        (
            "tests.test_api_casefinding::test_a_score_above_the_cutoff_signals_her_with_the_score_on_record",
        )
    ),
    "api-candidate-questionnaire": ProvenBy(
        (
            "tests.test_api_casefinding::test_a_score_above_the_cutoff_signals_her_with_the_score_on_record",
        )
    ),
    "api-action-done": W(kwargs=lambda w: {"pk": w.records["action"].pk}, **API),
    "api-concern-handled": W(kwargs=lambda w: {"pk": w.records["concern"].pk}, **API),
    # --- the admin's own pages ------------------------------------------------------------------
    "admin:index": NoResidentData(
        "the list of models; its 'Recent actions', which would name the records changed, are"
        " left out (tests.test_admin_logging::test_the_admin_index_names_no_changed_record)"
    ),
    "admin:login": SIGN_IN,
    "admin:logout": SIGN_IN,
    "admin:password_change": SIGN_IN,
    "admin:password_change_done": SIGN_IN,
    "admin:jsi18n": NoResidentData("the admin's translations"),
    "admin:app_list": NoResidentData("the models of an app"),
    "admin:view_on_site": NoResidentData(
        "a redirect to a record's page on the site; no model has one (no get_absolute_url)"
    ),
    "admin/(?P<url>.*)$": NoResidentData("the admin's catch-all: a redirect or a 404"),
    "admin:autocomplete": Visit(
        user="admin",
        data=lambda w: {
            "app_label": "steps",
            "model_name": "goal",
            "field_name": "resident",
            "term": "Janssen",
        },
    ),
    # --- the live board -------------------------------------------------------------------------
    "ws:ws/teams/<slug:slug>/board/": LIVE,
}


@dataclass(frozen=True)
class AdminPages:
    """These pages name Janssen: `record` is the object to open."""

    record: Callable[[World], object]
    views: tuple[str, ...] = ("changelist", "change", "history")


ADMIN_MODELS: dict[str, AdminPages | NoResidentData] = {
    "clients.resident": AdminPages(lambda w: w.janssen),
    "clients.carerlink": AdminPages(lambda w: w.janssen.carer_links.get()),
    "clients.consent": AdminPages(lambda w: w.janssen.consents.first()),
    "clients.assessment": AdminPages(lambda w: w.records["assessment"]),
    "clients.concern": AdminPages(lambda w: w.records["concern"]),
    "clients.coordinatorchange": AdminPages(lambda w: w.records["coordinator"]),
    "clients.careplanning": ProvenBy(
        ("tests.test_care_planning::test_the_admin_only_looks_up_versions_and_logs_them",)
    ),
    "clients.medicationreview": ProvenBy(
        ("tests.test_medication_review::test_the_admin_only_looks_up_reviews_and_logs_them",)
    ),
    "steps.trajectory": AdminPages(lambda w: w.janssen.trajectory),
    "steps.goal": AdminPages(lambda w: w.records["goal"]),
    "steps.agreedaction": AdminPages(lambda w: w.records["action"]),
    "steps.stepchange": ProvenBy(
        ("tests.test_admin_logging::test_every_list_names_each_resident_it_shows",)
    ),
    "steps.outcomeevent": ProvenBy(
        ("tests.test_outcome_events::test_the_admin_shows_events_read_only_and_logs_them",)
    ),
    "steps.owngoal": ProvenBy(
        ("tests.test_own_goal::test_the_admin_shows_versions_read_only_and_logs_them",)
    ),
    # the page of a carer and of a meeting name residents; their lists do not
    "clients.carer": AdminPages(lambda w: w.carer, views=("change", "history")),
    "kernteam.meeting": AdminPages(lambda w: w.meeting, views=("change", "history")),
    "kernteam.team": NoResidentData("teams and their members"),
    "steps.localoffer": NoResidentData("the catalogue of local offers: providers, not residents"),
    "kernteam.membership": NoResidentData("who is on which team"),
    "auth.user": NoResidentData("accounts of professionals and carers"),
    "auth.group": NoResidentData("groups of accounts"),
    "knox.authtoken": NoResidentData("API tokens (hashed)"),
    "axes.accessattempt": NoResidentData("failed sign-ins"),
    "axes.accesslog": NoResidentData("sign-ins"),
    "axes.accessfailurelog": NoResidentData("failed sign-ins"),
    "otp_totp.totpdevice": NoResidentData("second-factor devices"),
    "otp_static.staticdevice": NoResidentData("recovery codes"),
    "kernteam.notice": NoResidentData("notifications' mail status; never the resident or lines"),
    "clients.carernotice": NoResidentData("carers' mails' status; never the resident"),
    "clients.subscription": NoResidentData("integrators' subscriptions; never the secret"),
    "clients.subscriptiondelivery": NoResidentData(
        "the delivery log: status, times, tries, HTTP status; never the resident"
    ),
    "django_tasks_database.dbtaskresult": NoResidentData("background tasks: ids of notices"),
}


def _born(age: int) -> str:
    today = timezone.localdate()
    return today.replace(year=today.year - age, day=min(today.day, 28)).isoformat()


# --- walking the routes ---------------------------------------------------------------------


def routes(urlconf=None) -> list[tuple[str, str]]:
    """(key, pattern) of every route: its namespaced name, or its pattern if it has none."""
    found = []

    def walk(resolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            pattern = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = ":".join(n for n in (namespace, entry.namespace) if n)
                walk(entry, pattern, inner)
            elif isinstance(entry, URLPattern):
                name = ":".join(n for n in (namespace, entry.name) if n) if entry.name else ""
                found.append((name or pattern, pattern))

    walk(get_resolver(urlconf), "", "")
    found += [(f"ws:{p.pattern}", str(p.pattern)) for p in websocket_urlpatterns]
    return found


def admin_model_of(key: str, pattern: str) -> str | None:
    """The model's label, for every page under a model's admin (its list, add, change, history,
    delete and redirect pages, and any page its ModelAdmin adds)."""
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        opts = model._meta
        if pattern.startswith(f"admin/{opts.app_label}/{opts.model_name}/"):
            return opts.label_lower
    return None


def unaccounted(urlconf=None) -> str:
    """What to do about the routes the registry does not account for ("" when none)."""
    missing, admin_missing = [], set()
    for key, pattern in routes(urlconf):
        model = admin_model_of(key, pattern)
        if model is not None:
            if model not in ADMIN_MODELS:
                admin_missing.add(model)
        elif key not in ROUTES:
            missing.append(f"{key}  ({pattern})")
    if not missing and not admin_missing:
        return ""
    return (
        "These entry points are not in the access-log registry of "
        "tests/test_access_log_coverage.py:\n  "
        + "\n  ".join(missing + sorted(f"admin model {m}" for m in admin_missing))
        + "\nIf one can show or change a resident's data, have it note() them "
        "(kernteam/access_log.py) and add a Visit to ROUTES (or AdminPages to ADMIN_MODELS), "
        "or name the tests that prove it logs (ProvenBy). Otherwise add NoResidentData with "
        "the reason."
    )


def test_every_route_is_accounted_for():
    assert not unaccounted(), unaccounted()


def test_a_new_route_without_an_entry_fails_with_what_to_do():
    """As if someone added two pages (one without a name) and no registry entry."""
    from types import ModuleType

    from django.urls import include, path

    from config import urls

    extra = [
        path("residents/<int:pk>/letters/", lambda request, pk: None, name="resident_letters"),
        path("extra-admin/clients/letter/<int:pk>/", lambda request, pk: None),
    ]
    urlconf = ModuleType("urls_with_a_new_page")
    urlconf.urlpatterns = [*urls.urlpatterns, path("", include(extra))]
    message = unaccounted(urlconf)
    assert "resident_letters  (residents/<int:pk>/letters/)" in message
    assert "extra-admin/clients/letter/<int:pk>/" in message
    assert "add a Visit to ROUTES" in message and "NoResidentData" in message


def test_the_registry_names_only_routes_that_exist():
    keys = {key for key, _ in routes()}
    assert not set(ROUTES) - keys, f"remove from ROUTES: {sorted(set(ROUTES) - keys)}"
    registered = {m._meta.label_lower for m in apps.get_models() if admin.site.is_registered(m)}
    stale = set(ADMIN_MODELS) - registered
    assert not stale, f"remove from ADMIN_MODELS: {sorted(stale)}"


def _proofs() -> list[str]:
    entries = [*ROUTES.values(), *ADMIN_MODELS.values()]
    return sorted({t for e in entries if isinstance(e, ProvenBy) for t in e.tests})


@pytest.mark.parametrize("proof", _proofs())
def test_each_named_proof_exists(proof):
    module, name = proof.split("::")
    assert callable(getattr(importlib.import_module(module), name, None)), proof


# --- visiting them --------------------------------------------------------------------------


def _visits() -> list:
    cases = []
    for key, entry in ROUTES.items():
        visits = entry if isinstance(entry, tuple) else (entry,)
        for visit in visits:
            if isinstance(visit, Visit):
                cases.append(pytest.param(key, visit, id=f"{key}-{visit.method}"))
    return cases


def _client(visit: Visit, world: World, client):
    user = world.users[visit.user]
    if visit.api:
        return api_as(user)
    client.force_login(user)
    return client


def _fill(key: str, visit: Visit, world: World) -> dict:
    pattern = dict(routes())[key]
    wanted = set(re.findall(r"<(?:\w+:)?(\w+)>", pattern))
    generic = {"slug": world.team.slug, "pk": world.janssen.pk}
    return {k: v for k, v in {**generic, **visit.kwargs(world)}.items() if k in wanted}


@pytest.mark.parametrize(("key", "visit"), _visits())
def test_each_route_logs_the_resident_it_shows_or_changes(key, visit, world, client):
    http = _client(visit, world, client)
    url = reverse(key, kwargs=_fill(key, visit, world))
    before = AccessLogEntry.objects.count()
    if visit.method == "get":
        response = http.get(url, visit.data(world))
    elif visit.method == "put":
        response = http.put(url, visit.data(world), format="json")
    elif visit.api:
        response = http.post(url, visit.data(world), format="json")
    else:
        response = http.post(url, visit.data(world))
    assert response.status_code < 400, (response.status_code, response.content[:500])
    written = AccessLogEntry.objects.order_by("pk")[before:]
    expected = visit.resident(world)
    if expected is None:
        assert not written
        return
    named = {(e.resident_id, e.action) for e in written}
    assert (expected.pk, visit.action) in named, (
        f"{key} ({visit.method.upper()}) wrote {named}, not a {visit.action} of {expected}"
    )
    entry = next(e for e in written if e.resident_id == expected.pk)
    assert (entry.user, entry.team_id) == (world.users[visit.user], expected.team_id)


def _admin_cases() -> list:
    return [
        pytest.param(label, view, id=f"{label}-{view}")
        for label, entry in ADMIN_MODELS.items()
        if isinstance(entry, AdminPages)
        for view in entry.views
    ]


@pytest.mark.parametrize(("label", "view"), _admin_cases())
def test_each_admin_page_of_a_resident_record_logs_the_resident(label, view, world, client):
    client.force_login(world.users["admin"])
    model = apps.get_model(label)
    opts = model._meta
    args = [] if view == "changelist" else [ADMIN_MODELS[label].record(world).pk]
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args))
    assert response.status_code == 200
    suffix = {"changelist": "-list", "change": "", "history": "-history"}[view]
    entries = AccessLogEntry.objects.filter(what=f"admin:{opts.model_name}{suffix}")
    assert entries.filter(resident=world.janssen, role="admin", action="read").exists(), list(
        entries.values_list("resident__last_name", "what")
    )


# --- the gaps this registry found -----------------------------------------------------------


def test_the_log_officer_reading_who_looked_at_a_resident_is_logged(world, client):
    """Filtering the log by a resident tells about that resident, even with no entries; the
    unfiltered log notes every resident it names."""
    officer = world.users["officer"]
    client.force_login(officer)
    client.get(reverse("access_log"), {"resident": world.other.pk})  # no entries about Peters
    assert list(
        AccessLogEntry.objects.values_list("user__username", "role", "resident", "what")
    ) == [("logfunctionaris", "log_officer", world.other.pk, "access-log")]
    client.force_login(world.users["gp"])
    client.get(reverse("resident", args=[world.janssen.pk]))
    client.force_login(officer)
    client.get(reverse("access_log"))  # names Janssen (the GP's look) and Peters (the filter)
    latest = AccessLogEntry.objects.filter(user=officer).order_by("-pk")[:2]
    assert {e.resident.last_name for e in latest} == {"Janssen", "Peters"}


def test_signalling_through_the_api_logs_the_new_resident_as_a_write(world):
    body = {
        "team": world.team.slug,
        "first_name": "Jo",
        "last_name": "Kessels",
        "date_of_birth": _born(85),
        "reason": "Valt vaak",
    }
    made = api_as(world.users["gp"]).post("/api/v1/residents/", body, format="json")
    assert made.status_code == 201
    assert list(
        AccessLogEntry.objects.values_list("user__username", "role", "resident", "action")
    ) == [("gp.daalhof", "gp", made.json()["id"], "write")]


def test_the_agenda_tells_nothing_about_a_resident_the_reader_may_not_see(daalhof, world, client):
    """Why a hidden resident is on the agenda (a concern, a screening above the cut-off) is
    about them: the welfare worker (no consent for Verborgen yet) sees a place on the agenda and
    nothing else, in the API and on the meeting page."""

    hidden = Resident.objects.create(
        team=world.team,
        first_name="Els",
        last_name="Verborgen",
        date_of_birth=world.janssen.date_of_birth,
    )
    Trajectory.objects.create(resident=hidden, state="signalled")  # no consent yet
    AgendaItem.objects.create(
        meeting=world.meeting, resident=hidden, position=2, reasons=["concern", "screening"]
    )
    api = api_as(daalhof.welfare).get(f"/api/v1/meetings/{world.meeting.pk}/")
    assert api.status_code == 200
    assert api.json()["agenda"][1] == {
        "position": 2,
        "resident": None,
        "name": "",
        "reasons": [],
        "question": "",
        "opened_at": None,
        "discussed": False,
    }
    assert api.json()["agenda"][0]["reasons"] == ["review"]  # Janssen: consent covers welfare
    client.force_login(daalhof.welfare)
    page = client.get(reverse("meeting", args=[world.team.slug, world.meeting.pk]))
    html = page.content.decode()
    assert "Verborgen" not in html
    assert "zorg van mantelzorger" not in html and "screening boven het afkappunt" not in html
    assert "Een cliënt wiens toestemming uw discipline niet dekt" in html
    assert not AccessLogEntry.objects.filter(resident=hidden).exists()
