"""Issue 17 §4 in Chromium: on a 390 px phone the district nurse records a hospital admission
in a few taps (kind as large radio buttons, the date already today, no place unless a death),
sees it in the history and is offered the *admitted* move, which takes the event along; on
the desktop board (1920×1080) the card is flagged "gebeurtenis"."""

from __future__ import annotations

import pytest

from steps.outcome_services import record_event
from steps.outcomes import OutcomeEvent
from tests.browser.conftest import PHONE, PROJECTOR, off_the_loop, sign_in
from tests.factories import ResidentFactory, give_consent

pytestmark = pytest.mark.django_db(transaction=True)


def janssen_in_step2(daalhof):
    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    give_consent(janssen, daalhof.poh)
    return janssen


def test_a_hospital_admission_in_a_few_taps_on_a_phone(browser, asgi_server, daalhof, screenshot):
    janssen = off_the_loop(lambda: janssen_in_step2(daalhof))
    phone = sign_in(browser, asgi_server, daalhof.district_nurse, PHONE)
    phone.goto(f"{asgi_server}/residents/{janssen.pk}/")
    panel = phone.locator("#resident-panel")

    panel.get_by_role("link", name="Gebeurtenis vastleggen").click()
    form = panel.locator("form.event-form")
    form.wait_for()
    place = form.locator(".event-place")
    assert not place.is_visible()  # only for a death
    choice = form.locator("label.event-kind", has_text="Ziekenhuisopname")
    box = choice.bounding_box()
    assert box is not None and box["height"] >= 44  # a finger's width
    form.locator("label.event-kind", has_text="Overlijden").click()
    assert place.is_visible()
    choice.click()
    assert not place.is_visible()
    screenshot(phone, "events-form-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    form.get_by_role("button", name="Gebeurtenis vastleggen").click()

    event = panel.locator(".timeline .outcome-event", has_text="Ziekenhuisopname")
    event.wait_for()
    assert "vastgelegd door" in event.inner_text()
    offer = panel.locator("a.event-move")
    assert offer.inner_text() == "Tijdelijke opname vastleggen"
    screenshot(phone, "events-panel-offer-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    offer.click()
    move = panel.locator("#move-form form")
    move.wait_for()
    assert move.get_by_label("Ziekenhuisopname").is_checked()  # the kind, as recorded
    assert not move.get_by_label("Crisisopname").is_checked()
    move.get_by_role("button", name="Tijdelijke opname vastleggen").click()
    phone.locator("#resident-panel .panel-head", has_text="Tijdelijk opgenomen").wait_for()
    assert phone.locator("a.event-move").count() == 0

    linked = off_the_loop(lambda: list(OutcomeEvent.objects.values_list("kind", "step_change")))
    assert len(linked) == 1 and linked[0][0] == "hospital" and linked[0][1] is not None

    board = sign_in(browser, asgi_server, daalhof.poh, PROJECTOR)
    board.goto(f"{asgi_server}/teams/daalhof/board/")
    flag = board.locator(".card", has_text="Janssen").locator(".flag-event")
    flag.wait_for()
    assert flag.inner_text() == "gebeurtenis"
    screenshot(board, "events-board-flag-desktop")

    desk = sign_in(browser, asgi_server, daalhof.gp, PROJECTOR)
    desk.goto(f"{asgi_server}/residents/{janssen.pk}/events/")  # its own address: a page
    desk.get_by_role("heading", name="Gebeurtenis vastleggen").wait_for()
    screenshot(desk, "events-form-desktop")
    for page in (phone, board, desk):
        assert page.evaluate("window.cspViolations") == []
        page.context.close()


def test_closing_as_deceased_asks_date_and_place_unless_recorded(
    browser, asgi_server, daalhof, screenshot
):
    """The close form asks the date and place of death only when "overleden" is chosen, and
    not at all once a death is on record (it says which one it links)."""
    janssen = off_the_loop(lambda: ResidentFactory(team=daalhof.team, state="step3"))
    off_the_loop(lambda: give_consent(janssen, daalhof.poh))
    phone = sign_in(browser, asgi_server, daalhof.gp, PHONE)
    phone.goto(f"{asgi_server}/residents/{janssen.pk}/move/?transition=close")
    form = phone.locator("form.move-form")
    date, place = form.locator(".event-date"), form.locator(".event-place")
    assert not date.is_visible() and not place.is_visible()
    form.get_by_label("Reden van afsluiten").select_option("nursing_home")
    assert date.is_visible() and not place.is_visible()
    form.get_by_label("Reden van afsluiten").select_option("deceased")
    assert date.is_visible() and place.is_visible()
    assert form.get_by_label(
        "Datum van overlijden of van de verpleeghuisopname"
    ).input_value()  # today
    box = form.locator("label.event-choice", has_text="In een hospice").bounding_box()
    assert box is not None and box["height"] >= 44
    screenshot(phone, "events-close-deceased-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    def death():
        record_event(
            resident=janssen,
            by=daalhof.poh,
            kind="death",
            place="hospice",
            occurred_on=janssen.date_of_birth.replace(year=2020),
        )

    off_the_loop(death)
    phone.goto(
        f"{asgi_server}/residents/{janssen.pk}/move/?transition=close&closure_reason=deceased"
    )
    form = phone.locator("form.move-form")
    note = form.locator(".linked-event-deceased")
    assert note.is_visible() and "Al vastgelegd: overlijden (in een hospice)" in note.inner_text()
    assert not form.locator(".event-date").is_visible()
    assert not form.locator(".event-place").is_visible()
    form.get_by_label("Reden", exact=True).fill("Overleden in het hospice")
    form.get_by_role("button", name="Dossier afsluiten").click()
    phone.locator(".panel-head", has_text="Afgesloten").wait_for()
    linked = off_the_loop(lambda: list(OutcomeEvent.objects.values_list("kind", "step_change")))
    assert len(linked) == 1 and linked[0][1] is not None
    assert phone.evaluate("window.cspViolations") == []
    phone.context.close()
