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

LOCAL = {"127.0.0.1", "localhost", "[::1]", "*"}


def default_base_url() -> str:
    """https://<first host> in production; the demo's own address (`make run`) otherwise."""
    host = next(iter(settings.ALLOWED_HOSTS), "127.0.0.1")
    if host in LOCAL or host.startswith("."):
        return "http://127.0.0.1:8000"
    return f"https://{host}"


class Command(BaseCommand):
    help = "Print a one-time link for a professional to set up their authenticator app."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--base-url", default="", help="The address people open Kernteam at (scheme + host)."
        )

    def handle(self, *args, username: str, base_url: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user called {username!r}.")
        try:
            token = issue_enrolment_link(user=user)
        except EnrolmentRefused as exc:
            raise CommandError(str(exc)) from exc
        base = (base_url or default_base_url()).rstrip("/")
        self.stdout.write(base + reverse("enrolment_link", args=[token]))
        self.stderr.write(
            f"Works once, for {ENROLMENT_HOURS} hours; {username} opens it and signs in."
        )
