from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from kernteam.policy import team_for_member
from steps.board import board_columns
from steps.selectors import team_overviews


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/home.html", {"overviews": team_overviews(user=request.user)})


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@login_required
def board(request: HttpRequest, slug: str) -> HttpResponse:
    """The team's board. Filters re-render only the columns (htmx), and the URL keeps them."""
    team = team_for_member(user=request.user, slug=slug)
    filters = {
        "mine": request.GET.get("mine") == "1",
        "flagged": request.GET.get("flagged") == "1",
        "search": request.GET.get("q", "").strip()[:80],
    }
    columns = board_columns(team=team, user=request.user, **filters)
    template = "frontend/board.html#columns" if request.htmx else "frontend/board.html"
    return render(request, template, {"team": team, "columns": columns, **filters})
