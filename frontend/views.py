from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from steps.selectors import team_overviews


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/home.html", {"overviews": team_overviews(user=request.user)})


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
