"""Scenario: the live channel stops delivering while a board is open. Within a few seconds the
board says "Offline — opnieuw verbinden…"; when the channel is back it says "Live" again and
shows what changed meanwhile, without a reload."""

from __future__ import annotations

import signal
import time

import pytest

from steps.services import move_resident
from tests.browser.conftest import PHONE, PROJECTOR, off_the_loop, sign_in
from tests.factories import ResidentFactory, give_consent
from tests.servers import Uvicorn

pytestmark = pytest.mark.django_db(transaction=True)
HEARTBEAT = "1"  # seconds (KERNTEAM_LIVE_HEARTBEAT)
OFFLINE = "Offline — opnieuw verbinden…"


def server(**env) -> Uvicorn:
    worker = Uvicorn(extra_env={"KERNTEAM_LIVE_HEARTBEAT": HEARTBEAT}, **env)
    worker.wait_until_up()
    return worker


def open_board(browser, worker: Uvicorn, user, viewport):
    page = sign_in(browser, worker.url, user, viewport)
    page.goto(f"{worker.url}/teams/daalhof/board/")
    page.locator("#live-status[data-state=live]").wait_for()
    assert page.locator("#live-status").inner_text() == "Live"
    page.evaluate("window.stillTheSamePage = true")
    return page


def seconds_until(page, state: str, timeout_s: float) -> float:
    start = time.monotonic()
    page.locator(f"#live-status[data-state={state}]").wait_for(timeout=timeout_s * 1000)
    return time.monotonic() - start


def janssen_moved_meanwhile(daalhof, janssen) -> None:
    """A move the board could not hear of (made while the channel was down)."""
    off_the_loop(
        lambda: move_resident(
            resident=janssen,
            transition="step_up_to_3",
            expected_state="step2",
            by=daalhof.district_nurse,
            reason="Gevallen",
        )
    )


@pytest.fixture
def janssen(daalhof):
    resident = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    give_consent(resident, daalhof.poh)
    return resident


def test_a_silent_server_turns_the_board_offline_and_back(browser, daalhof, janssen):
    """The server stops answering (its process frozen): no heartbeat reaches the board, which
    says so within a few seconds, and catches up once the server answers again."""
    worker = server()
    try:
        board = open_board(browser, worker, daalhof.poh, PROJECTOR)
        worker.process.send_signal(signal.SIGSTOP)
        try:
            offline_after = seconds_until(board, "offline", 8)
            assert board.locator("#live-status").inner_text() == OFFLINE
            janssen_moved_meanwhile(daalhof, janssen)
        finally:
            worker.process.send_signal(signal.SIGCONT)
        live_after = seconds_until(board, "live", 10)
        board.locator(".column.state-step3 .card", has_text="Janssen").wait_for(timeout=5000)
        assert board.evaluate("window.stillTheSamePage") is True
        print(
            f"\nserver frozen: offline after {offline_after:.1f} s; live again "
            f"{live_after:.1f} s after it went on"
        )
        board.context.close()
    finally:
        worker.stop()


def test_redis_away_turns_boards_offline_and_back_with_what_changed(
    browser, daalhof, janssen, own_redis, screenshot
):
    worker = server(redis_url=own_redis.url)
    try:
        projector = open_board(browser, worker, daalhof.poh, PROJECTOR)
        phone = open_board(browser, worker, daalhof.district_nurse, PHONE)
        own_redis.kill()
        offline_after = max(seconds_until(page, "offline", 6) for page in (projector, phone))
        janssen_moved_meanwhile(daalhof, janssen)
        for page, name in ((projector, "projector"), (phone, "phone")):
            assert page.locator("#live-status").inner_text() == OFFLINE
            path = screenshot(page, f"board-offline-{name}")
            assert path.exists()
        assert projector.locator(".column.state-step2 .card", has_text="Janssen").count() == 1
        own_redis.start()
        live_after = max(seconds_until(page, "live", 12) for page in (projector, phone))
        for page in (projector, phone):
            page.locator(".column.state-step3 .card", has_text="Janssen").wait_for(timeout=5000)
            assert page.evaluate("window.stillTheSamePage") is True
            assert page.evaluate("window.cspViolations") == []
        print(
            f"\nRedis killed: every board offline after {offline_after:.1f} s; live again and "
            f"re-fetched {live_after:.1f} s after Redis was back"
        )
        for page in (projector, phone):
            page.context.close()
    finally:
        log = worker.stop()
    assert "Traceback" not in log and log.count("Live channel not delivering") == 1, log[-3000:]


def test_a_board_refused_in_an_outage_tries_again_less_and_less_often(
    browser, daalhof, janssen, own_redis
):
    """A board opened while Redis is away is refused ("try again later") each time; it tries
    again after 1, 2, 4, 8 … s (with jitter), not every second, and is live once Redis is."""
    worker = server(redis_url=own_redis.url)
    try:
        own_redis.kill()
        page = sign_in(browser, worker.url, daalhof.poh, PHONE)
        attempts = []
        page.on("websocket", lambda socket: attempts.append(time.monotonic()))
        page.goto(f"{worker.url}/teams/daalhof/board/")
        page.wait_for_timeout(10_000)
        assert page.locator("#live-status").get_attribute("data-state") != "live"
        assert 3 <= len(attempts) <= 6, [round(t - attempts[0], 1) for t in attempts]
        own_redis.start()
        page.locator("#live-status[data-state=live]").wait_for(timeout=20_000)
        page.context.close()
    finally:
        log = worker.stop()
    assert "Traceback" not in log, log[-3000:]
