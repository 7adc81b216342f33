"""Helpers for the live board: a WebSocket to the in-process ASGI app, and a move posted the way
the browser does to a real worker."""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import re
import urllib.parse
import urllib.request

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def socket(
    slug: str, *, user=None, origin: bytes = b"http://localhost"
) -> WebsocketCommunicator:
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if user is not None:
        headers.append((b"cookie", await database_sync_to_async(session_cookie)(user)))
    return WebsocketCommunicator(application, f"/ws/teams/{slug}/board/", headers=headers)


async def live(board: WebsocketCommunicator) -> WebsocketCommunicator:
    """Connected, and told that the live channel delivers (the first frame)."""
    connected, _ = await board.connect()
    assert connected
    assert json.loads(await board.receive_from(timeout=2)) == {"live": True, "every": 10.0}
    return board


async def event_on(board: WebsocketCommunicator, timeout: float = 2.0) -> str:
    """The next live event the board hears; status frames (`{"live": ...}`, JSON), which may
    come at any time, are skipped."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        text = await board.receive_from(timeout=deadline - asyncio.get_running_loop().time())
        if not text.startswith("{"):
            return text


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
