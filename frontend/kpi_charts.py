"""The charts and headline tiles of the KPI dashboard, from the figures of `steps.kpi`."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from frontend.svg_charts import (
    BarRow,
    Series,
    Svg,
    bar_rows,
    cell_text,
    column_chart,
    days_text,
    number,
    percent,
)
from steps import kpi as kpis
from steps.kpi import Dashboard, Table
from steps.states import State

# --- the charts of the dashboard ---------------------------------------------------------------

CHART_STATES = [s for s in State.values if s != State.CLOSED]  # closed only grows: table only
SHORT_STATE = {
    State.SIGNALLED: _("Signalled"),
    State.SCREENING: _("Screening"),
    State.STEP1: _("Step 1"),
    State.STEP2: _("Step 2"),
    State.STEP3: _("Step 3"),
    State.STEP4: _("Step 4"),
    State.ADMITTED: _("Admitted"),
}


@dataclass(frozen=True)
class LegendItem:
    css: str
    label: str
    value: str = ""


@dataclass
class Chart:
    name: str  # the KPI's name in steps.kpi.KPIS, and its CSV's
    title: str
    about: str  # one line: what is counted
    svg: Svg
    table: Table
    legend: list[LegendItem] = field(default_factory=list)
    csv_url: str = ""

    @property
    def headers(self) -> list[str]:
        return [str(h) for h in self.table.headers]

    @property
    def rows(self) -> list[list[str]]:
        return [[cell_text(c) for c in row] for row in self.table.rows]


def charts_for(d: Dashboard) -> list[Chart]:
    months = d.months
    states = d.states
    moves = d.moves
    reviews = d.reviews
    meetings = d.meetings
    last = len(months) - 1
    state_series = [
        Series(f"kpi-fill-{s}", str(SHORT_STATE[s]), states.counts[s]) for s in CHART_STATES
    ]
    share = [reviews.share(i) for i in range(len(months))]
    decisions = [
        Series("kpi-fill-decided-step", str(_("step decisions")), meetings.step_decisions),
        Series("kpi-fill-decided-goal", str(_("goals set")), meetings.goals),
        Series("kpi-fill-decided-action", str(_("actions agreed")), meetings.actions),
        Series("kpi-fill-decided-concern", str(_("concerns handled")), meetings.concerns),
    ]
    steps_time = d.time_in_step.steps
    care = d.care_plans
    actions = d.actions
    carers = d.carers
    return [
        Chart(
            "states",
            _("Residents per state"),
            _("At the end of each month; the current month up to today. Closed: in the table."),
            column_chart(
                months,
                state_series,
                totals=[number(states.active(i)) for i in range(len(months))],
            ),
            states.table(),
            [
                LegendItem(f"kpi-fill-{s}", SHORT_STATE[s], number(states.counts[s][last]))
                for s in reversed(CHART_STATES)
            ],
        ),
        Chart(
            "moves",
            _("Step-ups and step-downs per month"),
            _("Moves, not residents: up above the line, down below it."),
            column_chart(
                months,
                [Series("kpi-fill-up", str(_("step-ups")), moves.up)],
                totals=[number(v) for v in moves.up],
                down=Series("kpi-fill-down", str(_("step-downs")), moves.down),
                down_totals=[number(v) for v in moves.down],
            ),
            moves.table(),
            [
                LegendItem("kpi-fill-up", _("step-ups"), number(sum(moves.up))),
                LegendItem("kpi-fill-down", _("step-downs"), number(sum(moves.down))),
            ],
        ),
        Chart(
            "time_in_step",
            _("Median time in each step"),
            _("Days, over the periods in a step that ended in these 12 months."),
            bar_rows(
                [
                    BarRow(
                        _("%(step)s (%(n)s periods ended)")
                        % {"step": kpis.step_label(s.step), "n": number(s.ended)},
                        float(s.median_days or 0),
                        days_text(s.median_days),
                        f"kpi-fill-{s.step}",
                    )
                    for s in steps_time
                ]
            ),
            d.time_in_step.table(),
        ),
        Chart(
            "care_plans",
            _("Frail residents with a care plan and a coordinator"),
            _("Residents in step 2 or higher now: %(n)s.") % {"n": number(care.frail)},
            bar_rows(
                [
                    BarRow(_("with a care coordinator"), *_pct(care.with_coordinator, care.frail)),
                    BarRow(_("with a care plan"), *_pct(care.with_care_plan, care.frail)),
                    BarRow(_("with both"), *_pct(care.with_both, care.frail, "kpi-fill-good")),
                ],
                top=100,
            ),
            care.table(),
        ),
        Chart(
            "reviews",
            _("Reviewed on time"),
            _("Residents in a step whose review is within the interval of their step."),
            column_chart(
                months,
                [Series("kpi-fill-good", str(_("reviewed on time")), [v or 0 for v in share])],
                totals=[percent(v) for v in share],
                top=100,
            ),
            reviews.table(),
        ),
        Chart(
            "actions",
            _("Open and overdue actions"),
            _("Open agreed actions today: %(open)s, of which overdue: %(overdue)s.")
            % {"open": number(actions.open), "overdue": number(actions.overdue)},
            bar_rows(
                [
                    _count_row(_("not yet due"), actions.not_yet_due, "kpi-fill-neutral"),
                    _count_row(_("overdue 1-14 days"), actions.late_up_to_14, "kpi-fill-late1"),
                    _count_row(_("overdue 15-42 days"), actions.late_15_to_42, "kpi-fill-late2"),
                    _count_row(
                        _("overdue more than 42 days"), actions.late_over_42, "kpi-fill-late3"
                    ),
                ]
            ),
            actions.table(),
        ),
        Chart(
            "carers",
            _("Carers with a high burden"),
            _(
                "Latest CSI or EDIZ-plus score of each carer of an active resident; support "
                "agreed: an action marked as carer support, open or done in the last 12 months."
            ),
            bar_rows(
                [
                    _count_row(
                        _("high burden, support agreed"), carers.high_supported, "kpi-fill-late1"
                    ),
                    _count_row(
                        _("high burden, no support agreed"),
                        carers.high - carers.high_supported,
                        "kpi-fill-late3",
                    ),
                    _count_row(_("not high"), carers.assessed - carers.high, "kpi-fill-good"),
                    _count_row(_("never assessed"), carers.not_assessed, "kpi-fill-neutral"),
                ]
            ),
            carers.table(),
        ),
        Chart(
            "meetings",
            _("Meetings held and decisions taken"),
            _("Decisions recorded in the team meetings of each month; beneath: meetings held."),
            column_chart(
                months,
                decisions,
                totals=[number(meetings.decisions(i)) for i in range(len(months))],
                sublabels=[number(v) for v in meetings.meetings],
            ),
            meetings.table(),
            [
                *(LegendItem(s.css, s.label, number(sum(s.values))) for s in reversed(decisions)),
                LegendItem(
                    "",  # no swatch: the numbers beneath the months
                    _("meetings held (the number beneath the month)"),
                    number(meetings.total_meetings),
                ),
            ],
        ),
    ]


def _count_row(label: str, value: int, css: str) -> BarRow:
    return BarRow(label, value, number(value), css)


def _pct(part: int, whole: int, css: str = "kpi-fill-neutral") -> tuple[float, str, str]:
    """A share as a bar: its length (0-100), its text ("73% (3.881)") and its colour."""
    value = kpis.share(part, whole)
    return (value or 0.0, f"{percent(value)} ({number(part)})", css)


@dataclass(frozen=True)
class Tile:
    name: str  # the chart it sums up
    value: str
    label: str
    detail: str


def tiles_for(d: Dashboard) -> list[Tile]:
    """The headline figures, as of today."""
    now = len(d.months) - 1
    reviews, care, actions, carers = d.reviews, d.care_plans, d.actions, d.carers
    return [
        Tile("states", number(d.states.active(now)), _("active residents"), _("not closed")),
        Tile(
            "care_plans",
            percent(care.share),
            _("of frail residents have a care plan and a coordinator"),
            _("%(n)s of %(total)s") % {"n": number(care.with_both), "total": number(care.frail)},
        ),
        Tile(
            "reviews",
            percent(reviews.share(now)),
            _("of residents in a step reviewed on time"),
            _("%(n)s of %(total)s")
            % {"n": number(reviews.on_time[now]), "total": number(reviews.in_step[now])},
        ),
        Tile(
            "actions",
            number(actions.overdue),
            _("overdue actions"),
            _("of %(n)s open") % {"n": number(actions.open)},
        ),
        Tile(
            "carers",
            number(carers.high),
            _("carers with a high burden"),
            _("of %(n)s assessed; %(supported)s with support agreed")
            % {"n": number(carers.assessed), "supported": number(carers.high_supported)},
        ),
        Tile(
            "meetings",
            number(d.meetings.total_meetings),
            _("meetings held in 12 months"),
            _("%(n)s decisions") % {"n": number(d.meetings.total_decisions)},
        ),
    ]
