"""The bell (issue 19): a member with her board open hears at once that someone gave her an
action, without a reload; the bell's list works at a projector and on a phone."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.carer_notices import CarerKind, stop_token
from kernteam.models import shown_date
from kernteam.notices import Delivery, Kind, initials_and_age, notify
from steps.services import agree_action
from tests.browser.conftest import PHONE, PROJECTOR, off_the_loop, sign_in
from tests.factories import ResidentFactory, carer_for, give_consent
from tests.servers import Uvicorn

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shared_layer(settings, own_redis):
    """The test process and the server on one Redis: what the test commits reaches the board."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [own_redis.url]},
        }
    }
    server = Uvicorn(redis_url=own_redis.url)
    try:
        server.wait_until_up()
        yield server.url
    finally:
        log = server.stop()
    assert "Traceback" not in log, log[-3000:]


def bell_count(page) -> str:
    return page.locator("#bell-summary").inner_text()


def test_an_action_given_by_a_colleague_rings_the_bell_of_an_open_board(
    browser, shared_layer, daalhof, screenshot
):
    base = shared_layer
    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    give_consent(janssen, daalhof.poh)
    board = sign_in(browser, base, daalhof.district_nurse, PROJECTOR)
    board.goto(f"{base}/teams/daalhof/board/")
    board.locator("#live-status[data-state=live]").wait_for()
    board.locator("#bell-summary[data-unread='0']").wait_for()
    expect(board.locator("#bell-summary")).to_have_accessible_name("Meldingen geen ongelezen")
    board.evaluate("window.stillTheSamePage = true")

    off_the_loop(
        lambda: agree_action(
            resident=janssen,
            by=daalhof.poh,
            description="Huisbezoek plannen",
            due_on=timezone.localdate() + datetime.timedelta(days=3),
            owner_member=daalhof.district_nurse,
        )
    )

    board.locator("#bell-summary[data-unread='1']").wait_for(timeout=5000)
    assert board.locator("#bell-summary .badge").inner_text() == "1"
    expect(board.locator("#bell-summary")).to_have_accessible_name("Meldingen 1 ongelezen")
    assert board.evaluate("window.stillTheSamePage") is True  # no reload

    board.locator("#bell-summary").click()
    item = board.locator("#bell-list .notice.unread a")
    item.wait_for()
    due = shown_date(timezone.localdate() + datetime.timedelta(days=3))
    expect(item).to_have_accessible_name(
        f"Ongelezen: Een actie voor u bij M.J. ({janssen.age()}), uiterlijk {due}"
    )
    assert board.locator("#bell-list .notice time").inner_text() == "zojuist"
    assert "Janssen" not in board.locator("#bell-list").inner_text()
    screenshot(board, "bell-open-projector")
    box = item.bounding_box()
    assert box["height"] >= 44

    item.click()
    board.wait_for_url(f"{base}/residents/{janssen.pk}/")
    board.get_by_role("heading", name="Mevrouw Maria Janssen").wait_for()
    board.locator("#bell-summary[data-unread='0']").wait_for()
    assert board.evaluate("window.cspViolations") == []
    board.context.close()


def test_the_bell_and_settings_on_a_phone(browser, asgi_server, daalhof, screenshot):
    base = asgi_server
    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    give_consent(janssen, daalhof.poh)
    for days, what in ((1, "Bellen met de dochter"), (4, "Huisbezoek plannen")):
        agree_action(
            resident=janssen,
            by=daalhof.poh,
            description=what,
            due_on=timezone.localdate() + datetime.timedelta(days=days),
            owner_member=daalhof.district_nurse,
        )
    phone = sign_in(browser, base, daalhof.district_nurse, PHONE)
    phone.locator("#bell-summary[data-unread='2']").wait_for()  # (at page load, no socket)

    summary = phone.locator("#bell-summary")
    expect(summary).to_have_accessible_name("Meldingen 2 ongelezen")
    assert summary.bounding_box()["height"] >= 44
    summary.click()
    phone.locator("#bell-list .notice").nth(1).wait_for()
    listed = phone.locator("#bell-list").bounding_box()
    assert listed["x"] >= 0 and listed["x"] + listed["width"] <= PHONE["width"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "bell-open-phone")

    phone.get_by_role("button", name="Alles gelezen").click()
    phone.locator("#bell-summary[data-unread='0']").wait_for()
    assert phone.locator("#bell-list .notice.unread").count() == 0
    assert phone.locator("#bell").get_attribute("open") is not None  # still open
    phone.keyboard.press("Escape")
    assert phone.locator("#bell").get_attribute("open") is None

    phone.locator("#bell-summary").click()
    phone.get_by_role("link", name="Kiezen wat u krijgt").click()
    phone.get_by_role("heading", name="Wat u krijgt").wait_for()
    concern = phone.get_by_role("group", name="Een zorg van een mantelzorger", exact=False)
    concern.get_by_label("Niet", exact=False).check()
    phone.get_by_role("button", name="Keuzes bewaren").click()
    phone.get_by_text("Uw keuzes zijn bewaard.").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "notice-settings-phone")
    assert phone.evaluate("window.cspViolations") == []
    phone.context.close()


def test_a_carer_stops_reminders_on_her_phone(browser, asgi_server, daalhof, screenshot):
    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    thea = carer_for(janssen, username="thea")
    token = stop_token(carer=thea, kind=CarerKind.REVIEW_SOON)
    phone = browser.new_context(viewport=PHONE).new_page()

    phone.goto(f"{asgi_server}/mantelzorg/berichten/stop/{token}/")
    phone.get_by_role("heading", name="Deze e-mails stoppen?").wait_for()
    button = phone.get_by_role("button", name="Stop deze e-mails")
    assert button.bounding_box()["height"] >= 44
    screenshot(phone, "carer-stop-phone")
    button.click()
    phone.get_by_role("heading", name="Klaar: deze e-mails zijn gestopt").wait_for()
    assert thea.notice_stops.filter(kind="review_soon").exists()
    screenshot(phone, "carer-stopped-phone")
    phone.context.close()


def test_the_digest_opens_at_the_projector_and_leads_to_the_panel(
    browser, asgi_server, daalhof, screenshot
):
    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    give_consent(janssen, daalhof.poh)
    who = initials_and_age(janssen)
    today = timezone.localdate()
    [digest] = notify(
        users=[daalhof.district_nurse],
        kind=Kind.DIGEST,
        key=f"digest:{today.isoformat()}",
        count=2,
        delivery=Delivery.DIGEST,
        lines=[
            {"kind": Kind.ACTIONS_DUE, "who": who, "resident": janssen.pk, "on": str(today)},
            {"kind": Kind.REVIEWS_DUE, "who": who, "resident": janssen.pk, "on": str(today)},
        ],
    )
    page = sign_in(browser, asgi_server, daalhof.district_nurse, PROJECTOR)
    page.locator("#bell-summary[data-unread='1']").wait_for()
    page.locator("#bell-summary").click()
    page.locator("#bell-list .notice.unread a").click()
    page.wait_for_url(f"{asgi_server}/account/notifications/{digest.pk}/")
    page.locator("#bell-summary[data-unread='0']").wait_for()
    assert page.locator(".digest-section").count() == 2
    screenshot(page, "digest-projector")
    page.locator(".digest-section").first.get_by_role("link", name=who).click()
    page.wait_for_url(f"{asgi_server}/residents/{janssen.pk}/")
    assert page.evaluate("window.cspViolations") == []
    page.context.close()
