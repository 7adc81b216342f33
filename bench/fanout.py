"""Live fan-out: how fast a move reaches every open board of its team, and only that team.

35 teams x 10 open boards: 350 WebSockets (`/ws/teams/<slug>/board/`, each signed in as a
member of its team) over `Server(workers=2)`, the production path with the channel layer on
Redis. One asyncio process holds the sockets and takes each message's arrival time with
`time.time()` the moment it is read; the marker (`data-resident`) is found with a string search.

1. Floor: the benchmark publishes bare messages on the channel layer (`group_send` to
   `team-<id>`, the event the consumer renders as the usual snippet), at the steady rate, round
   robin over the teams. Latency: publish → the last of the team's 10 sockets.
2. Moves: a GP of each team steps a resident up (step 2 → 3) and down again through the API
   (`POST /api/v1/residents/<id>/transitions/`), as many as the floor's messages, at the same
   rate. Latency from the mover's receipt of the API response to the last socket of the team
   (0 when the event was there before the response: it goes out on commit, before the response
   is written; how often is printed), and from the event's commit time (`data-at`) to the last
   socket, the figure comparable with the floor.

Every socket must receive every event of its team, and no socket an event of another team;
otherwise (or if a socket fails to connect or drops, or an API call fails) the program exits
non-zero. A message is ours by its marker and by its time (`data-at` not before we sent it);
others are counted, not fatal: Redis pub/sub channels are global, so benchmarks running at the
same time on one Redis hear each other's events. The channel layer is the one the settings
choose (pub/sub when REDIS_URL is set); it is printed. The residents moved are put back where
they were at the end.

    python -m bench.fanout [--size region|tiny] [--moves N] [--rate R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bench.common import Server, Summary, api_token, heading, machine, session_cookie, setup
from bench.common import summary as stats

PER_TEAM = 10  # open boards per team
DEFAULTS = {"region": (200, 10.0), "tiny": (35, 35.0)}  # (moves, per second)
WARMUP = 35  # unmeasured pings and moves first (one per team): connections, templates, caches
TARGET_P95_MS = 150.0
TARGET_RATIO = 1.5  # commit → last socket against the floor (issue 15: 3.0 before)
SETTLE_S = 10.0  # how long after the last message sent we wait for stragglers
REASON = "benchmark: live fan-out"
T = TypeVar("T")
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --- the boards: sockets signed in as members of their team ----------------------------------


@dataclass(frozen=True)
class Board:
    """One open board: a socket on its team's live channel."""

    index: int
    team_id: int
    slug: str
    cookie: str  # sessionid of a member of the team


def boards(per_team: int = PER_TEAM) -> list[Board]:
    """`per_team` boards for every team, each with a session of one of the team's members (the
    members take turns: a team has fewer members than boards)."""
    from kernteam.models import Membership, Team

    cookies: dict[int, str] = {}
    made: list[Board] = []
    for team in Team.objects.order_by("pk"):
        users = [
            m.user for m in Membership.objects.active().filter(team=team).select_related("user")
        ]
        users = list({u.pk: u for u in users}.values())
        for n in range(per_team):
            user = users[n % len(users)]
            if user.pk not in cookies:
                cookies[user.pk] = session_cookie(user)
            made.append(Board(len(made), team.pk, team.slug, cookies[user.pk]))
    return made


def forget_sessions(made: list[Board]) -> None:
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key__in={b.cookie for b in made}).delete()


async def connect(server: Server, board: Board):
    """A board's socket, as a browser opens it (session cookie, same-origin header)."""
    from websockets.asyncio.client import connect as ws_connect

    return await ws_connect(
        f"{server.ws_url}/ws/teams/{board.slug}/board/",
        origin=server.url,
        additional_headers={"Cookie": f"sessionid={board.cookie}"},
        proxy=None,
        open_timeout=60,
    )


def attribute(text: str, name: str) -> str:
    """An attribute's value in the snippet, by string search (cheap: no HTML parsing)."""
    start = text.find(f'{name}="')
    if start < 0:
        return ""
    start += len(name) + 2
    return text[start : text.find('"', start)]


# --- what arrived where ------------------------------------------------------------------------


