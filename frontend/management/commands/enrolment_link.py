"""Issue the link a professional needs to set up their authenticator app (the first time, or
after the administrator reset it).

    python manage.py enrolment_link <username> [--base-url https://kernteam.example.nl]

The link works once, for 72 hours; an earlier link for the same person stops working. Hand it
over in person or send it to the person's own e-mail (the admin's "Send enrolment link" does
that). It carries no health data.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from kernteam.second_factor import ENROLMENT_HOURS, EnrolmentRefused, issue_enrolment_link

LOCAL = {"127.0.0.1", "localhost", "[::1]", "testserver"}  # (the last one: Django's tests)


def default_base_url() -> str | None:
    """https://<the first host ALLOWED_HOSTS names> when it names one (not a pattern such as
    `.example.nl` or `*`); the demo's own address (`make run`) when every allowed host is this
    machine and the site is not served over TLS; otherwise None: the caller must say."""
    hosts = list(settings.ALLOWED_HOSTS)
    named = [h for h in hosts if h not in LOCAL and h != "*" and not h.startswith(".")]
    if named:
        return f"https://{named[0]}"
    if hosts and set(hosts) <= LOCAL and not settings.SESSION_COOKIE_SECURE:
        return "http://127.0.0.1:8000"
    return None


class Command(BaseCommand):
    help = "Print a one-time link for a professional to set up their authenticator app."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--base-url", default="", help="The address people open Kernteam at (scheme + host)."
        )

    def handle(self, *args, username: str, base_url: str, **options):
        base = base_url or default_base_url()
        if not base:
            raise CommandError(
                "Give --base-url (e.g. https://kernteam.example.nl): ALLOWED_HOSTS "
                f"({', '.join(settings.ALLOWED_HOSTS) or 'empty'}) names no host to link to."
            )
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user called {username!r}.")
        try:
            token = issue_enrolment_link(user=user)
        except EnrolmentRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(base.rstrip("/") + reverse("enrolment_link", args=[token]))
        self.stderr.write(
            f"Works once, for {ENROLMENT_HOURS} hours; {username} opens it and signs in."
        )
