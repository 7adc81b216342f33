"""Members in, members out (issue 21 §2): the functional administrator and a team's coordinator
add members in the application (a new person gets an invitation with the one-time enrolment
link, never a password), and end them: ended, not deleted, access gone at once, and the
residents she coordinated on the next agenda. Every change is in the access log and in the
team's history."""

from __future__ import annotations

import datetime
import html
import re
import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django_otp.plugins.otp_totp.models import TOTPDevice

from kernteam.members import add_member, end_membership, resend_invitation
from kernteam.models import AccessLogEntry, Meeting, Membership, MembershipChange, shown_date
from kernteam.refusals import Refused
from kernteam.roles import INTEGRATIONS, LOG_OFFICERS, PROGRAMME_OFFICE, Role
from kernteam.second_factor import device_for_link
from steps.board import board_columns
from steps.meetings import agenda_candidates
from tests.factories import ResidentFactory, UserFactory, carer_for, give_consent
from tests.helpers import API, api_as, exactly, race

pytestmark = pytest.mark.django_db

User = get_user_model()
NOT_MANAGER = (
    "Alleen de coördinator van het kernteam en de functioneel beheerder voegen leden van een "
    "team toe of beëindigen hun lidmaatschap."
)
OWN = (
    "U kunt uw eigen lidmaatschappen niet toevoegen, wijzigen of beëindigen: vraag het een andere "
    "coördinator van het team of de functioneel beheerder."
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
    assert "Janssen" not in sent.body and "cliënt" not in sent.body  # nothing about residents


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


def names_of(user) -> dict[str, str]:
    return {"first_name": user.first_name, "last_name": user.last_name}


def test_the_same_person_in_the_same_role_twice_is_refused(daalhof):
    daalhof.gp.email = "huisarts@daalhof.nl"
    daalhof.gp.save()
    before = written()
    with pytest.raises(ValidationError) as refused:
        add(
            daalhof.team,
            daalhof.coordinator,
            email="Huisarts@Daalhof.nl",
            role=Role.GP,
            **names_of(daalhof.gp),
        )
    assert refused.value.message_dict == {"role": ["Deze persoon zit al in het team als huisarts."]}
    assert written() == before


def test_an_existing_account_gets_a_second_membership_not_a_second_account(daalhof, malberg):
    """The district nurse of Daalhof joins Malberg: found by her address, whatever its capitals
    (her name typed in other capitals and spaces is hers too); she keeps her account, her AGB
    code comes along, and she signs in with her app as before."""
    nurse = daalhof.district_nurse
    nurse.email = "m.smeets@groenekruis.nl"
    nurse.save()
    Membership.objects.filter(user=nurse).update(agb_code="07654321")
    TOTPDevice.objects.create(user=nurse, name="app", confirmed=True)
    accounts = User.objects.count()

    added = add(
        malberg.team,
        malberg.coordinator,
        email="M.Smeets@GroeneKruis.nl",
        first_name=nurse.first_name.upper(),
        last_name=f"  {nurse.last_name} ",
    )

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
    added = add(malberg.team, malberg.coordinator, email=gp.email, role=Role.GP, **names_of(gp))
    assert added.invited and not added.new_account
    (sent,) = mail.outbox  # (Malberg's GP has no address: nobody else is told)
    assert f"log in met uw gebruikersnaam {gp.username} en uw wachtwoord" in sent.body
    assert "/accounts/enrol/" in sent.body


# An address that cannot be a member's: a coordinator reads one neutral reason (whether it is a
# carer's, implying a relative in care, is none of her business); the functional administrator,
# who can act on it, reads which.
UNUSABLE = "Dit e-mailadres kan niet voor een lid worden gebruikt; vraag de beheerder van Kernteam."


def test_a_carers_portal_account_is_refused_without_saying_so(daalhof, admin):
    carer = carer_for(ResidentFactory(team=daalhof.team, state="step1"), username="thea")
    carer.user.email = "thea@example.nl"
    carer.user.save()
    before = written()
    with pytest.raises(ValidationError) as refused:
        add(daalhof.team, daalhof.coordinator, email="Thea@Example.nl")
    assert refused.value.message_dict == {"email": [UNUSABLE]}
    with pytest.raises(ValidationError) as refused:
        add(daalhof.team, admin, email="Thea@Example.nl")
    assert refused.value.message_dict["email"] == [
        "Dit e-mailadres hoort bij het account van een mantelzorger (het mantelzorgportaal). Een "
        "professional heeft een eigen account nodig: gebruik haar werkadres."
    ]
    assert written() == before


def test_a_switched_off_account_is_refused_without_its_username(client, daalhof, admin):
    daalhof.welfare.email = "welzijn@daalhof.nl"
    daalhof.welfare.is_active = False
    daalhof.welfare.save()
    values = {**ANNA, "email": "Welzijn@Daalhof.nl", **names_of(daalhof.welfare)}
    client.force_login(daalhof.coordinator)
    page = client.post(members_url("daalhof", "member_add"), values)
    assert page.status_code == 400 and UNUSABLE in page.text
    assert daalhof.welfare.username not in page.text
    with pytest.raises(ValidationError) as refused:
        add(daalhof.team, admin, **values)
    assert refused.value.message_dict["email"] == [
        f"Het account met dit e-mailadres ({daalhof.welfare.username}) staat uit. De "
        "functioneel beheerder zet het eerst aan in de beheeromgeving."
    ]


def test_an_integration_account_is_not_managed_here(daalhof, admin):
    system = UserFactory(username="his-koppeling", email="his@praktijk.nl")
    system.groups.add(Group.objects.get_or_create(name=INTEGRATIONS)[0])
    with pytest.raises(ValidationError) as refused:
        add(daalhof.team, daalhof.coordinator, email="his@praktijk.nl")
    assert refused.value.message_dict == {"email": [UNUSABLE]}
    with pytest.raises(ValidationError) as refused:
        add(daalhof.team, admin, email="his@praktijk.nl")
    assert refused.value.message_dict["email"][0].startswith("Dit is een koppelingsaccount")
    membership = Membership.objects.create(team=daalhof.team, user=system, role=Role.GP)
    with pytest.raises(Refused, match=r"^Dit is een koppelingsaccount"):
        end_membership(membership=membership, by=daalhof.coordinator)


def test_a_username_is_never_taken_twice(daalhof):
    UserFactory(username="A.Vermeulen")
    added = add(daalhof.team, daalhof.coordinator)
    assert added.membership.user.username == "a.vermeulen2"
    assert "@" not in added.membership.user.username  # (carers sign in with an address)


def refuse_mail(monkeypatch) -> None:
    def refused(self, messages):
        raise smtplib.SMTPRecipientsRefused({"a.vermeulen@groenekruis.nl": (550, b"no")})

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refused)


