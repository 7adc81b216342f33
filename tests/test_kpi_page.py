"""The KPI dashboard's pages: who may see what, the CSV downloads, and a constant number of
queries whatever the number of teams and residents."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kernteam.models import AccessLogEntry, Membership
from kernteam.roles import LOG_OFFICERS, PROGRAMME_OFFICE
from steps import kpi
from tests.factories import UserFactory
from tests.helpers import build_team
from tests.kpi_region import action, at, burden, carer, goal, held, history, resident

KPI = reverse("kpi")


def csv_url(name: str, team: str) -> str:
    return f"{reverse('kpi_csv', args=[name])}?team={team}"


@pytest.fixture
def office(db):
    """Paula of the programme office: no team, the group only."""
    user = UserFactory(username="programmabureau")
    user.groups.add(Group.objects.get_or_create(name=PROGRAMME_OFFICE)[0])
    return user


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # the byte-order mark: Excel reads UTF-8
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


# --- who may see what -------------------------------------------------------------------------


def test_a_member_sees_the_kpis_of_their_own_team_only(client, daalhof, malberg):
    client.force_login(daalhof.district_nurse)
    page = client.get(KPI)
    assert page.status_code == 200
    assert page.context["selection"].teams == [daalhof.team]
    assert client.get(KPI, {"team": "daalhof"}).status_code == 200
    assert client.get(KPI, {"team": "malberg"}).status_code == 404
    assert client.get(KPI, {"team": "regio"}).status_code == 404
    assert client.get(KPI, {"team": "bestaat-niet"}).status_code == 404
    assert client.get(csv_url("states", "malberg")).status_code == 404
    assert client.get(csv_url("states", "regio")).status_code == 404
    assert 'name="team"' not in page.content.decode()  # one team: nothing to choose


def test_a_member_of_several_teams_chooses_between_them(client, daalhof, malberg):
    Membership.objects.create(team=malberg.team, user=daalhof.gp, role="gp")
    client.force_login(daalhof.gp)
    page = client.get(KPI)
    assert page.context["selection"].teams == [daalhof.team]  # the first by name
    html = page.content.decode()
    assert '<option value="malberg">' in html and 'value="regio"' not in html
    chosen = client.get(KPI, {"team": "malberg"})
    assert chosen.context["selection"].teams == [malberg.team]


def test_a_former_member_no_longer_sees_the_team(client, daalhof):
    Membership.objects.filter(user=daalhof.welfare).update(ended_on=timezone.localdate())
    client.force_login(daalhof.welfare)
    assert client.get(KPI).status_code == 404
    assert client.get(KPI, {"team": "daalhof"}).status_code == 404


def test_the_programme_office_sees_the_region_and_every_team(client, office, daalhof, malberg):
    client.force_login(office)
    page = client.get(KPI)
    assert page.status_code == 200
    selection = page.context["selection"]
    assert selection.region and selection.teams == [daalhof.team, malberg.team]
    assert '<option value="regio" selected>' in page.content.decode()
    assert client.get(KPI, {"team": "malberg"}).context["selection"].teams == [malberg.team]
    assert client.get(csv_url("meetings", "regio")).status_code == 200
    assert client.get(KPI, {"team": "bestaat-niet"}).status_code == 404


def test_carers_log_officers_and_superusers_get_nothing(client, daalhof, thea, admin_user):
    officer = UserFactory(username="logfunctionaris")
    officer.groups.add(Group.objects.get_or_create(name=LOG_OFFICERS)[0])
    for user in (thea, officer, admin_user):
        client.force_login(user)
        for url in (KPI, f"{KPI}?team=daalhof", f"{KPI}?team=regio", csv_url("carers", "daalhof")):
            assert client.get(url).status_code == 404, (user, url)


def test_signed_out_means_signing_in_first(client, daalhof):
    for url in (KPI, csv_url("states", "daalhof")):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_an_unknown_chart_is_a_404_not_a_500(client, daalhof):
    client.force_login(daalhof.poh)
    assert client.get(csv_url("bestaat-niet", "daalhof")).status_code == 404
    assert client.get(csv_url("Dashboard", "daalhof")).status_code == 404
    refused = client.get(f"{reverse('kpi_csv', args=['states'])}?team=%00")
    assert refused.status_code == 400  # a NUL in an address is refused before any view


def test_the_navigation_offers_the_kpis_to_whoever_may_see_them(client, daalhof, office, thea):
    for user, shown in ((daalhof.welfare, True), (office, True), (thea, False)):
        client.force_login(user)
        html = client.get(reverse("home"), follow=True).content.decode()
        assert (f'href="{KPI}"' in html) is shown, user


def test_aggregates_write_no_access_log_entries(client, region, daalhof):
    client.force_login(daalhof.gp)
    client.get(KPI)
    client.get(csv_url("states", "daalhof"))
    assert not AccessLogEntry.objects.exists()


# --- the page and its downloads ---------------------------------------------------------------


def test_the_page_draws_every_chart_with_its_numbers_and_download(client, region, daalhof):
    client.force_login(daalhof.coordinator)
    html = client.get(KPI).content.decode()
    for name in kpi.KPIS:
        assert f'id="kpi-{name}"' in html
        assert f'href="{csv_url(name, "daalhof")}"' in html
    assert html.count('<svg class="kpi-svg"') == len(kpi.KPIS)
    assert html.count('<table class="kpi-table">') == len(kpi.KPIS)
    assert 'style="' not in html  # the Content-Security-Policy forbids inline styles
    # Care plans: 1 of the 4 frail residents has both (test_kpi), on the tile and the bars.
    assert '<span class="kpi-big">25%</span>' in html
    assert ">25% (1)</text>" in html


@pytest.mark.parametrize("name", list(kpi.KPIS))
def test_each_csv_holds_the_figures_of_its_chart(client, region, daalhof, name):
    client.force_login(daalhof.poh)
    response = client.get(csv_url(name, "daalhof"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="kpi-')
    rows = read_csv(response)
    table = kpi.kpi(name, teams=[daalhof.team]).table()
    assert len(rows) == len(table.rows) + 1 and len(rows[0]) == len(table.headers)
    for row, figures in zip(rows[1:], table.rows, strict=True):
        assert row[1:] == [
            "" if v is None else f"{v:.1f}".replace(".", ",") if isinstance(v, float) else str(v)
            for v in figures[1:]
        ]


def test_the_csv_opens_in_dutch_excel(client, region, daalhof):
    client.force_login(daalhof.poh)
    rows = read_csv(client.get(csv_url("care_plans", "daalhof")))
    # frail 4, coordinator 2, care plan 2, both 1 (see test_kpi): shares with a decimal comma.
    assert [row[1:] for row in rows[1:]] == [
        ["4", "100,0"],
        ["2", "50,0"],
        ["2", "50,0"],
        ["1", "25,0"],
    ]
    months = read_csv(client.get(csv_url("moves", "daalhof")))
    today = timezone.localdate()
    assert months[-1][0] == f"{today:%Y-%m}" and len(months) == 13


def test_the_region_csv_adds_up_every_team(client, region, office):
    client.force_login(office)
    rows = read_csv(client.get(csv_url("carers", "regio")))
    # Carers of both teams, C7 (linked in both) once: 5 (test_kpi).
    assert rows[1][1] == "5"


# --- a constant number of queries ----------------------------------------------------------------


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def grow(team, members, n: int, tag: str) -> None:
    """`n` more residents with a history, a meeting, goals, actions and a carer with a score."""
    meeting = held(team, members.coordinator, at(2026, 1, 13, 14))
    for i in range(n):
        r = resident(team, f"Bewoner{tag}{i}", "step2", coordinator=members.poh)
        history(
            r,
            members.poh,
            ("signal", "", "signalled", at(2025, 10, 1)),
            ("screen", "signalled", "screening", at(2025, 10, 3)),
            ("enter", "screening", "step2", at(2026, 1, 13, 14, 30), meeting),
        )
        goal(r, members.poh, meeting=meeting, created=at(2026, 1, 13, 14, 31))
        action(r, members.poh, timezone.localdate(), meeting=meeting, created=at(2026, 1, 13))
        burden(carer(f"Mantel{tag}{i}", r), r, "csi", 7 + i % 3, timezone.localdate(), members.poh)


def test_the_page_takes_the_same_queries_for_few_and_many(client, office, daalhof, malberg):
    client.force_login(daalhof.poh)
    grow(daalhof.team, daalhof, 2, "a")
    small = queries_for(client, KPI)
    grow(daalhof.team, daalhof, 40, "b")
    assert queries_for(client, KPI) == small

    client.force_login(office)
    region_small = queries_for(client, KPI)
    for name in ("Amby", "Heer", "Scharn"):
        extra = build_team(name)
        grow(extra.team, extra, 10, name)
    assert queries_for(client, KPI) == region_small
    assert queries_for(client, csv_url("reviews", "regio")) == queries_for(
        client, csv_url("reviews", "malberg")
    )


def test_an_empty_region_shows_zeros(client, office):
    client.force_login(office)
    page = client.get(KPI)
    assert page.status_code == 200 and page.context["selection"].teams == []
    assert client.get(csv_url("reviews", "regio")).status_code == 200
