"""The panel links a carer to a resident (issue 16 §3): a member of the resident's team, on an
open record; a carer known by the same e-mail address and name is linked, not recorded twice,
and nothing about their other family members is shown. Relationships read as a family says
them ("dochter", "buurvrouw"). In the portal the carer sees the concerns she sent and whether
the team has handled them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from clients.models import Carer, CarerLink
from clients.services import (
    handle_concern,
    invite_carer,
    link_carer,
    raise_concern,
    record_consent,
)
from kernteam.models import AccessLogEntry
from kernteam.refusals import Refused
from kernteam.roles import Role
from tests.factories import carer_for
from tests.helpers import exactly

THEA = {
    "first_name": "Thea",
    "last_name": "Ramakers",
    "relationship": "daughter",
    "phone": "06 12 34 56 78",
    "email": "thea.ramakers@example.nl",
}


@pytest.fixture
def ramakers(resident_in, daalhof):
    resident = resident_in("step2", last_name="Ramakers", salutation="Mijnheer")
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=timezone.localdate(),
        disciplines=list(Role.values),
        share_with_carers=True,
    )
    return resident


def only_message(refused: ValidationError) -> tuple[str, str]:
    [(field, [message])] = refused.message_dict.items()
    return field, message


# --- the service ------------------------------------------------------------------------------


def test_a_team_member_links_a_new_carer(daalhof, ramakers):
    link = link_carer(resident=ramakers, by=daalhof.poh, **THEA)
    carer = link.carer
    assert (carer.first_name, carer.last_name, carer.phone, carer.email) == (
        "Thea",
        "Ramakers",
        "06 12 34 56 78",
        "thea.ramakers@example.nl",
    )
    assert (link.resident, link.relationship, link.ended_on, carer.user) == (
        ramakers,
        "daughter",
        None,
        None,
    )
    assert link.get_relationship_display() == "dochter"


def test_only_a_member_of_the_residents_team_links_a_carer(malberg, thea, ramakers):
    for outsider in (malberg.gp, thea):
        with pytest.raises(
            Refused, match=exactly("Alleen leden van het kernteam van deze cliënt kunnen dit doen.")
        ) as refused:
            link_carer(resident=ramakers, by=outsider, **THEA)
        assert refused.value.forbidden
    assert not Carer.objects.exists()


def test_nothing_is_linked_to_a_closed_record(daalhof, resident_in):
    closed = resident_in("closed", last_name="Dorssers")
    with pytest.raises(ValidationError) as refused:
        link_carer(resident=closed, by=daalhof.gp, **THEA)
    assert refused.value.messages == [
        "Dit dossier is afgesloten en kan niet meer worden gewijzigd."
    ]
    assert not Carer.objects.exists()


def test_linking_never_looks_at_other_residents_carers(daalhof, ramakers, resident_in):
    """The same address (and name) already recorded for another resident, with an account:
    a new carer without an account, and not a word about the other one. Her account does not
    see this resident until she accepts this resident's own invitation."""
    known = carer_for(resident_in("step1", last_name="Peters"), username="thea-account")
    known.email, known.phone = "thea.ramakers@example.nl", ""
    known.save()
    link = link_carer(resident=ramakers, by=daalhof.poh, **THEA)
    assert link.carer != known and link.carer.user is None
    known.refresh_from_db()
    assert known.phone == "" and not known.links.filter(resident=ramakers).exists()
    other_name = {**THEA, "first_name": "Annie", "last_name": "Peters", "relationship": "sister"}
    assert link_carer(resident=resident_in("step1"), by=daalhof.gp, **other_name).carer.user is None


def test_without_an_address_a_namesake_is_another_person(daalhof, ramakers, resident_in):
    peters = resident_in("step1", last_name="Peters")
    first = link_carer(resident=peters, by=daalhof.gp, **{**THEA, "email": ""})
    second = link_carer(resident=ramakers, by=daalhof.poh, **{**THEA, "email": ""})
    assert first.carer != second.carer and Carer.objects.count() == 2


def test_a_carer_linked_already_is_not_linked_twice(daalhof, ramakers):
    link_carer(resident=ramakers, by=daalhof.poh, **THEA)
    with pytest.raises(ValidationError) as refused:
        link_carer(resident=ramakers, by=daalhof.gp, **THEA)
    assert refused.value.messages == ["Thea Ramakers is al aan deze cliënt gekoppeld."]
    assert ramakers.carer_links.count() == 1


