"""`{% shows_bell request as show %}`: whether the header carries the bell (issue 19): for
members, not carers, and not on the sign-in pages (a session still owing its second factor is
sent there; the bell's own requests would be too)."""

from django import template
from django.http import HttpRequest

from clients.visibility import is_carer

register = template.Library()

SIGN_IN_PAGES = "/accounts/"


@register.simple_tag
def shows_bell(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated or request.path.startswith(SIGN_IN_PAGES):
        return False
    return not is_carer(user)
