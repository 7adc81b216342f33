"""Writing the access log (NEN 7513): who, in which role, on behalf of which team, which
resident, what, when, from where.

Entry points note what they showed or changed on the request (`note`); the middleware writes
the notes once the response is ready, in one INSERT whatever the number of residents (a board
of 300 cards costs one query). A change refused after the resident was found (a 4xx, or a form
shown again with the reasons) still showed something, the state it conflicted with or the
guard's reasons: its notes are written as reads. A resident one may not see answers 404 before
anything is noted, and a 5xx showed nothing: neither logs anything. If the log cannot be
written, the request fails: no access without its trace.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable
from contextlib import nullcontext

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kernteam.models import AccessLogEntry, Team, primary_role


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
    request.__dict__.setdefault("_access_notes", []).append(
        (team, list(residents), action, what or (match.url_name if match else ""), role)
    )


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
    notes = request.__dict__.get("_access_notes", [])
    for i, (team, residents, action, what, role) in enumerate(notes):
        if action == AccessLogEntry.Action.WRITE:
            notes[i] = (team, residents, AccessLogEntry.Action.READ, what, role)


Row = tuple  # (team, resident id or None, action, what, role)
CHUNK = 3000  # rows per INSERT: 27,000 parameters, within SQLite's and PostgreSQL's limits


COLUMNS = "at, user_id, role, team_id, resident_id, action, what, path, ip"
COPY_FROM = 20  # rows; below, COPY's extra round trips cost more than it saves (1 row: 2 ms)


def write(*, user, rows: list[Row], path: str, ip: str | None) -> None:
    """Write the rows in one statement: COPY on PostgreSQL for many rows (a board's 300 in 5 ms
    rather than 11 with INSERT), else one raw INSERT per 3,000 rows (Django's bulk_create splits
    inserts into batches of 999 parameters on SQLite)."""
    table = connection.ops.quote_name(AccessLogEntry._meta.db_table)
    if connection.vendor == "postgresql" and len(rows) >= COPY_FROM:
        _copy(table, user=user, rows=rows, path=path, ip=ip)
        return
    values = "(%s, %s, %s, %s, %s, %s, %s, %s, %s)"
    now = timezone.now()
    several = len(rows) > CHUNK  # one statement is atomic by itself: no BEGIN/COMMIT needed
    with transaction.atomic() if several else nullcontext(), connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            params: list = []
            for team, resident_id, action, what, role in chunk:
                params += [now, user.pk, role, team.pk if team else None, resident_id]
                params += [action, what, path[:300], ip]
            sql = f"INSERT INTO {table} ({COLUMNS}) VALUES {', '.join([values] * len(chunk))}"
            cursor.execute(sql, params)


def _copy(table: str, *, user, rows: list[Row], path: str, ip: str | None) -> None:
    now = timezone.now()
    sql = f"COPY {table} ({COLUMNS}) FROM STDIN"
    start = time.monotonic()
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for team, resident_id, action, what, role in rows:
            team_id = team.pk if team else None
            copy.write_row((now, user.pk, role, team_id, resident_id, action, what, path[:300], ip))
    if connection.queries_logged:  # psycopg's COPY bypasses Django's query log: count it there
        took = time.monotonic() - start
        connection.queries_log.append({"sql": f"{sql} ({len(rows)} rows)", "time": f"{took:.3f}"})


def log_subscription(*, user, team_id: int, path: str, ip: str | None) -> None:
    """A live board subscribed to a team's changes: one entry about the team."""
    team = Team.objects.get(pk=team_id)
    row = (team, None, AccessLogEntry.Action.SUBSCRIBE, "board-live", role_for(team, user))
    write(user=user, rows=[row], path=path, ip=ip)


def role_for(team: Team | None, user) -> str:
    from kernteam.policy import roles_on

    if team is None:
        return ""
    return primary_role(roles_on(team=team, user=user)) or ("carer" if _is_carer(user) else "")


def _is_carer(user) -> bool:
    from clients.models import Carer

    return Carer.objects.filter(user=user).exists()


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


class AccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if 400 <= response.status_code < 500:
            nothing_changed(request)
        notes = request.__dict__.pop("_access_notes", None)
        if notes and response.status_code < 500:
            rows = [
                (team, resident_id, action, what, role or role_for(team, request.user))
                for team, residents, action, what, role in notes
                for resident_id in residents
            ]
            if rows:
                write(
                    user=request.user,
                    rows=rows,
                    path=request.get_full_path(),
                    ip=client_ip(request),
                )
        return response