def test_a_link_needs_a_name_a_relationship_and_a_proper_address(daalhof, ramakers):
    with pytest.raises(ValidationError) as refused:
        link_carer(resident=ramakers, by=daalhof.poh, **{**THEA, "first_name": "  "})
    assert refused.value.message_dict == {"first_name": ["Dit veld kan niet leeg zijn"]}
    with pytest.raises(ValidationError) as refused:
        link_carer(resident=ramakers, by=daalhof.poh, **{**THEA, "email": "thea@"})
    assert refused.value.message_dict == {"email": ["Voer een geldig e-mailadres in."]}
    with pytest.raises(ValidationError) as refused:
        link_carer(resident=ramakers, by=daalhof.poh, **{**THEA, "relationship": "aunt"})
    assert only_message(refused.value) == (
        "relationship",
        "Kies wie de mantelzorger voor de cliënt is.",
    )
    assert not Carer.objects.exists()


NEUTRAL = ["child", "child_in_law", "grandchild", "sibling", "neighbour", "friend"]


@pytest.mark.parametrize("code", NEUTRAL)
def test_a_neutral_code_of_older_links_is_not_for_a_new_one(daalhof, ramakers, code):
    """ "kind", "buur": they name no one; a new link says "dochter", "buurvrouw"."""
    with pytest.raises(ValidationError) as refused:
        link_carer(resident=ramakers, by=daalhof.poh, **{**THEA, "relationship": code})
    assert only_message(refused.value) == (
        "relationship",
        "Kies wie de mantelzorger voor de cliënt is.",
    )
    assert not Carer.objects.exists()


def test_the_new_carer_can_be_invited_and_accepts(daalhof, ramakers, client):
    carer = link_carer(resident=ramakers, by=daalhof.poh, **THEA).carer
    token = invite_carer(resident=ramakers, carer=carer, by=daalhof.poh)
    page = client.post(
        reverse("carer_accept", args=[token]),
        {"new_password1": "Zonnebloem-2026", "new_password2": "Zonnebloem-2026"},
    )
    assert page.status_code == 302 and page.url == reverse("carer_portal")
    carer.refresh_from_db()
    assert carer.user.username == "thea.ramakers@example.nl"
    assert "Mijnheer" in client.get(reverse("carer_portal")).content.decode()


# --- relationship labels ----------------------------------------------------------------------


def test_relationships_read_as_a_family_says_them():
    offered = dict(CarerLink.Relationship.offered())
    assert [str(label) for label in offered.values()] == [
        "partner",
        "dochter",
        "zoon",
        "schoondochter",
        "schoonzoon",
        "kleindochter",
        "kleinzoon",
        "zus",
        "broer",
        "buurvrouw",
        "buurman",
        "vriendin",
        "vriend",
        "andere relatie",
    ]
    assert not any(" of " in str(label) for label in offered.values())


def test_links_recorded_before_keep_their_meaning(daalhof, ramakers):
    """Stored codes did not change: an old link reads as a neutral word, and exports still
    find the neutral code of a new one."""
    old = carer_for(ramakers)  # recorded as "child"
    link = old.links.get()
    assert (link.relationship, link.get_relationship_display()) == ("child", "kind")
    assert "child" not in dict(CarerLink.Relationship.offered())
    assert CarerLink.Relationship.neutral("daughter") == "child"
    assert CarerLink.Relationship.neutral("neighbour_woman") == "neighbour"
    assert CarerLink.Relationship.neutral("partner") == "partner"


# --- the panel --------------------------------------------------------------------------------


def test_the_panel_links_a_carer_and_offers_the_invitation(client, daalhof, ramakers):
    client.force_login(daalhof.poh)
    panel = client.get(reverse("resident", args=[ramakers.pk])).content.decode()
    assert "Geen mantelzorgers gekoppeld." in panel
    assert reverse("carer_link", args=[ramakers.pk]) in panel
    form = client.get(reverse("carer_link", args=[ramakers.pk]), HTTP_HX_REQUEST="true")
    html = form.content.decode()
    assert '<option value="daughter">dochter</option>' in html
    assert '<option value="child">' not in html
    done = client.post(reverse("carer_link", args=[ramakers.pk]), THEA, HTTP_HX_REQUEST="true")
    html = done.content.decode()
    assert done.headers["HX-Retarget"] == "#resident-panel"
    assert "Thea Ramakers (dochter)" in html
    assert "Thea Ramakers is gekoppeld als dochter." in html
    carer = Carer.objects.get()
    assert reverse("carer_invite", args=[ramakers.pk, carer.pk]) in html
    entry = AccessLogEntry.objects.filter(resident=ramakers).order_by("-pk").first()
    assert (entry.user, entry.action) == (daalhof.poh, "write")
    client.post(reverse("carer_invite", args=[ramakers.pk, carer.pk]))
    [invitation] = mail.outbox
    assert invitation.to == ["thea.ramakers@example.nl"]
    assert invitation.from_email == "Kernteam <noreply@kernteam.localhost>"


