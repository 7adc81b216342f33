"""Thin live events for a team's boards (Taiga-style): what changed, never the data itself.

Events go out only after the transaction commits, so a rolled-back change is never announced.
The message of an event about a resident carries, read once at publish time, the disciplines
the consent in force names (`disciplines`; None: no consent): each board's consumer decides
with `clients.visibility.may_see` whether its member may hear which resident it was, without a
query per socket.

The live channel (Redis, with several workers) can fail. `Heartbeat` proves, per worker
process, that the channel layer delivers: a message through the layer and back every few
seconds. Boards are told "live" or "offline" from it, and a board that joins during an outage
is refused with "try again later". An outage is logged once when it starts and once when it ends
(`outage`), never a traceback per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import itertools
import logging
import threading
import time
from collections.abc import Awaitable, Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)
_pending: set[asyncio.Task] = set()  # keeps tasks alive until they are done

PUBLISH_TIMEOUT = 5.0  # seconds: an event later than this is worth less than a board re-fetch
PROBE_TIMEOUT = 3.0  # seconds a heartbeat may take through the layer and back
PROBE_EVERY = 2.0  # seconds between heartbeats through the layer (at most; per worker process)
RECHECK_TIMEOUT = 1.0  # seconds, while it is down: a heartbeat lost to the outage costs less


def team_group(team_id: int) -> str:
    return f"team-{team_id}"


def heartbeat_seconds() -> float:
    """How often a board hears that the live channel delivers (settings.KERNTEAM_LIVE_HEARTBEAT)."""
    return float(settings.KERNTEAM_LIVE_HEARTBEAT)


# --- publishing --------------------------------------------------------------------------------


def send_team_event_on_commit(
    *, team_id: int, event: dict, audience: Callable[[], list[str] | None] | None = None
) -> None:
    """`at` (seconds since the epoch, at commit) lets a screen tell whether what it shows was
    rendered after the change already. `audience`, called at commit, gives the disciplines that
    may hear which resident the event is about (`clients.visibility.send_resident_event_on_commit`;
    None: the GP and POH only)."""

    def message() -> dict:
        message = {"type": "board.event", "event": {**event, "at": time.time()}}
        if audience is not None:
            message["disciplines"] = audience()
        return message

    _send_on_commit(team_group(team_id), message)


def user_group(user_id: int) -> str:
    """Every open board of one user (whatever the team): told when their memberships change
    and when one of their sessions signs out."""
    return f"user-{user_id}"


def session_tag(session_key: str | None) -> str:
    """Names a session in a message without its key (channel layers are not secret)."""
    return hashlib.sha256((session_key or "").encode()).hexdigest()[:16]


def send_user_event_on_commit(*, user_id: int, message: dict) -> None:
    """`message` (a channels message: its `type` names the consumer's handler) to every open
    board of the user, after the transaction commits."""
    _send_on_commit(user_group(user_id), lambda: message)


def _send_on_commit(group: str, make: Callable[[], dict]) -> None:
    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        message = make()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = _server_loop()
            if loop is None:  # a command, a test: no server around, wait for the publish
                async_to_sync(_publish_now)(layer, group, message)
            else:  # a view under the ASGI server: hand it to the server's loop, don't wait
                loop.call_soon_threadsafe(_publish, layer, group, message)
        else:  # committed from code running inside an event loop: hand it to that loop
            _publish(layer, group, message)

    transaction.on_commit(send, robust=True)


_serving_loop: contextvars.ContextVar[asyncio.AbstractEventLoop | None] = contextvars.ContextVar(
    "kernteam_serving_loop", default=None
)


def serving(app):
    """Wraps the ASGI application (config/asgi.py): each connection notes the server's running
    loop in a context variable, which the view's sync thread inherits (asgiref's sync_to_async
    runs it in a copy of the context), so an event committed there goes to that loop."""

    async def application(scope, receive, send):
        token = _serving_loop.set(asyncio.get_running_loop())
        try:
            return await app(scope, receive, send)
        finally:
            _serving_loop.reset(token)

    return application


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop of the ASGI server this sync thread works for (a view's thread:
    `serving` noted it), if any."""
    loop = _serving_loop.get()
    return loop if loop is not None and loop.is_running() else None


def _publish(layer, group: str, message: dict) -> None:
    """Start the publish on this loop; a failure is logged, as `on_commit(robust=True)` would."""
    task = asyncio.get_running_loop().create_task(_publish_now(layer, group, message))
    _pending.add(task)
    task.add_done_callback(_published)


