"""Receivers of Django's signals for the kernteam app (connected in `KernteamConfig.ready`)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from kernteam.events import send_user_event_on_commit, session_tag


@receiver(user_logged_out, dispatch_uid="kernteam.close_live_boards_on_logout")
def close_live_boards(sender, request, user, **kwargs) -> None:
    """Signing out closes the live boards of that session (not those of the user's other
    sessions, which stay signed in)."""
    if user is None or request is None or not getattr(request, "session", None):
        return
    send_user_event_on_commit(
        user_id=user.pk,
        message={"type": "user.signed_out", "session": session_tag(request.session.session_key)},
    )
