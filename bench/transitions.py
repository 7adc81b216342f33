"""Transitions under contention: concurrent API clients moving residents, then a consistency check.

What is measured, on uvicorn with two workers (`BENCH_WORKERS`) on PostgreSQL and Redis
(`bench.common.Server`):

- **spread**: each of 20 clients owns its own residents (in step 2 or 3, across every team) and
  moves them in turn through `POST /api/v1/residents/<id>/transitions/`, signed in with a token
  of the GP of the resident's team: up to step 3 (`step_up_to_3`, an urgent step-up between
  meetings) and back down to step 2 (`step_down_to_2`, which the GP may take alone), always
  with the right `expected_state`. Nobody else touches those residents, so every answer must
  be 200. Target: 200 moves/s or more.
- **floor**: the same clients and residents against `bench.baseline.baseline_move`, which
  writes the same rows in one transaction and sends the same event, with none of our logic
  (no sign-in, access rules, guards, meeting, access log or DRF): what this machine, Django and
  PostgreSQL manage at all; the spread phase is also given as a share of it.
- **one resident**: the 20 clients all move the same resident, each from the state it last saw
  (its own last move, or the `current_state` of its last 409). Every answer must be 200 or a
  409 that carries `current_state`; exactly one of the simultaneous moves from a state wins.

On its first move and every tenth after it a client also agrees an action on that resident
(`POST …/actions/`, owned by another member of the team), so that "no lost action" can be
checked. Figures come from a measured window after
a short warm-up: moves/s (200 answers), latency median/p95/max per kind of answer, and the CPU
the server workers, the load generator and the rest (PostgreSQL, Redis, kernel) used on this
machine's cores during the window.

Then, in the database: every 200 is exactly one new history row (StepChange) of that resident,
no new row without its 200, the new rows chain (each starts where the previous ended), every
touched trajectory is in the `to_state` of its last history row with the urgent step-up
awaiting confirmation when that row is one, and every 201 action exists, with no action more.
Any inconsistency or unexpected answer makes the run fail (exit status 1).

The run writes (history is append-only, also in PostgreSQL), so it works on a throw-away copy of
the benchmark database (`<name>_transitions`, made with CREATE DATABASE … TEMPLATE), dropped
afterwards and kept only when the check fails, for inspection.

    python -m bench.transitions [--size region|tiny] [--clients 20] [--seconds S]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import http.client
import json
import os
import resource
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import Server, api_token, database_url, heading, machine, setup, summary

CLIENTS = 20
SECONDS = {"region": 20.0, "tiny": 2.0}  # per phase, measured (after the warm-up)
WARMUP = {"region": 2.0, "tiny": 0.5}
RESIDENTS_PER_CLIENT = 25
ACTION_EVERY = 10  # a client agrees an action on its 1st, 11th, 21st … move
TARGET_MOVES_PER_S = 150  # real load is ~3 moves/s (issue 15: 200 before)
NEXT = {"step2": ("step_up_to_3", "step3"), "step3": ("step_down_to_2", "step2")}
TICK = os.sysconf("SC_CLK_TCK")
DISTURBED = 20  # % of a core used by other processes (or the kernel) during a window


# --- what the clients move -------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """A resident to move, the token of their team's GP, and a team member to own actions."""

    resident_id: int
    state: str  # before the run
    token: str
    owner_id: int


def plan(*, clients: int, per_client: int) -> tuple[list[list[Subject]], Subject]:
    """Per client its own residents (round-robin over the teams), and one more for all."""
    from kernteam.models import Membership
    from kernteam.roles import Role
    from steps.models import Trajectory

    active = Membership.objects.active().order_by("team_id", "pk")
    gps = dict(active.filter(role=Role.GP).values_list("team_id", "user_id"))
    others = dict(active.exclude(role=Role.GP).values_list("team_id", "user_id"))
    tokens = _tokens(set(gps.values()))
    per_team: dict[int, list[Subject]] = defaultdict(list)
    rows = Trajectory.objects.filter(state__in=list(NEXT), resident__team_id__in=list(gps))
    for resident_id, team_id, state in rows.order_by("resident_id").values_list(
        "resident_id", "resident__team_id", "state"
    ):
        owner = others.get(team_id, gps[team_id])
        subject = Subject(resident_id, state, tokens[gps[team_id]], owner)
        per_team[team_id].append(subject)
    ordered = _round_robin(list(per_team.values()))
    if len(ordered) < 2:
        raise SystemExit("bench.transitions needs residents in step 2 or 3 with a GP on the team")
    contended, spread = ordered[0], ordered[1 : 1 + clients * per_client]
    clients = min(clients, len(spread))
    return [spread[i::clients] for i in range(clients)], contended


