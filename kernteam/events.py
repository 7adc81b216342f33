"""Thin live events for a team's boards (Taiga-style): what changed, never the data itself.

Events go out only after the transaction commits, so a rolled-back change is never announced.
"""

from __future__ import annotations

import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def team_group(team_id: int) -> str:
    return f"team-{team_id}"


def send_team_event_on_commit(*, team_id: int, event: dict) -> None:
    """`at` (seconds since the epoch, at commit) lets a screen tell whether what it shows was
    rendered after the change already."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(
                team_group(team_id), {"type": "board.event", "event": {**event, "at": time.time()}}
            )

    transaction.on_commit(send, robust=True)
