"""The outcome KPIs' charts and tiles on the KPI dashboard (`steps.kpi.outcomes`): events per
1,000 residents in care, days at home, PZP in step 3-4, medication reviews."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from frontend.kpi_charts import Chart, LegendItem, Tile
from frontend.svg_charts import Series, column_chart, number, percent
from steps.kpi import Dashboard
from steps.kpi.outcomes import RATED
from steps.outcomes import EventKind

EVENT_CSS = {
    EventKind.FALL: "kpi-fill-late1",
    EventKind.EMERGENCY: "kpi-fill-late2",
    EventKind.OUT_OF_HOURS: "kpi-fill-admitted",
    EventKind.HOSPITAL: "kpi-fill-late3",
}


def outcome_charts(d: Dashboard) -> list[Chart]:
    months = d.months
    n = len(months)
    rates, home, pzp, medication = d.outcomes, d.days_at_home, d.pzp, d.medication
    series = [
        Series(
            EVENT_CSS[kind],
            str(EventKind(kind).label),
            [rates.rate(kind, i) or 0 for i in range(n)],
        )
        for kind in RATED
    ]
    totals = [number(rates.total_rate(i)) for i in range(n)]
    return [
        Chart(
            "outcomes",
            _("Outcome events per 1,000 residents in care"),
            _(
                "Falls, emergency-department visits, out-of-hours GP contacts and hospital "
                "admissions that happened while in care, per 1,000 residents in care that month."
            ),
            column_chart(months, series, totals=totals),
            rates.table(),
            [
                *(
                    LegendItem(s.css, s.label, number(sum(rates.events[kind])))
                    for kind, s in reversed(list(zip(RATED, series, strict=True)))
                ),
                LegendItem("", _("the numbers: events in these 12 months")),
            ],
        ),
        Chart(
            "days_at_home",
            _("Days at home"),
            _(
                "Of all the days residents were in care, the share they spent at home in their "
                "step rather than admitted."
            ),
            _share_columns(months, [home.share(i) for i in range(n)], _("days at home")),
            home.table(),
        ),
        Chart(
            "pzp",
            _("Proactive care planning in step 3 and 4"),
            _(
                "At each month's end, the share of residents in step 3 or 4 with whom a PZP "
                "conversation has been held."
            ),
            _share_columns(months, [pzp.share(i) for i in range(n)], _("with a PZP")),
            pzp.table(),
        ),
        Chart(
            "medication",
            _("Medication reviews"),
            _(
                "At each month's end, the share of residents eligible for a medication review "
                "(step 2 or higher, or in a step with ten or more medicines at the last review) "
                "reviewed in the last 12 months."
            ),
            _share_columns(months, [medication.share(i) for i in range(n)], _("reviewed")),
            medication.table(),
        ),
    ]


def _share_columns(months, shares, label):
    return column_chart(
        months,
        [Series("kpi-fill-good", str(label), [v or 0 for v in shares])],
        totals=[percent(v) for v in shares],
        top=100,
    )


def outcome_tiles(d: Dashboard) -> list[Tile]:
    """The headline figures, this month so far."""
    now = len(d.months) - 1
    pzp, medication, home = d.pzp, d.medication, d.days_at_home
    return [
        Tile(
            "days_at_home",
            percent(home.share(now)),
            _("days at home this month"),
            _("%(n)s of %(total)s days in care")
            % {"n": number(home.at_home[now]), "total": number(home.in_care[now])},
        ),
        Tile(
            "pzp",
            percent(pzp.share(now)),
            _("in step 3-4 have a PZP"),
            _("%(n)s of %(total)s")
            % {"n": number(pzp.with_pzp[now]), "total": number(pzp.high_steps[now])},
        ),
        Tile(
            "medication",
            percent(medication.share(now)),
            _("medication review within 12 months"),
            _("%(n)s of the %(total)s eligible")
            % {"n": number(medication.reviewed[now]), "total": number(medication.eligible[now])},
        ),
    ]