def kinds() -> list[str]:
    return list(MembershipChange.objects.order_by("pk").values_list("kind", flat=True))


def test_a_mail_that_fails_leaves_her_added_and_marked_not_sent(client, daalhof, monkeypatch):
    """The mail goes out after the change is committed: when it fails she is on the team all
    the same, the link nobody received is void, and the list says so, with the button to send
    the invitation again."""
    refuse_mail(monkeypatch)
    client.force_login(daalhof.coordinator)
    done = client.post(members_url("daalhof", "member_add"), ANNA)
    assert done.status_code == 302
    anna = User.objects.get(email=ANNA["email"])
    membership = Membership.objects.get(user=anna)
    assert daalhof.team.has_person(anna) and not TOTPDevice.objects.filter(user=anna).exists()
    assert kinds() == ["added", "not_sent"]
    assert AccessLogEntry.objects.filter(what="member-added: a.vermeulen as district_nurse")
    page = html.unescape(client.get(done.url).content.decode())
    assert (
        "Anna Vermeulen zit in het team als wijkverpleegkundige, maar de uitnodiging aan "
        "a.vermeulen@groenekruis.nl kon niet worden verstuurd (SMTPRecipientsRefused). In de "
        'lijst staat bij haar "uitnodiging niet verstuurd": verstuur hem later opnieuw vanaf '
        "daar." in page
    )
    row = page.split(f'id="membership-{membership.pk}"')[1].split("</li>")[0]
    assert "Uitnodiging niet verstuurd: de e-mail kon niet worden bezorgd" in row
    assert "Uitnodiging opnieuw versturen" in row
    assert "Anna Vermeulen</strong> · wijkverpleegkundige: uitnodiging niet verstuurd" in page

    monkeypatch.undo()  # the mail server is back
    client.post(members_url("daalhof", "member_invite", membership.pk))
    token = re.search(r"/accounts/enrol/([^/\s]+)/", mail.outbox[0].body)[1]
    assert device_for_link(token).user == anna
    row = client.get(done.url).content.decode().split(f'id="membership-{membership.pk}"')[1]
    assert "Uitgenodigd: heeft de authenticator-app nog niet ingesteld" in row.split("</li>")[0]


