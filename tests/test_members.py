"""Members in, members out (issue 21 §2): the functional administrator and a team's coordinator
add members in the application (a new person gets an invitation with the one-time enrolment
link, never a password), and end them: ended, not deleted, access gone at once, and the
residents she coordinated on the next agenda. Every change is in the access log and in the
team's history."""

from __future__ import annotations

import datetime
import re
import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django_otp.plugins.otp_totp.models import TOTPDevice

from kernteam.members import add_member, end_membership, resend_invitation
from kernteam.models import AccessLogEntry, Meeting, Membership, MembershipChange, shown_date
from kernteam.refusals import Refused
from kernteam.roles import INTEGRATIONS, Role
from kernteam.second_factor import device_for_link
from steps.board import board_columns
from steps.meetings import agenda_candidates
from tests.factories import ResidentFactory, UserFactory, carer_for, give_consent
from tests.helpers import API, api_as, exactly

pytestmark = pytest.mark.django_db

User = get_user_model()
NOT_MANAGER = (
    "Alleen de coördinator van het kernteam en de functioneel beheerder voegen leden van een "
    "team toe of beëindigen hun lidmaatschap."
)
ANNA = {
    "first_name": "Anna",
    "last_name": "Vermeulen",
    "email": "a.vermeulen@groenekruis.nl",
    "role": Role.DISTRICT_NURSE,
}


def add(team, by, **values):
    return add_member(team=team, by=by, **{**ANNA, **values})


@pytest.fixture
def admin(db):
    return UserFactory(username="beheer", is_superuser=True, is_staff=True)


def written() -> tuple[int, int, int, int, int]:
    """What an add could have written: accounts, memberships, history, log entries, mails."""
    return (
        User.objects.count(),
        Membership.objects.count(),
        MembershipChange.objects.count(),
        AccessLogEntry.objects.count(),
        len(mail.outbox),
    )


# --- adding ------------------------------------------------------------------------------------


def test_the_coordinator_adds_a_new_person_who_is_invited_without_a_password(daalhof):
    added = add(daalhof.team, daalhof.coordinator, agb_code="01234567")

    anna = added.membership.user
    assert (added.new_account, added.invited) == (True, True)
    assert (anna.username, anna.email, anna.get_full_name()) == (
        "a.vermeulen",
        "a.vermeulen@groenekruis.nl",
        "Anna Vermeulen",
    )
    assert anna.is_active and not anna.has_usable_password()
    assert added.membership.role == Role.DISTRICT_NURSE and added.membership.agb_code == "01234567"
    assert daalhof.team.has_person(anna)

    (sent,) = mail.outbox
    assert sent.to == ["a.vermeulen@groenekruis.nl"]
    assert sent.subject == "Kernteam: u zit in Kernteam Daalhof"
    assert "toegevoegd aan Kernteam Daalhof als wijkverpleegkundige" in sent.body
    assert "Uw gebruikersnaam is a.vermeulen" in sent.body
    assert "u kiest het zelf" in sent.body
    link = re.search(r"/accounts/enrol/([^/\s]+)/", sent.body)
    assert link and device_for_link(link[1]).user == anna
    # never a password: she has none yet, and no line hands one over
    assert not any(line.lower().startswith("wachtwoord") for line in sent.body.splitlines())
    assert "Janssen" not in sent.body and "bewoner" not in sent.body  # nothing about residents


def test_the_addition_is_in_the_access_log_and_the_history(daalhof):
    added = add(
        daalhof.team, daalhof.coordinator, path="/teams/daalhof/members/add/", ip="10.1.2.3"
    )
    entry = AccessLogEntry.objects.get(what__startswith="member-added")
    assert entry.what == "member-added: a.vermeulen as district_nurse"
    assert (entry.user, entry.team, entry.resident, entry.role, entry.ip) == (
        daalhof.coordinator,
        daalhof.team,
        None,
        "coordinator",
        "10.1.2.3",
    )
    change = MembershipChange.objects.get()
    assert (change.team, change.membership, change.kind, change.by) == (
        daalhof.team,
        added.membership,
        "added",
        daalhof.coordinator,
    )


