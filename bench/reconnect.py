"""Reconnect storm: 350 boards (35 teams x 10) connect at the same moment, as after a deploy.

Over `Server(workers=2)` on Redis, one asyncio process opens all 350 WebSockets at once
(`asyncio.gather`), each signed in as a member of its team. A board is live when its handshake
completes: the consumer accepts only after checking the membership and joining the team's
group. Then one bare message per team is published on the channel layer: the time until all 350
boards have it proves they are subscribed. Round 1 is on freshly started workers (the deploy);
the rounds after it on warm ones. Each connect also writes an access-log row (NEN 7513).

Printed per round: the time until all boards are live, the handshake times (median, p95,
max), the time until the message reached all of them, the time from closing the sockets until
the server had let go of every consumer (its Redis channel gone), and the errors, which must be
0: a failed handshake, a board that misses its team's message or hears another team's, or
consumers that never let go make the program exit non-zero.

    python -m bench.reconnect [--size region|tiny] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import redis.asyncio

from bench.common import REDIS_URL, Server, heading, machine, setup
from bench.common import summary as stats
from bench.fanout import (
    PER_TEAM,
    Arrivals,
    Board,
    boards,
    close_all,
    forget_sessions,
    layer_name,
    open_all,
    publish,
    run_loop,
)

ROUNDS = {"region": 3, "tiny": 1}
RELEASE_S = 30.0


async def storm(server: Server, made: list[Board], arrivals: Arrivals) -> dict:
    """One round: everyone connects at once, then every team hears one message, then everyone
    leaves and the server lets go of them."""
    before = await consumers()
    opened = await open_all(server, made, arrivals)
    try:
        reached, missing = await everyone_hears(arrivals, sorted({b.team_id for b in made}))
    finally:
        await close_all(opened.sockets)
    released = await released_by_server(before)
    errors = opened.errors + await round_errors(arrivals, missing, released, before)
    return {
        "live_ms": opened.seconds * 1000,
        "client_cpu_ms": opened.client_cpu * 1000,
        "handshake": stats(opened.handshakes_ms),
        "message_ms": reached * 1000,
        "released_ms": float("nan") if released is None else released * 1000,
        "errors": errors,
    }


async def round_errors(
    arrivals: Arrivals, missing: int, released: float | None, before: int | None
) -> list[str]:
    errors = []
    if missing:
        errors.append(f"{missing} boards missed their team's message")
    if arrivals.cross_team:
        errors.append(f"{len(arrivals.cross_team)} cross-team deliveries")
    if arrivals.dropped:
        errors.append(f"{arrivals.dropped} sockets dropped")
    if released is None:
        still = await consumers() - before
        errors.append(
            f"{still} consumers still listening {RELEASE_S:g} s after their boards closed "
            "(or another server on this Redis gained them meanwhile)"
        )
    return errors


async def consumers() -> int | None:
    """Consumers listening on the pub/sub channel layer (each has its own Redis channel, which
    it leaves once its disconnect is handled); None for another layer."""
    if not layer_name().endswith("RedisPubSubChannelLayer"):
        return None
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        return len(await client.pubsub_channels("asgispecific.*"))
    finally:
        await client.aclose()


async def released_by_server(before: int | None) -> float | None:
    """Seconds from the boards' close until every consumer had let go (as many listening as
    before the round); None if they had not within RELEASE_S, nan if the layer cannot tell."""
    if before is None:
        return float("nan")
    start = time.perf_counter()
    while time.perf_counter() - start < RELEASE_S:
        if await consumers() <= before:
            return time.perf_counter() - start
        await asyncio.sleep(0.02)
    return None


async def everyone_hears(arrivals: Arrivals, teams: list[int]) -> tuple[float, int]:
    """Publish one message per team at once: seconds until the last board has its team's, and
    the deliveries missed."""
    tag = f"storm-{time.monotonic_ns()}"
    probes = [arrivals.expect(f"{tag}-{team}", team) for team in teams]
    start = time.time()
    for probe in probes:
        probe.sent = start
    await asyncio.gather(*(publish(p.team_id, p.marker) for p in probes))
    await arrivals.settle(probes)
    missing = sum(p.expected - len(p.arrivals) for p in probes)
    if missing:
        return float("nan"), missing
    return max(p.last for p in probes) - start, 0


async def storms(server: Server, made: list[Board], rounds: int) -> list[dict]:
    figures = []
    for n in range(1, rounds + 1):
        arrivals = Arrivals(made)
        round_ = await storm(server, made, arrivals)
        figures.append(round_)
        print_round(n, round_)
    return figures


def print_round(n: int, figures: dict) -> None:
    kind = "fresh workers" if n == 1 else "warm workers"
    print(
        f"round {n} ({kind}): all live in {figures['live_ms']:7.0f} ms; message to all in "
        f"{figures['message_ms']:6.1f} ms; all let go {figures['released_ms']:6.0f} ms after "
        f"closing; errors {len(figures['errors'])}"
    )
    print(f"  handshake                        {figures['handshake'].ms()}")
    print(f"  this client's CPU until all were live: {figures['client_cpu_ms']:.0f} ms")
    for error in figures["errors"][:5]:
        print(f"  error: {error}")


def run(size: str, rounds: int | None = None) -> dict:
    """Measure and print; the figures. Raises SystemExit when there were errors."""
    rounds = rounds or ROUNDS[size]
    made = boards()
    teams = len({b.team_id for b in made})
    heading(
        f"Reconnect storm: {teams} teams x {PER_TEAM} boards connect at once, "
        f"{rounds} round{'s' if rounds > 1 else ''}"
    )
    print(machine())
    print(f"channel layer: {layer_name()}; server: uvicorn, 2 workers")
    try:
        with Server(size=size, workers=2) as server:
            figures = run_loop(storms(server, made, rounds))
    finally:
        forget_sessions(made)
    errors = [error for f in figures for error in f["errors"]]
    warm = [f["live_ms"] for f in figures[1:]]
    result = {
        "size": size,
        "sockets": len(made),
        "layer": layer_name(),
        "rounds": figures,
        "fresh_live_ms": figures[0]["live_ms"],
        "warm_live_ms": statistics.median(warm) if warm else float("nan"),
        "errors": len(errors),
    }
    warm_text = f", {result['warm_live_ms']:.0f} ms on warm ones (median)" if warm else ""
    print(
        f"all {len(made)} live: {result['fresh_live_ms']:.0f} ms on fresh workers{warm_text}; "
        f"errors: {len(errors)} (must be 0)"
    )
    if errors:
        raise SystemExit(f"reconnect storm: {len(errors)} errors, e.g. {errors[:3]}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=["region", "tiny"], default="region")
    parser.add_argument("--rounds", type=int, help="storms (the first on fresh workers)")
    args = parser.parse_args()
    setup(args.size)
    run(args.size, args.rounds)


if __name__ == "__main__":
    main()
