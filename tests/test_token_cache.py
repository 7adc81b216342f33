"""API tokens are kept in Django's cache with their user and roles (frontend.api.token_cache):
a known token's request asks the database nothing to sign in, and every change that could alter
the answer counts from the very next request: a revoked or expired token, a deactivated user,
an ended or a new membership. With Redis, the cache is shared by the workers: a change made in
one process is seen by the others at once."""

from __future__ import annotations

import datetime
import os
import urllib.error
import urllib.request

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from frontend.api import token_cache
from kernteam.models import Membership
from kernteam.roles import Role
from tests.factories import ResidentFactory, UserFactory, give_consent
from tests.helpers import API, require_service

NOT_A_MEMBER = "De API is voor leden van een kernteam."


def token_for(user) -> tuple[AuthToken, APIClient]:
    instance, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return instance, client


def signed_in_queries(client, path: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    return status, [q["sql"] for q in queries.captured_queries]


def reads(sql: list[str], table: str) -> int:
    return sum(f'FROM "{table}"' in q for q in sql)


def end(membership: Membership) -> None:
    membership.ended_on = timezone.localdate()
    membership.save()


def test_a_known_token_signs_in_without_asking_the_database(daalhof):
    _, client = token_for(daalhof.gp)
    status, first = signed_in_queries(client, f"{API}/teams/")
    assert status == 200
    assert reads(first, "knox_authtoken") == 2  # knox: the token, the user's other tokens
    assert reads(first, "kernteam_membership") >= 1
    status, second = signed_in_queries(client, f"{API}/teams/")
    assert status == 200
    assert reads(second, "knox_authtoken") == 0
    assert reads(second, "auth_user") == 0
    assert len(second) == len(first) - 3  # the token, the other tokens, the memberships


def test_the_cache_never_holds_the_password_hash(daalhof):
    """Only the database holds it: the cached user has it deferred (as with `.only()`), so
    saving that user keeps the password and reading it asks the database."""
    instance, client = token_for(daalhof.gp)
    assert client.get(f"{API}/teams/").status_code == 200
    user = cache.get(token_cache.key(instance.digest))["token"].user
    assert "password" not in vars(user)
    assert user.get_deferred_fields() == {"password"}
    user.first_name = "Anna"
    user.save()
    daalhof.gp.refresh_from_db()
    assert daalhof.gp.first_name == "Anna"
    assert daalhof.gp.check_password("kernteam-test")


def test_a_revoked_token_is_refused_at_the_next_request(daalhof):
    instance, client = token_for(daalhof.gp)
    assert client.get(f"{API}/teams/").status_code == 200
    instance.delete()  # (knox's sign-out deletes the token like this)
    response = client.get(f"{API}/teams/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Ongeldige token."


def test_tokens_deleted_in_bulk_are_refused_at_the_next_request(daalhof):
    """knox's "sign out everywhere" deletes the user's tokens with one queryset."""
    _, client = token_for(daalhof.gp)
    assert client.get(f"{API}/teams/").status_code == 200
    daalhof.gp.auth_token_set.all().delete()
    assert client.get(f"{API}/teams/").status_code == 401


def test_an_ended_membership_is_refused_at_the_next_request(daalhof, resident_in):
    resident = resident_in("step2")
    _, client = token_for(daalhof.gp)
    assert client.get(f"{API}/residents/{resident.pk}/").status_code == 200
    end(Membership.objects.get(user=daalhof.gp, team=daalhof.team))
    response = client.get(f"{API}/residents/{resident.pk}/")
    assert response.status_code == 403
    assert response.json()["detail"] == NOT_A_MEMBER


def test_a_membership_ended_on_one_team_hides_that_teams_residents_at_once(daalhof, malberg):
    """A member of two teams who leaves one still uses the API, but no longer sees that
    team's residents (404) nor can move them."""
    here = ResidentFactory(team=daalhof.team, state="step2")
    there = ResidentFactory(team=malberg.team, state="step2")
    give_consent(here, daalhof.poh)
    give_consent(there, malberg.poh)
    Membership.objects.create(user=daalhof.gp, team=malberg.team, role=Role.GP)
    _, client = token_for(daalhof.gp)
    assert client.get(f"{API}/residents/{here.pk}/").status_code == 200
    assert client.get(f"{API}/residents/{there.pk}/").status_code == 200
    end(Membership.objects.get(user=daalhof.gp, team=daalhof.team))
    assert client.get(f"{API}/residents/{here.pk}/").status_code == 404
    moved = client.post(
        f"{API}/residents/{here.pk}/transitions/",
        {"transition": "step_up_to_3", "expected_state": "step2", "reason": "Gevallen"},
        format="json",
    )
    assert moved.status_code == 404
    assert client.get(f"{API}/residents/{there.pk}/").status_code == 200


def test_a_new_membership_counts_at_the_next_request(daalhof):
    newcomer = UserFactory(username="nieuw")
    _, client = token_for(newcomer)
    response = client.get(f"{API}/teams/")
    assert response.status_code == 403
    assert response.json()["detail"] == NOT_A_MEMBER
    Membership.objects.create(user=newcomer, team=daalhof.team, role=Role.WELFARE)
    response = client.get(f"{API}/teams/")
    assert response.status_code == 200
    assert [team["slug"] for team in response.json()] == ["daalhof"]


def test_a_deactivated_user_is_refused_at_the_next_request(daalhof):
    _, client = token_for(daalhof.gp)
    assert client.get(f"{API}/teams/").status_code == 200
    daalhof.gp.is_active = False
    daalhof.gp.save()
    response = client.get(f"{API}/teams/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Gebruiker inactief of verwijderd."


def test_a_cached_token_that_expires_is_refused_and_deleted(daalhof):
    instance, client = token_for(daalhof.gp)
    assert client.get(f"{API}/teams/").status_code == 200
    with time_machine.travel(instance.expiry + datetime.timedelta(seconds=1)):
        assert client.get(f"{API}/teams/").status_code == 401
    assert not AuthToken.objects.filter(pk=instance.pk).exists()


def test_a_sign_in_elsewhere_keeps_the_tokens_known(daalhof):
    """Only `last_login` changes when the user signs in through the browser: the tokens'
    entries stay (anything else the user saves drops them, see the deactivation above)."""
    from django.contrib.auth.models import update_last_login

    _, client = token_for(daalhof.gp)
    assert client.get(f"{API}/teams/").status_code == 200
    update_last_login(None, daalhof.gp)
    _, sql = signed_in_queries(client, f"{API}/teams/")
    assert reads(sql, "knox_authtoken") == 0


def test_what_was_read_before_a_change_is_not_kept_after_it(daalhof):
    """A request that read the token and roles just before a membership ended, and offers them
    to the cache just after, does not put the old roles back: the change's tombstone stands."""
    from kernteam.policy import member_roles

    instance, client = token_for(daalhof.gp)
    read_before = member_roles(instance.user)
    end(Membership.objects.get(user=daalhof.gp, team=daalhof.team))
    token_cache.remember(instance, read_before)  # (too late: refused)
    assert token_cache.cached(instance.digest) is None
    response = client.get(f"{API}/teams/")
    assert response.status_code == 403
    assert response.json()["detail"] == NOT_A_MEMBER


def test_with_the_cache_unreachable_the_database_answers_and_changes_still_count(daalhof, caplog):
    """Redis down: requests sign in through the database (no error), and a revoked token is
    refused at once; that the cache could not be told is logged."""
    import socket

    with socket.socket() as probe:  # (a port nobody listens on)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
    with override_settings(CACHES=unreachable):
        instance, client = token_for(daalhof.gp)
        assert client.get(f"{API}/teams/").status_code == 200
        instance.delete()
        response = client.get(f"{API}/teams/")
        assert response.status_code == 401
        assert response.json()["detail"] == "Ongeldige token."
    assert "API token cache not told of a change (1 tokens)" in caplog.text


# --- two workers, one cache (Redis) ------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def get(worker, path: str, token: str) -> int:
    request = urllib.request.Request(
        f"{worker.url}{path}", headers={"Authorization": f"Token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.django_db(transaction=True)
def test_with_redis_a_change_in_one_process_counts_in_every_worker(daalhof):
    """Both workers keep the token in Redis; this process (another worker, the admin) ends the
    membership and then revokes the token: each counts at the next request in both."""
    import redis

    from tests.servers import Uvicorn

    try:
        reachable = bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        reachable = False
    require_service(reachable, f"Redis at {REDIS_URL} is not reachable")
    shared = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kernteam",
        }
    }
    workers = [Uvicorn(redis_url=REDIS_URL) for _ in range(2)]
    try:
        for worker in workers:
            worker.wait_until_up()
        with override_settings(CACHES=shared):
            instance, token = AuthToken.objects.create(user=daalhof.gp)
            for worker in [*workers, *workers]:  # (the second round from the cache)
                assert get(worker, f"{API}/teams/", token) == 200
            assert token_cache.cached(instance.digest) is not None
            end(Membership.objects.get(user=daalhof.gp, team=daalhof.team))
            assert [get(w, f"{API}/teams/", token) for w in workers] == [403, 403]
            Membership.objects.create(user=daalhof.gp, team=daalhof.team, role=Role.GP)
            assert [get(w, f"{API}/teams/", token) for w in workers] == [200, 200]
            instance.delete()
            assert [get(w, f"{API}/teams/", token) for w in workers] == [401, 401]
    finally:
        for worker in workers:
            worker.stop()


@pytest.mark.django_db(transaction=True)
def test_a_worker_asks_redis_over_the_connection_it_already_has(daalhof, own_redis):
    """Under ASGI Django's `cache` is one per request: were the token cache to use it, every API
    request would open a new connection to Redis (and say hello) before asking for its token."""
    import redis

    from tests.servers import Uvicorn

    worker = Uvicorn(redis_url=own_redis.url)
    try:
        worker.wait_until_up()
        _, token = AuthToken.objects.create(user=daalhof.gp)
        assert get(worker, f"{API}/teams/", token) == 200  # (the worker's first connection)
        server = redis.Redis.from_url(own_redis.url, socket_timeout=1)
        before = server.info("stats")["total_connections_received"]
        assert [get(worker, f"{API}/teams/", token) for _ in range(20)] == [200] * 20
        opened = server.info("stats")["total_connections_received"] - before
        assert opened == 0
    finally:
        worker.stop()
