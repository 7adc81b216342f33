"""What a member sees on arrival: Dutch by default, their own teams, nothing of other teams."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import ResidentFactory


def test_dutch_even_when_the_browser_asks_for_english(client, db):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Inloggen" in page.content.decode()
    assert page.headers["Content-Language"] == "nl"


def test_english_when_chosen(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Sign in" in client.get(reverse("login")).content.decode()


def test_home_requires_sign_in(client, db):
    page = client.get(reverse("home"))
    assert page.status_code == 302 and page.url.startswith(reverse("login"))


def test_home_lists_own_teams_with_counts(client, daalhof, malberg):
    for state in ("signalled", "step2", "step2", "closed"):
        ResidentFactory(team=daalhof.team, state=state)
    ResidentFactory(team=malberg.team, state="step3")
    client.force_login(daalhof.district_nurse)
    html = client.get(reverse("home")).content.decode()
    assert "Kernteam Daalhof" in html and "Wijkverpleegkundige" in html
    assert "3 actieve cliënten" in html
    assert '<span class="n">2</span> <span class="label">Stap 2 · Gecoördineerde zorg' in html
    assert "Malberg" not in html


def test_health_check(client, db):
    assert client.get(reverse("healthz")).json() == {"status": "ok"}


def test_the_browser_finds_an_icon_without_signing_in(client, db):
    """Pages link the icon; the admin and API docs don't, so /favicon.ico leads there too."""
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    login = client.get(reverse("login")).content.decode()
    assert f'<link rel="icon" href="{response["Location"]}"' in login