def test_the_functional_administrator_adds_to_any_team(daalhof, admin):
    added = add(daalhof.team, admin)
    assert added.membership.team == daalhof.team
    assert AccessLogEntry.objects.get(what__startswith="member-added").role == "admin"


@pytest.mark.parametrize(
    "role", ["gp", "poh", "district_nurse", "welfare", "dementia_case_manager"]
)
def test_other_members_may_not_add(daalhof, role):
    before = written()
    with pytest.raises(Refused, match=exactly(NOT_MANAGER)) as refused:
        add(daalhof.team, daalhof.member(role))
    assert refused.value.forbidden
    assert written() == before


def test_the_coordinator_of_another_team_may_not_add(daalhof, malberg):
    with pytest.raises(Refused, match=exactly(NOT_MANAGER)):
        add(daalhof.team, malberg.coordinator)
    with pytest.raises(Refused, match=exactly(NOT_MANAGER)):
        end_membership(
            membership=Membership.objects.get(user=daalhof.gp, team=daalhof.team),
            by=malberg.coordinator,
        )


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"first_name": "  "}, "first_name", "Vul de voornaam in."),
        ({"last_name": ""}, "last_name", "Vul de achternaam in."),
        ({"email": ""}, "email", "Vul het e-mailadres in: daar gaat de uitnodiging heen."),
        (
            {"email": "anna@groenekruis"},
            "email",
            "Vul een geldig e-mailadres in, bijvoorbeeld naam@praktijk.nl.",
        ),
        ({"role": "nurse"}, "role", "Kies de discipline."),
        ({"agb_code": "1234"}, "agb_code", "Een AGB-code bestaat uit 8 cijfers."),
        ({"uzi_number": "12345678a"}, "uzi_number", "Een UZI-nummer bestaat uit 9 cijfers."),
        (
            {"phone": "0" * 41},
            "phone",
            "Zorg dat deze waarde niet meer dan 40 tekens bevat (het zijn er nu 41).",
        ),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_written(daalhof, values, field, message):
    before = written()
    with pytest.raises(ValidationError) as refused:
        add(daalhof.team, daalhof.coordinator, **values)
    assert refused.value.message_dict == {field: [message]}
    assert written() == before


def test_several_mistakes_are_all_named_at_once(daalhof):
    with pytest.raises(ValidationError) as refused:
        add(daalhof.team, daalhof.coordinator, first_name="", email="x", agb_code="12")
    assert set(refused.value.message_dict) == {"first_name", "email", "agb_code"}


def test_another_persons_agb_code_is_refused_and_no_account_is_left(daalhof):
    Membership.objects.filter(user=daalhof.gp).update(agb_code="01234567")
    before = written()
    with pytest.raises(ValidationError) as refused:
        add(daalhof.team, daalhof.coordinator, agb_code="01234567")
    (said,) = refused.value.message_dict["agb_code"]
    assert said.startswith("Deze AGB-code is al vastgelegd voor iemand anders")
    assert written() == before  # (the account made for her went with it)


def test_the_same_person_in_the_same_role_twice_is_refused(daalhof):
    daalhof.gp.email = "huisarts@daalhof.nl"
    daalhof.gp.save()
    before = written()
    with pytest.raises(ValidationError) as refused:
        add(daalhof.team, daalhof.coordinator, email="Huisarts@Daalhof.nl", role=Role.GP)
    assert refused.value.message_dict == {"role": ["Deze persoon zit al in het team als huisarts."]}
    assert written() == before


