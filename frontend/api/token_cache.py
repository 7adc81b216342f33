"""API tokens → their user and the user's roles, kept in Django's cache (`CACHES["default"]`:
Redis when REDIS_URL is set, shared by every worker; else one process's memory).

A signed-in API request then asks the cache once instead of the database three times (knox's
token with its user, knox's look at the user's other tokens for expired ones, the memberships).

The rule that keeps it current: an entry is keyed by the token's digest and holds what the
database said when it was read. Whatever could change that answer replaces the entry of every
token it concerns with a *tombstone*, in the same moment and again when the change commits:

- a token saved or deleted (revoked, signed out, expired and cleaned up, its user deleted);
- a user saved (deactivated, a new password, a new name; not a sign-in's `last_login`);
- a membership saved or deleted (made, ended, another role).

A tombstone is never served: that token's next request goes to the database (knox's own check,
then the memberships). Entries are only ever *added* (`cache.add`: not over an existing key),
so a request that read the database just before a change committed cannot put the old answer
back while the tombstone stands (TOMBSTONE_SECONDS, far longer than a request's read). Every
entry lives ENTRY_SECONDS at most, and never past its token's expiry: an expired token is
knox's again (refused, and deleted). So a revoked token, a deactivated user or an ended
membership counts from the very next request, in every worker.

Knox's sweep of the user's other expired tokens (housekeeping: an expired token is refused
either way) runs when the database is asked: a token's first request, then at most once every
ENTRY_SECONDS, and whenever a token is issued (`auth.issue_token`).

Not seen here, so counting only within ENTRY_SECONDS: changes that bypass model signals
(`QuerySet.update()`, raw SQL on these tables; the code makes none), and without Redis, changes
made in another process than the server's (each has its own memory). Its receivers are
connected in every process (`frontend.apps.FrontendConfig.ready`): web workers, commands and the
shell alike. And a change
made while the cache is unreachable (logged): meanwhile every request asks the database, but a
cache that comes back with its entries (a frozen Redis) holds the old answer for what is left of
its ENTRY_SECONDS.
"""

from __future__ import annotations

import functools
import logging

from django.contrib.auth import get_user_model
from django.core.cache import DEFAULT_CACHE_ALIAS, BaseCache, caches
from django.core.signals import setting_changed
from django.db import router, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken

from kernteam.models import Membership

logger = logging.getLogger(__name__)

ENTRY_SECONDS = 60
TOMBSTONE_SECONDS = 60
TOMBSTONE = "revoked"


@functools.cache
def store() -> BaseCache:
    """This process's one client of the cache. (`django.core.cache.cache` is one per request
    under ASGI, Django's connections being per context: with Redis each request would open a new
    connection, with its handshake, before asking for the token.) Made again when the CACHES
    setting changes (tests)."""
    return caches.create_connection(DEFAULT_CACHE_ALIAS)


@receiver(setting_changed)
def cache_setting_changed(*, setting: str, **kwargs) -> None:
    if setting == "CACHES":
        store.cache_clear()


def key(digest: str) -> str:
    return f"api-token:{digest}"


def digest_of(token: str) -> str:
    return hash_token(token)


def cached(digest: str) -> tuple[AuthToken, dict[int, frozenset[str]]] | None:
    """The token (with its user) and the user's roles, if the cache holds them and the token has
    not expired; else None (ask the database)."""
    try:
        entry = store().get(key(digest))
    except Exception:  # (the cache is down: the database answers, as without it)
        return None
    if not isinstance(entry, dict):  # (nothing, or a tombstone)
        return None
    token = entry["token"]
    if token.expiry is not None and token.expiry <= timezone.now():
        return None
    return token, entry["roles"]


def remember(token: AuthToken, roles: dict[int, frozenset[str]]) -> None:
    """Keep what the database just said, unless a change stands in the way (a tombstone)."""
    seconds = ENTRY_SECONDS
    if token.expiry is not None:
        seconds = min(seconds, int((token.expiry - timezone.now()).total_seconds()))
    if seconds <= 0:
        return
    try:
        store().add(key(token.digest), {"token": _kept(token), "roles": roles}, timeout=seconds)
    except Exception:  # (the cache is down: nothing kept, the next request asks again)
        return


def _kept(token: AuthToken) -> AuthToken:
    """A copy of the token whose user has every field but the password hash (it stays in the
    database: deferred, as with `.only()`; reading it there would load it, saving the user would
    leave it alone)."""
    user_model = type(token.user)
    fields = [f for f in user_model._meta.concrete_fields if f.attname != "password"]
    user = user_model.from_db(
        router.db_for_read(user_model),
        [f.attname for f in fields],
        [getattr(token.user, f.attname) for f in fields],
    )
    copy = AuthToken.from_db(
        router.db_for_read(AuthToken),
        [f.attname for f in AuthToken._meta.concrete_fields],
        [getattr(token, f.attname) for f in AuthToken._meta.concrete_fields],
    )
    copy.user = user
    return copy


def forget(digests: list[str]) -> None:
    """Tombstones for these tokens, now and again when the current transaction commits (a
    request that read the old rows in between cannot have added them back)."""
    if not digests:
        return
    tombstones = {key(digest): TOMBSTONE for digest in digests}

    def bury() -> None:
        try:
            store().set_many(tombstones, timeout=TOMBSTONE_SECONDS)
        except Exception:  # (the change stands; while the cache is down, the database answers)
            logger.warning("API token cache not told of a change (%d tokens)", len(digests))

    bury()
    transaction.on_commit(bury)


def forget_user(user_id: int | None) -> None:
    if user_id is None:
        return
    forget(list(AuthToken.objects.filter(user_id=user_id).values_list("digest", flat=True)))


@receiver(post_save, sender=AuthToken)
@receiver(post_delete, sender=AuthToken)
def token_changed(sender, instance: AuthToken, created: bool = False, **kwargs) -> None:
    if not created:  # (a new token has no entry yet)
        forget([instance.digest])


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def membership_changed(sender, instance: Membership, **kwargs) -> None:
    forget_user(instance.user_id)


@receiver(post_save, sender=get_user_model())
def user_changed(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) == {"last_login"}:
        return  # (a sign-in elsewhere changes nothing a token's request is told)
    forget_user(instance.pk)