async def _publish_now(layer, group: str, message: dict) -> None:
    """Publish, within PUBLISH_TIMEOUT. Without the channel (Redis away or frozen) the event is
    lost, counted in the one warning of the outage: boards re-fetch once it is back."""
    try:
        await asyncio.wait_for(layer.group_send(group, message), PUBLISH_TIMEOUT)
        for missed in outage.take_missed():  # (the first publish after an outage)
            await asyncio.wait_for(layer.group_send(missed, resync_message()), PUBLISH_TIMEOUT)
    except Exception as exc:
        if not is_outage(exc):
            raise
        outage.failed(exc, lost=1, group=group)
    else:
        outage.recovered()


def resync_message() -> dict:
    """To a group that missed an event: every board in it re-fetches (whichever worker it is
    on: a board on another worker may not have noticed the outage)."""
    return {"type": "board.event", "event": {"type": "board.resync", "at": time.time()}}


def _published(task: asyncio.Task) -> None:
    _pending.discard(task)
    if task.cancelled():  # (the loop ended first: a server shutting down)
        logger.warning("A live event was not sent: its loop ended first")
    elif task.exception() is not None:
        logger.error("A live event was not sent", exc_info=task.exception())


# --- outages: logged once when they start, once when they end --------------------------------


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` says the channel layer's server is away or too slow (not a bug of ours)."""
    if isinstance(exc, OSError | TimeoutError | asyncio.TimeoutError):
        return True
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover (channels_redis brings redis)
        return False
    return isinstance(exc, RedisConnectionError | RedisTimeoutError)


class Outage:
    """This process's view of the live channel: one warning when it stops delivering, one when
    it delivers again (with how long it took and how many events were lost meanwhile)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # (publishes fail on the loop and in commands' threads)
        self.since: float | None = None
        self.lost = 0
        self.missed: set[str] = set()  # the groups whose events were lost

    def failed(self, exc: BaseException | str, *, lost: int = 0, group: str = "") -> None:
        with self._lock:
            started = self.since is None
            if started:
                self.since = time.monotonic()
            self.lost += lost
            if group:
                self.missed.add(group)
        _tell_heartbeat()  # (every failure: a blip may have come and gone between two checks)
        if started:
            logger.warning(
                "Live channel not delivering (%s); boards show offline until it is back",
                _describe(exc),
            )

    def take_missed(self) -> set[str]:
        """The groups that missed an event since last asked (each to be told to re-fetch)."""
        with self._lock:
            missed, self.missed = self.missed, set()
        return missed

    def recovered(self) -> None:
        with self._lock:
            if self.since is None:
                return
            took, lost = time.monotonic() - self.since, self.lost
            self.since, self.lost = None, 0
        logger.warning(
            "Live channel delivering again after %.1f s; %d live events were not sent "
            "meanwhile (boards re-fetch)",
            took,
            lost,
        )


def _describe(exc: BaseException | str) -> str:
    if isinstance(exc, str):
        return exc
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


outage = Outage()


def _tell_heartbeat() -> None:
    """A publish or a subscription failed: this process's boards hear "offline" now, and
    "live" (they re-fetch) once the heartbeat finds the layer delivering again."""
    found = _heartbeat
    if found is None or found.loop.is_closed():
        return
    with contextlib.suppress(RuntimeError):  # (its loop closed meanwhile)
        found.loop.call_soon_threadsafe(found.failed_elsewhere)


class OutageLogFilter(logging.Filter):
    """For channels_redis' logger (settings.LOGGING): while Redis is away, its receive task
    logs a traceback every second and one for every socket closed meanwhile. Those become the
    one warning of the outage; anything else passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and is_outage(exc):
            outage.failed(exc)
            return False
        return True


# --- the heartbeat: does the channel layer deliver? -------------------------------------------

Listener = Callable[[bool], Awaitable[None]]


def probe_every() -> float:
    return min(PROBE_EVERY, heartbeat_seconds())


class Heartbeat:
    """One per worker process (its event loop): every PROBE_EVERY seconds a message goes
    through the channel layer, to a group of this process's own, and must come back within
    PROBE_TIMEOUT: the path every team's events take (Redis, and this process's subscription).
    Listeners (open boards) hear `True` every `heartbeat_seconds()` while it delivers, and
    `False` as soon as it does not. One publish per worker every two seconds, whatever the
    number of boards; it runs only while a board is open in the process."""

    def __init__(self, layer) -> None:
        self.layer = layer
        self.loop = asyncio.get_running_loop()
        self.listeners: set[Listener] = set()
        self.delivering: bool | None = None  # the last verdict (None: not checked yet)
        self.checked_at = float("-inf")
        self._check: asyncio.Task | None = None
        self._ticker: asyncio.Task | None = None
        self._receiver: asyncio.Task | None = None
        self._channel: str | None = None
        self._numbers = itertools.count()
        self._waiting: dict[int, asyncio.Future] = {}
        self._stopping = False
        self.told: bool = True  # what the listeners heard last (each heard "live" on joining)
        self.told_at = float("-inf")

    async def delivers(self) -> bool:
        """Whether the layer delivers: the last verdict if it is recent, else a new check (one
        at a time; everyone who asks meanwhile shares it)."""
        if self._check is None:
            if self.loop.time() - self.checked_at < probe_every():
                return bool(self.delivering)
            self._check = self.loop.create_task(self._round_trip())
        return await asyncio.shield(self._check)

    async def _round_trip(self) -> bool:
        timeout = RECHECK_TIMEOUT if self.delivering is False else PROBE_TIMEOUT
        try:
            delivered = await asyncio.wait_for(self._through_the_layer(), timeout)
        except Exception as exc:
            if not is_outage(exc):
                logger.exception("The live channel's heartbeat failed")
            outage.failed(exc if is_outage(exc) else "heartbeat failed")
            delivered = False
        else:
            outage.recovered()
            for missed in outage.take_missed():
                _publish(self.layer, missed, resync_message())
        self.delivering, self.checked_at, self._check = delivered, self.loop.time(), None
        if self._stopping and not self.listeners:
            self._stop()  # (the last board left meanwhile)
        return delivered

    async def _through_the_layer(self) -> bool:
        if self._channel is None:
            self._channel = await self.layer.new_channel()
            self._receiver = self.loop.create_task(self._receive(self._channel))
        try:  # (every time: no network once subscribed; renews an in-memory group's expiry)
            await self.layer.group_add(_group_of(self._channel), self._channel)
        except BaseException:
            self._receiver.cancel()  # (leaves the channel: set up anew next time)
            self._receiver = self._channel = None
            raise
        number = next(self._numbers)
        arrived = self._waiting[number] = self.loop.create_future()
        try:
            message = {"type": "live.heartbeat", "n": number}
            await self.layer.group_send(_group_of(self._channel), message)
            await arrived
        finally:
            self._waiting.pop(number, None)
        return True

    async def _receive(self, channel: str) -> None:
        """Runs while the heartbeat does (cancelling a receive drops the channel)."""
        while True:
            message = await self.layer.receive(channel)
            arrived = self._waiting.get(message.get("n"))
            if arrived is not None and not arrived.done():
                arrived.set_result(True)

    # listeners: the open boards of this process ------------------------------------------

    def join(self, listener: Listener) -> None:
        self.listeners.add(listener)
        self._stopping = False
        if self._ticker is None:
            self._ticker = self.loop.create_task(self._tick())

    def leave(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        if self.listeners:
            return
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        if self._check is None:
            self._stop()
        else:
            self._stopping = True  # once the check on its way is done

    def failed_elsewhere(self) -> None:
        """Something else found the layer not delivering (a publish, the subscription): an
        event may be lost. Listeners hear it at once; the next check starts right away."""
        if self.delivering is not False:  # (else the heartbeat itself found it, just now)
            self.delivering, self.checked_at = False, float("-inf")
        if self.told is not False and self.listeners:
            self.told, self.told_at = False, self.loop.time()
            task = self.loop.create_task(self._tell(False))
            _pending.add(task)
            task.add_done_callback(_pending.discard)

    async def _tell(self, delivering: bool) -> None:
        await asyncio.gather(
            *(listener(delivering) for listener in list(self.listeners)),
            return_exceptions=True,
        )

    def _stop(self) -> None:
        """Nobody listens: stop (the next board's check starts it again)."""
        if self._receiver is not None:
            self._receiver.cancel()
        self._receiver = self._channel = None
        self._stopping = False

    async def _tick(self) -> None:
        # (the board that started the ticker heard "live" on joining: the next one is due a
        # heartbeat later, not at the first check)
        self.told, self.told_at = True, self.loop.time()
        while True:
            await asyncio.sleep(probe_every())
            delivering = await self.delivers()
            now = self.loop.time()
            due = now - self.told_at >= heartbeat_seconds() - probe_every() / 2
            if delivering != self.told or due:
                self.told, self.told_at = delivering, now
                await self._tell(delivering)


def _group_of(channel: str) -> str:
    """The heartbeat's group: of this process's own (named after its channel)."""
    return "live-" + "".join(c for c in channel if c.isalnum())[-40:]


_heartbeat: Heartbeat | None = None


def heartbeat(layer) -> Heartbeat:
    """This event loop's heartbeat on `layer` (made when first asked)."""
    global _heartbeat
    loop = asyncio.get_running_loop()
    if _heartbeat is None or _heartbeat.loop is not loop or _heartbeat.layer is not layer:
        _heartbeat = Heartbeat(layer)
    return _heartbeat


async def known_offline() -> bool:
    """Whether this process's heartbeat finds the channel layer not delivering (checked now if
    the last verdict is old): no database, no channel of its own. False without a layer."""
    layer = get_channel_layer()
    if layer is None:
        return False
    return not await heartbeat(layer).delivers()
