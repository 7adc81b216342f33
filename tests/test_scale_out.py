"""Two ASGI workers behind the same database share live updates through Redis: a move made
through worker A reaches a board connected to worker B. Real processes, real Redis."""

from __future__ import annotations

import asyncio
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import websockets
from django.db import connection
from django.test import Client

from tests.conftest import require_service
from tests.factories import ResidentFactory

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
pytestmark = pytest.mark.django_db(transaction=True)


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Two uvicorn processes on the same database and Redis."""

    def __init__(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "DEBUG": "1",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        self.addresses: list[str] = []
        self.processes: list[subprocess.Popen] = []
        for _ in range(2):
            port = free_port()
            self.processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "config.asgi:application",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--no-access-log",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
            )
            self.addresses.append(f"127.0.0.1:{port}")

    def wait_until_up(self) -> None:
        for address, process in zip(self.addresses, self.processes, strict=True):
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://{address}/healthz/", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                raise RuntimeError(self.stop()[0] + process.stdout.read().decode())

    def stop(self) -> list[str]:
        """Stop both workers; returns what each wrote to its log."""
        logs = []
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
            logs.append(process.stdout.read().decode() if process.stdout else "")
        return logs


@pytest.fixture
def two_workers():
    require_service(redis_available(), f"Redis at {REDIS_URL} is not reachable")
    workers = Workers()
    try:
        workers.wait_until_up()
        yield workers
    finally:
        workers.stop()


def session_for(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def post_move(address: str, session: str, resident, reason: str) -> int:
    """As the browser does: fetch the form (CSRF cookie and token), then post it."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("Cookie", f"sessionid={session}")]
    base = f"http://{address}/residents/{resident.pk}/move/"
    form = opener.open(f"{base}?transition=step_up_to_3").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    csrf_cookie = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "transition": "step_up_to_3",
            "expected_state": "step2",
            "reason": reason,
        }
    ).encode()
    request = urllib.request.Request(
        base,
        data=data,
        headers={
            "Cookie": f"sessionid={session}; csrftoken={csrf_cookie}",
            "Referer": base,
            "Origin": f"http://{address}",
        },
    )
    return urllib.request.urlopen(request).status


def test_a_move_through_worker_a_reaches_a_board_on_worker_b(two_workers, daalhof):
    worker_a, worker_b = two_workers.addresses
    resident = ResidentFactory(team=daalhof.team, state="step2")
    poh_session, nurse_session = session_for(daalhof.poh), session_for(daalhof.district_nurse)

    async def scenario() -> str:
        async with websockets.connect(
            f"ws://{worker_b}/ws/teams/daalhof/board/",
            additional_headers={
                "Cookie": f"sessionid={poh_session}",
                "Origin": f"http://{worker_b}",
            },
        ) as board:
            await asyncio.sleep(0.3)  # subscribed
            status = await asyncio.to_thread(
                post_move, worker_a, nurse_session, resident, "Twee keer gevallen"
            )
            assert status == 200
            return await asyncio.wait_for(board.recv(), timeout=5)

    message = asyncio.run(scenario())
    assert f'data-resident="{resident.pk}"' in message and 'id="live-signal"' in message
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.state == "step3"


def test_a_reconnect_storm_of_350_boards_connects_every_socket(two_workers, daalhof):
    """As after a deploy: 350 boards reconnect at the same moment, spread over both workers."""
    session = session_for(daalhof.poh)

    async def connect(address: str):
        return await websockets.connect(
            f"ws://{address}/ws/teams/daalhof/board/",
            additional_headers={"Cookie": f"sessionid={session}", "Origin": f"http://{address}"},
            open_timeout=30,
        )

    async def storm() -> tuple[int, list[BaseException]]:
        attempts = [connect(two_workers.addresses[i % 2]) for i in range(350)]
        results = await asyncio.gather(*attempts, return_exceptions=True)
        sockets = [r for r in results if not isinstance(r, BaseException)]
        errors = [r for r in results if isinstance(r, BaseException)]
        await asyncio.gather(*(s.close() for s in sockets))
        return len(sockets), errors

    connected, errors = asyncio.run(storm())
    assert (connected, errors) == (350, [])
    for log in two_workers.stop():
        assert "Traceback" not in log and "ERROR" not in log, log[-2000:]