def test_a_refused_link_shows_why_and_changes_nothing(client, daalhof, ramakers):
    client.force_login(daalhof.poh)
    response = client.post(
        reverse("carer_link", args=[ramakers.pk]),
        {**THEA, "relationship": "", "email": "geen-adres"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Voer een geldig e-mailadres in." in html and "Dit veld is verplicht." in html
    assert not Carer.objects.exists()
    entry = AccessLogEntry.objects.filter(resident=ramakers).order_by("-pk").first()
    assert entry.action == "read"


def test_the_form_refuses_a_neutral_code_in_the_services_words(client, daalhof, ramakers):
    client.force_login(daalhof.poh)
    response = client.post(
        reverse("carer_link", args=[ramakers.pk]),
        {**THEA, "relationship": "child"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Kies wie de mantelzorger voor de cliënt is." in html
    assert "geen beschikbare keuze" not in html  # (Django's words name the code)
    assert not Carer.objects.exists()


def test_a_link_recorded_with_a_neutral_code_still_reads_and_validates(client, daalhof, ramakers):
    old = carer_for(ramakers).links.get()  # recorded as "child", before the choice named her
    old.full_clean()  # (the admin still saves it as it is)
    client.force_login(daalhof.poh)
    panel = client.get(reverse("resident", args=[ramakers.pk])).content.decode()
    assert "Thea Ramakers (kind)" in panel
    old.refresh_from_db()
    assert old.relationship == "child"


def test_a_closed_record_offers_no_link_and_refuses_one(client, daalhof, resident_in):
    closed = resident_in("closed", last_name="Dorssers")
    client.force_login(daalhof.gp)
    assert (
        reverse("carer_link", args=[closed.pk])
        not in client.get(reverse("resident", args=[closed.pk])).content.decode()
    )
    response = client.post(reverse("carer_link", args=[closed.pk]), THEA)
    assert (
        "Dit dossier is afgesloten en kan niet meer worden gewijzigd." in response.content.decode()
    )
    assert not Carer.objects.exists()


def test_someone_who_may_not_see_the_resident_gets_404(client, malberg, thea, ramakers):
    for user in (malberg.gp, thea):
        client.force_login(user)
        assert client.post(reverse("carer_link", args=[ramakers.pk]), THEA).status_code == 404
    assert not Carer.objects.exists()


# --- the portal: her concerns -----------------------------------------------------------------


def test_thea_sees_the_concerns_she_sent_and_whether_the_team_handled_them(
    client, daalhof, ramakers, resident_in
):
    carer = carer_for(ramakers, username="thea")
    other = carer_for(ramakers)  # another carer of her father: not hers to read
    older = raise_concern(resident=ramakers, by=carer.user, text="Vader vergeet te eten")
    raise_concern(resident=ramakers, by=carer.user, text="Vader lijkt verwarder")
    raise_concern(resident=ramakers, by=daalhof.poh, text="Zorgen van de ander", carer=other)
    # what the POH wrote down from Thea's phone call is the team's note, not hers to read
    raise_concern(resident=ramakers, by=daalhof.poh, text="Telefoon: dochter uitgeput", carer=carer)
    handle_concern(concern=older, by=daalhof.coordinator)
    client.force_login(carer.user)
    html = client.get(reverse("carer_portal")).content.decode()
    assert "Wat u het team liet weten" in html
    assert html.index("Vader lijkt verwarder") < html.index("Vader vergeet te eten")  # newest first
    assert "Ontvangen door het team, nog niet besproken." in html
    older.refresh_from_db()
    handled = date_format(timezone.localtime(older.handled_at), "j F Y")
    assert f"Het team heeft dit op {handled} opgepakt." in html
    assert "Zorgen van de ander" not in html and "dochter uitgeput" not in html
