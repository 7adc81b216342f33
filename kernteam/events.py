"""Thin live events for a team's boards (Taiga-style): what changed, never the data itself.

Events go out only after the transaction commits, so a rolled-back change is never announced.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)
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
        group = team_group(team_id)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = _server_loop()
            if loop is None:  # a command, a test: no server around, wait for the publish
                async_to_sync(layer.group_send)(group, message)
            else:  # a view under the ASGI server: hand it to the server's loop, don't wait
                loop.call_soon_threadsafe(_publish, layer, group, message)
        else:  # committed from code running inside an event loop: hand it to that loop
            _publish(layer, group, message)

    transaction.on_commit(send, robust=True)


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop of the ASGI server this sync thread works for (a view's thread:
    asgiref notes it there), if any."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


def _publish(layer, group: str, message: dict) -> None:
    """Start the publish on this loop; a failure is logged, as `on_commit(robust=True)` would."""
    task = asyncio.get_running_loop().create_task(layer.group_send(group, message))
    _pending.add(task)
    task.add_done_callback(_published)


def _published(task: asyncio.Task) -> None:
    _pending.discard(task)
    if task.cancelled():  # (the loop ended first: a server shutting down)
        logger.warning("A live event was not sent: its loop ended first")
    elif task.exception() is not None:
        logger.error("A live event was not sent", exc_info=task.exception())
