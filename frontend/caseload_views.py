"""The caseload import on the web (issue 21 §1). Stub: being built."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def caseload(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404
