"""The board's WebSocket: members of the team only, origin checked, thin events on commit."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from steps.services import move_resident
from tests.factories import ResidentFactory
from tests.live import event_on, live, socket

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_member_hears_a_move_by_a_colleague(daalhof, resident_in):
    resident = await database_sync_to_async(resident_in)("step2")
    board = await live(await socket("daalhof", user=daalhof.poh))

    await database_sync_to_async(move_resident)(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Gevallen",
    )
    html = await event_on(board)
    assert 'id="live-signal"' in html and 'hx-swap-oob="true"' in html
    assert 'data-event="resident.moved"' in html and f'data-resident="{resident.pk}"' in html
    await board.disconnect()


async def test_the_next_status_comes_a_heartbeat_after_the_first(daalhof):
    """Not two seconds later (a frame a test or a slow browser would take for an event)."""
    board = await live(await socket("daalhof", user=daalhof.poh))
    assert await board.receive_nothing(timeout=3)
    await board.disconnect()


async def test_another_teams_board_hears_nothing(daalhof, malberg, resident_in):
    resident = await database_sync_to_async(resident_in)("step2")
    other = await live(await socket("malberg", user=malberg.gp))
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


async def boards_of(*users) -> list[WebsocketCommunicator]:
    return [await live(await socket("daalhof", user=user)) for user in users]


async def test_an_event_names_the_resident_only_to_those_who_may_see_them(daalhof, resident_in):
    """Consent for the GP, POH and district nurse: the welfare worker's board hears that the
    board changed, never which resident (whose page answers 404 for her)."""
    from tests.factories import give_consent

    def resident_for_three():
        resident = resident_in("step2", consent=False)
        give_consent(resident, daalhof.poh, disciplines=["gp", "poh", "district_nurse"])
        return resident

    resident = await database_sync_to_async(resident_for_three)()
    gp, nurse, welfare = await boards_of(daalhof.gp, daalhof.district_nurse, daalhof.welfare)
    await database_sync_to_async(move_resident)(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Gevallen",
    )
    for board in (gp, nurse):
        html = await event_on(board)
        assert f'data-resident="{resident.pk}"' in html and 'data-event="resident.moved"' in html
    html = await event_on(welfare)
    assert 'data-event="resident.changed"' in html and 'data-resident=""' in html
    assert "moved" not in html and "data-focus-url" not in html
    for board in (gp, nurse, welfare):
        await board.disconnect()


async def test_a_signalled_resident_without_consent_is_named_to_the_gp_and_poh_only(daalhof):
    from decimal import Decimal

    from django.utils import timezone

    from clients.services import record_assessment

    resident = await database_sync_to_async(ResidentFactory)(team=daalhof.team, state="signalled")
    poh, nurse = await boards_of(daalhof.poh, daalhof.district_nurse)
    await database_sync_to_async(record_assessment)(
        resident=resident,
        by=daalhof.gp,
        instrument="gfi",
        score=Decimal(5),
        assessed_on=timezone.localdate(),
    )
    assert f'data-resident="{resident.pk}"' in await event_on(poh)
    html = await event_on(nurse)
    assert 'data-resident=""' in html and 'data-event="resident.changed"' in html
    for board in (poh, nurse):
        await board.disconnect()


async def test_a_withdrawal_tells_those_who_lost_sight_only_that_a_consent_changed(
    daalhof, resident_in
):
    """The district nurse saw the resident until the withdrawal: her board hears that a consent
    changed (it re-fetches, and an open panel checks whether it may still show its resident),
    not whose; the GP's board still hears whose."""
    from clients.services import withdraw_consent

    resident = await database_sync_to_async(resident_in)("step2")
    gp, nurse = await boards_of(daalhof.gp, daalhof.district_nurse)
    await database_sync_to_async(withdraw_consent)(resident=resident, by=daalhof.gp)
    html = await event_on(gp)
    assert f'data-resident="{resident.pk}"' in html
    assert 'data-event="resident.consent_changed"' in html
    html = await event_on(nurse)
    assert 'data-event="resident.consent_changed"' in html and 'data-resident=""' in html
    for board in (gp, nurse):
        await board.disconnect()


