"""/api/v1/teams/<slug>/caseload/ (issue 21 §1). Stub: being built."""

from __future__ import annotations

from django.http import Http404
from rest_framework.decorators import api_view


@api_view(["POST"])
def caseload(request, slug: str):
    raise Http404
