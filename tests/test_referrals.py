"""Local offers and referrals (issue 18 §2): the catalogue and who keeps it, referring a resident
(an agreed action with its referral), status and the provider's feedback, the agenda reason
after six weeks without feedback, the panel, and what a carer reads."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape

from kernteam.models import AccessLogEntry, AgendaReason, Meeting, person_name, shown_date
from kernteam.refusals import Refused
from kernteam.roles import PROGRAMME_OFFICE
from kernteam.undeletable import ProtectedRecord
from steps.meetings import agenda_candidates
from steps.models import AgreedAction
from steps.portal import carer_view
from steps.referral_services import (
    create_offer,
    edit_offer,
    end_offer,
    refer_resident,
    update_referral,
)
from steps.referrals import LocalOffer, OfferKind, Referral, ReferralStatus, ReferralUpdate
from steps.services import complete_action, move_resident
from tests.factories import UserFactory, carer_for
from tests.helpers import API, api_as, exactly, race

pytestmark = pytest.mark.django_db

NOT_MEMBER = "Alleen leden van het kernteam van de cliënt verwijzen haar naar lokaal aanbod."
NOT_MEMBER_UPDATE = (
    "Alleen leden van het kernteam van de cliënt leggen de status en terugkoppeling van een "
    "verwijzing vast."
)
ONLY_OFFICE = "Alleen het programmabureau houdt het aanbod voor de hele regio bij."
OTHER_AREA = (
    "Dit aanbod hoort bij de wijk van een ander kernteam: kies aanbod uit uw eigen wijk of uit "
    "de regio."
)
NOTHING_CHANGED = (
    "Er is niets veranderd: kies een andere status of leg de terugkoppeling van de aanbieder vast."
)


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def only_coordinator(team) -> str:
    return f"Alleen de coördinator van {team.name} houdt het aanbod van die wijk bij."


def offer_in(team, by, **kwargs) -> LocalOffer:
    values = dict(
        name="Tafeltje-dek-je Daalhof",
        kind=OfferKind.MEALS,
        provider="Envida Tafeltje-dek-je",
        contact="043 555 12 34",
        for_whom="Warme maaltijd aan huis",
    )
    return create_offer(by=by, team=team, **{**values, **kwargs})


@pytest.fixture
def office():
    user = UserFactory(username="programmabureau")
    user.groups.add(Group.objects.get_or_create(name=PROGRAMME_OFFICE)[0])
    return user


@pytest.fixture
def meals(daalhof):
    return offer_in(daalhof.team, daalhof.coordinator)


@pytest.fixture
def janssen(resident_in):
    return resident_in("step2", last_name="Janssen")


def refer(resident, by, offer, *, owner=None, shared=False, note="") -> Referral:
    return refer_resident(
        resident=resident,
        by=by,
        offer=offer,
        owner_member=owner or by,
        due_on=today() + days(14),
        shared_with_carers=shared,
        note=note,
    )


def changed_meanwhile(referral: Referral) -> str:
    """The refusal of who saw an older status: who recorded which one, and when."""
    last = referral.updates.order_by("-at", "-pk").first()
    when = date_format(timezone.localtime(last.at), "DATETIME_FORMAT")
    return (
        f"Intussen heeft {person_name(last.by)} deze verwijzing vastgelegd als "
        f"“{last.get_status_display()}” ({when}). Er is niets opgeslagen: bekijk de verwijzing "
        "opnieuw en leg uw wijziging zo nodig nogmaals vast."
    )


# --- the catalogue ---------------------------------------------------------------------------


def test_the_coordinator_keeps_her_areas_offers_and_the_office_the_regions(
    daalhof, malberg, office
):
    offer = offer_in(daalhof.team, daalhof.coordinator)
    assert (offer.team, offer.created_by, offer.is_running()) == (
        daalhof.team,
        daalhof.coordinator,
        True,
    )
    region = offer_in(None, office, name="Steunpunt Mantelzorg Zuid", kind="carer_support")
    assert region.team is None
    for user in (daalhof.welfare, daalhof.gp, malberg.coordinator, office):
        with pytest.raises(Refused, match=exactly(only_coordinator(daalhof.team))) as refused:
            offer_in(daalhof.team, user, name="Nog een")
        assert refused.value.forbidden
    for user in (daalhof.coordinator, daalhof.welfare):
        with pytest.raises(Refused, match=exactly(ONLY_OFFICE)):
            offer_in(None, user, name="Nog een")
    assert LocalOffer.objects.count() == 2


def test_bad_offer_input_says_why_by_field_and_saves_nothing(daalhof):
    with pytest.raises(ValidationError) as refused:
        offer_in(daalhof.team, daalhof.coordinator, name="  ", kind="taxi", provider="")
    errors = refused.value.message_dict
    assert set(errors) == {"name", "kind", "provider"}
    assert errors["name"] == ["Geef het aanbod een naam."]
    assert errors["provider"] == ["Noem de organisatie die het aanbiedt."]
    assert LocalOffer.objects.count() == 0


def test_an_offer_is_edited_and_ended_never_deleted(daalhof, meals):
    edit_offer(offer=meals, by=daalhof.coordinator, contact="043 555 99 99")
    meals.refresh_from_db()
    assert meals.contact == "043 555 99 99"
    with pytest.raises(Refused, match=exactly(only_coordinator(daalhof.team))):
        end_offer(offer=meals, by=daalhof.welfare)
    end_offer(offer=meals, by=daalhof.coordinator)
    meals.refresh_from_db()
    assert meals.ended_on == today() and not meals.is_running()
    already = f"Dit aanbod is al beëindigd op {shown_date(today())}."
    with pytest.raises(Refused, match=exactly(already)):
        end_offer(offer=meals, by=daalhof.coordinator)
    kept = f"Dit aanbod is beëindigd op {shown_date(today())}: het blijft bewaard zoals het was."
    with pytest.raises(Refused, match=exactly(kept)):
        edit_offer(offer=meals, by=daalhof.coordinator, name="Anders")
    with pytest.raises(ProtectedRecord):
        meals.delete()


def test_an_offer_ending_later_is_still_edited_and_its_end_date_moved_or_removed(
    client, daalhof, meals
):
    end_offer(offer=meals, by=daalhof.coordinator, ended_on=today() + days(30))
    meals.refresh_from_db()
    assert meals.is_running()
    # the service: another name, a later end date, then none at all
    edit_offer(offer=meals, by=daalhof.coordinator, name="Eetpunt", ended_on=today() + days(60))
    meals.refresh_from_db()
    assert (meals.name, meals.ended_on) == ("Eetpunt", today() + days(60))
    edit_offer(offer=meals, by=daalhof.coordinator, ended_on=None)
    meals.refresh_from_db()
    assert meals.ended_on is None
    # the page: the coordinator sees the end date and changes it
    end_offer(offer=meals, by=daalhof.coordinator, ended_on=today() + days(10))
    client.force_login(daalhof.coordinator)
    catalogue = client.get(reverse("team_offers", args=[daalhof.team.slug])).content.decode()
    assert reverse("offer_edit", args=[meals.pk]) in catalogue
    form = client.get(reverse("offer_edit", args=[meals.pk]))
    assert form.status_code == 200 and "Eindigt op" in form.content.decode()
    values = {
        "name": "Eetpunt Daalhof",
        "kind": "meals",
        "provider": meals.provider,
        "contact": meals.contact,
        "address": "",
        "for_whom": meals.for_whom,
    }
    answer = client.post(reverse("offer_edit", args=[meals.pk]), {**values, "ended_on": ""})
    assert answer.status_code == 302
    meals.refresh_from_db()
    assert (meals.name, meals.ended_on) == ("Eetpunt Daalhof", None)
    far = today() + days(400)
    answer = client.post(reverse("offer_edit", args=[meals.pk]), {**values, "ended_on": far})
    between = (
        f"De einddatum moet tussen {shown_date(today() - days(365))} en "
        f"{shown_date(today() + days(365))} liggen."
    )
    assert between in answer.content.decode()
    meals.refresh_from_db()
    assert meals.ended_on is None


def test_an_offer_whose_end_date_has_come_is_kept_as_it_was_in_the_app_and_the_admin(
    client, admin_client, daalhof, meals
):
    end_offer(offer=meals, by=daalhof.coordinator, ended_on=today())
    kept = f"Dit aanbod is beëindigd op {shown_date(today())}: het blijft bewaard zoals het was."
    client.force_login(daalhof.coordinator)
    catalogue = client.get(reverse("team_offers", args=[daalhof.team.slug])).content.decode()
    assert reverse("offer_edit", args=[meals.pk]) not in catalogue
    refused = client.post(reverse("offer_edit", args=[meals.pk]), {"name": "Anders"})
    assert refused.status_code == 400 and kept in refused.content.decode()
    with pytest.raises(Refused, match=exactly(kept)):
        edit_offer(offer=meals, by=daalhof.coordinator, ended_on=None)
    # the admin shows it read-only and saves nothing
    url = reverse("admin:steps_localoffer_change", args=[meals.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and 'name="name"' not in page.content.decode()
    posted = admin_client.post(
        url, {"name": "Anders", "kind": "meals", "provider": "X", "ended_on": ""}
    )
    assert posted.status_code == 403
    meals.refresh_from_db()
    assert (meals.name, meals.ended_on) == ("Tafeltje-dek-je Daalhof", today())
    # a running offer is still corrected there
    running = offer_in(daalhof.team, daalhof.coordinator, name="Huiskamer")
    page = admin_client.get(reverse("admin:steps_localoffer_change", args=[running.pk]))
    assert 'name="name"' in page.content.decode()


# --- referring ------------------------------------------------------------------------------


def test_a_referral_is_an_agreed_action_with_its_first_update(
    daalhof, janssen, meals, team_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer(janssen, daalhof.gp, meals, owner=daalhof.welfare, note="  5x per week ")
    action = referral.action
    assert action.description == "Tafeltje-dek-je Daalhof (Envida Tafeltje-dek-je): 5x per week"
    assert (action.owner_member, action.status, action.resident) == (
        daalhof.welfare,
        AgreedAction.Status.OPEN,
        janssen,
    )
    assert (referral.status, referral.referred_on, referral.feedback_on) == (
        ReferralStatus.PROPOSED,
        today(),
        None,
    )
    assert [(u.status, u.by) for u in referral.updates.all()] == [("proposed", daalhof.gp)]
    assert [e["type"] for _, e in team_events] == [
        "resident.action_added",
        "resident.referral_added",
    ]


def test_a_referral_to_carer_support_supports_the_carer(daalhof, janssen, office):
    steunpunt = offer_in(None, office, name="Steunpunt Mantelzorg Zuid", kind="carer_support")
    assert refer(janssen, daalhof.welfare, steunpunt).action.supports_carer
    meals = offer_in(daalhof.team, daalhof.coordinator)
    assert not refer(janssen, daalhof.welfare, meals).action.supports_carer


def test_only_members_of_her_team_refer(daalhof, malberg, janssen, meals, office):
    for user in (malberg.welfare, office):
        with pytest.raises(Refused, match=exactly(NOT_MEMBER)):
            refer(janssen, user, meals, owner=daalhof.welfare)
    assert not Referral.objects.exists() and not AgreedAction.objects.exists()


def test_an_ended_offer_or_another_teams_offer_is_refused_and_nothing_is_saved(
    daalhof, malberg, janssen, meals
):
    theirs = offer_in(malberg.team, malberg.coordinator, name="Tafeltje-dek-je Malberg")
    with pytest.raises(Refused, match=exactly(OTHER_AREA)) as refused:
        refer(janssen, daalhof.welfare, theirs)
    assert refused.value.fields == {"offer": [OTHER_AREA]}
    end_offer(offer=meals, by=daalhof.coordinator, ended_on=today())
    ended = (
        f"Dit aanbod is beëindigd op {shown_date(today())}: er kan niemand meer naar verwezen "
        "worden."
    )
    with pytest.raises(Refused, match=exactly(ended)):
        refer(janssen, daalhof.welfare, meals)
    assert not Referral.objects.exists() and not AgreedAction.objects.exists()


def test_an_owner_off_the_team_or_a_past_due_date_is_refused_by_field(
    daalhof, malberg, janssen, meals
):
    with pytest.raises(ValidationError) as refused:
        refer(janssen, daalhof.welfare, meals, owner=malberg.welfare)
    assert refused.value.message_dict == {
        "owner_member": ["Wie het doet moet lid zijn van het kernteam van de cliënt."]
    }
    with pytest.raises(ValidationError) as refused:
        refer_resident(
            resident=janssen,
            by=daalhof.welfare,
            offer=meals,
            owner_member=daalhof.welfare,
            due_on=today() - days(1),
            shared_with_carers=False,
        )
    assert list(refused.value.message_dict) == ["due_on"]
    assert not Referral.objects.exists() and not AgreedAction.objects.exists()


# --- status and feedback ---------------------------------------------------------------------


def test_from_proposal_to_feedback_every_change_kept_and_the_action_done(daalhof, janssen, meals):
    referral = refer(janssen, daalhof.gp, meals, owner=daalhof.welfare)
    update_referral(referral=referral, by=daalhof.welfare, status="registered")
    referral.refresh_from_db()
    referral.action.refresh_from_db()
    assert referral.status == "registered"
    assert (referral.action.status, referral.action.done_by) == ("done", daalhof.welfare)
    update_referral(
        referral=referral,
        by=daalhof.welfare,
        status="started",
        feedback="  Start maandag, eet goed mee. ",
        feedback_on=today(),
    )
    referral.refresh_from_db()
    assert (referral.status, referral.feedback, referral.feedback_on) == (
        "started",
        "Start maandag, eet goed mee.",
        today(),
    )
    update_referral(referral=referral, by=daalhof.welfare, status="started", feedback="Gaat goed")
    rows = list(referral.updates.values_list("status", "feedback"))
    assert rows == [
        ("proposed", ""),
        ("registered", ""),
        ("started", "Start maandag, eet goed mee."),
        ("started", "Gaat goed"),
    ]
    with pytest.raises(ProtectedRecord):
        referral.updates.first().save()


def test_the_feedback_history_is_append_only_in_the_database_too(daalhof, janssen, meals):
    referral = refer(janssen, daalhof.welfare, meals)
    update_referral(referral=referral, by=daalhof.welfare, status="started", feedback="Eerst")
    row = referral.updates.last()
    with pytest.raises(ProtectedRecord):
        ReferralUpdate.objects.filter(pk=row.pk).update(feedback="Later")
    with pytest.raises(ProtectedRecord):
        row.delete()
    table = ReferralUpdate._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET feedback = 'Later' WHERE id = %s", [row.pk])
    assert ReferralUpdate.objects.get(pk=row.pk).feedback == "Eerst"


def test_refused_updates_say_why_and_change_nothing(daalhof, malberg, janssen, meals):
    referral = refer(janssen, daalhof.gp, meals, owner=daalhof.welfare)
    with pytest.raises(Refused, match=exactly(NOT_MEMBER_UPDATE)):
        update_referral(referral=referral, by=malberg.welfare, status="registered")
    with pytest.raises(Refused, match=exactly(NOTHING_CHANGED)):
        update_referral(referral=referral, by=daalhof.welfare, status="proposed")
    with pytest.raises(Refused) as refused:
        update_referral(
            referral=referral, by=daalhof.welfare, status="bogus", feedback_on=today() + days(1)
        )
    assert refused.value.fields == {
        "status": ["Kies een status uit de lijst."],
        "feedback": ["Schrijf op wat de aanbieder terugkoppelde, of laat de datum leeg."],
        "feedback_on": ["De terugkoppeling kan niet in de toekomst ontvangen zijn."],
    }
    before = (
        f"De terugkoppeling kan niet vóór de verwijzing ({shown_date(today())}) ontvangen zijn."
    )
    with pytest.raises(Refused, match=exactly(before)):
        update_referral(
            referral=referral,
            by=daalhof.welfare,
            status="registered",
            feedback="Aangemeld",
            feedback_on=today() - days(1),
        )
    update_referral(referral=referral, by=daalhof.welfare, status="started")
    back = "Een verwijzing die gestart is, kan niet terug naar aangemeld."
    with pytest.raises(Refused, match=exactly(back)):
        update_referral(referral=referral, by=daalhof.welfare, status="registered")
    update_referral(referral=referral, by=daalhof.welfare, status="stopped")
    finished = "Deze verwijzing is gestopt: ze is afgerond. Verwijs opnieuw voor een nieuwe start."
    with pytest.raises(Refused, match=exactly(finished)):
        update_referral(referral=referral, by=daalhof.welfare, status="started")
    # feedback may still come after it stopped
    update_referral(referral=referral, by=daalhof.welfare, status="stopped", feedback="Verhuisd")
    referral.refresh_from_db()
    assert (referral.status, referral.feedback) == ("stopped", "Verhuisd")
    assert referral.updates.count() == 4  # proposed, started, stopped, and its feedback


def close(resident, by) -> None:
    move_resident(
        resident=resident,
        transition="close",
        expected_state=resident.trajectory.state,
        by=by,
        reason="Verhuisd naar Heerlen",
        closure_reason="moved",
    )


def test_a_closed_record_refuses_an_update(daalhof, resident_in, meals):
    resident = resident_in("step1")
    referral = refer(resident, daalhof.welfare, meals)
    close(resident, daalhof.gp)
    closed = "Dit dossier is afgesloten en kan niet meer worden gewijzigd."
    with pytest.raises(Refused, match=exactly(closed)):
        update_referral(referral=referral, by=daalhof.welfare, status="registered")
    assert referral.updates.count() == 1
    with pytest.raises(ValidationError) as refused:
        refer(resident, daalhof.welfare, meals)
    assert refused.value.messages == [closed]
    assert Referral.objects.count() == 1


# --- the agenda ------------------------------------------------------------------------------


def _referred_days_ago(referral: Referral, n: int) -> None:
    Referral.objects.filter(pk=referral.pk).update(referred_on=today() - days(n))


def test_six_weeks_without_feedback_puts_her_on_the_agenda_and_not_before(daalhof, janssen, meals):
    referral = refer(janssen, daalhof.welfare, meals)
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    _referred_days_ago(referral, 42)  # feedback on the 42nd day is still in time
    assert AgendaReason.REFERRAL not in agenda_candidates(meeting=meeting).get(janssen.pk, [])
    _referred_days_ago(referral, 43)
    assert AgendaReason.REFERRAL in agenda_candidates(meeting=meeting)[janssen.pk]
    assert str(AgendaReason.REFERRAL.label) == "verwijzing zonder terugkoppeling"
    # judged by the meeting's date: a meeting a week ago did not see it yet
    earlier = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now() - days(7))
    assert AgendaReason.REFERRAL not in agenda_candidates(meeting=earlier).get(janssen.pk, [])
    update_referral(referral=referral, by=daalhof.welfare, status="started", feedback="Gestart")
    assert AgendaReason.REFERRAL not in agenda_candidates(meeting=meeting).get(janssen.pk, [])


def test_a_declined_referral_or_a_closed_resident_is_not_on_the_agenda(
    daalhof, janssen, resident_in, meals
):
    referral = refer(janssen, daalhof.welfare, meals)
    update_referral(referral=referral, by=daalhof.welfare, status="declined")
    _referred_days_ago(referral, 60)
    other = resident_in("step1", last_name="Peters")
    theirs = refer(other, daalhof.welfare, meals)
    _referred_days_ago(theirs, 60)
    close(other, daalhof.gp)
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    found = agenda_candidates(meeting=meeting)
    assert AgendaReason.REFERRAL not in found.get(janssen.pk, [])
    assert other.pk not in found


def test_a_status_only_the_provider_gives_ends_the_wait_and_registered_does_not(
    client, daalhof, janssen, resident_in, meals
):
    """The agenda, the panel's "late" marker and the API's `feedback_late` follow one rule
    (`Referral.objects.with_feedback_days`): "gestart" or "afgewezen" recorded without text is
    the provider's feedback on that day; "aangemeld" is our own act; "gestopt" ends the wait."""
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    referral = refer(janssen, daalhof.welfare, meals)
    update_referral(referral=referral, by=daalhof.welfare, status="registered")
    _referred_days_ago(referral, 43)
    client.force_login(daalhof.welfare)
    panel_url = reverse("resident", args=[janssen.pk])
    api = api_as(daalhof.welfare)
    api_url = f"{API}/residents/{janssen.pk}/referrals/"
    assert AgendaReason.REFERRAL in agenda_candidates(meeting=meeting)[janssen.pk]
    assert "verwijzing zonder terugkoppeling" in client.get(panel_url).content.decode()
    assert api.get(api_url).json()[0]["feedback_late"] is True

    update_referral(referral=referral, by=daalhof.welfare, status="started")  # no text
    assert AgendaReason.REFERRAL not in agenda_candidates(meeting=meeting).get(janssen.pk, [])
    page = client.get(panel_url).content.decode()
    assert "verwijzing zonder terugkoppeling" not in page
    assert "terugkoppeling verwacht" not in page  # nothing awaited any more
    assert api.get(api_url).json()[0]["feedback_late"] is False
    days_of = Referral.objects.with_feedback_days().values_list(
        "feedback_received_on", "wait_ended_on"
    )
    assert days_of.get(pk=referral.pk) == (today(), today())

    # declined by the provider: feedback too; stopped by us: no feedback, but no wait either
    declined = refer(resident_in("step1", last_name="Peters"), daalhof.welfare, meals)
    stopped = refer(resident_in("step1", last_name="Smeets"), daalhof.welfare, meals)
    update_referral(referral=declined, by=daalhof.welfare, status="declined")
    update_referral(referral=stopped, by=daalhof.welfare, status="stopped")
    for late in (declined, stopped):
        _referred_days_ago(late, 60)
    found = agenda_candidates(meeting=meeting)
    assert AgendaReason.REFERRAL not in found.get(declined.action.resident_id, [])
    assert AgendaReason.REFERRAL not in found.get(stopped.action.resident_id, [])
    assert days_of.get(pk=declined.pk) == (today(), today())
    assert days_of.get(pk=stopped.pk) == (None, today())


