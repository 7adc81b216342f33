"""Every page a user can reach, and every form opened by its own address: the site's layout
(Dutch, a title, a viewport), a way back, no serious or critical axe-core violation, and
nothing wider than a 390 px phone.

axe-core comes from the pinned dev dependency axe-playwright-python (its axe.min.js, MPL-2.0):
no CDN at run time. It is injected as an inline script, which the site's CSP refuses, so these
contexts bypass the CSP (`bypass_csp=True`); the other browser tests keep checking it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from importlib.resources import files

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.services import record_consent
from kernteam.models import Meeting
from kernteam.roles import LOG_OFFICERS, PROGRAMME_OFFICE
from kernteam.second_factor import issue_enrolment_link
from steps.models import AgreedAction
from tests.browser.conftest import PHONE, PROJECTOR, off_the_loop
from tests.factories import ResidentFactory, UserFactory, carer_for, give_consent, goal
from tests.live import session_for
from tests.servers import Uvicorn

pytestmark = pytest.mark.django_db(transaction=True)

AXE = files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
SERIOUS = ("serious", "critical")


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # "" for nobody signed in
    path: str
    back: str  # the address of the way back the page offers (a link to it)
    status: int = 200


def the_pages(daalhof) -> list[Page]:
    """Daalhof as in the demo: a resident with a plan, today's meeting, last month's minutes,
    a carer who may see what was agreed, the log officer and the programme office."""
    janssen = ResidentFactory(
        team=daalhof.team, state="step2", last_name="Janssen", coordinator=daalhof.poh
    )
    give_consent(janssen, daalhof.poh)
    goal(janssen, daalhof.poh)
    AgreedAction.objects.create(
        resident=janssen,
        description="Huisbezoek valrisico",
        created_by=daalhof.poh,
        owner_member=daalhof.district_nurse,
        due_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    ramakers = ResidentFactory(
        team=daalhof.team, state="step1", salutation="Mijnheer", last_name="Ramakers"
    )
    record_consent(
        resident=ramakers,
        by=daalhof.poh,
        given_on=timezone.localdate(),
        disciplines=["gp", "poh", "district_nurse"],
        share_with_carers=True,
    )
    thea = carer_for(ramakers, username="thea")
    AgreedAction.objects.create(
        resident=ramakers,
        description="Personenalarmering aanvragen",
        owner_carer=thea,
        shared_with_carers=True,
        created_by=daalhof.poh,
        due_on=timezone.localdate() + datetime.timedelta(days=14),
    )
    ResidentFactory(team=daalhof.team, state="signalled", last_name="Hendriks")
    today = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    earlier = timezone.now() - datetime.timedelta(days=28)
    last = Meeting.objects.create(
        team=daalhof.team,
        scheduled_for=earlier,
        status=Meeting.Status.CLOSED,
        opened_at=earlier,
        closed_at=earlier + datetime.timedelta(hours=1),
    )
    UserFactory(username="logfunctionaris").groups.add(
        Group.objects.get_or_create(name=LOG_OFFICERS)[0]
    )
    UserFactory(username="programmabureau").groups.add(
        Group.objects.get_or_create(name=PROGRAMME_OFFICE)[0]
    )
    nurse, coordinator = daalhof.poh.username, daalhof.coordinator.username
    resident = f"/residents/{janssen.pk}/"
    board, meetings = "/teams/daalhof/board/", "/teams/daalhof/meetings/"
    forms = [
        *(
            Page(f"add-{what}", nurse, f"{resident}add/{what}/", resident)
            for what in ("assessment", "goal", "action", "concern", "consent")
        ),
        Page("review", nurse, f"{resident}review/", resident),
        Page("coordinator", daalhof.gp.username, f"{resident}coordinator/", resident),
        Page("carer-link", nurse, f"{resident}carers/link/", resident),
    ]
    return [
        Page("sign-in", "", "/accounts/login/", "/"),
        Page("not-found", "", "/bestaat-niet/", "/", status=404),
        Page("invitation-gone", "", "/mantelzorg/uitnodiging/verlopen/", "/accounts/login/", 410),
        Page("home", nurse, "/", "/"),
        Page("board", nurse, board, "/"),
        Page("closed", nurse, "/teams/daalhof/closed/", board),
        Page("resident", nurse, resident, board),
        Page("resident-move", nurse, f"{resident}?transition=step_up_to_3", board),
        Page("meetings", coordinator, meetings, board),
        Page("meeting", coordinator, f"{meetings}{today.pk}/", board),
        Page("minutes", coordinator, f"{meetings}{last.pk}/minutes/", meetings),
        Page("kpi", nurse, "/kpi/", "/"),
        Page("kpi-region", "programmabureau", "/kpi/", "/"),
        Page("signal", nurse, "/teams/daalhof/signal/", board),
        Page("move", nurse, f"{resident}move/?transition=step_up_to_3", resident),
        *forms,
        Page("not-found-signed-in", nurse, "/residents/999999/", "/", status=404),
        Page("access-log", "logfunctionaris", "/log/", "/"),
        Page("resident-access", "logfunctionaris", f"/log/residents/{janssen.pk}/", "/log/"),
        Page("carer-portal", "thea", "/mantelzorg/", "/"),
    ]


@pytest.fixture
def pages(daalhof) -> list[Page]:
    return off_the_loop(lambda: the_pages(daalhof))


def open_as(browser, base: str, who: str, viewport, cache: dict):
    if who not in cache:
        context = browser.new_context(viewport=viewport, bypass_csp=True)
        if who:
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.get(username=who)
            cookie = off_the_loop(lambda: session_for(user))
            context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
        cache[who] = context.new_page()
    return cache[who]


def axe_problems(page) -> list[str]:
    page.add_script_tag(content=AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]


def layout_problems(page, expected: Page) -> list[str]:
    found = page.evaluate(
        """() => ({
          lang: document.documentElement.lang,
          title: document.title,
          viewport: !!document.querySelector('meta[name=viewport]'),
          home: !!document.querySelector('header a[href="/"]'),
          back: [...document.querySelectorAll('main a[href], header a[href]')]
                  .map(a => new URL(a.href).pathname),
        })"""
    )
    problems = []
    if found["lang"] != "nl":
        problems.append(f"lang={found['lang']!r}")
    if found["title"] in ("", "Kernteam"):  # a page of its own has a title of its own
        problems.append(f"title={found['title']!r}")
    if not found["viewport"]:
        problems.append("no viewport")
    if expected.who and not found["home"]:
        problems.append("no link home in the header")
    if expected.back not in found["back"]:
        problems.append(f"no way back to {expected.back}")
    return problems


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("projector", PROJECTOR)])
def test_every_page_has_the_layout_a_way_back_and_passes_axe(
    browser, live_server, pages, screenshot, size, viewport
):
    """axe-core's serious and critical violations, the layout, and at 390 px the width."""
    found: dict[str, list[str]] = {}
    opened: dict[str, object] = {}
    for expected in pages:
        page = open_as(browser, live_server.url, expected.who, viewport, opened)
        response = page.goto(f"{live_server.url}{expected.path}")
        problems = [] if response.status == expected.status else [f"status {response.status}"]
        problems += layout_problems(page, expected) + axe_problems(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport["width"]:
            problems.append(f"{width} px wide at {viewport['width']}")
        screenshot(page, f"page-{expected.name}-{size}")
        if problems:
            found[expected.name] = problems
    for page in opened.values():
        page.context.close()
    assert not found, "\n".join(f"{name}: {problems}" for name, problems in found.items())


WIDTHS = """() => {
  const panel = document.querySelector('#panel');
  return [document.documentElement.scrollWidth, panel.scrollWidth, panel.clientWidth];
}"""


def test_every_form_of_the_panel_fits_a_phone(browser, live_server, pages, screenshot):
    """On the board at 390 px, each form the resident's panel opens in place (a measurement, a
    goal, an agreed action, a carer's concern, consent, each move) and the signal form fit:
    neither the page nor the panel scrolls sideways."""
    page = open_as(browser, live_server.url, pages[3].who, PHONE, {})  # the POH, as on "home"
    page.goto(f"{live_server.url}/teams/daalhof/board/")
    page.get_by_role("link", name="Cliënt signaleren").click()
    page.locator("#panel .signal-form").wait_for()
    wide = {}
    if (widths := page.evaluate(WIDTHS))[0] > 390 or widths[1] > widths[2]:
        wide["signal"] = widths
    page.locator("#panel [data-close-panel]").click()
    page.get_by_role("link", name="Mevrouw Maria Janssen").click()
    panel = page.locator("#resident-panel")
    panel.get_by_text("Huisbezoek valrisico").wait_for()
    opening = panel.locator('a[hx-target="#add-form"], a[hx-target="#consent-form"]')
    opening = [*opening.all(), *panel.locator('a[hx-target="#move-form"]').all()]
    assert len(opening) >= 6
    for link in opening:
        name, target = link.inner_text(), link.get_attribute("hx-target")
        link.click()
        page.locator(f"{target} form.move-form").wait_for()
        widths = page.evaluate(WIDTHS)
        if widths[0] > 390 or widths[1] > widths[2]:
            wide[name] = widths
        screenshot(page, f"panel-form-{name}-phone".replace(" ", "-"))
    page.context.close()
    assert wide == {}, "[page, panel content, panel] px wide"


@pytest.fixture
def with_second_factor():
    running = Uvicorn(extra_env={"KERNTEAM_REQUIRE_2FA": "1"})
    try:
        running.wait_until_up()
        yield running.url
    finally:
        running.stop()


def test_the_pages_of_the_second_factor_pass_axe_and_fit_a_phone(
    browser, with_second_factor, daalhof, screenshot
):
    """Where a second factor is required: no enrolment link yet, setting up the app, the
    recovery codes, the code of the app, a recovery code."""
    base, found = with_second_factor, {}
    for user in (daalhof.poh, daalhof.welfare):
        user.set_password("kernteam-demo")
        user.save()

    def check(page, name: str, heading: str) -> None:
        page.get_by_role("heading", name=heading).wait_for()
        problems = axe_problems(page)
        if (width := page.evaluate("document.documentElement.scrollWidth")) > PHONE["width"]:
            problems.append(f"{width} px wide")
        if problems:
            found[name] = problems
        screenshot(page, f"page-{name}-phone")

    def password(page, user) -> None:
        page.locator("#id_username").fill(user.username)  # (its label is being reworded)
        page.get_by_label("Wachtwoord").fill("kernteam-demo")
        page.get_by_role("button", name="Inloggen").click()

    page = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
    page.goto(f"{base}/")
    password(page, daalhof.welfare)
    check(page, "two-factor-no-link", "Uw authenticator-app instellen")
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/enrol/{issue_enrolment_link(user=daalhof.poh)}/")
    password(page, daalhof.poh)
    check(page, "two-factor-setup", "Tweede stap van het inloggen")
    device = TOTPDevice.objects.get(user=daalhof.poh)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.get_by_label("Code uit uw authenticator-app").fill(f"{code:06d}")
    page.get_by_role("button", name="Bevestigen").click()
    check(page, "two-factor-recovery-codes", "Herstelcodes")
    page.context.clear_cookies()
    page.goto(f"{base}/")
    password(page, daalhof.poh)
    check(page, "two-factor-code", "Tweede stap van het inloggen")
    page.get_by_role("link", name="Telefoon kwijt? Gebruik een herstelcode").click()
    check(page, "two-factor-recovery-code", "Herstelcode gebruiken")
    page.context.close()
    assert not found, "\n".join(f"{name}: {problems}" for name, problems in found.items())