@dataclass
class Probe:
    """One message we expect on every board of `team_id` (and on no other)."""

    marker: str
    team_id: int
    expected: int
    sent: float = 0.0  # publish time (floor), or request sent (move); set before either
    response: float | None = None  # when the mover had the API response
    arrivals: dict[int, float] = field(default_factory=dict)  # board index → time
    at: str = ""  # data-at of the first arrival (commit time, or publish time)

    @property
    def complete(self) -> bool:
        return len(self.arrivals) >= self.expected

    @property
    def last(self) -> float:
        return max(self.arrivals.values())


class Arrivals:
    """Matches each message a board receives with the probe it belongs to: the oldest one with
    that marker the board has not received yet (a board hears a team's events in order)."""

    def __init__(self, made: list[Board]) -> None:
        self.team_of = [b.team_id for b in made]
        self.boards_of_team = Counter(self.team_of)
        self.waiting: dict[str, list[Probe]] = {}
        self.cross_team: list[tuple[str, int, int]] = []  # (marker, from team, to team)
        self.unexpected = 0  # messages with a marker we did not send (another client's?)
        self.dropped = 0  # sockets the server closed under us

    def expect(self, marker: str, team_id: int) -> Probe:
        probe = Probe(marker, team_id, self.boards_of_team[team_id])
        self.waiting.setdefault(marker, []).append(probe)
        return probe

    def cancel(self, probe: Probe) -> None:
        self.waiting[probe.marker].remove(probe)

    def received(self, board: int, text: str, now: float) -> None:
        if text.startswith("{"):  # the live channel's status (a heartbeat), not an event
            return
        at = attribute(text, "data-at")
        for probe in self.waiting.get(attribute(text, "data-resident"), ()):
            if board not in probe.arrivals:
                break
        else:
            self.unexpected += 1
            return
        if float(at or 0) < probe.sent:  # an event from before we sent ours: not ours
            self.unexpected += 1
            return
        team = self.team_of[board]
        if team != probe.team_id:
            self.cross_team.append((probe.marker, probe.team_id, team))
            return
        probe.at = probe.at or at
        probe.arrivals[board] = now

    async def listen(self, board: Board, socket) -> None:
        from websockets.exceptions import ConnectionClosedOK

        try:
            async for text in socket:
                self.received(board.index, text, time.time())  # first thing: the arrival time
        except ConnectionClosedOK:
            pass
        except Exception:
            self.dropped += 1
            raise

    async def settle(self, probes: list[Probe], timeout: float = SETTLE_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(p.complete for p in probes):
            await asyncio.sleep(0.02)


@dataclass
class Opened:
    """What connecting every board at once gave."""

    sockets: list
    handshakes_ms: list[float]  # from the start to each completed handshake
    errors: list[str]
    seconds: float  # until every handshake had completed or failed
    client_cpu: float  # seconds of CPU this process used meanwhile (is the client the limit?)


async def open_all(server: Server, made: list[Board], arrivals: Arrivals) -> Opened:
    """All boards connect at once; each socket that opens is listened to."""
    start, cpu = time.perf_counter(), time.process_time()

    async def one(board: Board):
        socket = await connect(server, board)
        return socket, (time.perf_counter() - start) * 1000

    results = await asyncio.gather(*(one(b) for b in made), return_exceptions=True)
    opened = Opened([], [], [], time.perf_counter() - start, time.process_time() - cpu)
    for board, result in zip(made, results, strict=True):
        if isinstance(result, BaseException):
            opened.errors.append(f"board {board.index} ({board.slug}): {result!r}")
            continue
        socket, took_ms = result
        opened.sockets.append(socket)
        opened.handshakes_ms.append(took_ms)
        listen(arrivals, board, socket)
    return opened


def listen(arrivals: Arrivals, board: Board, socket) -> None:
    """Hand what the socket receives to `arrivals`, in the background."""
    task = asyncio.create_task(arrivals.listen(board, socket))
    _listening.add(task)
    task.add_done_callback(_stopped_listening)


_listening: set[asyncio.Task] = set()  # keeps the tasks alive


def _stopped_listening(task: asyncio.Task) -> None:
    _listening.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: a socket that dropped is counted by Arrivals


async def close_all(sockets: list) -> None:
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)


async def paced(count: int, rate: float, start_one: Callable[[int], Awaitable[None]]) -> None:
    """Start `count` jobs at `rate` per second (a steady pace, whatever each job takes)."""
    loop = asyncio.get_running_loop()
    begin = loop.time()
    jobs = []
    for i in range(count):
        delay = begin + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        jobs.append(asyncio.create_task(start_one(i)))
    await asyncio.gather(*jobs)