def test_a_note_that_fails_leaves_her_added(daalhof, malberg, monkeypatch):
    nurse = daalhof.district_nurse
    nurse.email = "a.vermeulen@groenekruis.nl"
    nurse.save()
    TOTPDevice.objects.create(user=nurse, name="app", confirmed=True)
    refuse_mail(monkeypatch)
    added = add(malberg.team, malberg.coordinator, **names_of(nurse))
    assert (added.invited, added.mail_error) == (False, "SMTPRecipientsRefused")
    assert malberg.team.has_person(nurse) and kinds() == ["added"]


@pytest.mark.django_db(transaction=True)
def test_the_invitation_is_mailed_after_the_change_is_committed(daalhof, monkeypatch):
    """No mail server holds the team's lock (nor a later failure a sent link to a device
    that was rolled back)."""
    from django.core.mail.backends.locmem import EmailBackend
    from django.db import connection

    seen, send = [], EmailBackend.send_messages

    def sending(self, messages):
        committed = Membership.objects.filter(user__email=ANNA["email"]).exists()
        seen.append((connection.in_atomic_block, committed))
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", sending)
    add(daalhof.team, daalhof.coordinator)
    assert seen == [(False, True)]


def test_an_invitation_sent_again_that_fails_says_so(daalhof, monkeypatch):
    added = add(daalhof.team, daalhof.coordinator)
    first = re.search(r"/accounts/enrol/([^/\s]+)/", mail.outbox[0].body)[1]
    refuse_mail(monkeypatch)
    with pytest.raises(Refused) as failed:
        resend_invitation(membership=added.membership, by=daalhof.coordinator)
    assert str(failed.value) == (
        "De e-mail aan a.vermeulen@groenekruis.nl kon niet worden verstuurd "
        "(SMTPRecipientsRefused): er is geen link verstuurd, en een eerdere link werkt niet meer. "
        "Probeer het later opnieuw."
    )
    assert device_for_link(first) is None
    assert not TOTPDevice.objects.filter(user=added.membership.user).exists()
    assert kinds() == ["added", "not_sent"]
    assert not AccessLogEntry.objects.filter(what__startswith="member-invited").exists()


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
    with pytest.raises(Refused, match=exactly(OWN)) as refused:
        end_membership(membership=mine, by=daalhof.coordinator)
    assert refused.value.forbidden
    end_membership(membership=mine, by=admin)
    assert not daalhof.team.has_active_role(Role.COORDINATOR)