def _tokens(user_ids: set[int]) -> dict[int, str]:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(pk__in=user_ids)
    return {user.pk: api_token(user) for user in users}


def _round_robin(groups: list[list[Subject]]) -> list[Subject]:
    longest = max((len(g) for g in groups), default=0)
    return [g[i] for i in range(longest) for g in groups if i < len(g)]


# --- the clients -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    ended: float  # perf_counter at the end of the answer
    kind: str  # "move" or "action"
    status: int  # 0: no answer (connection failed)
    ms: float


@dataclass
class Tally:
    """One client's answers, and what it changed (for the consistency check)."""

    samples: list[Sample] = field(default_factory=list)
    moved: Counter[int] = field(default_factory=Counter)  # 200 moves per resident
    actions: list[tuple[int, int, str]] = field(default_factory=list)  # (id, resident, text)
    failures: list[str] = field(default_factory=list)
    overtaken: int = 0  # 200 answers showing a state other than the move's target
    last_seen: dict[int, str] = field(default_factory=dict)  # resident: state, at the end


class Client:
    """One keep-alive HTTP connection, posting JSON."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.reconnect()

    def reconnect(self) -> None:
        """A new connection, accepted by a worker (it answered once)."""
        self.connection.close()
        self.connection.request("GET", "/healthz/")
        self.connection.getresponse().read()

    @property
    def local_port(self) -> int:
        return self.connection.sock.getsockname()[1]

    def post(self, path: str, body: dict, token: str) -> tuple[int, dict, float, float]:
        """(status, answer, ms, perf_counter at the end); status 0 when the connection failed."""
        payload = json.dumps(body)
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        start = time.perf_counter()
        try:
            self.connection.request("POST", path, payload, headers)
            response = self.connection.getresponse()
            status, data = response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # the next request connects again
            status, data = 0, b""
        end = time.perf_counter()
        try:
            answer = json.loads(data) if data else {}
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            answer = {"body": data[:200].decode(errors="replace")}
        return status, answer, (end - start) * 1000, end

    def close(self) -> None:
        self.connection.close()


@dataclass
class Worker:
    """A client thread: moves its residents in turn until `stop`, agreeing actions now and
    then. `contended`: other clients move the same residents, so a 409 is an answer too."""

    client: Client
    subjects: list[Subject]
    contended: bool
    name: str
    floor: bool = False  # move through the floor view instead (no actions)
    tally: Tally = field(default_factory=Tally)
    stop: float = float("inf")

    def __post_init__(self) -> None:
        self.seen = {s.resident_id: s.state for s in self.subjects}

    def run(self, go: threading.Barrier) -> None:
        go.wait()
        turn = moves = 0
        while time.perf_counter() < self.stop:
            subject = self.subjects[turn % len(self.subjects)]
            turn += 1
            if self.move(subject):
                moves += 1
                if moves % ACTION_EVERY == 1 and not self.floor:
                    self.agree_action(subject, moves)
        self.client.close()
        self.tally.last_seen = dict(self.seen)

    def move(self, subject: Subject) -> bool:
        rid = subject.resident_id
        state = self.seen[rid]
        if state not in NEXT:
            self.fail(f"resident {rid} left steps 2-3 (in {state!r}): this client stops")
            self.stop = 0.0
            return False
        transition, target = NEXT[state]
        body = {"transition": transition, "expected_state": state, "reason": "bench: contention"}
        path = f"/api/v1/residents/{rid}/transitions/"
        if self.floor:
            path = f"/bench/baseline/residents/{rid}/move/"
        status, answer, ms, end = self.client.post(path, body, subject.token)
        self.tally.samples.append(Sample(end, "move", status, ms))
        if status == 200:
            self.tally.moved[rid] += 1
            self.seen[rid] = answer.get("state", "")
            if answer.get("state") != target:  # moved again before the answer was read
                self.tally.overtaken += 1
                if not self.contended:
                    self.fail(f"200 {transition} of {rid} from {state}: {answer.get('state')!r}")
            return True
        current = answer.get("current_state") if status == 409 else None
        if current:
            self.seen[rid] = current
        if not (self.contended and current):
            self.fail(f"{status} {transition} of {rid} from {state}: {str(answer)[:200]}")
        return False

    def agree_action(self, subject: Subject, moves: int) -> None:
        description = f"bench transitions {self.name}-{moves}"
        due = datetime.date.today() + datetime.timedelta(days=14)
        body = {"description": description, "due_on": due.isoformat()}
        body["owner_member"] = subject.owner_id
        path = f"/api/v1/residents/{subject.resident_id}/actions/"
        status, answer, ms, end = self.client.post(path, body, subject.token)
        self.tally.samples.append(Sample(end, "action", status, ms))
        if status == 201 and "id" in answer:
            self.tally.actions.append((answer["id"], subject.resident_id, description))
        else:
            self.fail(f"{status} action on {subject.resident_id}: {str(answer)[:200]}")

    def fail(self, what: str) -> None:
        self.tally.failures.append(what)


# --- CPU on this machine -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cpu:
    """Seconds of CPU so far: the machine (busy), each server worker, this process (the load
    generator), PostgreSQL and Redis."""

    machine: float
    workers: tuple[float, ...]
    client: float
    postgres: float
    redis: float

    @classmethod
    def now(cls, worker_pids: list[int]) -> Cpu:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        services = _service_cpu()
        return cls(
            _machine_busy(),
            tuple(_process_cpu(p) for p in worker_pids),
            usage.ru_utime + usage.ru_stime,
            services["postgres"],
            services["redis"],
        )


def _machine_busy() -> float:
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / TICK  # (guest time is counted in user already)


def _service_cpu() -> dict[str, float]:
    """CPU seconds so far of PostgreSQL (its processes, plus the backends that ended: the
    postmaster's reaped children) and of Redis."""
    found = {"postgres": 0.0, "redis": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        service = "postgres" if name == "postgres" else "redis" if "redis" in name else None
        if service:
            fields = raw.rsplit(")", 1)[1].split()
            found[service] += sum(int(v) for v in fields[11:15]) / TICK  # u/s time, children's
    return found


def _process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def balance(clients: list[Client], port: int, pids: list[int]) -> tuple[list[int], list[int]]:
    """Connections per worker, as opened and after balancing. uvicorn's workers share one
    listening socket and the worker that wakes first accepts every pending connection, so
    keep-alive connections opened together tend to land on one worker; those beyond a fair
    share are opened again until each worker holds its share (as a balancing proxy would)."""
    if not pids:
        return [], []
    share = -(-len(clients) // len(pids))
    first = _per_worker(clients, port, pids)
    for _ in range(50):
        owners = _owners(port, pids)
        mine: dict[int, list[Client]] = defaultdict(list)
        for client in clients:
            mine[owners.get(client.local_port, 0)].append(client)
        extra = [c for pid in pids for c in mine[pid][share:]] + mine[0]
        if not extra:
            break
        extra[0].reconnect()
    return first, _per_worker(clients, port, pids)


def _per_worker(clients: list[Client], port: int, pids: list[int]) -> list[int]:
    owners = Counter(_owners(port, pids).get(c.local_port) for c in clients)
    return [owners[pid] for pid in pids]


def _owners(port: int, pids: list[int]) -> dict[int, int]:
    """The worker holding each connection to `port`, by the client's port (from /proc)."""
    holder: dict[int, int] = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                holder[int(target[8:-1])] = pid
    owners = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], int(fields[9])
        if int(local.split(":")[1], 16) == port and inode in holder:
            owners[int(remote.split(":")[1], 16)] = holder[inode]
    return owners


def worker_pids(server: Server) -> list[int]:
    """uvicorn's worker processes (the children that are not multiprocessing's helpers)."""
    pid = server.process.pid
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return [c for c in children if "resource_tracker" not in _cmdline(c)]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


# --- one phase ---------------------------------------------------------------------------------


@dataclass
class Phase:
    """What a phase measured in its window, and everything its clients changed."""

    name: str
    seconds: float
    samples: list[Sample]
    tallies: list[Tally]
    cpu: dict[str, float]
    connections: tuple[list[int], list[int]]  # per worker: as opened, balanced

    def of(self, kind: str, status: int | None = None) -> list[float]:
        return [
            s.ms for s in self.samples if s.kind == kind and (status is None or s.status == status)
        ]

    @property
    def statuses(self) -> Counter[int]:
        return Counter(s.status for s in self.samples if s.kind == "move")

    @property
    def moves_per_s(self) -> float:
        return len(self.of("move", 200)) / self.seconds

    @property
    def answers_per_s(self) -> float:
        return len(self.of("move")) / self.seconds

    @property
    def conflict_share(self) -> float:
        return len(self.of("move", 409)) / max(1, len(self.of("move")))

    @property
    def failures(self) -> list[str]:
        return [f for t in self.tallies for f in t.failures]

    @property
    def overtaken(self) -> int:
        return sum(t.overtaken for t in self.tallies)


def run_phase(
    name: str,
    server: Server,
    assignments: list[list[Subject]],
    *,
    contended: bool,
    warmup: float,
    seconds: float,
    floor: bool = False,
) -> Phase:
    """Every client in its own thread, from a common start; figures from the window after
    the warm-up. The clients stop starting requests at the window's end."""
    pids = worker_pids(server)
    clients = [Client(server.port) for _ in assignments]
    connections = balance(clients, server.port, pids)
    workers = [
        Worker(client, subjects, contended, f"{name} {i}", floor)
        for i, (client, subjects) in enumerate(zip(clients, assignments, strict=True))
    ]
    go = threading.Barrier(len(workers) + 1)
    threads = [threading.Thread(target=w.run, args=(go,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    window = (start + warmup, start + warmup + seconds)
    for w in workers:
        w.stop = window[1]
    go.wait()
    time.sleep(max(0.0, window[0] - time.perf_counter()))
    before = Cpu.now(pids)
    time.sleep(max(0.0, window[1] - time.perf_counter()))
    after = Cpu.now(pids)
    for thread in threads:
        thread.join()
    samples = [s for w in workers for s in w.tally.samples if window[0] <= s.ended <= window[1]]
    tallies = [w.tally for w in workers]
    return Phase(name, seconds, samples, tallies, cpu_shares(before, after, seconds), connections)


def cpu_shares(before: Cpu, after: Cpu, seconds: float) -> dict[str, float]:
    """CPU used during the window, in % of one core (the machine has os.cpu_count() × 100 %)."""
    workers = [b - a for a, b in zip(before.workers, after.workers, strict=True)]
    shares = {
        name: getattr(after, name) - getattr(before, name)
        for name in ("machine", "client", "postgres", "redis")
    }
    shares["server"] = sum(workers)
    shares["other"] = shares["machine"] - sum(
        shares[k] for k in ("server", "client", "postgres", "redis")
    )
    shares |= {f"worker{i}": w for i, w in enumerate(workers)}
    return {k: 100 * v / seconds for k, v in shares.items()}


# --- the consistency check ------------------------------------------------------------------------


@dataclass(frozen=True)
class Marks:
    """The newest history row and action before the run: anything newer is the run's."""

    change: int
    action: int

    @classmethod
    def now(cls) -> Marks:
        from django.db.models import Max

        from steps.models import AgreedAction, StepChange

        last_change = StepChange.objects.aggregate(m=Max("pk"))["m"] or 0
        return cls(last_change, AgreedAction.objects.aggregate(m=Max("pk"))["m"] or 0)


def inconsistencies(
    marks: Marks, initial: dict[int, str], moved: Counter[int], actions: list[tuple[int, int, str]]
) -> list[str]:
    """Every way the database disagrees with the answers the clients got (empty: none)."""
    from steps.models import StepChange

    rows = StepChange.objects.filter(pk__gt=marks.change).order_by("pk")
    new: dict[int, list[dict]] = defaultdict(list)
    fields = ("pk", "trajectory__resident_id", "from_state", "to_state", "kind", "meeting_id")
    for row in rows.values(*fields):
        new[row["trajectory__resident_id"]].append(row)
    problems = _history_problems(new, initial, moved)
    problems += _state_problems(set(moved) | set(new))
    problems += _action_problems(marks, actions)
    return problems


def _history_problems(
    new: dict[int, list[dict]], initial: dict[int, str], moved: Counter[int]
) -> list[str]:
    problems = []
    for rid in sorted(set(moved) | set(new)):
        rows = new.get(rid, [])
        if len(rows) != moved[rid]:
            problems.append(f"resident {rid}: {moved[rid]} moves answered 200, {len(rows)} rows")
        state = initial.get(rid)
        for row in rows:
            if row["from_state"] != state:
                problems.append(f"resident {rid}: row {row['pk']} starts in {row['from_state']}")
            state = row["to_state"]
    return problems


def _state_problems(touched: set[int]) -> list[str]:
    """Each touched trajectory is in the state its last history row says, with the urgent
    step-up awaiting confirmation when that row is one (and none after a step-down)."""
    from django.db.models import OuterRef, Subquery

    from steps.models import Kind, StepChange, Trajectory

    last = StepChange.objects.filter(trajectory=OuterRef("pk")).order_by("-at", "-pk")
    rows = list(
        Trajectory.objects.filter(resident_id__in=touched)
        .annotate(
            last_pk=Subquery(last.values("pk")[:1]),
            last_to=Subquery(last.values("to_state")[:1]),
            last_kind=Subquery(last.values("kind")[:1]),
            last_meeting=Subquery(last.values("meeting_id")[:1]),
        )
        .values("resident_id", "state", "pending_confirmation_id", *_LAST)
    )
    problems = []
    for row in rows:
        rid, pending = row["resident_id"], row["pending_confirmation_id"]
        if row["state"] != row["last_to"]:
            problems.append(f"resident {rid}: in {row['state']}, last row says {row['last_to']}")
        urgent = row["last_kind"] == Kind.STEP_UP and row["last_meeting"] is None
        awaiting = row["last_pk"] if urgent else None
        if row["last_kind"] in (Kind.STEP_UP, Kind.STEP_DOWN) and pending != awaiting:
            problems.append(f"resident {rid}: awaits confirmation of {pending}, not {awaiting}")
    missing = touched - {row["resident_id"] for row in rows}
    return problems + [f"resident {rid}: no trajectory" for rid in sorted(missing)]


_LAST = ("last_pk", "last_to", "last_kind", "last_meeting")


def _action_problems(marks: Marks, actions: list[tuple[int, int, str]]) -> list[str]:
    from steps.models import AgreedAction

    rows = AgreedAction.objects.filter(pk__gt=marks.action)
    stored = set(rows.values_list("pk", "resident_id", "description"))
    answered = set(actions)
    problems = [
        f"action {a} answered 201 but not stored as such" for a in sorted(answered - stored)
    ]
    problems += [f"action {a} stored, never answered 201" for a in sorted(stored - answered)]
    return problems


# --- a copy of the database to write in ---------------------------------------------------------


@dataclass
class Scratch:
    base: str  # postgres://…:5432
    source: str
    name: str
    keep: bool = False

    @property
    def url(self) -> str:
        return f"{self.base}/{self.name}"


@contextmanager
def scratch_database(size: str) -> Iterator[Scratch]:
    """This process's Django and the servers started meanwhile work on a fresh copy of the
    benchmark database, dropped afterwards (unless `keep` is set)."""
    from django.db import connections

    base, source = database_url(size).rsplit("/", 1)
    scratch = Scratch(base, source, f"{source}_transitions")
    _disconnect()
    _admin(scratch, f'DROP DATABASE IF EXISTS "{scratch.name}" WITH (FORCE)')
    _copy(scratch)
    settings = connections["default"].settings_dict
    saved = settings["NAME"], os.environ.get("BENCH_DATABASE_URL")
    settings["NAME"] = scratch.name
    os.environ["BENCH_DATABASE_URL"] = scratch.url
    try:
        yield scratch
    finally:
        _disconnect()
        settings["NAME"] = saved[0]
        if saved[1] is None:
            os.environ.pop("BENCH_DATABASE_URL", None)
        else:
            os.environ["BENCH_DATABASE_URL"] = saved[1]
        if not scratch.keep:
            _admin(scratch, f'DROP DATABASE IF EXISTS "{scratch.name}" WITH (FORCE)')


def _disconnect() -> None:
    """Close this process's connections (and its pools, if the settings use one)."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
        if hasattr(connection, "close_pool"):
            connection.close_pool()


def _copy(scratch: Scratch, *, patience: float = 60.0) -> None:
    """CREATE DATABASE … TEMPLATE needs the source to itself: wait for other sessions."""
    import psycopg

    deadline = time.monotonic() + patience
    sql = f'CREATE DATABASE "{scratch.name}" TEMPLATE "{scratch.source}"'
    while True:
        try:
            _admin(scratch, sql)
            return
        except psycopg.errors.ObjectInUse:
            if time.monotonic() > deadline:
                raise SystemExit(f"{scratch.source} stays in use: cannot copy it") from None
            time.sleep(0.5)


def _admin(scratch: Scratch, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{scratch.base}/postgres", autocommit=True) as conn:
        conn.execute(sql)


# --- the server ---------------------------------------------------------------------------------

SERVER_LOG = Path(tempfile.gettempdir()) / "bench-transitions-server.log"


@contextmanager
def server_writing_to(log: Path, size: str) -> Iterator[Server]:
    """`Server(size=size)` (2 workers unless BENCH_WORKERS says otherwise) with its stderr in
    `log`, kept out of the figures (a 409 is not logged: `config.log_filters`)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "wb") as f:
        os.dup2(f.fileno(), 2)
    try:
        server = Server(size=size)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    with server:
        yield server


def print_server_log(log: Path) -> None:
    lines = log.read_text(errors="replace").splitlines()
    print(f"  server log ({log}): {len(lines)} lines")
    for line in lines[:10]:
        print(f"    {line}")


# --- the run -------------------------------------------------------------------------------------


def run(size: str, *, clients: int = CLIENTS, seconds: float | None = None) -> dict:
    """Both phases on a copy of the `size` database, the consistency check, and the figures."""
    setup(size)
    seconds = seconds or SECONDS[size]
    warmup = min(WARMUP[size], seconds)
    heading(f"Transitions under contention ({size}, {clients} clients, {seconds:g} s a phase)")
    print(machine(), flush=True)
    with scratch_database(size) as scratch:
        assignments, contended = plan(clients=clients, per_client=RESIDENTS_PER_CLIENT)
        marks = Marks.now()
        with server_writing_to(SERVER_LOG, size) as server:
            args = {"warmup": warmup, "seconds": seconds}
            spread = run_phase("spread", server, assignments, contended=False, **args)
            after = _after(spread, assignments)
            floor = run_phase("floor", server, after, contended=False, **args, floor=True)
            print_phase(spread, assignments, floor=floor)
            print_phase(floor, assignments)
            everyone = [[contended]] * clients
            one = run_phase("one resident", server, everyone, contended=True, **args)
            print_phase(one, [[contended]])
        subjects = [s for group in assignments for s in group] + [contended]
        phases = [spread, floor, one]
        moved = sum((t.moved for p in phases for t in p.tallies), Counter())
        actions = [a for p in phases for t in p.tallies for a in t.actions]
        problems = inconsistencies(
            marks, {s.resident_id: s.state for s in subjects}, moved, actions
        )
        failures = [f for p in phases for f in p.failures]
        scratch.keep = bool(problems)
        print_check(moved, actions, problems, failures, scratch)
        print_server_log(SERVER_LOG)
    return figures(size, clients, spread, one, problems, failures, floor=floor)


def _after(phase: Phase, assignments: list[list[Subject]]) -> list[list[Subject]]:
    """The same residents, in the states the phase left them in."""
    seen: dict[int, str] = {}
    for tally in phase.tallies:
        seen |= tally.last_seen
    return [
        [dataclasses.replace(s, state=seen.get(s.resident_id, s.state)) for s in group]
        for group in assignments
    ]


def print_phase(
    phase: Phase, assignments: list[list[Subject]], *, floor: Phase | None = None
) -> None:
    residents = len({s.resident_id for group in assignments for s in group})
    what = " (the floor: same rows and event, none of our logic)" if phase.name == "floor" else ""
    heading(f"{phase.name}: {len(phase.tallies)} clients, {residents} resident(s){what}")
    statuses = ", ".join(
        f"{code or 'no answer'} × {n}" for code, n in sorted(phase.statuses.items())
    )
    print(f"  moves       {phase.moves_per_s:7.1f}/s   answers: {statuses}")
    if phase.name == "spread":
        met = "met" if phase.moves_per_s >= TARGET_MOVES_PER_S else "MISSED"
        ratio = phase.moves_per_s / TARGET_MOVES_PER_S
        print(f"  target      ≥ {TARGET_MOVES_PER_S} moves/s: {met} ({ratio:.2f} × the target)")
        if floor is not None and floor.moves_per_s:
            share = phase.moves_per_s / floor.moves_per_s
            print(f"  floor       {floor.moves_per_s:7.1f}/s   the API manages {share:.2f} × it")
    elif phase.name != "floor":
        print(
            f"  answers     {phase.answers_per_s:7.1f}/s   "
            f"{100 * phase.conflict_share:.0f} % of them 409"
        )
    for status in sorted(phase.statuses):
        print(f"  latency {status:<3} {summary(phase.of('move', status)).ms()}")
    if phase.overtaken:
        print(
            f"  overtaken   {phase.overtaken} answers 200 showed a later state than the move's "
            "(the view reads the resident again after the commit)"
        )
    actions = phase.of("action")
    if phase.name != "floor":
        print(f"  actions     {len(actions):5d}      {summary(actions).ms()}")
    opened, balanced = (" + ".join(map(str, n)) for n in phase.connections)
    print(f"  connections per worker: {balanced} (as opened: {opened})")
    cpu = phase.cpu
    per_worker = " + ".join(f"{v:.0f}" for k, v in cpu.items() if k.startswith("worker"))
    print(
        f"  CPU, % of one core ({os.cpu_count()} cores): server {cpu['server']:.0f} "
        f"({per_worker}), PostgreSQL {cpu['postgres']:.0f}, Redis {cpu['redis']:.0f}, "
        f"load generator {cpu['client']:.0f}, other {cpu['other']:.0f}, "
        f"machine {cpu['machine']:.0f}"
    )
    if cpu["other"] > DISTURBED:
        print(f"  DISTURBED: other processes used {cpu['other']:.0f} % meanwhile")


def print_check(
    moved: Counter[int],
    actions: list,
    problems: list[str],
    failures: list[str],
    scratch: Scratch,
) -> None:
    heading("consistency")
    print(
        f"  {sum(moved.values())} moves answered 200 on {len(moved)} residents, "
        f"{len(actions)} actions answered 201"
    )
    for problem in problems[:20]:
        print(f"  INCONSISTENT: {problem}")
    for failure in failures[:20]:
        print(f"  UNEXPECTED ANSWER: {failure}")
    if problems:
        print(f"  ({len(problems)} inconsistencies; database kept: {scratch.name})")
    if failures:
        print(f"  ({len(failures)} unexpected answers)")
    if not problems and not failures:
        print("  every move has its history row, every state its row, every action is stored")


def figures(
    size: str,
    clients: int,
    spread: Phase,
    one: Phase,
    problems: list[str],
    failures: list[str],
    *,
    floor: Phase,
) -> dict:
    def phase_figures(phase: Phase) -> dict:
        ok = summary(phase.of("move", 200))
        return {
            "moves_per_s": round(phase.moves_per_s, 1),
            "answers_per_s": round(phase.answers_per_s, 1),
            "answers": dict(phase.statuses),
            "conflict_share": round(phase.conflict_share, 3),
            "median_ms": ok.median,
            "p95_ms": ok.p95,
            "max_ms": ok.max,
            "conflict_median_ms": summary(phase.of("move", 409)).median,
            "action_median_ms": summary(phase.of("action")).median,
            "overtaken_200s": phase.overtaken,
            "cpu_percent_of_core": {k: round(v) for k, v in phase.cpu.items()},
            "connections_per_worker": phase.connections[1],
            "disturbed": phase.cpu["other"] > DISTURBED,
        }

    return {
        "size": size,
        "clients": clients,
        "seconds": spread.seconds,
        "spread": phase_figures(spread),
        "one_resident": phase_figures(one),
        "floor": phase_figures(floor),
        "share_of_floor": round(spread.moves_per_s / max(floor.moves_per_s, 1e-9), 2),
        "target_moves_per_s": TARGET_MOVES_PER_S,
        "target_met": spread.moves_per_s >= TARGET_MOVES_PER_S,
        "inconsistencies": len(problems),
        "unexpected_answers": len(failures),
        "ok": not problems and not failures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", choices=["region", "tiny"], default="region")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seconds", type=float, default=None, help="measured, per phase")
    options = parser.parse_args(argv)
    result = run(options.size, clients=options.clients, seconds=options.seconds)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
