"""A member's notice as an e-mail (`compose`; the worker sends it: `clients.notify`). The mail
names a resident by initials and age only and links to the board or panel, where opening it is
logged (NEN 7513); the mail itself reads nothing of her file. Every mail links to the member's
notification settings."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kernteam.models import person_name, shown_date
from kernteam.notices import Kind, Notice


def link(path: str) -> str:
    return f"{settings.KERNTEAM_BASE_URL}{path}"


def target(notice: Notice) -> str:
    """Where the notice leads: the resident's panel, the meeting, or the digest's page."""
    if notice.kind == Kind.DIGEST:
        return reverse("notice_open", args=[notice.pk])
    if notice.meeting_id is not None:
        return reverse("meeting", args=[notice.meeting.team.slug, notice.meeting_id])
    if notice.resident_id is not None:
        return reverse("resident", args=[notice.resident_id])
    return reverse("home")


def subject(notice: Notice) -> str:
    if notice.kind == Kind.DIGEST:
        return _("Kernteam: your overview for %(day)s") % {"day": shown_date(notice_day(notice))}
    if notice.kind == Kind.MEETING_REMINDER:
        return _("Kernteam: team meeting on %(day)s") % {
            "day": shown_date(datetime.date.fromisoformat(notice.lines[0]["on"]))
        }
    return _("Kernteam: %(what)s") % {"what": headline(notice)}


def notice_day(notice: Notice) -> datetime.date:
    return datetime.date.fromisoformat(notice.key.split(":", 1)[1])


def headline(notice: Notice) -> str:
    """One line about the notice, as the bell and the mail say it (initials and age only)."""
    who = notice.lines[0].get("who", "") if notice.lines else ""
    match notice.kind:
        case Kind.ACTION_ASSIGNED:
            return _("an action for you concerning %(who)s, due %(day)s") % {
                "who": who,
                "day": shown_date(datetime.date.fromisoformat(notice.lines[0]["on"])),
            }
        case Kind.URGENT_STEP_UP:
            return _("an urgent step-up for %(who)s, whom you coordinate") % {"who": who}
        case Kind.CONCERN:
            return _("a carer's concern about %(who)s, whom you coordinate") % {"who": who}
        case Kind.MEETING_REMINDER:
            return _("team meeting on %(day)s: %(count)s on the draft agenda") % {
                "day": shown_date(datetime.date.fromisoformat(notice.lines[0]["on"])),
                "count": notice.count,
            }
        case Kind.DIGEST:
            return _("your overview for %(day)s: %(count)s items") % {
                "day": shown_date(notice_day(notice)),
                "count": notice.count,
            }
    return str(Kind(notice.kind).label)


def compose(notice: Notice) -> EmailMessage:
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "name": person_name(notice.user),
            "notice": notice,
            "headline": headline(notice),
            "link": link(target(notice)),
            "settings_link": link(reverse("notice_settings")),
            "sections": digest_sections(notice) if notice.kind == Kind.DIGEST else [],
        }
        body = render_to_string("kernteam/mail/notice.txt", context)
        return EmailMessage(subject=subject(notice), body=body, to=[notice.user.email.strip()])


SECTION_TITLES = {  # (gettext_lazy: read in the recipient's language when composed)
    Kind.ACTIONS_DUE: gettext_lazy("Your actions due today or overdue"),
    Kind.REVIEWS_DUE: gettext_lazy("Reviews due within 14 days (residents you coordinate)"),
    Kind.STEP_UPS_WAITING: gettext_lazy("Urgent step-ups waiting for confirmation"),
    Kind.REFERRALS_WAITING: gettext_lazy("Referrals without the provider's feedback"),
    Kind.CONCERN: gettext_lazy("New concerns from carers"),
    Kind.ACTION_ASSIGNED: gettext_lazy("Actions assigned to you"),
    Kind.URGENT_STEP_UP: gettext_lazy("Urgent step-ups of residents you coordinate"),
    Kind.MEETING_REMINDER: gettext_lazy("Team meetings"),
}


DATE_WORDS = {  # what a line's date is, by kind
    Kind.ACTIONS_DUE: gettext_lazy("due %(day)s"),
    Kind.ACTION_ASSIGNED: gettext_lazy("due %(day)s"),
    Kind.REVIEWS_DUE: gettext_lazy("review %(day)s"),
    Kind.STEP_UPS_WAITING: gettext_lazy("stepped up %(day)s"),
    Kind.REFERRALS_WAITING: gettext_lazy("referred %(day)s"),
    Kind.MEETING_REMINDER: gettext_lazy("meeting %(day)s"),
}


def line_date(kind: str, on: str | None) -> str:
    if not on:
        return ""
    day = shown_date(datetime.date.fromisoformat(on))
    words = DATE_WORDS.get(kind)
    return str(words) % {"day": day} if words else day


def digest_sections(notice: Notice) -> list[dict]:
    """The digest's lines by kind, in a fixed order: [{title, lines: [{who, on, link}]}]."""
    sections = []
    for kind, title in SECTION_TITLES.items():
        lines = [line for line in notice.lines if line["kind"] == kind]
        if not lines:
            continue
        sections.append(
            {
                "kind": kind,
                "title": str(title),
                "lines": [
                    {
                        "who": line.get("who", ""),
                        "on": line_date(kind, line.get("on")),
                        "link": link(line_target(line)),
                    }
                    for line in lines
                ],
            }
        )
    return sections


def line_target(line: dict) -> str:
    if line.get("meeting") and line.get("team"):
        return reverse("meeting", args=[line["team"], line["meeting"]])
    if line.get("resident"):
        return reverse("resident", args=[line["resident"]])
    return reverse("home")
