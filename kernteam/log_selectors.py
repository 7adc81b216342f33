"""Reading the access log, for the log officer: filter by resident, user and period."""

from __future__ import annotations

import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet

from kernteam.models import AccessLogEntry

LOG_READ = "access-log"  # `what` of an entry noted when the log officer reads the log


def log_entries(
    *,
    resident: int | None = None,
    user: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    hide_log_reads_of: AbstractBaseUser | None = None,
) -> QuerySet[AccessLogEntry]:
    """Newest first. `user` matches a username or a name; the period is inclusive.
    `hide_log_reads_of` leaves out that user's own reads of this log."""
    rows = AccessLogEntry.objects.select_related("user", "team", "resident__team").order_by(
        "-at", "-pk"
    )
    if resident:
        rows = rows.filter(resident_id=resident)
    for word in user.split():
        rows = rows.filter(
            Q(user__username__icontains=word)
            | Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
        )
    if since:
        rows = rows.filter(at__date__gte=since)
    if until:
        rows = rows.filter(at__date__lte=until)
    if hide_log_reads_of is not None:
        rows = rows.exclude(user=hide_log_reads_of, what=LOG_READ)
    return rows
