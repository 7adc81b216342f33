"""The bell, the member's notification settings, and the carer's one-click stop (issue 19).

Opening a notice reads nothing of a resident's file: the bell and the digest name residents by
initials and age only (`kernteam.notices`), so these pages write no access-log entry. The page a
notice leads to (the panel, the meeting) logs as it always does.
"""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from clients.carer_notices import CarerKind, CarerNoticeStop, read_stop_token, stop
from clients.notify import UNREAD_SCANNED, bell_items, readable_lines, unread_count
from clients.visibility import is_carer
from kernteam.notice_mail import digest_sections, headline, target
from kernteam.notices import (
    CHOOSABLE,
    DUE_KINDS,
    EVENT_KINDS,
    Kind,
    Notice,
    choices_for,
    has_address,
    mark_all_read,
    mark_read,
    preferences,
    set_preferences,
)


def _member(request: HttpRequest) -> None:
    """Carers have no bell and no settings here (their mails each carry a stop link)."""
    if is_carer(request.user):
        raise Http404


# --- the bell -------------------------------------------------------------------------------


def _bell_context(request: HttpRequest, *, with_list: bool) -> dict:
    unread = unread_count(user=request.user)
    context = {"unread": unread, "unread_shown": "99+" if unread >= UNREAD_SCANNED else unread}
    if with_list:
        context["items"] = [
            {
                "notice": notice,
                "headline": capfirst(headline(notice)),
                "unread": notice.read_at is None,
                "when": _when(notice),
            }
            for notice in bell_items(user=request.user)
        ]
    return context


def _when(notice: Notice) -> str:
    if timezone.now() - notice.created_at < datetime.timedelta(minutes=1):
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(notice.created_at, depth=1)}


@login_required
def bell(request: HttpRequest) -> HttpResponse:
    """`?part=count`: the bell's button with the unread count (at page load, and when the
    board's socket hears of a new notice); else the list the bell opens (with the count)."""
    _member(request)
    if request.GET.get("part") == "count":
        return render(
            request,
            "frontend/notices/bell.html#summary",
            _bell_context(request, with_list=False),
        )
    context = _bell_context(request, with_list=True) | {"oob": True}
    return render(request, "frontend/notices/bell.html#list", context)


@login_required
@require_POST
def all_read(request: HttpRequest) -> HttpResponse:
    _member(request)
    mark_all_read(user=request.user)
    if request.htmx:
        context = _bell_context(request, with_list=True) | {"oob": True}
        return render(request, "frontend/notices/bell.html#list", context)
    messages.success(request, _("All notifications are marked as read."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "notice_settings"
    return redirect(back)


@login_required
def notice_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Marks the member's own notice read and goes where it leads; a digest is shown here."""
    notice = get_object_or_404(
        Notice.objects.select_related("meeting__team"), pk=pk, user=request.user
    )
    mark_read(notice=notice)
    if notice.kind != Kind.DIGEST:
        return redirect(target(notice))
    notice.lines = readable_lines(notice)  # (not those she may no longer read)
    notice.count = len(notice.lines)
    sections = digest_sections(notice)
    for section in sections:  # (the mail's links are absolute; here, this site's own)
        for line in section["lines"]:
            line["link"] = line["link"].removeprefix(settings.KERNTEAM_BASE_URL) or "/"
    context = {"notice": notice, "headline": capfirst(headline(notice)), "sections": sections}
    return render(request, "frontend/notices/digest.html", context)


# --- settings -------------------------------------------------------------------------------


class PreferencesForm(forms.Form):
    """A choice per kind; what a kind offers is the domain's rule (`set_preferences`)."""

    def __init__(self, *args, current: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind in CHOOSABLE:
            self.fields[kind] = forms.CharField(
                label=Kind(kind).label,
                initial=current[kind],
                widget=forms.RadioSelect(choices=choices_for(kind)),
            )

    def groups(self) -> list[tuple[str, list]]:
        return [
            (_("When something happens"), [self[kind] for kind in EVENT_KINDS]),
            (_("What is due"), [self[kind] for kind in DUE_KINDS]),
        ]


@login_required
@require_http_methods(["GET", "POST"])
def notice_settings(request: HttpRequest) -> HttpResponse:
    _member(request)
    current = preferences(user_ids=[request.user.pk])[request.user.pk]
    form = PreferencesForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            set_preferences(user=request.user, chosen=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your choices have been saved."))
            return redirect("notice_settings")
    email = (request.user.email or "").strip()
    context = {"form": form, "email": email if has_address(request.user) else ""}
    return render(request, "frontend/notices/settings.html", context)


# --- the carer's stop link ------------------------------------------------------------------


@csrf_exempt  # (the signed token is the authority; mail clients post it in one click, RFC 8058)
@require_http_methods(["GET", "POST"])
def carer_notice_stop(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (a mail scanner that follows the link stops nothing); POST stops: the button on
    that page, or a mail client's one-click unsubscribe ("List-Unsubscribe=One-Click")."""
    found = read_stop_token(token)
    if found is None:
        return render(request, "frontend/notices/carer_stop_unknown.html", status=404)
    carer, kind = found
    what = CarerKind(kind).label
    if request.method == "POST":
        stop(carer=carer, kind=kind)
        return render(request, "frontend/notices/carer_stopped.html", {"what": what})
    already = CarerNoticeStop.objects.filter(carer=carer, kind=kind).exists()
    if already:
        return render(request, "frontend/notices/carer_stopped.html", {"what": what})
    return render(
        request,
        "frontend/notices/carer_stop.html",
        {"what": what},
    )