# --- the floor: bare messages on the channel layer --------------------------------------------


def layer_name() -> str:
    from django.conf import settings

    return settings.CHANNEL_LAYERS["default"]["BACKEND"]


async def publish(team_id: int, marker: str) -> None:
    from channels.layers import get_channel_layer

    from kernteam.roles import Role

    event = {"type": "bench.ping", "resident": marker, "at": time.time()}
    # (as an event about a resident whose consent names every discipline: every board hears it)
    message = {"type": "board.event", "event": event, "disciplines": list(Role.values)}
    await get_channel_layer().group_send(f"team-{team_id}", message)


async def floor(
    arrivals: Arrivals, teams: list[int], count: int, rate: float, tag: str
) -> list[Probe]:
    probes: list[Probe] = []

    async def ping(i: int) -> None:
        probe = arrivals.expect(f"{tag}-{os.getpid()}-{i}", teams[i % len(teams)])
        probes.append(probe)
        probe.sent = time.time()
        await publish(probe.team_id, probe.marker)

    await paced(count, rate, ping)
    await arrivals.settle(probes)
    return probes


# --- moves through the API ---------------------------------------------------------------------


@dataclass
class Subject:
    """A resident a GP moves up and down (each move waits for the one before it)."""

    pk: int
    state: str
    first_state: str
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def next_move(self) -> tuple[str, str]:
        if self.state == "step2":
            return "step_up_to_3", "step2"
        return "step_down_to_2", "step3"


@dataclass
class Mover:
    """A GP of the team, with an API token, and the residents they take turns moving."""

    team_id: int
    token: str
    subjects: list[Subject]
    turn: int = 0

    def next_subject(self) -> Subject:
        self.turn += 1
        return self.subjects[self.turn % len(self.subjects)]


def movers(per_team: int = 2) -> list[Mover]:
    """A GP of every team (with an API token) and `per_team` of its residents in step 2 with
    consent for every discipline (the lowest ids, so that runs reuse the same residents)."""
    from django.db.models import Exists, OuterRef

    from clients.models import Consent, Resident
    from kernteam.models import Membership, Team
    from kernteam.roles import Role

    # Consent for every discipline: every board of the team (whoever it is signed in as) hears
    # which resident moved (a board that may not see them hears only that the board changed).
    consent = Consent.objects.filter(resident=OuterRef("pk"), withdrawn_at__isnull=True)
    for role in Role.values:
        consent = consent.filter(disciplines__icontains=f'"{role}"')
    made = []
    for team in Team.objects.order_by("pk"):
        gp = Membership.objects.active().filter(team=team, role="gp").select_related("user")[0]
        residents = (
            Resident.objects.filter(team=team, trajectory__state="step2")
            .filter(Exists(consent))
            .order_by("pk")[:per_team]
        )
        subjects = [Subject(r.pk, "step2", "step2") for r in residents]
        assert subjects, f"team {team.slug} has no resident in step 2 with consent"
        made.append(Mover(team.pk, api_token(gp.user), subjects))
    return made


def forget_tokens(made: list[Mover]) -> None:
    from knox.models import AuthToken
    from knox.settings import CONSTANTS

    keys = [m.token[: CONSTANTS.TOKEN_KEY_LENGTH] for m in made]
    AuthToken.objects.filter(token_key__in=keys).delete()


def post_move(url: str, token: str, transition: str, expected_state: str) -> tuple[int, str, float]:
    """The API call (blocking: run in a thread): status, error text, time of the response."""
    body = {"transition": transition, "expected_state": expected_state, "reason": REASON}
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with NO_PROXY.open(request, timeout=60) as response:
            response.read()
            return response.status, "", time.time()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")[:300], time.time()
    except OSError as exc:  # no answer at all (refused, reset, timed out)
        return 0, repr(exc), time.time()