# --- the panel (web) ------------------------------------------------------------------------


def test_the_welfare_worker_refers_from_the_panel_and_records_the_feedback(
    client, daalhof, janssen, meals
):
    client.force_login(daalhof.welfare)
    form = client.get(reverse("resident_refer", args=[janssen.pk]), headers={"HX-Request": "true"})
    assert form.status_code == 200
    page = form.content.decode()
    assert "Tafeltje-dek-je Daalhof" in page
    assert f'<option value="{daalhof.welfare.pk}" selected>' in page  # the welfare worker
    answer = client.post(
        reverse("resident_refer", args=[janssen.pk]),
        {
            "offer": meals.pk,
            "owner": daalhof.welfare.pk,
            "due_on": (today() + days(7)).isoformat(),
            "shared_with_carers": "on",
        },
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200 and answer.headers["HX-Retarget"] == "#resident-panel"
    panel = answer.content.decode()
    assert "Verwijzingen" in panel and "Voorgesteld" in panel
    referral = Referral.objects.get()
    assert referral.action.shared_with_carers
    answer = client.post(
        reverse("referral_update", args=[referral.pk]),
        {"status": "started", "feedback": "Eet drie keer per week mee", "feedback_on": ""},
        headers={"HX-Request": "true"},
    )
    panel = answer.content.decode()
    assert "Gestart" in panel and "Eet drie keer per week mee" in panel
    writes = AccessLogEntry.objects.filter(resident=janssen, action="write", user=daalhof.welfare)
    assert {e.path for e in writes} == {
        reverse("resident_refer", args=[janssen.pk]),
        reverse("referral_update", args=[referral.pk]),
    }
    assert AccessLogEntry.objects.filter(
        resident=janssen, action="read", path=reverse("resident_refer", args=[janssen.pk])
    ).exists()


def test_the_panel_refuses_with_the_reason_and_keeps_what_was_typed(
    client, daalhof, malberg, janssen, meals
):
    theirs = offer_in(malberg.team, malberg.coordinator, name="Tafeltje-dek-je Malberg")
    client.force_login(daalhof.welfare)
    url = reverse("resident_refer", args=[janssen.pk])
    # another team's offer is not a choice here
    answer = client.post(
        url,
        {"offer": theirs.pk, "owner": daalhof.welfare.pk, "due_on": today().isoformat()},
        headers={"HX-Request": "true"},
    )
    assert "Selecteer een geldige keuze" in answer.content.decode()
    # an offer that ended after the form was shown
    end_offer(offer=meals, by=daalhof.coordinator)
    answer = client.post(
        url,
        {"offer": meals.pk, "owner": daalhof.welfare.pk, "due_on": "gisteren"},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert "Voer een geldige datum in." in answer.content.decode()
    assert not Referral.objects.exists()
    entry = AccessLogEntry.objects.filter(resident=janssen, path=url).latest("pk")
    assert entry.action == "read"  # refused: it showed, it wrote nothing


REFERRAL_ACTION = (
    "Deze afspraak is een verwijzing: leg de status van de verwijzing vast onder Verwijzingen "
    "(aangemeld, gestart …); de afspraak volgt vanzelf."
)


def test_a_referrals_action_is_not_ticked_off_by_hand_the_referral_leads(
    client, daalhof, janssen, meals
):
    referral = refer(janssen, daalhof.gp, meals, owner=daalhof.welfare)
    action = referral.action
    with pytest.raises(Refused, match=exactly(REFERRAL_ACTION)):
        complete_action(action=action, by=daalhof.welfare)
    client.force_login(daalhof.welfare)
    panel = client.get(reverse("resident", args=[janssen.pk])).content.decode()
    # the panel offers the referral's own form with its action, not "Gedaan"
    assert reverse("action_done", args=[action.pk]) not in panel
    assert f'href="{reverse("referral_update", args=[referral.pk])}"' in panel
    answer = client.post(reverse("action_done", args=[action.pk]), follow=True)
    assert REFERRAL_ACTION in answer.content.decode()
    action.refresh_from_db()
    referral.refresh_from_db()
    assert (action.status, referral.status) == ("open", "proposed")
    # recording the referral's status ticks its action off; ticking it again changes nothing
    update_referral(referral=referral, by=daalhof.welfare, status="registered")
    action.refresh_from_db()
    assert action.status == "done"
    assert complete_action(action=action, by=daalhof.welfare).status == "done"
    # any other action is still ticked off by hand
    other = AgreedAction.objects.create(
        resident=janssen, description="Bellen", owner_member=daalhof.welfare,
        due_on=today() + days(3), created_by=daalhof.gp,
    )  # fmt: skip
    assert complete_action(action=other, by=daalhof.welfare).status == "done"


def test_a_second_member_who_saw_an_older_status_is_told_and_what_she_typed_stays(
    client, daalhof, janssen, meals
):
    referral = refer(janssen, daalhof.gp, meals, owner=daalhof.welfare)
    url = reverse("referral_update", args=[referral.pk])
    client.force_login(daalhof.poh)
    form = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'name="expected_status" value="proposed"' in form
    update_referral(referral=referral, by=daalhof.welfare, status="started", feedback="Eerste")
    answer = client.post(
        url,
        {
            "status": "started",
            "feedback": "Tweede",
            "feedback_on": "",
            "expected_status": "proposed",
        },
        headers={"HX-Request": "true"},
    )
    page = answer.content.decode()
    assert escape(changed_meanwhile(referral)) in page  # (a name such as "van 't Riet" escaped)
    assert "Tweede</textarea>" in page  # what she typed stays, ...
    assert 'name="expected_status" value="started"' in page  # ... to save again from here
    assert list(referral.updates.values_list("status", "feedback")) == [
        ("proposed", ""),
        ("started", "Eerste"),
    ]


def test_a_member_of_another_team_gets_404_and_nothing_is_logged(
    client, malberg, janssen, meals, daalhof
):
    referral = refer(janssen, daalhof.welfare, meals)
    client.force_login(malberg.welfare)
    assert client.get(reverse("resident_refer", args=[janssen.pk])).status_code == 404
    assert client.post(reverse("referral_update", args=[referral.pk]), {}).status_code == 404
    assert not AccessLogEntry.objects.filter(user=malberg.welfare).exists()


def test_the_catalogue_pages_say_who_may_keep_them(client, daalhof, malberg, meals, office):
    client.force_login(daalhof.welfare)
    page = client.get(reverse("team_offers", args=[daalhof.team.slug])).content.decode()
    assert "Tafeltje-dek-je Daalhof" in page and "Nieuw aanbod" not in page
    refused = client.get(reverse("team_offer_new", args=[daalhof.team.slug]))
    assert refused.status_code == 403
    assert only_coordinator(daalhof.team) in refused.content.decode()
    assert client.get(reverse("region_offer_new")).status_code == 403
    assert client.get(reverse("team_offers", args=[malberg.team.slug])).status_code == 404
    assert client.get(reverse("offers")).url == reverse("team_offers", args=[daalhof.team.slug])

    client.force_login(daalhof.coordinator)
    answer = client.post(
        reverse("team_offer_new", args=[daalhof.team.slug]),
        {"name": "Klussendienst Daalhof", "kind": "odd_jobs", "provider": ""},
    )
    assert "Dit veld is verplicht." in answer.content.decode()
    answer = client.post(
        reverse("team_offer_new", args=[daalhof.team.slug]),
        {"name": "Klussendienst Daalhof", "kind": "odd_jobs", "provider": "Vrijwilligers"},
    )
    assert answer.url == reverse("team_offers", args=[daalhof.team.slug])
    answer = client.post(reverse("offer_end", args=[meals.pk]), {"ended_on": today().isoformat()})
    page = client.get(reverse("team_offers", args=[daalhof.team.slug])).content.decode()
    assert "Beëindigd aanbod (1)" in page and "Klussendienst Daalhof" in page

    client.force_login(office)
    page = client.get(reverse("offers")).content.decode()
    assert "Nieuw aanbod voor de hele regio" in page
    answer = client.post(
        reverse("region_offer_new"),
        {"name": "Personenalarmering", "kind": "personal_alarm", "provider": "Zorgcentrale"},
    )
    assert answer.url == reverse("offers")
    assert LocalOffer.objects.get(name="Personenalarmering").team is None
    refused = client.get(reverse("offer_edit", args=[meals.pk]))
    assert refused.status_code == 403 and only_coordinator(daalhof.team) in refused.content.decode()
    assert not AccessLogEntry.objects.exists()  # offers are no resident's data


# --- the carer ------------------------------------------------------------------------------


def test_the_carer_reads_a_shared_referral_in_plain_words_and_no_feedback(
    client, daalhof, janssen, meals
):
    from clients.services import record_consent

    record_consent(
        resident=janssen,
        by=daalhof.gp,
        given_on=today(),
        disciplines=["gp", "poh", "welfare"],
        share_with_carers=True,
    )
    carer = carer_for(janssen, username="thea")
    shared = refer(janssen, daalhof.welfare, meals, shared=True, note="diabetisch dieet")
    hidden_offer = offer_in(daalhof.team, daalhof.coordinator, name="Klussen", kind="odd_jobs")
    refer(janssen, daalhof.welfare, hidden_offer, shared=False)
    update_referral(
        referral=shared,
        by=daalhof.welfare,
        status="registered",
        feedback="Suiker was hoog, let op",
    )
    view = carer_view(carer=carer, resident=janssen)
    assert [a.plain_referral for a in view.actions] == [
        "Uw naaste is aangemeld bij de maaltijdservice van Envida Tafeltje-dek-je."
    ]
    client.force_login(carer.user)
    page = client.get(reverse("carer_portal")).content.decode()
    assert "Uw naaste is aangemeld bij de maaltijdservice van Envida Tafeltje-dek-je." in page
    assert "043 555 12 34" in page
    for secret in ("Suiker", "diabetisch", "Klussen"):
        assert secret not in page


def test_the_carer_sees_who_and_by_when_only_while_the_referral_is_proposed(
    client, daalhof, janssen, meals
):
    from clients.services import record_consent

    record_consent(
        resident=janssen,
        by=daalhof.gp,
        given_on=today(),
        disciplines=["gp", "poh", "welfare"],
        share_with_carers=True,
    )
    carer = carer_for(janssen, username="thea")
    referral = refer(janssen, daalhof.gp, meals, owner=daalhof.welfare, shared=True)
    due = f"{person_name(daalhof.welfare)} · vóór {date_format(referral.action.due_on, 'j F')}"
    client.force_login(carer.user)
    page = client.get(reverse("carer_portal")).content.decode()
    proposed = "Het team stelt voor uw naaste aan te melden bij de maaltijdservice van Envida"
    assert proposed in page and escape(due) in page
    update_referral(referral=referral, by=daalhof.welfare, status="registered")
    page = client.get(reverse("carer_portal")).content.decode()
    assert "Uw naaste is aangemeld bij de maaltijdservice van Envida Tafeltje-dek-je." in page
    assert escape(due) not in page


# --- two members at once ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_members_record_a_status_at_once_one_wins_the_other_is_told(daalhof, janssen, meals):
    referral = refer(janssen, daalhof.gp, meals, owner=daalhof.welfare)
    by = [daalhof.welfare, daalhof.poh]
    said = ["Start maandag", "Start dinsdag"]
    results = race(
        2,
        lambda i: update_referral(
            referral=Referral.objects.get(pk=referral.pk),
            by=by[i],
            status="started",
            feedback=said[i],
            expected_status="proposed",
        ),
    )
    wins = [r for r in results if isinstance(r, Referral)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(wins) == 1 and len(refused) == 1, results
    referral.refresh_from_db()
    winner = referral.updates.get(status="started")
    assert referral.feedback == winner.feedback  # the winner's feedback, not overwritten
    assert referral.updates.count() == 2  # proposed, and the winner's started
    assert str(refused[0]) == changed_meanwhile(referral)
    assert refused[0].conflict == {"current_status": "started"}
    assert refused[0].fields == {"status": [changed_meanwhile(referral)]}
