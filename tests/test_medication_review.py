"""Medication review (medicatiebeoordeling, issue 17 §2): recorded by the GP, the elderly-care
physician or the POH (a pharmacist's review by one of them, reviewer "apotheker"); read by the
members who may see the resident; never by carers. One rule says who is eligible (step 2 and up,
or ten or more medicines on the last review) and when a review is due (none on record, or 12
months after the last): such a resident is on the agenda with "medicatiebeoordeling nodig" and
her card says "medicatie". Each review is written once, never changed."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format

from clients.medication import MedicationReview
from clients.medication_services import record_medication_review, reviews_for
from kernteam.models import AgendaReason, Meeting
from kernteam.refusals import Refused
from kernteam.undeletable import ProtectedRecord
from steps.board import board_columns
from steps.medication import due, eligible, next_review
from steps.meetings import agenda_candidates
from steps.services import move_resident
from tests.factories import carer_for, give_consent
from tests.helpers import exactly

MAY_NOT_RECORD = (
    "Alleen de huisarts, de specialist ouderengeneeskunde of de POH legt een "
    "medicatiebeoordeling vast."
)
NOTE = "Omeprazol gestopt; valrisico besproken."


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def record(resident, by, **kwargs) -> MedicationReview:
    given = {"reviewed_on": today(), "reviewer": "pharmacist", "medicines_in_use": 7, "note": NOTE}
    return record_medication_review(resident=resident, by=by, **{**given, **kwargs})


@pytest.fixture
def janssen(resident_in):
    return resident_in("step2", last_name="Janssen")


def card_of(team, user, resident):
    for column in board_columns(team=team, user=user):
        for card in column.cards:
            if card.resident_id == resident.pk:
                return card
    raise AssertionError("no card")


# --- the rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state, left, medicines, expected",
    [
        ("step1", "", 9, False),
        ("step1", "", 10, True),
        ("step1", "", None, False),  # no review on record
        ("step2", "", None, True),
        ("step2", "", 0, True),
        ("step3", "", 3, True),
        ("step4", "", None, True),
        ("admitted", "step2", None, True),  # holds the step she left: still frail
        ("admitted", "step1", 4, False),  # step 1 is not frail
        ("admitted", "step1", 10, True),
        ("signalled", "", 9, False),
        ("screening", "", 12, False),  # not yet in care: the team has not taken her on
        ("closed", "", 15, False),
        ("closed", "", None, False),
    ],
)
def test_who_is_eligible(state, left, medicines, expected):
    assert eligible(state=state, step_before_admission=left, medicines_in_use=medicines) is expected


def test_a_review_is_due_twelve_months_after_the_last():
    last = datetime.date(2025, 3, 10)
    assert next_review(last) == datetime.date(2026, 3, 10)
    assert next_review(datetime.date(2024, 2, 29)) == datetime.date(2025, 2, 28)
    kwargs = {"state": "step2", "step_before_admission": "", "medicines_in_use": 4}
    assert not due(last_reviewed_on=last, day=datetime.date(2026, 3, 9), **kwargs)
    assert due(last_reviewed_on=last, day=datetime.date(2026, 3, 10), **kwargs)
    assert due(last_reviewed_on=None, day=last, **kwargs)  # eligible, none on record
    # not eligible: never due, however long ago
    step1 = {"state": "step1", "step_before_admission": ""}
    assert not due(last_reviewed_on=None, day=last, medicines_in_use=None, **step1)
    long_ago = datetime.date(2020, 1, 1)
    assert not due(last_reviewed_on=long_ago, day=last, medicines_in_use=9, **step1)
    assert due(last_reviewed_on=long_ago, day=last, medicines_in_use=10, **step1)


# --- who records, who reads ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["gp", "elderly_care_physician", "poh"])
def test_the_gp_the_elderly_care_physician_and_the_poh_record(daalhof, janssen, role):
    made = record(janssen, daalhof.member(role))
    assert made.recorded_by == daalhof.member(role)
    assert (made.reviewer, made.medicines_in_use, made.note) == ("pharmacist", 7, NOTE)
    assert made.get_reviewer_display() == "apotheker"


@pytest.mark.parametrize(
    "role", ["district_nurse", "welfare", "dementia_case_manager", "coordinator"]
)
def test_every_other_role_is_refused_with_the_reason(daalhof, janssen, role):
    with pytest.raises(Refused, match=exactly(MAY_NOT_RECORD)) as refused:
        record(janssen, daalhof.member(role))
    assert refused.value.forbidden
    assert not MedicationReview.objects.exists()


def test_a_stranger_is_refused_as_a_non_member(malberg, janssen):
    with pytest.raises(
        Refused, match=exactly("Alleen leden van het kernteam van deze cliënt kunnen dit doen.")
    ) as refused:
        record(janssen, malberg.gp)
    assert refused.value.forbidden and not MedicationReview.objects.exists()


def test_a_carer_is_refused_and_reads_nothing(daalhof, janssen):
    carer = carer_for(janssen, username="thea").user
    with pytest.raises(Refused) as refused:
        record(janssen, carer)
    assert refused.value.forbidden and not MedicationReview.objects.exists()
    record(janssen, daalhof.gp)
    assert reviews_for(resident=janssen, user=carer) is None


def test_members_who_may_see_the_resident_read(daalhof, resident_in):
    narrow = resident_in("step2", consent=False, last_name="Beperkt")
    give_consent(narrow, daalhof.poh, disciplines=["gp", "poh"])
    made = record(narrow, daalhof.gp)
    assert reviews_for(resident=narrow, user=daalhof.poh) == [made]
    assert reviews_for(resident=narrow, user=daalhof.district_nurse) is None  # not in consent


def test_the_boards_hear_of_it_on_commit_and_of_nothing_refused(
    daalhof, janssen, team_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record(janssen, daalhof.poh)
    assert team_events == [
        (f"team-{daalhof.team.pk}", {"type": "resident.medication_review", "resident": janssen.pk})
    ]
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        record(janssen, daalhof.poh, reviewer="drogist")
    assert len(team_events) == 1 and MedicationReview.objects.count() == 1


def test_a_closed_record_takes_no_review(daalhof, janssen):
    move_resident(
        resident=janssen,
        transition="close",
        expected_state="step2",
        by=daalhof.gp,
        reason="Verhuisd",
        closure_reason="moved",
    )
    with pytest.raises(
        Refused, match=exactly("Dit dossier is afgesloten en kan niet meer worden gewijzigd.")
    ):
        record(janssen, daalhof.gp)
    assert not MedicationReview.objects.exists()


def test_a_review_is_never_changed_nor_deleted(daalhof, janssen):
    made = record(janssen, daalhof.gp)
    made.medicines_in_use = 3
    with pytest.raises(ProtectedRecord):
        made.save()
    with pytest.raises(ProtectedRecord):
        MedicationReview.objects.filter(pk=made.pk).update(medicines_in_use=3)
    with pytest.raises(ProtectedRecord):
        made.delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE clients_medicationreview SET medicines_in_use = 3 WHERE id = %s", [made.pk]
        )
    assert MedicationReview.objects.get(pk=made.pk).medicines_in_use == 7


def test_the_latest_review_comes_first_whatever_the_order_recorded(daalhof, janssen):
    recent = record(janssen, daalhof.gp)
    older = record(janssen, daalhof.poh, reviewed_on=today() - days(300))
    assert reviews_for(resident=janssen, user=daalhof.welfare) == [recent, older]


# --- bad input: field errors, nothing saved -------------------------------------------------


def field_errors(resident, by, **kwargs) -> dict:
    with pytest.raises(ValidationError) as refused:
        record(resident, by, **kwargs)
    assert not MedicationReview.objects.exists()
    return refused.value.message_dict


def test_a_date_in_the_future_is_a_field_error(daalhof, janssen):
    errors = field_errors(janssen, daalhof.gp, reviewed_on=today() + days(1))
    assert errors == {"reviewed_on": ["De datum ligt in de toekomst."]}


def test_a_date_before_birth_is_a_field_error(daalhof, janssen):
    errors = field_errors(
        janssen, daalhof.gp, reviewed_on=janssen.date_of_birth - datetime.timedelta(days=1)
    )
    assert list(errors) == ["reviewed_on"]
    assert errors["reviewed_on"][0].startswith(
        "De beoordeling kan niet vóór de geboorte van de cliënt zijn gedaan ("
    )


@pytest.mark.parametrize("count", [-1, 61, 10_000])
def test_a_negative_or_huge_count_is_a_field_error(daalhof, janssen, count):
    errors = field_errors(janssen, daalhof.gp, medicines_in_use=count)
    assert errors["medicines_in_use"] == ["Geef een aantal geneesmiddelen van 0 tot en met 60."]


def test_an_unknown_reviewer_is_a_field_error(daalhof, janssen):
    errors = field_errors(janssen, daalhof.gp, reviewer="drogist")
    assert list(errors) == ["reviewer"]


def test_a_note_over_the_limit_is_a_field_error(daalhof, janssen):
    errors = field_errors(janssen, daalhof.gp, note="x" * 1001)
    assert list(errors) == ["note"]


# --- the agenda and the card --------------------------------------------------------------------


def test_eligible_residents_without_a_recent_review_are_on_the_agenda(
    daalhof, resident_in, janssen
):
    few = resident_in("step1", last_name="Weinig")
    many = resident_in("step1", last_name="Veel")
    record(few, daalhof.gp, medicines_in_use=9, reviewed_on=today() - days(400))
    record(many, daalhof.gp, medicines_in_use=10, reviewed_on=today() - days(400))
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    found = agenda_candidates(meeting=meeting)
    assert AgendaReason.MEDICATION in found[janssen.pk]  # step 2, none on record
    assert AgendaReason.MEDICATION in found[many.pk]  # ten medicines, overdue
    assert AgendaReason.MEDICATION not in found.get(few.pk, [])  # nine medicines, step 1
    assert str(AgendaReason.MEDICATION.label) == "medicatiebeoordeling nodig"
    record(janssen, daalhof.poh, reviewed_on=today() - days(30))
    assert AgendaReason.MEDICATION not in agenda_candidates(meeting=meeting).get(janssen.pk, [])


def test_the_card_says_medicatie_until_a_review_is_recorded(client, daalhof, janssen):
    card = card_of(daalhof.team, daalhof.district_nurse, janssen)
    assert "medication" in card.flags and ("medication", "medicatie") in card.flag_labels
    record(janssen, daalhof.gp, reviewed_on=today() - days(364))
    assert "medication" not in card_of(daalhof.team, daalhof.district_nurse, janssen).flags


def test_a_review_a_year_old_flags_the_card_again(daalhof, janssen, time_machine):
    record(janssen, daalhof.gp)
    assert "medication" not in card_of(daalhof.team, daalhof.gp, janssen).flags
    time_machine.move_to(timezone.now() + datetime.timedelta(days=366))
    assert "medication" in card_of(daalhof.team, daalhof.gp, janssen).flags


def test_the_flag_costs_the_board_no_query(client, daalhof, resident_in):
    from tests.test_board import queries_for_board

    residents = [resident_in("step2", last_name=f"Janssen{i}") for i in range(5)]
    client.force_login(daalhof.gp)
    without = queries_for_board(client, daalhof.team)
    for resident in residents[:3]:
        record(resident, daalhof.poh, reviewed_on=today() - days(30))
    assert queries_for_board(client, daalhof.team) == without
    assert sum("medication" in card_of(daalhof.team, daalhof.gp, r).flags for r in residents) == 2


# --- the admin ----------------------------------------------------------------------------------


def test_the_admin_only_looks_up_reviews_and_logs_them(client, admin_user, daalhof, janssen):
    from django.urls import reverse

    from kernteam.models import AccessLogEntry

    made = record(janssen, daalhof.gp)
    client.force_login(admin_user)
    listing = client.get(reverse("admin:clients_medicationreview_changelist"))
    assert listing.status_code == 200 and "Janssen" in listing.content.decode()
    page = client.get(reverse("admin:clients_medicationreview_change", args=[made.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:clients_medicationreview_add")).status_code == 403
    deleting = client.post(reverse("admin:clients_medicationreview_delete", args=[made.pk]))
    assert deleting.status_code in (403, 302)
    assert MedicationReview.objects.filter(pk=made.pk).exists()
    entries = AccessLogEntry.objects.filter(user=admin_user, resident=janssen, role="admin")
    assert set(entries.values_list("what", flat=True)) >= {
        "admin:medicationreview-list",
        "admin:medicationreview",
    }


# --- the panel and its form ---------------------------------------------------------------------


def panel(client, user, resident) -> str:
    from django.urls import reverse

    client.force_login(user)
    response = client.get(reverse("resident", args=[resident.pk]))
    assert response.status_code == 200
    return response.content.decode()


def form_url(resident) -> str:
    from django.urls import reverse

    return reverse("resident_medication_review", args=[resident.pk])


def test_the_panel_shows_the_last_review_the_next_and_the_earlier_ones(client, daalhof, janssen):
    html = panel(client, daalhof.welfare, janssen)
    assert '<h3 id="medication-h">Medicatiebeoordeling</h3>' in html
    assert "Geen medicatiebeoordeling vastgelegd." in html
    assert "medicatiebeoordeling nodig" in html
    assert form_url(janssen) not in html  # the welfare worker reads, does not record
    record(janssen, daalhof.poh, reviewed_on=today() - days(500), medicines_in_use=12)
    record(
        janssen, daalhof.gp, reviewed_on=today() - days(10), reviewer="gp", note="Statine gestopt"
    )
    html = panel(client, daalhof.gp, janssen)
    last, earlier = html.split('class="medication-earlier"')
    assert "12 geneesmiddelen in gebruik" in earlier and "12 geneesmiddelen" not in last
    assert "7 geneesmiddelen in gebruik" in last and "Statine gestopt" in last
    with translation.override("nl"):
        next_day = date_format(next_review(today() - days(10)), "j M Y")
    assert f"volgende uiterlijk {next_day}" in last
    assert "medicatiebeoordeling nodig" not in html
    assert "eerdere beoordeling (1)" in html
    assert form_url(janssen) in html
    assert html.index('id="medication-h"') > html.index("Proactieve zorgplanning")


def test_the_gp_records_from_the_form_and_bad_input_is_shown_per_field(client, daalhof, janssen):
    client.force_login(daalhof.gp)
    assert client.get(form_url(janssen)).status_code == 200
    future = (today() + days(1)).isoformat()
    bad = client.post(
        form_url(janssen),
        {"reviewed_on": future, "reviewer": "pharmacist", "medicines_in_use": "61"},
    )
    html = bad.content.decode()
    assert bad.status_code == 200 and "De datum ligt in de toekomst." in html
    assert "Geef een aantal geneesmiddelen van 0 tot en met 60." in html
    assert not MedicationReview.objects.exists()
    good = client.post(
        form_url(janssen),
        {"reviewed_on": today().isoformat(), "reviewer": "pharmacist", "medicines_in_use": "12"},
    )
    assert good.status_code in (200, 302)
    made = MedicationReview.objects.get()
    assert (made.reviewer, made.medicines_in_use, made.recorded_by) == (
        "pharmacist",
        12,
        daalhof.gp,
    )


@pytest.mark.parametrize("role", ["district_nurse", "welfare", "coordinator"])
def test_the_form_refuses_a_role_that_may_not_record(client, daalhof, janssen, role):
    client.force_login(daalhof.member(role))
    response = client.get(form_url(janssen))
    assert response.status_code == 403 and MAY_NOT_RECORD in response.content.decode()
    posted = client.post(
        form_url(janssen),
        {"reviewed_on": today().isoformat(), "reviewer": "gp", "medicines_in_use": "3"},
    )
    assert posted.status_code == 403 and not MedicationReview.objects.exists()


def test_the_form_opened_by_its_own_address_is_a_whole_page(client, daalhof, janssen):
    client.force_login(daalhof.poh)
    html = client.get(form_url(janssen)).content.decode()
    assert "<h1>Medicatiebeoordeling</h1>" in html and "<html" in html


@pytest.mark.django_db
def test_a_recorder_who_may_not_see_the_resident_cannot_record(daalhof, janssen):
    """The service checks it, whoever calls it: the consent leaves the elderly-care physician
    out, so she cannot record a review for this resident."""
    give_consent(janssen, daalhof.poh, disciplines=["gp", "poh"])
    refusal = "U kunt dit niet vastleggen: de toestemming van de cliënt dekt uw discipline niet."
    with pytest.raises(Refused, match=exactly(refusal)) as refused:
        record(janssen, daalhof.elderly_care_physician)
    assert refused.value.forbidden
    assert not MedicationReview.objects.filter(resident=janssen).exists()
