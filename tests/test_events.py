"""A move is announced to the team's boards after it commits, never before, never on rollback,
and never to another team. Runs on the in-memory layer (SQLite pass) and Redis (PostgreSQL pass)."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction

from kernteam.events import team_group
from steps.models import Trajectory
from steps.services import move_resident
from tests.conftest import IN_CI, require_service


class Board:
    """Joins the team's group and keeps receiving, as an open board's consumer does.
    (Cancelling a receive drops the channel on the Redis pub/sub layer.)"""

    def __init__(self) -> None:
        self.received: list[dict] = []

    async def open(self, team_id: int) -> Board:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(team_group(team_id), channel)

        async def pump() -> None:
            while True:
                self.received.append(await layer.receive(channel))

        self.task = asyncio.create_task(pump())
        return self

    async def settle(self, seconds: float = 1.0) -> list[dict]:
        deadline = asyncio.get_running_loop().time() + seconds
        while not self.received and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        self.task.cancel()
        return self.received


@pytest.fixture
def layer_ready():
    if settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis"):
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL).ping()
            available = True
        except redis.RedisError:
            available = False
        require_service(available, f"Redis at {settings.REDIS_URL} is not reachable")


@pytest.mark.django_db(transaction=True)
async def test_a_move_reaches_the_team_after_commit(daalhof, malberg, resident_in, layer_ready):
    resident = await sync_to_async(resident_in)("step2")
    own, other = await Board().open(daalhof.team.pk), await Board().open(malberg.team.pk)

    def nurse_steps_up() -> None:  # runs in a worker thread, as a view does under ASGI
        with transaction.atomic():
            move_resident(
                resident=resident,
                transition="step_up_to_3",
                expected_state="step2",
                by=daalhof.district_nurse,
                reason="Gevallen",
            )
            time.sleep(0.3)
            assert own.received == []  # not before commit

    await sync_to_async(nurse_steps_up)()
    [message] = await own.settle()
    assert message["type"] == "board.event"
    event = message["event"]
    assert (event["type"], event["resident"], event["state"]) == (
        "resident.moved",
        resident.pk,
        "step3",
    )
    assert await other.settle(0.3) == []  # never to another team
    await sync_to_async(lambda: connection.close())()


@pytest.mark.django_db(transaction=True)
async def test_a_rolled_back_move_is_never_announced(daalhof, resident_in, layer_ready):
    resident = await sync_to_async(resident_in)("step2")
    own = await Board().open(daalhof.team.pk)

    def interrupted() -> None:
        with pytest.raises(RuntimeError, match="connection dropped"), transaction.atomic():
            move_resident(
                resident=resident,
                transition="step_up_to_3",
                expected_state="step2",
                by=daalhof.district_nurse,
                reason="Gevallen",
            )
            raise RuntimeError("connection dropped")

    await sync_to_async(interrupted)()
    assert await own.settle(0.5) == []
    trajectory = await Trajectory.objects.aget(resident=resident)
    assert trajectory.state == "step2"
    await sync_to_async(lambda: connection.close())()


def test_the_layer_matches_the_environment():
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if settings.REDIS_URL:
        assert backend == "channels_redis.pubsub.RedisPubSubChannelLayer"
    else:
        assert backend == "channels.layers.InMemoryChannelLayer"
        assert not IN_CI or settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


@pytest.mark.django_db(transaction=True)
async def test_a_view_does_not_wait_for_its_event_to_be_published(monkeypatch, daalhof):
    """Under the ASGI server (config/asgi.py wraps the application in `serving`) a view's
    thread hands the publish to the server's loop and answers; the event goes out right after
    (a slow Redis does not hold up the answer)."""
    from kernteam.events import send_team_event_on_commit, serving

    release, sent = asyncio.Event(), []

    class SlowLayer:
        async def group_send(self, group: str, message: dict) -> None:
            await release.wait()
            sent.append((group, message["event"]["type"]))

    monkeypatch.setattr("kernteam.events.get_channel_layer", SlowLayer)

    def view() -> str:
        with transaction.atomic():
            send_team_event_on_commit(team_id=daalhof.team.pk, event={"type": "resident.moved"})
        return "answered"

    answers = []

    async def django(scope, receive, send) -> None:
        answers.append(await sync_to_async(view)())

    await asyncio.wait_for(serving(django)({"type": "http"}, None, None), timeout=5)
    assert answers == ["answered"]
    assert sent == []
    release.set()
    for _ in range(50):
        if sent:
            break
        await asyncio.sleep(0.01)
    assert sent == [(team_group(daalhof.team.pk), "resident.moved")]


async def test_events_lost_in_an_outage_are_logged_once_not_per_event(caplog, monkeypatch):
    """Redis away: one warning when the first event cannot be sent, none for the next ones,
    and one when events get through again, with how many were lost (no traceback)."""
    from kernteam import events

    monkeypatch.setattr(events, "outage", events.Outage())
    up = False

    class FlakyLayer:
        async def group_send(self, group: str, message: dict) -> None:
            if not up:
                raise ConnectionError("Redis is gone")

    for _ in range(5):
        events._publish(FlakyLayer(), "team-1", {"type": "board.event", "event": {}})
        await asyncio.sleep(0.02)
    up = True
    for _ in range(2):
        events._publish(FlakyLayer(), "team-1", {"type": "board.event", "event": {}})
        await asyncio.sleep(0.02)
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "kernteam.events"]
    assert [level for level, _ in said] == ["WARNING", "WARNING"]
    assert said[0][1] == (
        "Live channel not delivering (ConnectionError: Redis is gone); boards show offline "
        "until it is back"
    )
    assert said[1][1].startswith("Live channel delivering again after ")
    assert "5 live events were not sent meanwhile" in said[1][1]
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)


async def test_an_event_that_fails_for_another_reason_is_logged_with_its_traceback(caplog):
    from kernteam.events import _publish

    class BrokenLayer:
        async def group_send(self, group: str, message: dict) -> None:
            raise TypeError("cannot serialise")

    _publish(BrokenLayer(), "team-1", {"type": "board.event", "event": {}})
    await asyncio.sleep(0.05)
    assert "A live event was not sent" in caplog.text
    assert "cannot serialise" in caplog.text
