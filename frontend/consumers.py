"""Live board: members of a team hear that something changed, and each board re-fetches its
own columns (with its own filters and permissions). Events are thin; data never travels here.
"""

from __future__ import annotations

import contextlib

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string
from django_otp import DEVICE_ID_SESSION_KEY

from kernteam.access_log import log_subscription
from kernteam.events import team_group
from kernteam.policy import member_team_id


class BoardConsumer(AsyncWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        self.slug = self.scope["url_route"]["kwargs"]["slug"]
        team_id = await database_sync_to_async(self._subscribe)()
        if team_id is None:
            await self.close(code=4403)
            return
        self.group = team_group(team_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    def _subscribe(self) -> int | None:
        """One trip to the database thread: may this session follow the team's board? If so,
        the subscription is logged (NEN 7513) before anything is sent: no live board without
        its log entry. Returns the team's id, or None."""
        session = self.scope.get("session")  # read here: loading it queries the database
        user = self.scope.get("user")
        team_id = member_team_id(
            user=user,
            slug=self.slug,
            second_factor=bool(session and session.get(DEVICE_ID_SESSION_KEY)),
        )
        if team_id is not None:
            log_subscription(
                user=user, team_id=team_id, path=self.scope["path"], ip=_ip(self.scope)
            )
        return team_id

    async def dispatch(self, message: dict) -> None:
        """Live events never touch the database: hand them over directly, without channels'
        detour through the database thread (closing old connections) that every other message
        takes. After a reconnect storm that thread is busy, and events would queue behind it."""
        if message["type"] == "board.event":
            await self.board_event(message)
            return
        await super().dispatch(message)

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """Boards only listen."""

    async def board_event(self, message: dict) -> None:
        html = render_to_string(
            "frontend/live_signal.html", {"slug": self.slug, "event": message["event"]}
        )
        with contextlib.suppress(RuntimeError, OSError):  # closed while the event was on its way
            await self.send(text_data=html)


def _ip(scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None
