"""Thin live events for a team's boards (Taiga-style): what changed, never the data itself.

Events go out only after the transaction commits, so a rolled-back change is never announced.
"""

from __future__ import annotations

import asyncio
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

_pending: set[asyncio.Task] = set()  # keeps tasks alive until they are done


def team_group(team_id: int) -> str:
    return f"team-{team_id}"


def send_team_event_on_commit(*, team_id: int, event: dict) -> None:
    """`at` (seconds since the epoch, at commit) lets a screen tell whether what it shows was
    rendered after the change already."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        message = {"type": "board.event", "event": {**event, "at": time.time()}}
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the usual case: sync code (a view, a command) in its own thread
            async_to_sync(layer.group_send)(team_group(team_id), message)
        else:  # committed from code running inside an event loop: hand it to that loop
            task = loop.create_task(layer.group_send(team_group(team_id), message))
            _pending.add(task)
            task.add_done_callback(_pending.discard)

    transaction.on_commit(send, robust=True)
