"""A team's members on the web (issue 21 §2). Stub: being built."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def members(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404