def test_an_existing_account_gets_a_second_membership_not_a_second_account(daalhof, malberg):
    """The district nurse of Daalhof joins Malberg: found by her address, whatever its capitals;
    she keeps her account, her AGB code comes along, and she signs in with her app as before."""
    nurse = daalhof.district_nurse
    nurse.email = "m.smeets@groenekruis.nl"
    nurse.save()
    Membership.objects.filter(user=nurse).update(agb_code="07654321")
    TOTPDevice.objects.create(user=nurse, name="app", confirmed=True)
    accounts = User.objects.count()

    added = add(malberg.team, malberg.coordinator, email="M.Smeets@GroeneKruis.nl", first_name="M")

    assert User.objects.count() == accounts
    assert added.membership.user == nurse and (added.new_account, added.invited) == (False, False)
    assert added.membership.agb_code == "07654321"
    assert nurse.memberships.active().count() == 2
    (sent,) = mail.outbox
    assert "toegevoegd aan Kernteam Malberg als wijkverpleegkundige" in sent.body
    assert "Log zoals altijd in" in sent.body and "/accounts/enrol/" not in sent.body


def test_an_existing_account_without_the_app_gets_the_link_to_set_it_up(daalhof, malberg):
    gp = daalhof.gp
    gp.email = "huisarts@daalhof.nl"
    gp.set_password("een-goed-wachtwoord")
    gp.save()
    added = add(malberg.team, malberg.coordinator, email=gp.email, role=Role.GP)
    assert added.invited and not added.new_account
    (sent,) = mail.outbox
    assert f"log in met uw gebruikersnaam {gp.username} en uw wachtwoord" in sent.body
    assert "/accounts/enrol/" in sent.body


def test_a_carers_portal_account_is_refused(daalhof):
    carer = carer_for(ResidentFactory(team=daalhof.team, state="step1"), username="thea")
    carer.user.email = "thea@example.nl"
    carer.user.save()
    before = written()
    with pytest.raises(ValidationError) as refused:
        add(daalhof.team, daalhof.coordinator, email="Thea@Example.nl")
    assert refused.value.message_dict["email"] == [
        "Dit e-mailadres hoort bij het account van een mantelzorger (het mantelzorgportaal). Een "
        "professional heeft een eigen account nodig: gebruik haar werkadres."
    ]
    assert written() == before


def test_an_integration_account_is_not_managed_here(daalhof):
    system = UserFactory(username="his-koppeling", email="his@praktijk.nl")
    system.groups.add(Group.objects.get_or_create(name=INTEGRATIONS)[0])
    with pytest.raises(ValidationError) as refused:
        add(daalhof.team, daalhof.coordinator, email="his@praktijk.nl")
    assert refused.value.message_dict["email"][0].startswith("Dit is een koppelingsaccount")
    membership = Membership.objects.create(team=daalhof.team, user=system, role=Role.GP)
    with pytest.raises(Refused, match=r"^Dit is een koppelingsaccount"):
        end_membership(membership=membership, by=daalhof.coordinator)


def test_a_username_is_never_taken_twice(daalhof):
    UserFactory(username="A.Vermeulen")
    added = add(daalhof.team, daalhof.coordinator)
    assert added.membership.user.username == "a.vermeulen2"
    assert "@" not in added.membership.user.username  # (carers sign in with an address)


def test_a_mail_that_fails_adds_nobody(daalhof, monkeypatch):
    def refused(self, messages):
        raise smtplib.SMTPRecipientsRefused({"a.vermeulen@groenekruis.nl": (550, b"no")})

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refused)
    before = written()
    with pytest.raises(Refused) as failed:
        add(daalhof.team, daalhof.coordinator)
    assert str(failed.value) == (
        "De e-mail aan a.vermeulen@groenekruis.nl kon niet worden verstuurd "
        "(SMTPRecipientsRefused), dus Anna Vermeulen is niet toegevoegd. Probeer het later opnieuw."
    )
    assert written() == before
    assert not TOTPDevice.objects.exists()


