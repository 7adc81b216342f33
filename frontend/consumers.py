"""Live board: members of a team hear that something changed, and each board re-fetches its
own columns (with its own filters and permissions). Events are thin; data never travels here.

A board also hears whether the live channel delivers (`kernteam.events.Heartbeat`): a status
frame, JSON, `{"live": true|false, "every": <seconds until the next>}`, right after it
connects and then every `KERNTEAM_LIVE_HEARTBEAT` seconds, and at once when the channel stops
delivering. While it does not, a new board is refused with 1013 ("try again later"), which the
browser retries, before its session is read (`OfflineGuard`).

What a board names follows its member: when one of their memberships is saved (made, changed,
ended) the board reads their roles on the team again, or closes (4403) when they are no longer
a member; when the session signs out, its boards close (4401). Neither is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string
from django_otp import DEVICE_ID_SESSION_KEY

from clients.visibility import may_see
from kernteam import events
from kernteam.access_log import log_subscription
from kernteam.events import (
    PROBE_TIMEOUT,
    heartbeat,
    heartbeat_seconds,
    is_outage,
    known_offline,
    session_tag,
    team_group,
    user_group,
)
from kernteam.models import primary_role
from kernteam.policy import member_team_roles

TRY_AGAIN_LATER = 1013  # (RFC 6455; the browser's htmx retries it, with a delay)
NOT_A_MEMBER = 4403  # (no longer: not retried)
SIGNED_OUT = 4401  # (not retried)


class OfflineGuard:
    """ASGI middleware, outside the session and user lookup: while this process's heartbeat
    finds the channel layer not delivering, a WebSocket is refused with 1013 before anything
    else runs: no database query, no channel made on the layer (channels_redis keeps one per
    attempt). Accepted, then closed: a refused handshake reaches the browser as HTTP 403."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "websocket" and await known_offline():
            await receive()  # the handshake ("websocket.connect")
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})
            return
        await self.app(scope, receive, send)


