"""What every benchmark shares: the database and Redis it runs on, the region data, the machine
it ran on, servers with several ASGI workers, sign-ins, and the statistics it prints.

Benchmarks run on PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL), never on the
embedded SQLite database: the numbers are about production's path. Size "region" is the
`seed_demo --scale region` data (35 teams, ~10,500 residents, a year of history); "tiny" is the
default demo data in its own database, for CI to prove the benchmarks still run.
"""

from __future__ import annotations

import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASES = {
    "region": "postgres://postgres@127.0.0.1:5432/kernteam_bench",
    "tiny": "postgres://postgres@127.0.0.1:5432/kernteam_bench_tiny",
}
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")


def database_url(size: str) -> str:
    return os.environ.get("BENCH_DATABASE_URL") or DATABASES[size]


def environment(size: str) -> dict[str, str]:
    """The environment of the benchmark process and of the servers it starts."""
    return {
        "DATABASE_URL": database_url(size),
        "REDIS_URL": REDIS_URL,
        "KERNTEAM_DEMO": "1",
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "WARNING",
        # Redis pub/sub channels ignore the database number: a prefix of this run's own keeps
        # benchmarks running side by side from hearing each other's events.
        "BENCH_CHANNEL_PREFIX": os.environ.get("BENCH_CHANNEL_PREFIX", f"bench{os.getpid()}"),
    }


def setup(size: str) -> None:
    """Point Django at the benchmark database (created, migrated and seeded when missing)."""
    os.environ.update(environment(size))
    _create_database(database_url(size))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # pages as production serves
    _seed(size)


def _create_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _seed(size: str) -> None:
    from django.core.management import call_command

    from clients.models import Resident
    from kernteam.models import Team

    wanted = 10_000 if size == "region" else 1
    if Team.objects.count() >= 35 and Resident.objects.count() >= wanted:
        return
    print(f"seeding the {size} demo data (once)…", flush=True)
    if size == "region":
        call_command("seed_demo", scale="region", verbosity=0)
    else:
        call_command("seed_demo", verbosity=0)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def machine() -> str:
    """One line about where the figures come from."""
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / 1024 / 1024
    except OSError:
        mem = 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0].split()[0]
    redis = _redis_version()
    return (
        f"machine: {cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; Python "
        f"{platform.python_version()}; PostgreSQL {pg}; Redis {redis}; "
        f"speed check {speed_check():.0f} ms"
    )


def speed_check(rounds: int = 5) -> float:
    """Milliseconds for a fixed pure-Python loop (2 million additions; the fastest of
    `rounds`). Machines of one kind differ, and a shared one varies from hour to hour: this
    puts figures from different runs side by side (docs/performance.md)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return best * 1000


def _redis_version() -> str:
    import redis

    return redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]


# --- statistics ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    n: int
    median: float
    p95: float
    max: float

    def ms(self) -> str:
        return f"median {self.median:7.1f} ms  p95 {self.p95:7.1f} ms  max {self.max:7.1f} ms"


def summary(values_ms: list[float]) -> Summary:
    if not values_ms:
        return Summary(0, float("nan"), float("nan"), float("nan"))
    ordered = sorted(values_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return Summary(len(ordered), statistics.median(ordered), p95, ordered[-1])


def against_target(
    label: str, seconds: list[float], *, target_s: float, scope: str = ""
) -> Summary:
    """Prints one line of timings and whether the slowest run meets the target."""
    stats = summary([s * 1000 for s in seconds])
    verdict = "meets" if max(seconds) < target_s else "MISSES"
    print(f"{label:8s} {stats.ms()}  (target < {target_s:.0f} s{scope}: {verdict})")
    return stats


def heading(title: str) -> None:
    print(f"\n== {title}", flush=True)


# --- servers and sign-ins ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn with `workers` ASGI worker processes on the benchmark database and Redis (the
    production path: several workers share live events through Redis)."""

    def __init__(self, *, size: str, workers: int | None = None) -> None:
        workers = workers or int(os.environ.get("BENCH_WORKERS", "2"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        env = {**os.environ, **environment(size)}
        command = [sys.executable, "-m", "uvicorn", "config.asgi:application"]
        command += ["--port", str(self.port), "--workers", str(workers), "--no-access-log"]
        command += ["--log-level", "warning"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env)
        self._wait()

    def _wait(self) -> None:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{self.url}/healthz/", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("uvicorn did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def session_cookie(user) -> str:
    """A signed-in session for `user` (as after the login form), for browsers we imitate."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def api_token(user) -> str:
    from knox.models import AuthToken

    return AuthToken.objects.create(user=user)[1]
