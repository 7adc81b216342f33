"""Issue an API token for a team member's account (e.g. a GP system's integration account).

    python manage.py api_token <username> [--days 30]

The token is printed once; only its hash is stored. Revoke it in the admin (Knox: auth tokens).
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from frontend.api.auth import issue_token


class Command(BaseCommand):
    help = "Issue an API token for a member of a kernteam; it is shown once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=30, help="Valid for this many days.")

    def handle(self, *args, username: str, days: int, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user called {username!r}.")
        if not user.memberships.filter(ended_on__isnull=True).exists():
            raise CommandError(f"{username} is not on a kernteam: the API would refuse them.")
        if not 1 <= days <= 366:
            raise CommandError("--days must be between 1 and 366.")
        instance, token = issue_token(user=user, valid_for=datetime.timedelta(days=days))
        self.stdout.write(token)
        self.stderr.write(f"Valid until {instance.expiry:%Y-%m-%d %H:%M}; only its hash is kept.")