class Moves:
    """Moves through the API, each announced to the team's boards (a probe per move)."""

    def __init__(self, server: Server, arrivals: Arrivals, team_movers: list[Mover]) -> None:
        self.server = server
        self.arrivals = arrivals
        self.movers = team_movers
        self.errors: list[str] = []
        self.pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="mover")

    async def move(self, mover: Mover, subject: Subject) -> Probe | None:
        async with subject.lock:
            transition, expected_state = subject.next_move
            url = f"{self.server.url}/api/v1/residents/{subject.pk}/transitions/"
            probe = self.arrivals.expect(str(subject.pk), mover.team_id)
            probe.sent = time.time()
            status, error, response = await asyncio.get_running_loop().run_in_executor(
                self.pool, post_move, url, mover.token, transition, expected_state
            )
            if status != 200:
                self.errors.append(f"{transition} of resident {subject.pk}: {status} {error}")
                self.arrivals.cancel(probe)
                return None
            subject.state = "step3" if expected_state == "step2" else "step2"
            probe.response = response
            return probe

    async def run(self, count: int, rate: float) -> list[Probe]:
        probes: list[Probe] = []

        async def one(i: int) -> None:
            mover = self.movers[i % len(self.movers)]
            if probe := await self.move(mover, mover.next_subject()):
                probes.append(probe)

        await paced(count, rate, one)
        await self.arrivals.settle(probes)
        return probes

    async def restore(self) -> list[Probe]:
        """Every resident back in the state it started in (unmeasured, but delivered)."""
        probes = await asyncio.gather(
            *(
                self.move(mover, subject)
                for mover in self.movers
                for subject in mover.subjects
                if subject.state != subject.first_state
            )
        )
        done = [p for p in probes if p]
        await self.arrivals.settle(done)
        return done


# --- figures -----------------------------------------------------------------------------------


def ms(seconds: list[float]) -> Summary:
    return stats([s * 1000 for s in seconds])


def floor_figures(probes: list[Probe]) -> dict:
    done = [p for p in probes if p.arrivals]
    return {
        "publish to last socket": ms([p.last - p.sent for p in done]),
        "publish to first socket": ms([min(p.arrivals.values()) - p.sent for p in done]),
    }


def move_figures(probes: list[Probe]) -> dict:
    done = [p for p in probes if p.arrivals]
    return {
        "API call (request to response)": ms([p.response - p.sent for p in done]),
        "response to last socket": ms([max(0.0, p.last - p.response) for p in done]),
        "same, signed (< 0: before it)": ms([p.last - p.response for p in done]),
        "commit to last socket": ms([p.last - float(p.at) for p in done]),
        "commit to first socket": ms([min(p.arrivals.values()) - float(p.at) for p in done]),
        "request to last socket": ms([p.last - p.sent for p in done]),
    }


def early(probes: list[Probe]) -> int:
    """Moves whose event was on every board before the mover had the API response."""
    return sum(1 for p in probes if p.arrivals and p.last <= p.response)


def missed(probes: list[Probe]) -> int:
    return sum(p.expected - len(p.arrivals) for p in probes)


def print_figures(label: str, figures: dict) -> None:
    print(label)
    for name, summary in figures.items():
        print(f"  {name:32s} {summary.ms()}")


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


# --- the run -----------------------------------------------------------------------------------


async def measure(
    server: Server, made: list[Board], team_movers: list[Mover], count: int, rate: float
) -> dict:
    arrivals = Arrivals(made)
    opened = await open_all(server, made, arrivals)
    print(
        f"{len(opened.sockets)} boards connected in {opened.seconds * 1000:.0f} ms "
        f"(this client used {opened.client_cpu * 1000:.0f} ms of CPU meanwhile)"
    )
    if opened.errors:
        await close_all(opened.sockets)
        return {"connect_errors": opened.errors}
    teams = [m.team_id for m in team_movers]
    moves = Moves(server, arrivals, team_movers)
    try:
        warm = await floor(arrivals, teams, WARMUP, rate, "warm")
        warm += await moves.run(WARMUP, rate)
        start, cpu = time.perf_counter(), time.process_time()
        floor_probes = await floor(arrivals, teams, count, rate, "ping")
        move_probes = await moves.run(count, rate)
        client_load = (time.process_time() - cpu) / (time.perf_counter() - start)
    finally:
        restored = await moves.restore()
        await close_all(opened.sockets)
        moves.pool.shutdown()
    return {
        "connect_ms": opened.seconds * 1000,
        "client_load": client_load,
        "floor": floor_figures(floor_probes),
        "moves": move_figures(move_probes),
        "early": early(move_probes),
        "count": len(move_probes),
        "missed": missed(warm + floor_probes + move_probes + restored),
        "cross_team": len(arrivals.cross_team),
        "cross_team_examples": sorted(set(arrivals.cross_team))[:5],
        "unexpected": arrivals.unexpected,
        "dropped": arrivals.dropped,
        "api_errors": moves.errors,
    }