def test_an_invitation_sent_again_replaces_the_first_link(daalhof):
    added = add(daalhof.team, daalhof.coordinator)
    first = re.search(r"/accounts/enrol/([^/\s]+)/", mail.outbox[0].body)[1]
    resend_invitation(membership=added.membership, by=daalhof.coordinator)
    second = re.search(r"/accounts/enrol/([^/\s]+)/", mail.outbox[1].body)[1]
    assert device_for_link(first) is None and device_for_link(second) is not None
    assert MembershipChange.objects.filter(kind="invited").count() == 1
    assert AccessLogEntry.objects.filter(what="member-invited: a.vermeulen").count() == 1


def test_no_invitation_again_for_a_member_who_has_her_app(daalhof):
    TOTPDevice.objects.create(user=daalhof.gp, name="app", confirmed=True)
    membership = Membership.objects.get(user=daalhof.gp, team=daalhof.team)
    with pytest.raises(Refused, match="heeft de authenticator-app al ingesteld"):
        resend_invitation(membership=membership, by=daalhof.coordinator)
    assert not mail.outbox


# --- ending ------------------------------------------------------------------------------------


def nurse_membership(daalhof) -> Membership:
    return Membership.objects.get(user=daalhof.district_nurse, team=daalhof.team)


def test_ending_keeps_the_membership_with_its_end_date(daalhof):
    membership = nurse_membership(daalhof)
    end_membership(membership=membership, by=daalhof.coordinator, path="/x/", ip="10.0.0.1")
    membership.refresh_from_db()
    assert membership.ended_on == timezone.localdate()
    assert not daalhof.team.has_person(daalhof.district_nurse)
    entry = AccessLogEntry.objects.get(what__startswith="member-ended")
    assert entry.what == f"member-ended: {daalhof.district_nurse.username} as district_nurse"
    assert (entry.team, entry.resident, entry.user) == (daalhof.team, None, daalhof.coordinator)
    assert MembershipChange.objects.get().kind == "ended"


def test_ending_twice_is_refused(daalhof):
    membership = nurse_membership(daalhof)
    end_membership(membership=membership, by=daalhof.coordinator)
    day = shown_date(timezone.localdate())
    with pytest.raises(Refused, match=exactly(f"Dit lidmaatschap is al beëindigd, op {day}.")):
        end_membership(membership=nurse_membership(daalhof), by=daalhof.coordinator)
    assert MembershipChange.objects.count() == 1


def test_the_last_coordinator_is_ended_by_the_administrator_only(daalhof, admin):
    mine = Membership.objects.get(user=daalhof.coordinator, team=daalhof.team)
    with pytest.raises(Refused) as refused:
        end_membership(membership=mine, by=daalhof.coordinator)
    assert str(refused.value).endswith(
        "is de enige coördinator van het team. Voeg eerst de nieuwe coördinator toe, of vraag "
        "het de functioneel beheerder."
    )
    end_membership(membership=mine, by=admin)
    assert not daalhof.team.has_active_role(Role.COORDINATOR)


def test_a_coordinator_may_leave_once_there_is_another(daalhof):
    Membership.objects.create(team=daalhof.team, user=daalhof.poh, role=Role.COORDINATOR)
    mine = Membership.objects.get(user=daalhof.coordinator, team=daalhof.team)
    end_membership(membership=mine, by=daalhof.coordinator)
    assert daalhof.team.roles_of(daalhof.coordinator) == set()


def test_her_board_and_her_api_token_lose_the_team_at_once(client, daalhof, resident_in):
    resident = resident_in("step2")
    nurse = daalhof.district_nurse
    api = api_as(nurse)
    client.force_login(nurse)
    assert client.get(reverse("board", args=["daalhof"])).status_code == 200
    assert api.get(f"{API}/residents/{resident.pk}/").status_code == 200

    end_membership(membership=nurse_membership(daalhof), by=daalhof.coordinator)

    assert client.get(reverse("board", args=["daalhof"])).status_code == 404
    assert client.get(reverse("resident", args=[resident.pk])).status_code == 404
    assert api.get(f"{API}/residents/{resident.pk}/").status_code in (403, 404)
    assert api.get(f"{API}/teams/daalhof/").status_code in (403, 404)


