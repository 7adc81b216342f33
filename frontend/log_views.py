"""The access log for the log officer (NEN 7513): filter it, and give a resident the overview of
who looked at their file. For everyone else these pages do not exist (404)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Resident
from kernteam import csv_safe
from kernteam.access_log import note, note_each
from kernteam.log_selectors import LOG_READ, log_entries
from kernteam.models import AccessLogEntry, person_name
from kernteam.policy import is_log_officer


class LogFilterForm(forms.Form):
    # within a database id (a larger number would overflow the query: a field error, not a 500)
    resident = forms.IntegerField(
        label=_("resident number"), required=False, min_value=1, max_value=2**63 - 1
    )
    user = forms.CharField(label=_("user"), required=False, max_length=80)
    since = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _officer_only(request: HttpRequest) -> None:
    if not is_log_officer(request.user):
        raise Http404


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    _officer_only(request)
    form = LogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    # The officer's own reads of this log are left out of her listing: each page she opens
    # notes up to 100 of them, which would fill her first page and shift the next ones. They
    # stay in the log, for another officer and in a resident's overview.
    rows = log_entries(**{k: v for k, v in filters.items() if v}, hide_log_reads_of=request.user)
    if form.is_bound and not form.is_valid():  # a filter in error selects nothing, not all
        rows = rows.none()
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    # Who looked at a resident is itself about that resident: each one the page names is noted.
    shown = [(e.resident.team, e.resident_id) for e in page if e.resident_id]
    if filters.get("resident"):  # even "no entries" tells something about this resident
        asked = Resident.objects.select_related("team").filter(pk=filters["resident"]).first()
        if asked is not None:
            shown.insert(0, (asked.team, asked.pk))
    note_each(request, shown, what=LOG_READ, role="log_officer")
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "frontend/access_log.html", context)


@login_required
def resident_access(request: HttpRequest, pk: int) -> HttpResponse:
    """Who looked at this resident's file; `?format=csv` downloads it for the resident."""
    _officer_only(request)
    resident = get_object_or_404(Resident.objects.select_related("team"), pk=pk)
    rows = log_entries(resident=resident.pk)
    as_csv = request.GET.get("format") == "csv"
    action = AccessLogEntry.Action.EXPORT if as_csv else AccessLogEntry.Action.READ
    note(
        request,
        team=resident.team,
        residents=[resident.pk],
        action=action,
        what="access-overview",
        role="log_officer",
    )
    if as_csv:
        return _csv(resident, rows)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(request, "frontend/resident_access.html", {"resident": resident, "page": page})


def _csv(resident: Resident, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"inzage-{resident.pk}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv_safe.writer(response)
    writer.writerow([_("when"), _("who"), _("role"), _("on behalf of"), _("action"), _("what")])
    for e in rows.iterator():
        writer.writerow(
            [
                timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                person_name(e.user),
                e.role,
                e.team.name if e.team else "",
                e.get_action_display(),
                e.what,
            ]
        )
    return response