def test_a_coordinator_leaves_when_another_ends_her_membership(daalhof):
    Membership.objects.create(team=daalhof.team, user=daalhof.poh, role=Role.COORDINATOR)
    mine = Membership.objects.get(user=daalhof.coordinator, team=daalhof.team)
    end_membership(membership=mine, by=daalhof.poh)
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
    assert "2 cliënten krijgen een nieuwe zorgcoördinator: zij komen op de agenda" in html
    assert (
        "Gulpers" in html and "Hameleers" not in html and "En 1 cliënt die u niet mag zien" in html
    )
    logged = AccessLogEntry.objects.get(what="member-end-residents")
    assert logged.resident == seen  # (her name was shown: a read of her data)
    assert nurse_membership(daalhof).ended_on is None  # (only asked)

    done = client.post(url)
    assert done.status_code == 302
    said = client.get(done.url).content.decode()
    assert "2 cliënten krijgen een nieuwe zorgcoördinator" in said
    assert nurse_membership(daalhof).ended_on == timezone.localdate()


def test_the_end_page_refuses_her_own_membership_plainly(client, daalhof):
    client.force_login(daalhof.coordinator)
    mine = Membership.objects.get(user=daalhof.coordinator, team=daalhof.team)
    for asked in (client.get, client.post):
        page = asked(members_url("daalhof", "member_end", mine.pk))
        assert page.status_code == 403 and OWN in page.content.decode()
    assert Membership.objects.get(pk=mine.pk).ended_on is None


def test_the_end_page_warns_the_administrator_of_the_last_coordinator(client, daalhof, admin):
    """A coordinator whose account is switched off coordinates nothing: she does not count as
    another coordinator."""
    Membership.objects.create(team=daalhof.team, user=daalhof.poh, role=Role.COORDINATOR)
    mine = Membership.objects.get(user=daalhof.coordinator, team=daalhof.team)
    client.force_login(admin)
    warning = "Zij is de enige coördinator van het team: tot u een andere toevoegt"
    assert warning not in client.get(members_url("daalhof", "member_end", mine.pk)).text
    daalhof.poh.is_active = False
    daalhof.poh.save()
    assert warning in client.get(members_url("daalhof", "member_end", mine.pk)).text


def test_sending_the_invitation_again_from_the_page(client, daalhof):
    added = add(daalhof.team, daalhof.coordinator)
    client.force_login(daalhof.coordinator)
    done = client.post(members_url("daalhof", "member_invite", added.membership.pk))
    assert done.status_code == 302 and len(mail.outbox) == 2
    page = client.get(done.url).content.decode()
    assert "Er is een nieuwe link verstuurd naar a.vermeulen@groenekruis.nl" in page
    assert client.get(members_url("daalhof", "member_invite", 1)).status_code == 405


# --- a coordinator's own memberships, and the clinical roles she gives -------------------------


def test_a_coordinator_cannot_make_herself_gp(client, daalhof):
    """Her own account, by her address in other capitals: she would gain the GP's rights (step
    down, close, import, PZP)."""
    coordinator = daalhof.coordinator
    coordinator.email = "coordinator@daalhof.nl"
    coordinator.save()
    values = {"email": coordinator.email.upper(), "role": Role.GP, **names_of(coordinator)}
    before = written()
    with pytest.raises(Refused, match=exactly(OWN)) as refused:
        add(daalhof.team, coordinator, **values)
    assert refused.value.forbidden
    client.force_login(coordinator)
    page = client.post(members_url("daalhof", "member_add"), {**ANNA, **values, "confirm": "x"})
    assert page.status_code == 403 and OWN in page.content.decode()
    assert written() == before
    assert daalhof.team.roles_of(coordinator) == {Role.COORDINATOR}