@pytest.mark.django_db(transaction=True)
async def test_her_open_board_closes_at_once(daalhof):
    from channels.db import database_sync_to_async
    from django.db import connections

    from tests.live import live, socket
    from tests.test_live_board import closed_with

    board = await live(await socket("daalhof", user=daalhof.district_nurse))
    try:
        await database_sync_to_async(
            lambda: end_membership(membership=nurse_membership(daalhof), by=daalhof.coordinator)
        )()
        assert await closed_with(board) == 4403
    finally:  # (the ORM's thread gives its connection back, or PostgreSQL's test database
        # cannot be dropped at the end of the run)
        await database_sync_to_async(connections.close_all)()


def test_an_unused_invitation_dies_with_her_last_membership(daalhof):
    added = add(daalhof.team, daalhof.coordinator)
    token = re.search(r"/accounts/enrol/([^/\s]+)/", mail.outbox[0].body)[1]
    end_membership(membership=added.membership, by=daalhof.coordinator)
    assert device_for_link(token) is None


def next_meeting(team) -> Meeting:
    return Meeting.objects.create(
        team=team, scheduled_for=timezone.now() + datetime.timedelta(days=7)
    )


def test_residents_she_coordinated_come_on_the_next_agenda(daalhof):
    nurse = daalhof.district_nurse
    hers = [
        ResidentFactory(team=daalhof.team, state=state, coordinator=nurse)
        for state in ("step2", "step3", "admitted")
    ]
    closed = ResidentFactory(team=daalhof.team, state="closed", coordinator=nurse)
    others = ResidentFactory(team=daalhof.team, state="step2", coordinator=daalhof.poh)
    meeting = next_meeting(daalhof.team)
    assert not any(
        "coordinator_left" in reasons for reasons in agenda_candidates(meeting=meeting).values()
    )

    end_membership(membership=nurse_membership(daalhof), by=daalhof.coordinator)

    agenda = agenda_candidates(meeting=meeting)
    left = {pk for pk, reasons in agenda.items() if "coordinator_left" in reasons}
    assert left == {r.pk for r in hers}
    assert closed.pk not in agenda and "coordinator_left" not in agenda.get(others.pk, [])
    from kernteam.models import AgendaReason

    assert str(AgendaReason.COORDINATOR_LEFT.label) == "zorgcoördinator vertrokken"


def test_a_switched_off_account_counts_as_left(daalhof):
    resident = ResidentFactory(team=daalhof.team, state="step2", coordinator=daalhof.welfare)
    daalhof.welfare.is_active = False
    daalhof.welfare.save()
    assert "coordinator_left" in agenda_candidates(meeting=next_meeting(daalhof.team))[resident.pk]


def test_the_board_flags_the_card_and_still_names_her(daalhof):
    nurse = daalhof.district_nurse
    resident = ResidentFactory(team=daalhof.team, state="step2", coordinator=nurse)
    give_consent(resident, daalhof.poh)
    end_membership(membership=nurse_membership(daalhof), by=daalhof.coordinator)
    (card,) = [c for col in board_columns(team=daalhof.team, user=daalhof.gp) for c in col.cards]
    assert card.coordinator == nurse.get_full_name()  # (history stays: her name too)
    assert ("coordinator_left", "zorgcoördinator vertrokken") in card.flag_labels


def test_she_stays_on_the_team_in_another_role(daalhof):
    """A POH who is also the coordinator ends only her coordinator role: her residents keep
    her."""
    Membership.objects.create(team=daalhof.team, user=daalhof.poh, role=Role.COORDINATOR)
    resident = ResidentFactory(team=daalhof.team, state="step2", coordinator=daalhof.poh)
    second = Membership.objects.get(user=daalhof.poh, team=daalhof.team, role=Role.COORDINATOR)
    end_membership(membership=second, by=daalhof.coordinator)
    agenda = agenda_candidates(meeting=next_meeting(daalhof.team))
    assert "coordinator_left" not in agenda.get(resident.pk, [])


