"""A write sent again with its one-time key is done once (frontend/idempotency.py): the page
sends it again when only the answer was lost on the way (on the road, issue 16 §5)."""

from __future__ import annotations

import datetime
import logging
import uuid

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from clients.models import Concern
from clients.services import record_consent
from tests.factories import carer_for

ALREADY_SENT = "already-sent"


def nl(text: str) -> str:
    with translation.override("nl"):
        return translation.gettext(text)


@pytest.fixture
def nurse(client, daalhof):
    client.force_login(daalhof.district_nurse)
    return client


def in_a_month() -> str:
    return (timezone.localdate() + datetime.timedelta(days=30)).isoformat()


def agree(client, resident, key: str | None, description: str = "Personenalarmering regelen"):
    """The panel's "Afspraak maken", as htmx sends it (with the page's one-time key)."""
    headers = {"HX-Request": "true"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(
        reverse("resident_add", args=[resident.pk, "action"]),
        {
            "description": description,
            "owner": f"m{resident.team.memberships.first().user_id}",
            "due_on": in_a_month(),
        },
        headers=headers,
    )


def a_key() -> str:
    return uuid.uuid4().hex


def test_sent_again_with_the_same_key_it_is_not_done_again(nurse, resident_in):
    resident = resident_in("step2")
    key = a_key()
    first = agree(nurse, resident, key)
    assert first.status_code == 200
    assert first.headers["HX-Trigger"] == "board-changed"  # the panel, as without a key
    assert "Personenalarmering regelen" in first.content.decode()
    again = agree(nurse, resident, key)
    assert resident.actions.count() == 1
    assert again.status_code == 200
    assert again.headers["HX-Reswap"] == "none"  # the page keeps what it shows
    assert again.headers["HX-Trigger"] == ALREADY_SENT  # and says so, then shows the result
    assert again.content == b""  # (nothing of the resident: no answer is kept)
    # A new key, or none, is a new write.
    agree(nurse, resident, a_key())
    agree(nurse, resident, None)
    agree(nurse, resident, None)
    assert resident.actions.count() == 4


def test_a_key_is_per_user(client, daalhof, resident_in):
    resident = resident_in("step2")
    key = a_key()
    client.force_login(daalhof.district_nurse)
    agree(client, resident, key)
    assert agree(client, resident, key).headers["HX-Trigger"] == ALREADY_SENT
    other = Client()
    other.force_login(daalhof.poh)
    assert agree(other, resident, key).headers["HX-Trigger"] == "board-changed"
    assert resident.actions.count() == 2


def test_sent_again_while_the_first_is_still_under_way_answers_409(nurse, resident_in, monkeypatch):
    """The second arrives while the first is still being done (here: from within it)."""
    import frontend.views

    resident = resident_in("step2")
    key = a_key()
    meanwhile = []
    real = frontend.views.agree_action

    def slow(**kwargs):
        meanwhile.append(agree(nurse, resident, key))
        return real(**kwargs)

    monkeypatch.setattr(frontend.views, "agree_action", slow)
    first = agree(nurse, resident, key)
    assert first.status_code == 200 and resident.actions.count() == 1
    [second] = meanwhile
    assert second.status_code == 409
    assert second.content.decode() == nl(
        "This is still being sent. Wait a moment, then send it again."
    )
    assert second.content.decode() == (
        "Dit wordt nog verstuurd. Wacht even en verstuur het dan opnieuw."
    )
    assert agree(nurse, resident, key).headers["HX-Trigger"] == ALREADY_SENT  # then: done


def test_a_form_refused_lets_go_of_its_key(nurse, resident_in):
    """The first was refused (the form again, with why): sent again, it is answered again, and
    done when it can be."""
    resident = resident_in("step2")
    key = a_key()
    refused = agree(nurse, resident, key, description="")
    assert "Dit veld is verplicht." in refused.content.decode()
    assert resident.actions.count() == 0
    again = agree(nurse, resident, key)
    assert again.headers["HX-Trigger"] == "board-changed"
    assert resident.actions.count() == 1
    assert agree(nurse, resident, key).headers["HX-Trigger"] == ALREADY_SENT


def test_a_malformed_key_is_refused_with_its_reason(nurse, resident_in):
    resident = resident_in("step2")
    answer = agree(nurse, resident, "<script>")
    assert answer.status_code == 400
    assert answer.content.decode() == "De eenmalige sleutel van dit verzoek is ongeldig."
    assert resident.actions.count() == 0


DEAD_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # (nothing listens there)
        "OPTIONS": {"socket_timeout": 0.2, "socket_connect_timeout": 0.2},
    }
}


def test_with_the_cache_unreachable_a_write_goes_through_as_without_a_key(
    nurse, resident_in, caplog
):
    resident = resident_in("step2")
    key = a_key()
    with override_settings(CACHES=DEAD_CACHE), caplog.at_level(logging.WARNING):
        first = agree(nurse, resident, key)
        again = agree(nurse, resident, key)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["HX-Trigger"] == "board-changed"  # done, as without a key
    assert resident.actions.count() == 2
    assert "one-time key: cache unreachable" in caplog.text


def test_the_carers_concern_sent_again_is_raised_once(client, daalhof, resident_in):
    """The portal's plain forms go by htmx (hx-boost): the same key protects them."""
    resident = resident_in("step2", consent=False)
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=timezone.localdate(),
        disciplines=["gp", "poh"],
        share_with_carers=True,
    )
    thea = carer_for(resident, username="thea")
    client.force_login(thea.user)
    key = a_key()
    headers = {"HX-Request": "true", "HX-Boosted": "true", "Idempotency-Key": key}
    url = reverse("carer_concern", args=[resident.pk])
    first = client.post(url, {"text": "Vader eet slecht"}, headers=headers)
    again = client.post(url, {"text": "Vader eet slecht"}, headers=headers)
    assert first.status_code == 302
    assert again.headers["HX-Trigger"] == ALREADY_SENT
    assert Concern.objects.filter(resident=resident).count() == 1


def test_the_api_is_as_before(daalhof, resident_in):
    """The API has its own conflicts (`expected_state`): a key there changes nothing, also for
    a browser's session whose key the web pages used."""
    from rest_framework.test import APIClient

    from tests.helpers import API

    resident = resident_in("step2")
    api = APIClient()
    api.force_login(daalhof.district_nurse)
    key = a_key()
    agree(api, resident, key)
    assert agree(api, resident, key).headers["HX-Trigger"] == ALREADY_SENT  # the web page's
    body = {"transition": "step_up_to_3", "expected_state": "step2", "reason": "Gevallen"}
    url = f"{API}/residents/{resident.pk}/transitions/"
    first = api.post(url, body, format="json", headers={"Idempotency-Key": key})
    again = api.post(url, body, format="json", headers={"Idempotency-Key": key})
    assert first.status_code == 200
    assert again.status_code == 409  # the API's own answer: she moved it first
    assert "HX-Trigger" not in again.headers