def run(size: str, moves: int | None = None, rate: float | None = None) -> dict:
    """Measure and print; the figures. Raises SystemExit when a delivery went wrong."""
    default_moves, default_rate = DEFAULTS[size]
    count, rate = moves or default_moves, rate or default_rate
    made, team_movers = boards(), movers()
    teams = len(team_movers)
    heading(f"Live fan-out: {teams} teams x {PER_TEAM} boards, {count} moves at {rate:g}/s")
    print(machine())
    print(f"channel layer: {layer_name()}; server: uvicorn, 2 workers")
    try:
        with Server(size=size, workers=2) as server:
            figures = run_loop(measure(server, made, team_movers, count, rate))
    finally:
        forget_sessions(made)
        forget_tokens(team_movers)
    figures |= {"size": size, "sockets": len(made), "rate": rate, "layer": layer_name()}
    if "floor" in figures:
        figures |= ratios(figures)
        report(figures)
    figures["failures"] = failures_of(figures)
    for failure in figures["failures"]:
        print(f"FAILED: {failure}")
    if figures["failures"]:
        raise SystemExit(f"fan-out: {'; '.join(figures['failures'])}")
    return figures


def ratios(figures: dict) -> dict:
    """p95 and median of the moves' latencies over the floor's (publish to last socket)."""
    base = figures["floor"]["publish to last socket"]
    made = {}
    for name in ("response to last socket", "commit to last socket"):
        summary = figures["moves"][name]
        made[f"ratio {name}"] = {
            "median": summary.median / base.median,
            "p95": summary.p95 / base.p95,
        }
    return made


def report(figures: dict) -> None:
    count, moves = figures["count"], figures["moves"]
    print_figures(f"floor: {count} bare channel-layer messages", figures["floor"])
    print_figures(f"moves: {count} API moves", moves)
    for name in ("response to last socket", "commit to last socket"):
        ratio = figures[f"ratio {name}"]
        print(f"  {name} / floor: median {ratio['median']:.2f}x, p95 {ratio['p95']:.2f}x")
    print(
        f"  events on every board before the API response: {figures['early']} of {count} "
        "(counted as 0 ms from the response)"
    )
    p95 = moves["response to last socket"].p95
    print(
        f"target p95 ≤ {TARGET_P95_MS:.0f} ms, API response to last socket: {p95:.1f} ms, "
        f"{verdict(p95 <= TARGET_P95_MS)}"
    )
    ratio = figures["ratio commit to last socket"]["p95"]
    print(
        f"target p95 ≤ {TARGET_RATIO:g}x the floor, commit to last socket: {ratio:.2f}x, "
        f"{verdict(ratio <= TARGET_RATIO)} (from the response: "
        f"{figures['ratio response to last socket']['p95']:.2f}x)"
    )
    print(f"  this client's CPU while measuring: {figures['client_load']:.0%} of one core")
    print(
        f"cross-team deliveries: {figures['cross_team']} (must be 0); missed deliveries: "
        f"{figures['missed']}; dropped sockets: {figures['dropped']}; API errors: "
        f"{len(figures['api_errors'])}; messages we did not send: {figures['unexpected']}"
    )


def failures_of(figures: dict) -> list[str]:
    if "connect_errors" in figures:
        errors = figures["connect_errors"]
        return [f"{len(errors)} boards failed to connect, e.g. {errors[:3]}"]
    failures = []
    if figures["missed"]:
        failures.append(f"{figures['missed']} deliveries missed")
    if figures["cross_team"]:
        failures.append(
            f"{figures['cross_team']} cross-team deliveries, e.g. {figures['cross_team_examples']}"
        )
    if figures["dropped"]:
        failures.append(f"{figures['dropped']} sockets dropped")
    failures += [f"API: {e}" for e in figures["api_errors"][:5]]
    return failures


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """On uvloop when installed (as the server): the client must not be the bottleneck."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=["region", "tiny"], default="region")
    parser.add_argument("--moves", type=int, help="moves (and floor messages) measured")
    parser.add_argument("--rate", type=float, help="moves (and floor messages) per second")
    args = parser.parse_args()
    setup(args.size)
    run(args.size, args.moves, args.rate)


if __name__ == "__main__":
    main()