def test_she_does_not_change_or_end_her_own_memberships(client, daalhof):
    coordinator = daalhof.coordinator
    coordinator.email = "coordinator@daalhof.nl"
    coordinator.save()
    welfare = Membership.objects.create(team=daalhof.team, user=coordinator, role=Role.WELFARE)
    for attempt in (end_membership, resend_invitation):
        with pytest.raises(Refused, match=exactly(OWN)):
            attempt(membership=welfare, by=coordinator)
    client.force_login(coordinator)
    html_page = client.get(members_url()).content.decode()
    row = html_page.split(f'id="membership-{welfare.pk}"')[1].split("</li>")[0]
    assert "Uw eigen lidmaatschap: een andere coördinator of de functioneel beheerder" in row
    assert "Lidmaatschap beëindigen" not in row and "Uitnodiging" not in row
    for url in (
        members_url("daalhof", "member_end", welfare.pk),
        members_url("daalhof", "member_invite", welfare.pk),
    ):
        page = client.post(url)
        assert page.status_code == 403 and OWN in page.content.decode()
    assert not MembershipChange.objects.exists() and not mail.outbox
    assert daalhof.team.roles_of(coordinator) == {Role.COORDINATOR, Role.WELFARE}


def test_a_clinical_role_a_coordinator_gives_is_told_to_the_teams_gp(client, daalhof):
    """A coordinator may add a POH, a GP or an elderly-care physician (she builds the team),
    but not unseen: the team's GP hears of it, and the coordinator is told she did."""
    daalhof.gp.email = "huisarts@daalhof.nl"
    daalhof.gp.save()
    client.force_login(daalhof.coordinator)
    done = client.post(members_url("daalhof", "member_add"), {**ANNA, "role": Role.POH})
    assert done.status_code == 302
    invitation, told = mail.outbox
    assert invitation.to == [ANNA["email"]] and told.to == ["huisarts@daalhof.nl"]
    assert told.subject == "Kernteam: Anna Vermeulen zit in Kernteam Daalhof als POH-ouderen"
    assert (
        f"{daalhof.coordinator.get_full_name()}, coördinator van Kernteam Daalhof, heeft Anna "
        "Vermeulen (a.vermeulen@groenekruis.nl) aan het team toegevoegd als POH-ouderen."
    ) in told.body
    page = client.get(done.url).content.decode()
    said = f"Per e-mail op de hoogte gebracht, als huisarts van het team: {person(daalhof.gp)}."
    assert said in page


def test_the_gp_is_not_told_of_other_roles_nor_of_the_administrators(daalhof, admin):
    daalhof.gp.email = "huisarts@daalhof.nl"
    daalhof.gp.save()
    assert add(daalhof.team, daalhof.coordinator).told == ()  # a district nurse
    added = add(daalhof.team, admin, email="j.huisarts@daalhof.nl", first_name="Jo", role=Role.GP)
    assert added.told == ()
    assert [sent.to for sent in mail.outbox] == [[ANNA["email"]], ["j.huisarts@daalhof.nl"]]


def person(user) -> str:
    return user.get_full_name()


# --- at the same moment ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_ending_each_other_at_once_leave_one(daalhof):
    """Each ends the other at the same moment: the team's row is locked, so one goes first;
    the other is no longer a coordinator by then, and is told so. The team keeps one."""
    Membership.objects.create(team=daalhof.team, user=daalhof.poh, role=Role.COORDINATOR)
    theirs = [
        Membership.objects.get(user=daalhof.poh, role=Role.COORDINATOR),
        Membership.objects.get(user=daalhof.coordinator, role=Role.COORDINATOR),
    ]
    by = [daalhof.coordinator, daalhof.poh]
    results = race(2, lambda i: end_membership(membership=theirs[i], by=by[i]))
    ended = [r for r in results if isinstance(r, Membership)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(ended) == 1 and len(refused) == 1, results
    assert str(refused[0]) == NOT_MANAGER and refused[0].forbidden
    assert daalhof.team.people().filter(role=Role.COORDINATOR).count() == 1
    assert MembershipChange.objects.filter(kind="ended").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_teams_adding_the_same_new_person_at_once_make_one_account(daalhof, malberg):
    """Two coordinators add Anna at the same moment, each to her own team: the first makes her
    account, the second finds it (the database keeps an address to one account), so Anna is
    on both teams with one account, and later additions still find her."""
    teams, by = [daalhof.team, malberg.team], [daalhof.coordinator, malberg.coordinator]
    results = race(2, lambda i: add(teams[i], by[i]))
    assert all(not isinstance(r, Exception) for r in results), results
    (anna,) = User.objects.filter(email__iexact=ANNA["email"])
    assert {r.membership.user for r in results} == {anna}
    assert sorted(r.new_account for r in results) == [False, True]
    assert anna.username == "a.vermeulen" and daalhof.team.has_person(anna)
    assert malberg.team.has_person(anna)
    assert not User.objects.filter(username="a.vermeulen2").exists()
    again = add(daalhof.team, daalhof.coordinator, role=Role.WELFARE)
    assert again.membership.user == anna


def test_the_database_keeps_an_address_to_one_account(daalhof):
    daalhof.gp.email = "huisarts@daalhof.nl"
    daalhof.gp.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="tweede", email="Huisarts@Daalhof.NL")
    UserFactory(username="zonder-adres-1")
    UserFactory(username="zonder-adres-2")  # (accounts without an address: as many as needed)


