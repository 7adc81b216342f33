"""Bytes nobody types on purpose get an answer that says what is wrong, never a 500: a token
that is not UTF-8, a NUL in an address (PostgreSQL cannot hold one), JSON nested thousands
deep, a body too large to read, and a carer's email address that another already has in
other capitals. Run these on PostgreSQL too: that is where a NUL breaks."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from django.urls import reverse

from clients.models import CarerInvitation
from clients.services import accept_invitation, invitation_for, invite_carer
from tests.factories import carer_for
from tests.helpers import API, api_as

NUL_REFUSED = "Het adres bevat een NUL-teken; dat is niet toegestaan."


@pytest.mark.parametrize(
    "credentials",
    ["Token \xff\xfe\xfd", "Token caf\xe9", "Token abcdefgh\x00ijkl"],
    ids=["not-utf8", "latin-1", "nul"],
)
def test_a_token_that_is_not_text_is_refused_as_invalid(client, daalhof, credentials):
    response = client.get(f"{API}/teams/", HTTP_AUTHORIZATION=credentials)
    assert response.status_code == 401
    assert response.json() == {"detail": "Ongeldige token."}


@pytest.mark.parametrize(
    "address",
    [
        "/teams/daalhof/board/?q=%00",
        "/teams/daalhof/board/?mine=1&q=Jans%00sen",
        "/teams/daalhof/closed/?q=%00",
    ],
)
def test_a_nul_in_a_search_is_refused_on_the_web(client, daalhof, address):
    client.force_login(daalhof.gp)
    response = client.get(address)
    assert response.status_code == 400
    assert response.content.decode() == NUL_REFUSED


@pytest.mark.parametrize(
    "address",
    [
        "/admin/autocomplete/?term=%00&app_label=clients&model_name=carerlink&field_name=resident",
        "/admin/autocomplete/?term=a%00&app_label=steps&model_name=goal&field_name=resident",
        "/admin/clients/resident/?q=%00",
        "/admin/kernteam/accesslogentry/?q=%00",
    ],
)
def test_a_nul_in_the_admins_searches_is_refused(admin_client, daalhof, resident_in, address):
    resident_in("step2")
    response = admin_client.get(address)
    assert response.status_code == 400
    assert response.content.decode() == NUL_REFUSED


def test_a_nul_in_an_api_filter_is_refused_in_json(daalhof, resident_in):
    resident_in("step2")
    response = api_as(daalhof.gp).get(f"{API}/residents/?team=daalhof&state=step2%00")
    assert response.status_code == 400
    assert response.json() == {"detail": NUL_REFUSED}


@pytest.mark.parametrize(
    "body",
    ["[" * 5000, "[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000, "[" * 33 + "]" * 33],
    ids=["open", "balanced", "objects", "just-too-deep"],
)
def test_json_nested_too_deeply_is_refused_before_it_is_parsed(daalhof, resident_in, body):
    resident = resident_in("step2")
    response = api_as(daalhof.gp).generic(
        "POST", f"{API}/residents/{resident.pk}/transitions/", body, "application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "De JSON is te diep genest (hoogstens 32 niveaus)."}
    # Brackets inside a string are text, and nesting within the limit is parsed as before.
    reason = "[" * 5000
    response = api_as(daalhof.gp).post(
        f"{API}/residents/{resident.pk}/transitions/",
        {"transition": "step_up_to_3", "expected_state": "step2", "reason": reason[:2000]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    response = api_as(daalhof.gp).generic(
        "POST", f"{API}/residents/{resident.pk}/goals/", "[" * 32 + "]" * 32, "application/json"
    )
    assert response.status_code == 400 and "non_field_errors" in response.json()


def test_a_string_never_closed_costs_one_pass_not_one_per_quote(daalhof, resident_in):
    """A string that is never closed, full of escaped quotes, after enough brackets to be
    scanned: 200 KB answer 400 at once (a regex for whole strings took minutes on this)."""
    resident = resident_in("step2")
    body = "[" + "[]," * 40 + '"' + '\\"' * 100_000
    started = time.monotonic()
    response = api_as(daalhof.gp).generic(
        "POST", f"{API}/residents/{resident.pk}/transitions/", body, "application/json"
    )
    assert time.monotonic() - started < 2
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_a_body_larger_than_django_allows_is_refused_before_it_is_read(
    daalhof, resident_in, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    resident = resident_in("step2")
    body = '{"transition": "step_up_to_3", "expected_state": "step2", "reason": "%s"}'
    client = api_as(daalhof.gp)
    response = client.generic(
        "POST",
        f"{API}/residents/{resident.pk}/transitions/",
        body % ("x" * 10_000),
        "application/json",
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "De inhoud van het verzoek is te groot."}
    response = client.generic(
        "POST", f"{API}/residents/{resident.pk}/transitions/", body % "Gevallen", "application/json"
    )
    assert response.status_code == 200


# --- two carers, one address in two spellings ----------------------------------------------

IN_USE = (
    "Een andere mantelzorger of een ander account gebruikt het e-mailadres {} al. Elke "
    "mantelzorger meldt zich aan met een eigen adres: leg eerst een ander adres vast. Is het "
    "dezelfde mantelzorger, bijvoorbeeld voor een tweede bewoner? Koppel dan de bestaande "
    "mantelzorger aan deze bewoner."
)
YOURS_IN_USE = (
    "Een ander account gebruikt het e-mailadres {} al, dus u kunt er hier niet mee inloggen. "
    "Vraag de zorgcoördinator of de praktijkondersteuner om een ander e-mailadres voor u vast "
    "te leggen; daarna krijgt u een nieuwe uitnodiging. Is dat account al van u, als "
    "mantelzorger van een andere bewoner? Vraag dan of zij uw bestaande mantelzorgergegevens "
    "aan deze bewoner koppelen."
)
PASSWORD = {"new_password1": "Zonnebloem-2026", "new_password2": "Zonnebloem-2026"}


@pytest.fixture
def two_carers(daalhof, resident_in):
    """Thea and her brother: one resident, two carers, one address in two spellings."""
    resident = resident_in("step2")
    thea, jan = carer_for(resident), carer_for(resident)
    thea.email, jan.email = "thea@example.nl", "Thea@Example.NL"
    thea.save()
    jan.save()
    return resident, thea, jan


def test_the_second_carer_with_the_same_address_is_not_invited(client, daalhof, two_carers):
    resident, _thea, jan = two_carers
    client.force_login(daalhof.poh)
    response = client.post(
        reverse("carer_invite", args=[resident.pk, jan.pk]), HTTP_HX_REQUEST="true"
    )
    assert IN_USE.format("Thea@Example.NL") in response.content.decode()
    assert not mail.outbox and not CarerInvitation.objects.exists()


def test_an_invitation_to_an_address_taken_meanwhile_says_so_instead_of_failing(
    client, daalhof, two_carers
):
    resident, thea, jan = two_carers
    jan.email = "jan@example.nl"
    jan.save()
    theirs = invite_carer(resident=resident, carer=thea, by=daalhof.poh)
    his = invite_carer(resident=resident, carer=jan, by=daalhof.poh)
    accept_invitation(invitation=invitation_for(theirs), password="Zonnebloem-2026")
    jan.email = "THEA@example.nl"  # the administrator changes his address afterwards
    jan.save()

    link = reverse("carer_accept", args=[his])
    for response in (client.get(link), client.post(link, PASSWORD)):
        assert response.status_code == 409
        page = response.content.decode()
        said = re.findall(r'<p role="alert">(.*?)</p>', page)
        assert said == [YOURS_IN_USE.format("THEA@example.nl")]
        assert "Dit e-mailadres is al in gebruik" in page
        assert "Deze link werkt niet meer" not in page and "Inloggen</a>" not in page
    jan.refresh_from_db()
    assert jan.user is None and invitation_for(his) is not None  # nothing half done


@pytest.mark.parametrize("step_up", ["\x00", "abc"])
def test_a_step_up_that_is_not_a_number_is_not_there_to_confirm(
    client, daalhof, resident_in, step_up
):
    """The confirm button sends the id of the step-up the user saw: free text, not a form."""
    resident = resident_in("step2")
    client.force_login(daalhof.gp)
    response = client.post(reverse("resident_confirm", args=[resident.pk]), {"step_up": step_up})
    assert response.status_code == 200
    messages = re.findall(r'<li class="error">(.*?)</li>', response.content.decode())
    assert set(messages) == {"Er is geen urgente opschaling om in een MDO te bevestigen."}
