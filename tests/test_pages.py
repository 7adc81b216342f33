"""Pages with a way back: the error pages are Dutch pages of the site, and a form that htmx puts
in place is, opened by its own address, a whole page with a title and a link back."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import permission_denied, server_error


def whole_page(html: str) -> bool:
    """The site's layout: Dutch, a viewport, the header's link home, exactly one document."""
    return (
        html.count("<html") == 1
        and '<html lang="nl">' in html
        and '<meta name="viewport"' in html
        and '<a class="brand" href="/">Kernteam</a>' in html
    )


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S)[1]


def test_an_unknown_address_is_a_dutch_page_with_a_way_home(client, daalhof):
    client.force_login(daalhof.poh)
    response = client.get("/bestaat-niet/")
    html = response.content.decode()
    assert response.status_code == 404
    assert whole_page(html)
    assert title(html) == "Pagina niet gevonden · Kernteam"
    assert '<a class="button" href="/">Terug naar de startpagina</a>' in html


def test_a_resident_one_may_not_see_answers_the_same_page(client, daalhof, malberg, resident_in):
    janssen = resident_in("step2", last_name="Janssen")
    client.force_login(malberg.poh)
    response = client.get(reverse("resident", args=[janssen.pk]))
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.content.decode()
    assert "Janssen" not in response.content.decode()


def test_an_unknown_address_under_the_api_still_answers_json(client):
    response = client.get("/api/v1/bestaat-niet/")
    assert (response.status_code, response.json()) == (404, {"detail": "Niet gevonden."})


@pytest.mark.django_db
def test_no_access_and_server_error_are_dutch_pages_with_a_way_home(rf: RequestFactory):
    request = rf.get("/ergens/")
    request.user = AnonymousUser()
    refused = permission_denied(request, PermissionDenied()).content.decode()
    broken = server_error(request).content.decode()  # (rendered without the request)
    for html, heading in ((refused, "Geen toegang"), (broken, "Er ging iets mis")):
        assert whole_page(html)
        assert f"<h1>{heading}</h1>" in html
        assert '<a class="button" href="/">Terug naar de startpagina</a>' in html


def test_a_form_that_came_without_its_token_is_refused_in_dutch(daalhof):
    client = Client(enforce_csrf_checks=True)
    client.force_login(daalhof.poh)
    response = client.post(reverse("board_signal", args=["daalhof"]), {"last_name": "X"})
    assert response.status_code == 403
    assert whole_page(response.content.decode())
    assert "Het formulier is verlopen of kwam van elders." in response.content.decode()


def test_the_signal_form_by_its_address_is_a_page_with_a_way_back(client, daalhof):
    client.force_login(daalhof.poh)
    address = reverse("board_signal", args=["daalhof"])
    html = client.get(address).content.decode()
    assert whole_page(html)
    assert title(html) == f"Cliënt signaleren · {daalhof.team.name}"
    assert f'<a href="/teams/daalhof/board/">← {daalhof.team.name}</a>' in html
    assert "hx-post" not in html and "data-close-panel" not in html  # an ordinary form here
    part = client.get(address, HTTP_HX_REQUEST="true").content.decode()
    assert part.lstrip().startswith('<form class="move-form signal-form"')
    assert f'hx-post="{address}"' in part and "<html" not in part


@pytest.mark.parametrize(
    ("what", "heading"),
    [
        ("assessment", "Meting vastleggen"),
        ("goal", "Doel toevoegen"),
        ("action", "Afspraak maken"),
        ("concern", "Zorg van mantelzorger vastleggen"),
        ("consent", "Toestemming vastleggen"),
    ],
)
def test_each_add_form_by_its_address_is_a_page(client, daalhof, resident_in, what, heading):
    janssen = resident_in("step2", last_name="Janssen")
    client.force_login(daalhof.poh)
    address = reverse("resident_add", args=[janssen.pk, what])
    html = client.get(address).content.decode()
    assert whole_page(html)
    assert title(html) == f"{heading} · Mevrouw Maria Janssen"
    assert f"<h1>{heading}</h1>" in html
    assert f'<a href="/residents/{janssen.pk}/">← Mevrouw Maria Janssen</a>' in html
    part = client.get(address, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and f"<h4>{heading}</h4>" in part


def test_the_move_form_posted_as_a_page_answers_as_a_page(client, daalhof, resident_in):
    """Without htmx the form is an ordinary one: a refusal comes back as the whole page with
    why, and the move taken shows the resident's page."""
    janssen = resident_in("step2", last_name="Janssen")
    client.force_login(daalhof.poh)
    address = reverse("resident_move", args=[janssen.pk])
    html = client.get(address, {"transition": "step_up_to_3"}).content.decode()
    assert whole_page(html) and title(html) == "Opschalen naar stap 3 · Mevrouw Maria Janssen"
    data = {"transition": "step_up_to_3", "expected_state": "step2", "reason": ""}
    refused = client.post(address, data).content.decode()
    assert whole_page(refused) and "Geef een reden op." in refused
    taken = client.post(address, {**data, "reason": "Twee keer gevallen"}).content.decode()
    assert whole_page(taken) and "Twee keer gevallen" in taken
    janssen.trajectory.refresh_from_db()
    assert janssen.trajectory.state == "step3"


def test_the_resident_page_holds_its_move_form_as_a_part(client, daalhof, resident_in):
    janssen = resident_in("step2", last_name="Janssen")
    client.force_login(daalhof.poh)
    address = reverse("resident", args=[janssen.pk])
    html = client.get(address, {"transition": "step_up_to_3"}).content.decode()
    assert whole_page(html)  # one document: the form inside is not a page of its own
    assert f'hx-post="/residents/{janssen.pk}/move/" hx-target="#move-form"' in html