# --- what is typed -----------------------------------------------------------------------------


def test_an_address_too_long_for_an_account_is_refused_by_field(client, daalhof):
    """The field holds 254 characters (an address may have 320: PostgreSQL refused it, a 500)."""
    long = f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 59}.nl"
    assert len(long) == 255
    with pytest.raises(ValidationError) as refused:
        add(daalhof.team, daalhof.coordinator, email=long)
    assert refused.value.message_dict == {"email": ["Hoogstens 254 tekens."]}
    client.force_login(daalhof.coordinator)
    page = client.post(members_url("daalhof", "member_add"), {**ANNA, "email": long})
    assert page.status_code == 400 and "Hoogstens 254 tekens." in page.content.decode()
    assert not User.objects.filter(email=long).exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"first_name": "A" * 151}, {"first_name": ["Hoogstens 150 tekens."]}),
        ({"last_name": "V" * 151}, {"last_name": ["Hoogstens 150 tekens."]}),
        ({"agb_code": "012345678"}, {"agb_code": ["Een AGB-code bestaat uit 8 cijfers."]}),
        ({"uzi_number": "0123456789"}, {"uzi_number": ["Een UZI-nummer bestaat uit 9 cijfers."]}),
    ],
)
def test_names_and_identifiers_too_long_are_refused_by_field(daalhof, values, message):
    before = written()
    with pytest.raises(ValidationError) as refused:
        add(daalhof.team, daalhof.coordinator, **values)
    assert refused.value.message_dict == message
    assert written() == before


def test_an_address_of_someone_by_another_name_asks_first(client, daalhof):
    """A typo that is another professional's address: not added until the coordinator confirms
    she means her."""
    nurse = daalhof.district_nurse
    nurse.email = "a.vermeulen@groenekruis.nl"
    nurse.save()
    question = f"Dit adres hoort bij {nurse.get_full_name()}. Bedoelt u haar?"
    before = written()
    with pytest.raises(Refused, match=exactly(question)):
        add(daalhof.team, daalhof.coordinator, role=Role.WELFARE)
    assert written() == before

    client.force_login(daalhof.coordinator)
    url = members_url("daalhof", "member_add")
    values = {**ANNA, "role": Role.WELFARE}
    page = client.post(url, values)
    asked = page.content.decode()
    assert page.status_code == 200 and question in asked
    assert f">Ja, {nurse.get_full_name()} toevoegen</button>" in asked
    assert 'name="confirm" value="a.vermeulen@groenekruis.nl"' in asked
    # a confirmation for another address confirms nothing
    other = client.post(url, {**values, "confirm": "iemand@groenekruis.nl"})
    assert question in other.content.decode() and written() == before

    done = client.post(url, {**values, "confirm": "a.vermeulen@groenekruis.nl"})
    assert done.status_code == 302
    assert daalhof.team.roles_of(nurse) == {Role.DISTRICT_NURSE, Role.WELFARE}
    assert nurse.get_full_name() != "Anna Vermeulen"  # (her name, not the one typed)