def test_memberships_are_never_deleted(daalhof):
    from kernteam.undeletable import ProtectedRecord

    end_membership(membership=nurse_membership(daalhof), by=daalhof.coordinator)
    with pytest.raises(ProtectedRecord):
        nurse_membership(daalhof).delete()
    with pytest.raises(ProtectedRecord):
        MembershipChange.objects.get().delete()


# --- the pages ---------------------------------------------------------------------------------


def members_url(slug: str = "daalhof", name: str = "members", *args) -> str:
    return reverse(name, args=[slug, *args])


def test_the_coordinator_sees_who_is_on_the_team(client, daalhof):
    TOTPDevice.objects.create(user=daalhof.gp, name="app", confirmed=True)
    anna = add(daalhof.team, daalhof.coordinator, agb_code="01234567").membership
    end_membership(membership=nurse_membership(daalhof), by=daalhof.coordinator)
    client.force_login(daalhof.coordinator)
    page = client.get(members_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert "Leden van Kernteam Daalhof" in html and "Lid toevoegen" in html

    def row(membership) -> str:
        return html.split(f'id="membership-{membership.pk}"')[1].split("</li>")[0]

    gp = row(Membership.objects.get(user=daalhof.gp))
    assert "Logt in met de authenticator-app" in gp and "Uitnodiging" not in gp
    new = row(anna)
    assert "a.vermeulen@groenekruis.nl" in new and "AGB 01234567" in new
    assert "Uitgenodigd: heeft de authenticator-app nog niet ingesteld" in new
    assert "Uitnodiging opnieuw versturen" in new
    welfare = row(Membership.objects.get(user=daalhof.welfare))
    assert "geen e-mailadres" in welfare and "Heeft de authenticator-app nog niet" in welfare
    assert "Uitnodiging" not in welfare  # (nowhere to send it)
    ended = html.split("Uit het team vertrokken")[1]
    assert daalhof.district_nurse.get_full_name() in ended
    assert f"tot en met {date_format(timezone.localdate(), 'j F Y')}" in ended
    history = html.split('id="history-h"')[1]
    assert (
        f"{daalhof.district_nurse.get_full_name()}</strong> · wijkverpleegkundige: beëindigd"
        in (history)
    )
    assert "Anna Vermeulen</strong> · wijkverpleegkundige: toegevoegd" in history
    assert f"Door {daalhof.coordinator.get_full_name()}" in history


@pytest.mark.parametrize("role", ["gp", "poh", "welfare"])
def test_other_members_are_told_why_not(client, daalhof, role):
    client.force_login(daalhof.member(role))
    for url in (members_url(), members_url("daalhof", "member_add")):
        page = client.get(url)
        assert page.status_code == 403
        assert "Alleen de coördinator van het kernteam en de functioneel beheerder" in page.text
    nurse = nurse_membership(daalhof)
    assert client.post(members_url("daalhof", "member_end", nurse.pk)).status_code == 403
    assert nurse_membership(daalhof).ended_on is None


def test_non_members_find_no_such_page(client, daalhof, malberg):
    client.force_login(malberg.coordinator)
    assert client.get(members_url()).status_code == 404
    assert client.post(members_url("daalhof", "member_add"), ANNA).status_code == 404
    assert not User.objects.filter(email=ANNA["email"]).exists()


def test_the_administrator_reaches_every_teams_members_from_home(client, daalhof, malberg, admin):
    client.force_login(admin)
    home = client.get(reverse("home")).content.decode()
    assert "Leden van alle teams" in home
    assert members_url("daalhof") in home and members_url("malberg") in home
    assert client.get(members_url("malberg")).status_code == 200


def test_adding_through_the_form(client, daalhof):
    client.force_login(daalhof.coordinator)
    form = client.get(members_url("daalhof", "member_add")).content.decode()
    for label in ("Voornaam", "Achternaam", "E-mailadres", "Discipline", "AGB-code (als bekend)"):
        assert f">{label}</label>" in form
    done = client.post(members_url("daalhof", "member_add"), {**ANNA, "agb_code": ""})
    assert done.status_code == 302 and done.url == members_url()
    page = client.get(done.url).content.decode()
    assert "Anna Vermeulen zit in het team als wijkverpleegkundige" in page
    (sent,) = mail.outbox
    assert "http://testserver/accounts/enrol/" in sent.body  # (the address she was at)


def test_bad_input_comes_back_with_the_reasons_and_what_was_typed(client, daalhof):
    client.force_login(daalhof.coordinator)
    before = written()
    page = client.post(
        members_url("daalhof", "member_add"),
        {**ANNA, "email": "anna-at-groenekruis", "uzi_number": "123"},
    )
    html = page.content.decode()
    assert page.status_code == 400
    assert "Vul een geldig e-mailadres in, bijvoorbeeld naam@praktijk.nl." in html
    assert "Een UZI-nummer bestaat uit 9 cijfers." in html
    assert 'value="Vermeulen"' in html and 'value="anna-at-groenekruis"' in html
    assert 'value="district_nurse" selected' in html
    assert written() == before


def test_the_end_page_names_what_follows(client, daalhof):
    nurse = daalhof.district_nurse
    seen = ResidentFactory(team=daalhof.team, state="step2", coordinator=nurse, last_name="Gulpers")
    give_consent(seen, daalhof.poh)
    ResidentFactory(team=daalhof.team, state="step3", coordinator=nurse, last_name="Hameleers")
    client.force_login(daalhof.coordinator)  # (sees only residents whose consent names her)
    url = members_url("daalhof", "member_end", nurse_membership(daalhof).pk)
    html = client.get(url).content.decode()
    assert f"Lidmaatschap van {nurse.get_full_name()} als wijkverpleegkundige beëindigen?" in html
    assert "2 bewoners krijgen een nieuwe zorgcoördinator: zij komen op de agenda" in html
    assert (
        "Gulpers" in html and "Hameleers" not in html and "En 1 bewoner die u niet mag zien" in html
    )
    logged = AccessLogEntry.objects.get(what="member-end-residents")
    assert logged.resident == seen  # (her name was shown: a read of her data)
    assert nurse_membership(daalhof).ended_on is None  # (only asked)

    done = client.post(url)
    assert done.status_code == 302
    said = client.get(done.url).content.decode()
    assert "2 bewoners krijgen een nieuwe zorgcoördinator" in said
    assert nurse_membership(daalhof).ended_on == timezone.localdate()


def test_the_end_page_refuses_the_last_coordinator_plainly(client, daalhof):
    client.force_login(daalhof.coordinator)
    mine = Membership.objects.get(user=daalhof.coordinator, team=daalhof.team)
    done = client.post(members_url("daalhof", "member_end", mine.pk))
    assert done.status_code == 403
    assert "is de enige coördinator van het team" in done.content.decode()
    assert Membership.objects.get(pk=mine.pk).ended_on is None


def test_sending_the_invitation_again_from_the_page(client, daalhof):
    added = add(daalhof.team, daalhof.coordinator)
    client.force_login(daalhof.coordinator)
    done = client.post(members_url("daalhof", "member_invite", added.membership.pk))
    assert done.status_code == 302 and len(mail.outbox) == 2
    page = client.get(done.url).content.decode()
    assert "Er is een nieuwe link verstuurd naar a.vermeulen@groenekruis.nl" in page
    assert client.get(members_url("daalhof", "member_invite", 1)).status_code == 405
