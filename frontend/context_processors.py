"""Context every template gets."""

from __future__ import annotations

from django.http import HttpRequest

PART = "frontend/layouts/part.html"
PAGE = "frontend/layouts/page.html"


def layout(request: HttpRequest) -> dict[str, str]:
    """A template that is a part of a page (a form that htmx puts in place) extends `layout`:
    htmx gets the part alone; an address opened by itself gets the site's page around it, with
    a title and a way back. (A template that includes such a part passes `layout` = PART.)"""
    return {"layout": PART if getattr(request, "htmx", False) else PAGE}