# --- review 2 of issue 21: whom a coordinator may reach by address ------------------------------


@pytest.mark.parametrize("group", [PROGRAMME_OFFICE, LOG_OFFICERS, "superuser"])
def test_an_offices_account_is_not_put_on_a_team_by_a_coordinator(daalhof, admin, group):
    """The programme office's, the log officer's or a superuser's account on a team would read
    its residents: a coordinator is refused with the neutral reason, even after confirming; the
    functional administrator may (and is asked, as for anyone by another name)."""
    office = UserFactory(username="bureau", email="bureau@kernteam.nl", first_name="Bo")
    if group == "superuser":
        office.is_superuser = True
        office.save()
    else:
        office.groups.add(Group.objects.get_or_create(name=group)[0])
    before = written()
    for confirmed in (False, True):
        with pytest.raises(ValidationError) as refused:
            add(daalhof.team, daalhof.coordinator, email="Bureau@kernteam.nl", confirmed=confirmed)
        assert refused.value.message_dict == {"email": [UNUSABLE]}
    assert written()[:4] == before[:4]
    added = add(daalhof.team, admin, email="bureau@kernteam.nl", confirmed=True)
    assert added.membership.user == office


def test_the_name_behind_an_address_is_told_only_to_a_teammate(daalhof, malberg, admin):
    """ "Dit adres hoort bij ..." names the person only to the functional administrator and to a
    coordinator on a team with her; another coordinator reads the neutral reason."""
    nurse = daalhof.district_nurse
    nurse.email = "a.vermeulen@groenekruis.nl"
    nurse.save()
    question = f"Dit adres hoort bij {nurse.get_full_name()}. Bedoelt u haar?"
    for confirmed in (False, True):
        with pytest.raises(ValidationError) as refused:
            add(malberg.team, malberg.coordinator, confirmed=confirmed)
        assert refused.value.message_dict == {"email": [UNUSABLE]}
        assert nurse.get_full_name() not in str(refused.value)
    with pytest.raises(Refused, match=exactly(question)):
        add(malberg.team, admin)
    with pytest.raises(Refused, match=exactly(question)):  # (Daalhof's coordinator knows her)
        add(daalhof.team, daalhof.coordinator, role=Role.WELFARE)
    Membership.objects.filter(user=nurse).update(ended_on=timezone.localdate())
    with pytest.raises(ValidationError):  # (no longer a teammate)
        add(daalhof.team, daalhof.coordinator, role=Role.WELFARE)


def test_a_gp_who_could_not_be_told_is_named_and_logged(client, daalhof, monkeypatch):
    """The notice to the team's GP of a clinical role fails: the coordinator reads whom it did
    not reach, and the access log keeps it."""
    daalhof.gp.email = "huisarts@daalhof.nl"
    daalhof.gp.save()
    sent = []

    def only_to_anna(self, messages):
        if messages[0].to == ["huisarts@daalhof.nl"]:
            raise smtplib.SMTPRecipientsRefused({"huisarts@daalhof.nl": (550, b"no")})
        sent.extend(messages)
        return len(messages)

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", only_to_anna)
    client.force_login(daalhof.coordinator)
    done = client.post(members_url("daalhof", "member_add"), {**ANNA, "role": Role.POH})
    assert done.status_code == 302 and [m.to for m in sent] == [[ANNA["email"]]]
    page = client.get(done.url).content.decode()
    said = (
        "De e-mail aan de huisarts van het team kon niet worden verstuurd aan: "
        f"{person(daalhof.gp)}. Laat het hen zelf weten."
    )
    assert html.escape(said) in page or said in page
    assert "Per e-mail op de hoogte gebracht" not in page
    entry = AccessLogEntry.objects.get(what=f"gp-not-told: {daalhof.gp.username}")
    assert (entry.user, entry.team, entry.resident) == (daalhof.coordinator, daalhof.team, None)
