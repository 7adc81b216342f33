"""Proactieve zorgplanning (PZP, issue 17 §1): recorded by the GP, the elderly-care physician or
the POH; read by them, the district nurse and the dementia case manager when they may see the
resident; never by the welfare worker or the team coordinator; carers see only the summary of
wishes, and only when the GP shared the version in force. Each conversation is a version: kept,
never changed, the earlier ones shown as superseded. The card says "PZP"; a resident in step 3
or 4 without one is on the agenda with "PZP nog niet besproken"."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from clients.care_planning import CarePlanning
from clients.care_planning_services import care_planning_for, record_care_planning
from kernteam.models import AccessLogEntry, AgendaReason, Meeting
from kernteam.refusals import Refused
from kernteam.undeletable import ProtectedRecord
from steps.board import board_columns
from steps.meetings import agenda_candidates
from steps.services import move_resident
from tests.factories import carer_for
from tests.helpers import exactly

MAY_NOT_RECORD = (
    "Alleen de huisarts, de specialist ouderengeneeskunde of de POH legt proactieve "
    "zorgplanning vast."
)
MAY_NOT_READ = (
    "Proactieve zorgplanning is alleen in te zien voor de huisarts, de POH, de specialist "
    "ouderengeneeskunde, de wijkverpleegkundige en de casemanager dementie."
)
MAY_NOT_SHARE = "Alleen de huisarts deelt de samenvatting van de wensen met de mantelzorgers."
WISH = "Thuis blijven bij haar kat; geen ziekenhuis meer."


def today() -> datetime.date:
    return timezone.localdate()


def record(resident, by, **kwargs) -> CarePlanning:
    given = {
        "held_on": today(),
        "participants": ["resident", "carer", "gp"],
        "capacity": "yes",
        "limits": {
            "resuscitation": {"decision": "no", "note": "Niet reanimeren, met dochter besproken"},
            "hospital": {"decision": "no"},
            "antibiotics": {"decision": "yes"},
        },
        "place_of_care": "home",
        "place_of_death": "home",
        "other_wishes": WISH,
    }
    return record_care_planning(resident=resident, by=by, **{**given, **kwargs})


@pytest.fixture
def janssen(resident_in, daalhof):
    return resident_in("step3", last_name="Janssen")


# --- the rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["gp", "elderly_care_physician", "poh"])
def test_the_gp_the_elderly_care_physician_and_the_poh_record(daalhof, janssen, role):
    made = record(janssen, daalhof.member(role))
    assert made.recorded_by == daalhof.member(role) and made.recorded_by_role == role
    assert made.limits["resuscitation"] == {
        "decision": "no",
        "note": "Niet reanimeren, met dochter besproken",
    }
    assert made.limits["ventilation"] == {"decision": "not_discussed", "note": ""}


@pytest.mark.parametrize(
    "role", ["district_nurse", "dementia_case_manager", "welfare", "coordinator"]
)
def test_every_other_role_is_refused_with_the_reason(daalhof, janssen, role):
    with pytest.raises(Refused, match=exactly(MAY_NOT_RECORD)) as refused:
        record(janssen, daalhof.member(role))
    assert refused.value.forbidden
    assert not CarePlanning.objects.exists()


def test_a_stranger_is_refused_as_a_non_member(malberg, janssen):
    with pytest.raises(Refused) as refused:
        record(janssen, malberg.gp)
    assert refused.value.forbidden and not CarePlanning.objects.exists()


def test_the_boards_hear_of_it_on_commit_and_of_nothing_refused(
    daalhof, janssen, team_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record(janssen, daalhof.poh)
    assert team_events == [
        (f"team-{daalhof.team.pk}", {"type": "resident.care_planning", "resident": janssen.pk})
    ]
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        record(janssen, daalhof.poh, capacity="soms")
    assert len(team_events) == 1 and CarePlanning.objects.count() == 1


def test_only_the_gp_shares_the_summary_with_carers(daalhof, janssen):
    with pytest.raises(Refused, match=exactly(MAY_NOT_SHARE)) as refused:
        record(janssen, daalhof.poh, shared_with_carers=True)
    assert refused.value.forbidden and refused.value.fields == {
        "shared_with_carers": [MAY_NOT_SHARE]
    }
    assert record(janssen, daalhof.gp, shared_with_carers=True).shared_with_carers


@pytest.mark.parametrize(
    ("role", "reads"),
    [
        ("gp", True),
        ("poh", True),
        ("elderly_care_physician", True),
        ("district_nurse", True),
        ("dementia_case_manager", True),
        ("welfare", False),
        ("coordinator", False),
    ],
)
def test_who_reads(daalhof, janssen, role, reads):
    record(janssen, daalhof.gp)
    view = care_planning_for(resident=janssen, user=daalhof.member(role))
    assert (view is not None) == reads
    if reads:
        assert view.current.other_wishes == WISH
        assert view.can_record == (role in ("gp", "poh", "elderly_care_physician"))


def test_a_reader_whose_discipline_the_consent_leaves_out_reads_nothing(daalhof, resident_in):
    narrow = resident_in("step3", consent=False, last_name="Beperkt")
    from tests.factories import give_consent

    give_consent(narrow, daalhof.poh, disciplines=["gp", "poh"])
    record(narrow, daalhof.gp)
    assert care_planning_for(resident=narrow, user=daalhof.district_nurse) is None
    assert care_planning_for(resident=narrow, user=daalhof.poh) is not None


# --- versions -----------------------------------------------------------------------------------


def test_a_new_conversation_is_a_new_version_and_the_earlier_one_is_kept(daalhof, janssen):
    first = record(janssen, daalhof.poh, held_on=today() - datetime.timedelta(days=200))
    second = record(janssen, daalhof.gp, capacity="doubt", other_wishes="Naar het hospice")
    view = care_planning_for(resident=janssen, user=daalhof.district_nurse)
    assert view.current == second and view.earlier == [first]
    first.refresh_from_db()
    assert first.capacity == "yes" and first.other_wishes == WISH  # untouched


def test_the_latest_by_the_day_held_is_in_force_whatever_the_order_recorded(daalhof, janssen):
    recent = record(janssen, daalhof.gp)
    older = record(janssen, daalhof.poh, held_on=today() - datetime.timedelta(days=30))
    view = care_planning_for(resident=janssen, user=daalhof.gp)
    assert view.current == recent and view.earlier == [older]


def test_a_version_is_never_changed_nor_deleted(daalhof, janssen):
    made = record(janssen, daalhof.gp)
    made.capacity = "no"
    with pytest.raises(ProtectedRecord):
        made.save()
    with pytest.raises(ProtectedRecord):
        CarePlanning.objects.filter(pk=made.pk).update(capacity="no")
    with pytest.raises(ProtectedRecord):
        made.delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE clients_careplanning SET capacity = 'no' WHERE id = %s", [made.pk])
    assert CarePlanning.objects.get(pk=made.pk).capacity == "yes"


def test_a_closed_record_takes_no_new_conversation(daalhof, janssen):
    move_resident(
        resident=janssen,
        transition="close",
        expected_state="step3",
        by=daalhof.gp,
        reason="Verhuisd",
        closure_reason="moved",
    )
    with pytest.raises(
        Refused, match=exactly("Dit dossier is afgesloten en kan niet meer worden gewijzigd.")
    ):
        record(janssen, daalhof.gp)
    assert not CarePlanning.objects.exists()


# --- bad input: field errors, nothing saved -------------------------------------------------


def field_errors(resident, by, **kwargs) -> dict:
    with pytest.raises(ValidationError) as refused:
        record(resident, by, **kwargs)
    assert not CarePlanning.objects.exists()
    return refused.value.message_dict


def test_a_date_in_the_future_is_a_field_error(daalhof, janssen):
    errors = field_errors(janssen, daalhof.gp, held_on=today() + datetime.timedelta(days=1))
    assert errors == {"held_on": ["De datum ligt in de toekomst."]}


def test_a_date_before_birth_is_a_field_error(daalhof, janssen):
    errors = field_errors(janssen, daalhof.gp, held_on=datetime.date(1930, 1, 1))
    assert errors == {
        "held_on": [
            "Het gesprek kan niet vóór de geboorte van de cliënt zijn gehouden (14-3-1938)."
        ]
    }


def test_an_unknown_limit_value_is_an_error_of_that_limit(daalhof, janssen):
    errors = field_errors(
        janssen, daalhof.gp, limits={"resuscitation": {"decision": "misschien"}, "icu": "nee"}
    )
    assert errors == {
        "limit_resuscitation": ["Kies wel, niet of niet besproken."],
        "limit_icu": ['Geef "decision" en eventueel "note".'],
    }


def test_an_unknown_limit_and_an_unknown_kind_are_field_errors(daalhof, janssen):
    errors = field_errors(
        janssen,
        daalhof.gp,
        limits={"euthanasie": {"decision": "no"}},
        representative_name="Jan Janssen",
        representative_kind="buurman",
        capacity="soms",
        participants=["resident", "tovenaar"],
    )
    assert errors["limits"] == ["Onbekende behandelgrens: euthanasie."]
    assert errors["participants"] == ["Onbekende deelnemer: tovenaar."]
    assert set(errors) == {"limits", "participants", "representative_kind", "capacity"}


def test_a_representative_needs_name_and_kind(daalhof, janssen):
    errors = field_errors(janssen, daalhof.gp, representative_kind="curator")
    assert errors == {"representative_name": ["Geef de naam van de wettelijk vertegenwoordiger."]}
    errors = field_errors(janssen, daalhof.gp, representative_name="Jan Janssen")
    assert errors == {"representative_kind": ["Geef aan wat voor vertegenwoordiger dit is."]}
    made = record(
        janssen,
        daalhof.gp,
        representative_name="Jan Janssen",
        representative_relationship="zoon",
        representative_kind="mentor",
    )
    assert made.get_representative_kind_display() == "mentor"


def test_nobody_taking_part_is_a_field_error(daalhof, janssen):
    errors = field_errors(janssen, daalhof.gp, participants=[])
    assert errors == {"participants": ["Geef aan wie er aan het gesprek meededen."]}


# --- the board and the agenda ------------------------------------------------------------------


def card_of(team, user, resident):
    for column in board_columns(team=team, user=user):
        for card in column.cards:
            if card.resident_id == resident.pk:
                return card
    raise AssertionError("no card")


def test_the_card_says_pzp_to_readers_once_a_version_exists(client, daalhof, janssen):
    assert not card_of(daalhof.team, daalhof.gp, janssen).care_planning
    record(janssen, daalhof.gp)
    assert card_of(daalhof.team, daalhof.district_nurse, janssen).care_planning
    assert not card_of(daalhof.team, daalhof.welfare, janssen).care_planning  # may not read
    client.force_login(daalhof.district_nurse)
    html = client.get(reverse("board", args=["daalhof"])).content.decode()
    assert 'title="proactieve zorgplanning vastgelegd">PZP</abbr>' in html
    client.force_login(daalhof.welfare)
    assert ">PZP</abbr>" not in client.get(reverse("board", args=["daalhof"])).content.decode()


def test_the_marker_costs_the_board_no_query(client, daalhof, resident_in):
    from tests.test_board import queries_for_board

    residents = [resident_in("step3", last_name=f"Janssen{i}") for i in range(5)]
    client.force_login(daalhof.gp)
    without = queries_for_board(client, daalhof.team)
    for resident in residents:
        record(resident, daalhof.poh)
    assert queries_for_board(client, daalhof.team) == without
    html = client.get(reverse("board", args=["daalhof"])).content.decode()
    assert html.count(">PZP</abbr>") == 5


def test_step_3_and_4_without_pzp_are_on_the_agenda(daalhof, resident_in, janssen):
    four = resident_in("step4", last_name="Zorg")
    two = resident_in("step2", last_name="Rustig")
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    found = agenda_candidates(meeting=meeting)
    assert AgendaReason.CARE_PLANNING in found[janssen.pk]
    assert AgendaReason.CARE_PLANNING in found[four.pk]
    assert AgendaReason.CARE_PLANNING not in found.get(two.pk, [])
    assert str(AgendaReason.CARE_PLANNING.label) == "PZP nog niet besproken"
    record(janssen, daalhof.poh)
    assert AgendaReason.CARE_PLANNING not in agenda_candidates(meeting=meeting).get(janssen.pk, [])


# --- the panel, its form, the log ---------------------------------------------------------------


def panel(client, user, resident) -> str:
    client.force_login(user)
    response = client.get(reverse("resident", args=[resident.pk]))
    assert response.status_code == 200
    return response.content.decode()


def pzp_reads(user, resident) -> int:
    return AccessLogEntry.objects.filter(
        user=user, resident=resident, what="care-planning", action="read"
    ).count()


def test_the_panel_shows_the_version_in_force_and_the_earlier_ones(client, daalhof, janssen):
    record(janssen, daalhof.poh, held_on=today() - datetime.timedelta(days=90), other_wishes="Oud")
    record(janssen, daalhof.gp)
    html = panel(client, daalhof.district_nurse, janssen)
    assert "Proactieve zorgplanning" in html and WISH in html
    assert "<strong>Reanimatie</strong>: niet" in html
    assert "eerdere versies (1)" in html or "eerdere versie (1)" in html
    assert "Vervangen door een later gesprek" in html and "Oud" in html
    assert "Nieuw gesprek vastleggen" not in html  # the district nurse reads, does not record
    assert pzp_reads(daalhof.district_nurse, janssen) == 1
    assert (
        html.index("Afspraken")
        < html.index("Proactieve zorgplanning")
        < html.index('id="consent-h"')
    )


def test_a_welfare_worker_neither_sees_nor_logs_pzp(client, daalhof, janssen):
    record(janssen, daalhof.gp)
    for user in (daalhof.welfare, daalhof.coordinator):
        html = panel(client, user, janssen)
        assert "Proactieve zorgplanning" not in html and WISH not in html
        assert pzp_reads(user, janssen) == 0
        assert AccessLogEntry.objects.filter(user=user, resident=janssen, what="resident").exists()


def test_the_gp_records_a_conversation_from_the_panel(client, daalhof, janssen):
    client.force_login(daalhof.gp)
    url = reverse("resident_care_planning", args=[janssen.pk])
    form = client.get(url)
    assert form.status_code == 200 and "<h1>Proactieve zorgplanning</h1>" in form.content.decode()
    assert 'name="shared_with_carers"' in form.content.decode()
    data = {
        "held_on": today().isoformat(),
        "participants": ["resident", "gp"],
        "capacity": "no",
        "representative_name": "Jan Janssen",
        "representative_kind": "curator",
        "place_of_care": "care_home",
        "place_of_death": "hospice",
        "limit_resuscitation": "no",
        "note_resuscitation": "Penning aanwezig",
        "other_wishes": WISH,
        "has_dnr_medallion": "on",
        "shared_with_carers": "on",
    }
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and WISH in response.content.decode()
    made = CarePlanning.objects.get()
    assert made.capacity == "no" and made.has_dnr_medallion and made.shared_with_carers
    assert made.limits["resuscitation"] == {"decision": "no", "note": "Penning aanwezig"}
    assert AccessLogEntry.objects.filter(
        user=daalhof.gp, resident=janssen, action="write", what="resident_care_planning"
    ).exists()


def test_the_form_says_what_is_wrong_per_field_and_saves_nothing(client, daalhof, janssen):
    client.force_login(daalhof.poh)
    url = reverse("resident_care_planning", args=[janssen.pk])
    assert 'name="shared_with_carers"' not in client.get(url).content.decode()  # GP only
    good = {
        "held_on": today().isoformat(),
        "participants": ["resident"],
        "capacity": "yes",
        "place_of_care": "home",
        "place_of_death": "home",
    }
    unknown = client.post(url, {**good, "limit_icu": "misschien", "representative_kind": "buurman"})
    html = unknown.content.decode()
    assert unknown.status_code == 200
    assert "Selecteer een geldige keuze. misschien is geen beschikbare keuze." in html
    assert "Selecteer een geldige keuze. buurman is geen beschikbare keuze." in html
    future = (today() + datetime.timedelta(days=3)).isoformat()
    html = client.post(url, {**good, "held_on": future}).content.decode()
    assert "De datum ligt in de toekomst." in html
    assert not CarePlanning.objects.exists()
    assert not AccessLogEntry.objects.filter(resident=janssen, action="write").exists()


@pytest.mark.parametrize("role", ["district_nurse", "welfare", "coordinator"])
def test_the_form_refuses_a_role_that_may_not_record(client, daalhof, janssen, role):
    client.force_login(daalhof.member(role))
    url = reverse("resident_care_planning", args=[janssen.pk])
    for response in (client.get(url), client.post(url, {"capacity": "yes"})):
        assert response.status_code == 403
        assert MAY_NOT_RECORD in response.content.decode()
    assert not CarePlanning.objects.exists()


# --- the carer portal ---------------------------------------------------------------------------


@pytest.fixture
def thea_portal(client, daalhof, resident_in):
    from clients.services import record_consent

    ramakers = resident_in("step3", consent=False, last_name="Ramakers")
    record_consent(
        resident=ramakers,
        by=daalhof.poh,
        given_on=today(),
        disciplines=["gp", "poh"],
        share_with_carers=True,
    )
    carer = carer_for(ramakers, username="thea")
    client.force_login(carer.user)
    return ramakers, lambda: client.get(reverse("carer_portal")).content.decode()


def test_carers_see_only_the_summary_the_gp_shared(daalhof, thea_portal):
    ramakers, portal = thea_portal
    record(ramakers, daalhof.gp)  # not shared
    assert "Wensen voor later" not in portal() and WISH not in portal()
    record(ramakers, daalhof.gp, shared_with_carers=True, held_on=today())
    html = portal()
    assert "Wensen voor later" in html and WISH in html and "Thuis" in html
    for never in ("Reanimatie", "reanimeren", "Wilsbekwaam", "Behandelgrenzen", "Penning"):
        assert never not in html
    assert AccessLogEntry.objects.filter(
        user__username="thea", resident=ramakers, action="read", what="carer-portal"
    ).exists()


def test_a_later_unshared_version_hides_the_summary_again(daalhof, thea_portal):
    ramakers, portal = thea_portal
    record(ramakers, daalhof.gp, shared_with_carers=True, held_on=today() - datetime.timedelta(1))
    assert WISH in portal()
    record(ramakers, daalhof.poh, other_wishes="Nieuw gesprek")
    assert "Wensen voor later" not in portal() and "Nieuw gesprek" not in portal()


# --- the admin ----------------------------------------------------------------------------------


def test_the_admin_only_looks_up_versions_and_logs_them(client, admin_user, daalhof, janssen):
    made = record(janssen, daalhof.gp)
    client.force_login(admin_user)
    listing = client.get(reverse("admin:clients_careplanning_changelist"))
    assert listing.status_code == 200 and "Janssen" in listing.content.decode()
    page = client.get(reverse("admin:clients_careplanning_change", args=[made.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:clients_careplanning_add")).status_code == 403
    assert client.post(
        reverse("admin:clients_careplanning_delete", args=[made.pk])
    ).status_code in (
        403,
        302,
    )
    assert CarePlanning.objects.filter(pk=made.pk).exists()
    entries = AccessLogEntry.objects.filter(user=admin_user, resident=janssen, role="admin")
    assert set(entries.values_list("what", flat=True)) >= {
        "admin:careplanning-list",
        "admin:careplanning",
    }


# --- a member in two roles: she reads and records in the role the consent names -------------


COVERS_NOT = "U kunt dit niet vastleggen: de toestemming van de cliënt dekt uw discipline niet."


@pytest.mark.django_db
def test_a_welfare_worker_who_is_also_district_nurse_reads_only_if_the_nurse_is_named(
    client, daalhof, janssen
):
    """The consent names only the welfare worker: she sees the resident, but as welfare worker,
    who does not read advance care planning. Treatment limits stay hidden from her."""
    from clients.services import record_consent
    from kernteam.models import Membership
    from kernteam.roles import Role

    record(janssen, daalhof.gp)
    Membership.objects.create(team=daalhof.team, user=daalhof.welfare, role=Role.DISTRICT_NURSE)
    record_consent(resident=janssen, by=daalhof.poh, given_on=today(), disciplines=[Role.WELFARE])
    assert care_planning_for(resident=janssen, user=daalhof.welfare) is None
    client.force_login(daalhof.welfare)
    html = client.get(reverse("resident", args=[janssen.pk])).content.decode()
    assert "Janssen" in html and "Niet reanimeren" not in html

    record_consent(
        resident=janssen, by=daalhof.poh, given_on=today(), disciplines=[Role.DISTRICT_NURSE]
    )
    assert care_planning_for(resident=janssen, user=daalhof.welfare) is not None


@pytest.mark.django_db
def test_a_recorder_the_consent_does_not_name_cannot_record(daalhof, janssen):
    """The elderly-care physician records PZP, but not for a resident whose consent leaves her
    discipline out: the service says so, whoever calls it."""
    from clients.services import record_consent
    from kernteam.roles import Role

    record_consent(
        resident=janssen, by=daalhof.poh, given_on=today(), disciplines=[Role.DISTRICT_NURSE]
    )
    with pytest.raises(Refused, match=exactly(COVERS_NOT)) as refused:
        record(janssen, daalhof.elderly_care_physician)
    assert refused.value.forbidden
    assert not CarePlanning.objects.filter(resident=janssen).exists()
    record(janssen, daalhof.gp)  # (directly involved: always)


# --- a new version and sharing: decided per version, and the form says so --------------------

STILL_SHARED = (
    "De vorige versie is gedeeld met de mantelzorgers. Vink opnieuw aan om deze versie ook te "
    "delen."
)
NOT_THIS_ONE = (
    "De vorige versie is gedeeld met de mantelzorgers. Deze versie wordt niet gedeeld: dat doet "
    "alleen de huisarts. Tot dan zien de mantelzorgers de samenvatting van de wensen niet meer."
)


def pzp_form(client, user, resident) -> str:
    client.force_login(user)
    response = client.get(reverse("resident_care_planning", args=[resident.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_form_tells_the_gp_the_version_in_force_is_shared_and_leaves_the_box_to_her(
    client, daalhof, janssen
):
    record(janssen, daalhof.gp, held_on=today() - datetime.timedelta(days=30))
    assert STILL_SHARED not in pzp_form(client, daalhof.gp, janssen)  # not shared: nothing
    record(janssen, daalhof.gp, shared_with_carers=True)
    html = pzp_form(client, daalhof.gp, janssen)
    assert STILL_SHARED in html and NOT_THIS_ONE not in html
    box = html[html.index('name="shared_with_carers"') :]
    assert "checked" not in box[: box.index(">")]  # the GP decides again, for this version
    assert html.index(STILL_SHARED) < html.index('name="shared_with_carers"')
    # a wrong field: the form again, still saying so
    again = client.post(
        reverse("resident_care_planning", args=[janssen.pk]), {"capacity": "yes"}
    ).content.decode()
    assert STILL_SHARED in again


def test_the_form_tells_the_poh_her_version_will_not_be_shared(client, daalhof, janssen):
    record(janssen, daalhof.gp, shared_with_carers=True)
    html = pzp_form(client, daalhof.poh, janssen)
    assert NOT_THIS_ONE in html and 'name="shared_with_carers"' not in html
    assert STILL_SHARED not in html
