"""Real uvicorn processes on the test database, for tests that need the ASGI app over the
network (WebSockets in the browser, several workers). pytest-django's live_server is WSGI."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The test database, as a URL another process can open."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Uvicorn:
    """One worker. `redis_url=None` leaves it on the in-memory channel layer."""

    def __init__(self, *, redis_url: str | None = None, extra_env: dict | None = None) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "config.test_settings",  # same password hasher as tests
            "DEBUG": "0",  # as in production (django-htmx shows error pages in debug mode)
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        env.pop("REDIS_URL", None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        env.update(extra_env or {})
        self.address = f"127.0.0.1:{free_port()}"
        self.url = f"http://{self.address}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.clock",  # on the tests' clock (KERNTEAM_CLOCK_AHEAD_DAYS)
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                self.address.rsplit(":", 1)[1],
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def wait_until_up(self) -> None:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{self.url}/healthz/", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("uvicorn did not start:\n" + self.stop())

    def stop(self) -> str:
        """Stop the worker; returns what it wrote to its log."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        return self.process.stdout.read().decode() if self.process.stdout else ""


class OwnRedis:
    """A redis-server of this test's own, on a free port, without persistence."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis.from_url(self.url, socket_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
