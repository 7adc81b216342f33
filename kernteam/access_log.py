"""Writing the access log (NEN 7513): who, in which role, on behalf of which team, which
resident, what, when, from where.

Entry points note what they showed or changed on the request (`note`); the web layer's
middleware (`frontend.access.AccessLogMiddleware`) writes the notes once the response is ready,
in one statement whatever the number of residents (a board of 300 cards costs one COPY on
PostgreSQL). A change refused after the resident was found still showed something: its notes
are written as reads (`nothing_changed`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.db import connection
from django.utils import timezone

from kernteam.models import AccessLogEntry, Team

NOTES = "kernteam_access_notes"  # on the request: what it showed or changed


def note(
    request,
    *,
    team: Team | None,
    residents: Iterable[int | None],
    action: str | None = None,
    what: str = "",
    role: str = "",
) -> None:
    """Record on the request that its user read (GET) or changed (other methods) these
    residents' data on behalf of `team`; `role` when it is not a role on the team."""
    if action is None:
        read = request.method in ("GET", "HEAD")
        action = AccessLogEntry.Action.READ if read else AccessLogEntry.Action.WRITE
    match = getattr(request, "resolver_match", None)
    notes = getattr(request, NOTES, None)  # (a DRF request reads it from Django's request)
    if notes is None:
        notes = []
        setattr(request, NOTES, notes)
    notes.append((team, list(residents), action, what or (match.url_name if match else ""), role))


def note_each(
    request,
    shown: Iterable[tuple[Team | None, int]],
    *,
    action: str | None = None,
    what: str = "",
    role: str = "",
) -> None:
    """`note` for residents of several teams: (team, resident id) pairs, noted per team."""
    per_team: dict[int | None, tuple[Team | None, list[int]]] = {}
    for team, resident_id in shown:
        key = team.pk if team else None
        ids = per_team.setdefault(key, (team, []))[1]
        if resident_id not in ids:
            ids.append(resident_id)
    for team, ids in per_team.values():
        note(request, team=team, residents=ids, action=action, what=what, role=role)


def nothing_changed(request) -> None:
    """The request's change was refused: what it noted is written as reads, not writes."""
    notes = getattr(request, NOTES, None) or []
    for i, (team, residents, action, what, role) in enumerate(notes):
        if action == AccessLogEntry.Action.WRITE:
            notes[i] = (team, residents, AccessLogEntry.Action.READ, what, role)


Row = tuple  # (team, resident id or None, action, what, role)
FIELDS = ("at", "user_id", "role", "team_id", "resident_id", "action", "what", "path", "ip")
COPY_FROM = 20  # rows; below, COPY's extra round trips cost more than it saves


def write(*, user, rows: list[Row], path: str, ip: str | None) -> None:
    """Write the rows in one statement: on PostgreSQL many rows by COPY (a board's 300 in 7 ms
    rather than 18 with bulk_create, docs/performance.md), one row (a move, a panel) by a plain
    save (bulk_create would wrap its INSERT in a transaction of its own: two statements more),
    else bulk_create (one INSERT on PostgreSQL; on SQLite Django splits it within the limit on
    parameters)."""
    now = timezone.now()
    values = [
        (now, user.pk, role, team.pk if team else None, resident_id, action, what, path[:300], ip)
        for team, resident_id, action, what, role in rows
    ]
    entries = [AccessLogEntry(**dict(zip(FIELDS, v, strict=True))) for v in values]
    if connection.vendor == "postgresql" and len(values) >= COPY_FROM:
        copy_entries(values)
    elif len(entries) == 1:
        entries[0].save()
    else:
        AccessLogEntry.objects.bulk_create(entries)


def copy_entries(values: list[tuple]) -> None:
    """PostgreSQL only: access-log rows (values in the order of FIELDS) by COPY … FROM STDIN,
    through psycopg's `Cursor.copy` (Django's debug cursor logs it as a query)."""
    opts = AccessLogEntry._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(opts.get_field(name).column) for name in FIELDS)
    sql = f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in values:
            copy.write_row(row)


def log_subscription(*, user, team_id: int, role: str, path: str, ip: str | None) -> None:
    """A live board subscribed to a team's changes: one entry about the team."""
    team = Team.objects.get(pk=team_id)
    row = (team, None, AccessLogEntry.Action.SUBSCRIBE, "board-live", role)
    write(user=user, rows=[row], path=path, ip=ip)


def collect_notes(request) -> None:
    """Before the view runs: the request's notes start here, so that whatever wraps the request
    (DRF's Request reads Django's attributes) adds to the same list."""
    setattr(request, NOTES, [])


def notes_of(request, *, refused: bool) -> list[tuple]:
    """What the request noted, taken off it (once): (team, residents, action, what, role). A
    refused change (`refused`) is written as reads."""
    if refused:
        nothing_changed(request)
    notes = getattr(request, NOTES, None) or []
    setattr(request, NOTES, None)
    return notes


def client_ip(request) -> str | None:
    """The client's address, for the access log and for sign-in throttling. Behind N trusted
    proxies (`KERNTEAM_TRUSTED_PROXIES`), the N-th address from the right of X-Forwarded-For:
    what the outermost trusted proxy saw (anything further left the client could have made up).
    Otherwise REMOTE_ADDR. None when it is not an IP address."""
    proxies = settings.KERNTEAM_TRUSTED_PROXIES
    address = request.META.get("REMOTE_ADDR", "")
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        forwarded = [a.strip() for a in forwarded if a.strip()]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