async def test_a_resident_presented_to_the_room_is_not_named_to_a_follower_who_may_not_see_her(
    daalhof, resident_in
):
    """The GP presents a resident without consent (the GP may see her): the welfare worker's
    board hears that something is presented, never whom."""
    from steps.meetings import focus_on

    def meeting_on_a_hidden_resident():
        from tests.factories import open_meeting

        resident = resident_in("step3", consent=False)
        return open_meeting(daalhof.team, daalhof.coordinator), resident

    meeting, resident = await database_sync_to_async(meeting_on_a_hidden_resident)()
    (welfare,) = await boards_of(daalhof.welfare)
    await database_sync_to_async(focus_on)(meeting=meeting, by=daalhof.gp, resident=resident)
    html = await event_on(welfare)
    assert 'data-event="meeting.focus_hidden"' in html and "data-focus-url" not in html
    assert f"/residents/{resident.pk}/" not in html
    await welfare.disconnect()


# --- what a board names follows its member -----------------------------------------------------


async def closed_with(board: WebsocketCommunicator, timeout: float = 3.0) -> int | None:
    """The code the board is closed with (status frames skipped); None if it hears an event."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        output = await board.receive_output(timeout=deadline - asyncio.get_running_loop().time())
        if output["type"] == "websocket.close":
            return output["code"]
        if not output.get("text", "").startswith("{"):
            return None


async def test_a_board_closes_when_the_membership_ends(daalhof, resident_in):
    """The district nurse leaves the team (the admin ends her membership) with her board open:
    it closes (not retried), and names no resident moved after that."""
    resident = await database_sync_to_async(resident_in)("step2")
    nurse, gp = await boards_of(daalhof.district_nurse, daalhof.gp)

    def nurse_leaves() -> None:
        from django.utils import timezone

        from kernteam.models import Membership

        membership = Membership.objects.get(team=daalhof.team, user=daalhof.district_nurse)
        membership.ended_on = timezone.localdate()
        membership.save()
        move_resident(
            resident=resident,
            transition="step_up_to_3",
            expected_state="step2",
            by=daalhof.gp,
            reason="Gevallen",
        )

    await database_sync_to_async(nurse_leaves)()
    assert await closed_with(nurse) == 4403
    assert f'data-resident="{resident.pk}"' in await event_on(gp)  # (the GP is still a member)
    await gp.disconnect()


async def test_a_board_follows_a_changed_role(daalhof, resident_in):
    """Consent for the GP, POH and district nurse: the welfare worker who becomes the team's
    district nurse hears, from then on, which resident moved (her board re-fetches first)."""
    from tests.factories import give_consent

    def resident_for_three():
        resident = resident_in("step2", consent=False)
        give_consent(resident, daalhof.poh, disciplines=["gp", "poh", "district_nurse"])
        return resident

    resident = await database_sync_to_async(resident_for_three)()
    (welfare,) = await boards_of(daalhof.welfare)

    def becomes_district_nurse() -> None:
        from kernteam.models import Membership

        membership = Membership.objects.get(team=daalhof.team, user=daalhof.welfare)
        membership.role = "district_nurse"
        membership.save()

    await database_sync_to_async(becomes_district_nurse)()
    assert 'data-event="member.changed"' in await event_on(welfare)
    await database_sync_to_async(move_resident)(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.gp,
        reason="Gevallen",
    )
    assert f'data-resident="{resident.pk}"' in await event_on(welfare)
    await welfare.disconnect()


async def test_signing_out_closes_the_boards_of_that_session_only(daalhof):
    def signed_in() -> tuple[Client, bytes]:
        client = Client()
        client.force_login(daalhof.poh)
        return client, f"sessionid={client.cookies['sessionid'].value}".encode()

    phone, cookie = await database_sync_to_async(signed_in)()
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)]
    board = await live(WebsocketCommunicator(application, "/ws/teams/daalhof/board/", headers))
    (projector,) = await boards_of(daalhof.poh)  # (another session of hers)

    answer = await database_sync_to_async(phone.post)("/accounts/logout/")
    assert answer.status_code == 302
    assert await closed_with(board) == 4401
    assert await projector.receive_nothing(timeout=0.5)
    await projector.disconnect()
