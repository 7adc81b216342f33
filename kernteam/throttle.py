"""Sign-in throttling (django-axes): a name is blocked at one address after
KERNTEAM_LOGIN_ATTEMPTS failures (5), and an address is blocked for every name after
KERNTEAM_LOGIN_ATTEMPTS_PER_ADDRESS failures across names (20: one person guessing many names,
while a practice whose colleagues share one address can still mistype now and then).

Axes counts both lockout parameters ([username, ip_address] and ip_address) and compares the
higher count, the address's (it includes the name's), with one failure limit. `failure_limit`
makes that one limit the per-name one once this name has failed that often here, and the
per-address one otherwise. A successful sign-in clears that name's failures at that address
only (`SignInThrottle`): clearing the address's count would let one valid account reset it.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def _this_name_here(request, credentials):
    return AccessAttempt.objects.filter(
        username=get_client_username(request, credentials), ip_address=request.axes_ip_address
    )


def failure_limit(request, credentials) -> int:
    per_name = settings.KERNTEAM_LOGIN_ATTEMPTS
    recent = _this_name_here(request, credentials).filter(
        attempt_time__gte=get_cool_off_threshold(request)
    )
    failures = recent.aggregate(n=Sum("failures_since_start"))["n"] or 0
    return per_name if failures >= per_name else settings.KERNTEAM_LOGIN_ATTEMPTS_PER_ADDRESS


class SignInThrottle(AxesDatabaseHandler):
    def reset_user_attempts(self, request, credentials=None) -> int:
        count, _ = _this_name_here(request, credentials).delete()
        return count
