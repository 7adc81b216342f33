"""Two ASGI workers behind the same database share live updates through Redis: a move made
through worker A reaches a board connected to worker B. Real processes, real Redis."""

from __future__ import annotations

import asyncio
import os

import pytest
import websockets

from tests.factories import ResidentFactory, give_consent
from tests.helpers import require_service
from tests.live import post_move, session_for
from tests.servers import Uvicorn

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
pytestmark = pytest.mark.django_db(transaction=True)


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def two_workers():
    """Two uvicorn workers on the same test database and Redis."""
    require_service(redis_available(), f"Redis at {REDIS_URL} is not reachable")
    workers = [Uvicorn(redis_url=REDIS_URL) for _ in range(2)]
    try:
        for worker in workers:
            worker.wait_until_up()
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def test_a_move_through_worker_a_reaches_a_board_on_worker_b(two_workers, daalhof):
    worker_a, worker_b = (worker.address for worker in two_workers)
    resident = ResidentFactory(team=daalhof.team, state="step2")
    give_consent(resident, daalhof.poh)  # the district nurse is in its scope
    poh_session, nurse_session = session_for(daalhof.poh), session_for(daalhof.district_nurse)

    async def scenario() -> str:
        async with websockets.connect(
            f"ws://{worker_b}/ws/teams/daalhof/board/",
            additional_headers={
                "Cookie": f"sessionid={poh_session}",
                "Origin": f"http://{worker_b}",
            },
        ) as board:
            assert await board.recv() == '{"live": true, "every": 10.0}'  # subscribed
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
        attempts = [connect(two_workers[i % 2].address) for i in range(350)]
        results = await asyncio.gather(*attempts, return_exceptions=True)
        sockets = [r for r in results if not isinstance(r, BaseException)]
        errors = [r for r in results if isinstance(r, BaseException)]
        await asyncio.gather(*(s.close() for s in sockets))
        return len(sockets), errors

    connected, errors = asyncio.run(storm())
    assert (connected, errors) == (350, [])
    for log in (worker.stop() for worker in two_workers):
        assert "Traceback" not in log and "ERROR" not in log, log[-2000:]
