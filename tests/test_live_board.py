"""The board's WebSocket: members of the team only, origin checked, thin events on commit."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from steps.services import move_resident
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db(transaction=True)


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


async def test_a_member_hears_a_move_by_a_colleague(daalhof, resident_in):
    resident = await database_sync_to_async(resident_in)("step2")
    board = await socket("daalhof", user=daalhof.poh)
    connected, _ = await board.connect()
    assert connected

    await database_sync_to_async(move_resident)(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Gevallen",
    )
    html = await board.receive_from(timeout=2)
    assert 'id="live-signal"' in html and 'hx-swap-oob="true"' in html
    assert 'data-event="resident.moved"' in html and f'data-resident="{resident.pk}"' in html
    await board.disconnect()


async def test_another_teams_board_hears_nothing(daalhof, malberg, resident_in):
    resident = await database_sync_to_async(resident_in)("step2")
    other = await socket("malberg", user=malberg.gp)
    assert (await other.connect())[0]
    await database_sync_to_async(move_resident)(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Gevallen",
    )
    assert await other.receive_nothing(timeout=0.5)
    await other.disconnect()


@pytest.mark.parametrize("who", ["anonymous", "other_team", "carer"])
async def test_only_members_may_connect(daalhof, malberg, thea, who):
    user = {"anonymous": None, "other_team": malberg.gp, "carer": thea}[who]
    connected, _ = await (await socket("daalhof", user=user)).connect()
    assert not connected


async def test_a_foreign_origin_is_refused(daalhof):
    board = await socket("daalhof", user=daalhof.poh, origin=b"http://evil.example")
    connected, _ = await board.connect()
    assert not connected


async def test_an_unknown_team_is_refused(daalhof):
    connected, _ = await (await socket("bestaat-niet", user=daalhof.poh)).connect()
    assert not connected


async def test_the_board_page_connects_to_its_own_socket(daalhof):
    await database_sync_to_async(ResidentFactory)(team=daalhof.team, state="step1")
    client = Client()
    await database_sync_to_async(client.force_login)(daalhof.poh)
    page = await database_sync_to_async(client.get)("/teams/daalhof/board/")
    html = page.content.decode()
    assert 'ws-connect="/ws/teams/daalhof/board/"' in html and "hx-ws-2" in html


@pytest.mark.parametrize("who", ["carer", "log_officer", "other_team_gp", "member"])
async def test_only_members_of_the_team_subscribe(daalhof, malberg, who):
    def person():
        from django.contrib.auth.models import Group

        from kernteam.roles import LOG_OFFICERS
        from tests.factories import UserFactory, carer_for

        if who == "carer":
            return carer_for(ResidentFactory(team=daalhof.team, state="step1"), username="k").user
        if who == "log_officer":
            officer = UserFactory(username="log")
            officer.groups.add(Group.objects.get_or_create(name=LOG_OFFICERS)[0])
            return officer
        return malberg.gp if who == "other_team_gp" else daalhof.welfare

    board = await socket("daalhof", user=await database_sync_to_async(person)())
    connected, _ = await board.connect()
    assert connected is (who == "member")
    await board.disconnect()