class BoardConsumer(AsyncWebsocketConsumer):
    groups_joined: tuple[str, ...] = ()
    roles: frozenset[str] = frozenset()
    handshake_seen = False

    async def __call__(self, scope, receive, send) -> None:
        """A failure of the channel layer before the board was accepted (making this socket's
        channel, when Redis is away) refuses it cleanly, rather than an HTTP 500."""
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:
            if self.handshake_seen or not is_outage(exc):
                raise
            events.outage.failed(exc)
            await receive()  # the handshake ("websocket.connect")
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})

    async def websocket_connect(self, message: dict) -> None:
        self.handshake_seen = True
        await super().websocket_connect(message)

    async def connect(self) -> None:
        self.slug = self.scope["url_route"]["kwargs"]["slug"]
        self.heartbeat = heartbeat(self.channel_layer)
        if not await self.heartbeat.delivers():  # (before the database: no trip, no log entry)
            await self.try_again_later()
            return
        found = await database_sync_to_async(self._subscribe)()
        if found is None:
            await self.close(code=4403)
            return
        team_id, self.roles = found
        if not await self._join(team_group(team_id), user_group(self.scope["user"].pk)):
            await self.try_again_later()
            return
        await self.accept()
        self.heartbeat.join(self.hear_heartbeat)
        await self.hear_heartbeat(True)

    async def _join(self, *groups: str) -> bool:
        self.groups_joined = groups  # (first: a failed subscription is discarded on disconnect)
        try:
            for group in groups:
                await asyncio.wait_for(
                    self.channel_layer.group_add(group, self.channel_name), PROBE_TIMEOUT
                )
        except Exception as exc:
            if not is_outage(exc):
                raise
            events.outage.failed(exc)
            return False
        return True

    async def try_again_later(self) -> None:
        """Accepted and closed at once: a close before accepting would reach the browser as a
        refused handshake (HTTP 403), which it cannot tell from a network failure."""
        await self.accept()
        await self.close(code=TRY_AGAIN_LATER)

    def _subscribe(self) -> tuple[int, frozenset[str]] | None:
        """One trip to the database thread: may this session follow the team's board, and in
        which roles? If so, the subscription is logged (NEN 7513) before anything is sent: no
        live board without its log entry. Returns (the team's id, the roles), or None."""
        session = self.scope.get("session")  # read here: loading it queries the database
        user = self.scope.get("user")
        found = member_team_roles(
            user=user,
            slug=self.slug,
            second_factor=bool(session and session.get(DEVICE_ID_SESSION_KEY)),
        )
        if found is not None:
            log_subscription(
                user=user,
                team_id=found[0],
                role=primary_role(found[1]),
                path=self.scope["path"],
                ip=_ip(self.scope),
            )
        return found

    async def dispatch(self, message: dict) -> None:
        """Live events never touch the database: hand them over directly, without channels'
        detour through the database thread (closing old connections) that every other message
        takes. After a reconnect storm that thread is busy, and events would queue behind it."""
        if message["type"] == "board.event":
            await self.board_event(message)
            return
        if message["type"] == "user.notice":
            await self.user_notice(message)
            return
        await super().dispatch(message)

    async def disconnect(self, code: int) -> None:
        if getattr(self, "heartbeat", None) is not None:
            self.heartbeat.leave(self.hear_heartbeat)
        for group in self.groups_joined:
            try:
                await asyncio.wait_for(
                    self.channel_layer.group_discard(group, self.channel_name),
                    PROBE_TIMEOUT,
                )
            except Exception as exc:
                if not is_outage(exc):
                    raise
                events.outage.failed(exc)
                return  # (the layer is away: the others would time out as well)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """Boards only listen."""

    async def board_event(self, message: dict) -> None:
        html = render_to_string(
            "frontend/live_signal.html",
            {"slug": self.slug, "event": as_heard(message, roles=self.roles)},
        )
        await self._send(html)

    async def member_changed(self, message: dict) -> None:
        """A membership of this board's member was saved: their roles on the team, read again
        (one trip, on their boards only), or the board closes when they are no longer on it."""
        found = await database_sync_to_async(member_team_roles)(
            user=self.scope["user"], slug=self.slug
        )
        if found is None:
            await self.close(code=NOT_A_MEMBER)
            return
        self.roles = found[1]
        html = render_to_string(
            "frontend/live_signal.html",
            {"slug": self.slug, "event": {"type": "member.changed", "at": time.time()}},
        )
        await self._send(html)  # (the board re-fetches, with what the roles show now)

    async def user_notice(self, message: dict) -> None:
        """A notice for this board's member (`kernteam.notices.notify`): the page's bell fetches
        its count (kernteam.js). Nothing read here: the bell asks for itself."""
        html = render_to_string("frontend/notices/bell_signal.html", {"at": time.time()})
        await self._send(html)

    async def user_signed_out(self, message: dict) -> None:
        if message.get("session") == session_tag(self.scope["session"].session_key):
            await self.close(code=SIGNED_OUT)

    async def hear_heartbeat(self, delivering: bool) -> None:
        await self._send(json.dumps({"live": delivering, "every": heartbeat_seconds()}))

    async def _send(self, text: str) -> None:
        with contextlib.suppress(RuntimeError, OSError):  # closed while it was on its way
            await self.send(text_data=text)


def as_heard(message: dict, *, roles: frozenset[str]) -> dict:
    """The message's event as a member in `roles` may hear it: about a resident they may not
    see (by the consent in force when it was published: the message's `disciplines`), only that
    the board changed, without the resident (the board re-fetches: a card they just lost sight
    of goes). A change of consent says so, so that an open panel checks whether it may still
    show its resident. A resident presented in a meeting is, to them, someone presented they
    may not see: screens that follow show that, not the resident shown before."""
    event = message["event"]
    if not event.get("resident") or may_see(roles=roles, disciplines=message.get("disciplines")):
        return event
    if event["type"] == "meeting.focus":
        return {"type": "meeting.focus_hidden", "meeting": event.get("meeting"), "at": event["at"]}
    kind = "resident.consent_changed" if event["type"] == "resident.consent_changed" else ""
    return {"type": kind or "resident.changed", "at": event["at"]}


def _ip(scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None
