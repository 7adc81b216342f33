"""The web layer's side of access: resolving a resident for a request (with its access noted),
the role an access-log entry names, and the middleware that writes a request's notes.

A change refused after the resident was found (a 4xx, or a form shown again with the reasons)
still showed something, the state it conflicted with or the guard's reasons: its notes are
written as reads. A resident one may not see answers 404 before anything is noted, and a 5xx
showed nothing: neither logs anything. If the log cannot be written, the request fails: no
access without its trace.
"""

from __future__ import annotations

from clients.models import Resident
from clients.visibility import is_carer, resident_for_member
from kernteam.access_log import client_ip, collect_notes, note, notes_of, write
from kernteam.models import Team, primary_role
from kernteam.policy import roles_on


def resident_for_request(request, pk: int) -> Resident:
    """The resident if the request's user may see them (else 404), the access noted for the
    access log (a read for GET, a write otherwise)."""
    resident = resident_for_member(user=request.user, pk=pk)
    note(request, team=resident.team, residents=[resident.pk])
    return resident


def role_for(team: Team | None, user) -> str:
    """The role an access-log entry names: the user's first role on the team, else "carer"
    for a carer."""
    if team is None:
        return ""
    return primary_role(roles_on(team=team, user=user)) or ("carer" if is_carer(user) else "")


class AccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        collect_notes(request)
        response = self.get_response(request)
        notes = notes_of(request, refused=400 <= response.status_code < 500)
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
