"""The KPI dashboard (/kpi/): per team, or for the region (the programme office).

Views parse the choice of team, call the selectors of `steps.kpi` and draw (`kpi_charts`, inline
SVG from `svg_charts`). Every chart has its numbers in a table beneath it and as a CSV download.

The pages show aggregates only, never one resident's data, so they write no access-log entries.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from frontend.kpi_charts import charts_for, tiles_for
from frontend.kpi_outcome_charts import outcome_charts, outcome_tiles
from frontend.kpi_referral_charts import referral_charts, referral_tiles
from frontend.svg_charts import csv_cell
from kernteam import csv_safe
from kernteam.policy import kpi_selection, may_see_region
from steps import kpi as kpis

REGION = "regio"  # ?team=regio: every team together (the programme office)


# --- which teams -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    choices: list  # the teams the user may choose from
    teams: list  # the teams added up
    region: bool
    token: str  # the value of ?team= that gives this selection

    @property
    def name(self) -> str:
        return str(_("South Limburg region")) if self.region else self.teams[0].name


def selection_for(request: HttpRequest) -> Selection:
    """?team=<slug> or ?team=regio; without it, the default of `kpi_selection`. A team the user
    may not see, or the region for anyone but the programme office, is a 404."""
    choice = request.GET.get("team", "").strip()[:80]
    region = choice == REGION
    choices, teams, is_region = kpi_selection(
        user=request.user, slug="" if region else choice, region=region
    )
    return Selection(choices, teams, is_region, REGION if is_region else teams[0].slug)


# --- the pages ---------------------------------------------------------------------------------


@login_required
def kpi(request: HttpRequest) -> HttpResponse:
    selection = selection_for(request)
    figures = kpis.dashboard(teams=selection.teams, region=selection.region)
    charts = charts_for(figures) + outcome_charts(figures) + referral_charts(figures)
    query = urlencode({"team": selection.token})
    for chart in charts:
        chart.csv_url = f"{reverse('kpi_csv', args=[chart.name])}?{query}"
    context = {
        "selection": selection,
        "office": may_see_region(request.user),
        "region_token": REGION,
        "figures": figures,
        "tiles": tiles_for(figures) + outcome_tiles(figures) + referral_tiles(figures),
        "charts": charts,
    }
    return render(request, "frontend/kpi.html", context)


@login_required
def kpi_csv(request: HttpRequest, name: str) -> HttpResponse:
    """One chart's figures as CSV for Dutch Excel (the dialect of `csv_safe`: a byte-order mark,
    ";" between quoted fields), with a decimal comma, months as 2026-11."""
    if name not in kpis.KPIS:
        raise Http404
    selection = selection_for(request)
    table = kpis.kpi(name, teams=selection.teams, region=selection.region).table()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"kpi-{name.replace('_', '-')}-{selection.token}-{timezone.localdate():%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv_safe.writer(response)
    writer.writerow([str(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([csv_cell(c) for c in row])
    return response
