"""The bell, the member's notification settings and the carer's stop link (issue 19): what a
member and a carer see and can do on these pages."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst

from clients.carer_notices import CarerKind, CarerNoticeStop, stop_token
from kernteam.models import AccessLogEntry
from kernteam.notice_mail import digest_sections, headline
from kernteam.notices import Delivery, Kind, Notice, NoticePreference, initials_and_age, notify
from steps.services import agree_action
from tests.factories import carer_for


@pytest.fixture
def janssen(resident_in, daalhof):
    return resident_in("step2", last_name="Janssen", coordinator=daalhof.poh)


@pytest.fixture
def nurse(client, daalhof):
    client.force_login(daalhof.district_nurse)
    return client


def assign(daalhof, resident, *, description="Huisbezoek plannen", days=3) -> Notice:
    """The POH gives the district nurse an action: she hears of it (a notice)."""
    action = agree_action(
        resident=resident,
        by=daalhof.poh,
        description=description,
        due_on=timezone.localdate() + datetime.timedelta(days=days),
        owner_member=daalhof.district_nurse,
    )
    return Notice.objects.get(user=daalhof.district_nurse, key=f"action:{action.pk}")


def dutch_headline(notice: Notice) -> str:
    with translation.override("nl"):
        return capfirst(headline(notice))


def checked(html: str, name: str) -> list[str]:
    """The values of the radio buttons named `name` that are checked."""
    inputs = re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)
    return [re.search(r'value="([^"]*)"', i).group(1) for i in inputs if " checked" in i]


def offered(html: str, name: str) -> list[str]:
    inputs = re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)
    return [re.search(r'value="([^"]*)"', i).group(1) for i in inputs]


# --- the bell -------------------------------------------------------------------------------


def test_the_bell_counts_a_new_action_and_lists_it_by_initials_and_age(nurse, daalhof, janssen):
    empty = nurse.get(reverse("notice_bell"), {"part": "count"}).content.decode()
    assert "geen ongelezen" in empty and 'class="badge"' not in empty

    notice = assign(daalhof, janssen)

    count = nurse.get(reverse("notice_bell"), {"part": "count"}).content.decode()
    assert '<span class="badge" aria-hidden="true">1</span>' in count
    assert "1 ongelezen" in count
    listed = nurse.get(reverse("notice_bell"), HTTP_HX_REQUEST="true").content.decode()
    assert dutch_headline(notice) in listed
    assert initials_and_age(janssen) in listed
    assert "Janssen" not in listed  # never the name
    assert f'href="{reverse("notice_open", args=[notice.pk])}"' in listed
    assert 'class="notice unread"' in listed
    assert "Alles gelezen" in listed
    assert f'href="{reverse("notice_settings")}"' in listed


def test_the_bell_is_in_the_header_of_a_members_page(nurse):
    page = nurse.get(reverse("home")).content.decode()
    assert 'id="bell"' in page
    assert f'hx-get="{reverse("notice_bell")}?part=count"' in page


def test_the_sign_in_pages_carry_no_bell(daalhof, rf):
    """A session still owing its second factor is sent to these pages, and so would the bell's
    own request be: the page would load the sign-in page into the header."""
    from frontend.templatetags.notice_nav import shows_bell

    def request(path):
        made = rf.get(path)
        made.user = daalhof.district_nurse
        return made

    assert shows_bell(request(reverse("home")))
    assert not shows_bell(request(reverse("two_factor")))
    assert not shows_bell(request(reverse("recovery_codes")))


def test_opening_a_notice_marks_it_read_and_goes_to_the_panel_without_a_log_entry(
    nurse, daalhof, janssen
):
    notice = assign(daalhof, janssen)
    logged = AccessLogEntry.objects.count()

    response = nurse.get(reverse("notice_open", args=[notice.pk]))

    assert response.status_code == 302
    assert response.url == reverse("resident", args=[janssen.pk])
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert AccessLogEntry.objects.count() == logged  # the panel logs when it is opened
    count = nurse.get(reverse("notice_bell"), {"part": "count"}).content.decode()
    assert "geen ongelezen" in count
    listed = nurse.get(reverse("notice_bell")).content.decode()
    assert 'class="notice unread"' not in listed and 'class="notice"' in listed


def test_another_members_notice_is_not_found_and_stays_unread(client, daalhof, janssen):
    notice = assign(daalhof, janssen)
    client.force_login(daalhof.gp)

    assert client.get(reverse("notice_open", args=[notice.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_all_read_clears_the_count_and_keeps_the_list(nurse, daalhof, janssen):
    first = assign(daalhof, janssen, description="Huisbezoek")
    second = assign(daalhof, janssen, description="Bellen met dochter", days=5)

    assert nurse.get(reverse("notice_all_read")).status_code == 405
    answer = nurse.post(reverse("notice_all_read"), HTTP_HX_REQUEST="true").content.decode()

    assert Notice.objects.filter(user=daalhof.district_nurse, read_at__isnull=True).count() == 0
    assert dutch_headline(first) in answer and dutch_headline(second) in answer
    assert "unread" not in re.sub(r"<summary.*?</summary>", "", answer, flags=re.S)
    assert 'id="bell-summary" class="bell-button" hx-swap-oob="true"' in answer
    assert "geen ongelezen" in answer
    assert "Alles gelezen" not in answer  # nothing left to mark


def test_a_digest_opens_as_a_page_with_a_link_per_line(nurse, daalhof, janssen):
    who = initials_and_age(janssen)
    [digest] = notify(
        users=[daalhof.district_nurse],
        kind=Kind.DIGEST,
        key="digest:2026-12-07",
        count=1,
        delivery=Delivery.DIGEST,
        lines=[{"kind": Kind.ACTIONS_DUE, "who": who, "resident": janssen.pk, "on": "2026-12-07"}],
    )

    page = nurse.get(reverse("notice_open", args=[digest.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert f"<h1>{dutch_headline(digest)}</h1>" in html
    with translation.override("nl"):
        title = digest_sections(digest)[0]["title"]
    assert f'{title} <span class="count">1</span></h2>' in html
    assert f'<a href="{reverse("resident", args=[janssen.pk])}">{who}</a>' in html
    assert "Janssen" not in html
    digest.refresh_from_db()
    assert digest.read_at is not None


def test_a_carer_has_no_bell(client, janssen):
    carer = carer_for(janssen, username="thea")
    client.force_login(carer.user)

    assert 'id="bell"' not in client.get(reverse("carer_portal")).content.decode()
    assert client.get(reverse("notice_bell")).status_code == 404
    assert client.get(reverse("notice_settings")).status_code == 404


# --- settings -------------------------------------------------------------------------------


def test_settings_show_the_defaults_and_what_each_kind_offers(nurse):
    html = nurse.get(reverse("notice_settings")).content.decode()

    assert checked(html, Kind.ACTION_ASSIGNED) == [Delivery.AT_ONCE]
    assert offered(html, Kind.ACTION_ASSIGNED) == ["at_once", "digest", "off"]
    assert checked(html, Kind.ACTIONS_DUE) == [Delivery.DIGEST]
    assert offered(html, Kind.ACTIONS_DUE) == ["digest", "off"]  # what is due: never at once
    assert "alleen voorletters en leeftijd" in html
    assert "Van u is geen e-mailadres bekend" in html  # (the factory's users have none)


def test_settings_name_the_address_mails_go_to(nurse, daalhof):
    daalhof.district_nurse.email = "wijkverpleging@example.nl"
    daalhof.district_nurse.save()

    html = nurse.get(reverse("notice_settings")).content.decode()

    assert "E-mails gaan naar <strong>wijkverpleging@example.nl</strong>." in html
    assert "geen e-mailadres" not in html


def every_kind(**chosen: str) -> dict[str, str]:
    form = {
        Kind.ACTION_ASSIGNED: "at_once",
        Kind.URGENT_STEP_UP: "at_once",
        Kind.CONCERN: "at_once",
        Kind.MEETING_REMINDER: "at_once",
        Kind.ACTIONS_DUE: "digest",
        Kind.REVIEWS_DUE: "digest",
        Kind.STEP_UPS_WAITING: "digest",
        Kind.REFERRALS_WAITING: "digest",
    }
    return form | chosen


def test_settings_are_saved_and_shown_again(nurse, daalhof):
    response = nurse.post(
        reverse("notice_settings"),
        every_kind(**{Kind.CONCERN: "off", Kind.REVIEWS_DUE: "off"}),
        follow=True,
    )

    html = response.content.decode()
    assert "Uw keuzes zijn bewaard." in html
    assert checked(html, Kind.CONCERN) == ["off"]
    assert checked(html, Kind.REVIEWS_DUE) == ["off"]
    saved = dict(
        NoticePreference.objects.filter(user=daalhof.district_nurse).values_list("kind", "delivery")
    )
    assert saved[Kind.CONCERN] == "off" and saved[Kind.REVIEWS_DUE] == "off"


def test_a_choice_a_kind_does_not_offer_is_refused_by_field(nurse, daalhof):
    response = nurse.post(
        reverse("notice_settings"),
        every_kind(**{Kind.ACTIONS_DUE: "at_once", Kind.CONCERN: "loudly"}),
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Niet bewaard" in html
    errors = re.findall(r'<p class="problems" id="id_(\w+)-error">([^<]*)</p>', html)
    with translation.override("nl"):
        refused = translation.gettext("Choose one of the options offered.")
    assert refused != "Choose one of the options offered."  # (in Dutch)
    assert errors == [(Kind.CONCERN, refused), (Kind.ACTIONS_DUE, refused)]
    assert not NoticePreference.objects.filter(user=daalhof.district_nurse).exists()


def test_a_missing_choice_is_refused_not_a_server_error(nurse, daalhof):
    form = every_kind()
    del form[Kind.MEETING_REMINDER]

    response = nurse.post(reverse("notice_settings"), form)

    assert response.status_code == 200
    assert f'id="id_{Kind.MEETING_REMINDER}-error">Dit veld is verplicht.' in (
        response.content.decode()
    )
    assert not NoticePreference.objects.exists()


# --- the carer's stop link ------------------------------------------------------------------


@pytest.fixture
def thea(janssen):
    carer = carer_for(janssen, username="thea")
    carer.email = "thea@example.nl"
    carer.save()
    return carer


def stop_url(carer, kind=CarerKind.ACTION) -> str:
    return reverse("carer_notice_stop", args=[stop_token(carer=carer, kind=kind)])


def test_opening_the_stop_link_asks_and_stops_nothing(client, thea):
    page = client.get(stop_url(thea))

    html = page.content.decode()
    assert page.status_code == 200
    assert "U krijgt e-mails van Kernteam over:" in html
    with translation.override("nl"):
        assert f"<strong>{CarerKind.ACTION.label}</strong>" in html
    assert "Stop deze e-mails</button>" in html
    assert not CarerNoticeStop.objects.exists()  # a mail scanner follows links


def test_the_button_stops_that_kind_only(thea):
    carer = Client(enforce_csrf_checks=True)  # (not signed in; no CSRF cookie)

    page = carer.post(stop_url(thea))

    assert page.status_code == 200
    assert "Klaar: deze e-mails zijn gestopt" in page.content.decode()
    assert list(CarerNoticeStop.objects.values_list("carer", "kind")) == [(thea.pk, "action")]
    again = carer.get(stop_url(thea)).content.decode()
    assert "U krijgt geen e-mails meer over:" in again
    assert "Stop deze e-mails</button>" not in again


def test_a_mail_clients_one_click_post_stops(thea):
    mail_client = Client(enforce_csrf_checks=True)

    answer = mail_client.post(
        stop_url(thea, CarerKind.REVIEW_SOON),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert answer.status_code == 200
    assert CarerNoticeStop.objects.filter(carer=thea, kind="review_soon").exists()


@pytest.mark.parametrize("how", ["forged", "garbage"])
def test_a_forged_stop_link_is_refused_in_plain_dutch(client, thea, how):
    token = stop_token(carer=thea, kind=CarerKind.ACTION)
    bad = token[:-3] + ("aaa" if token[-3:] != "aaa" else "bbb") if how == "forged" else "x"
    url = reverse("carer_notice_stop", args=[bad])

    for response in (client.get(url), client.post(url)):
        assert response.status_code == 404
        assert "Deze link werkt niet" in response.content.decode()
    assert not CarerNoticeStop.objects.exists()
