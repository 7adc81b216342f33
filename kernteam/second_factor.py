"""A professional's second factor: the enrolment link, recovery codes and the administrator's
reset. Every change is logged (a logger line, and an entry in the append-only access log).

Enrolment needs something a password thief does not have: a link the administrator issues (sent
to the professional's e-mail from the admin, or printed by `manage.py enrolment_link`). The link
names an unconfirmed authenticator device created with it and is signed with the SECRET_KEY
(Django's signing, no table): it works for ENROLMENT_HOURS and dies once that device is
confirmed, when a newer link replaces the device, or when the administrator resets the account.

Account security events go into the access log (NEN 7513's log, append-only, also by a database
trigger) without a resident, so that the log officer finds them at /log/ by the person's name:
`second-factor-enrolled`, `recovery-code-used`, `second-factor-reset: <username>` (written by
the administrator who reset it) and `enrolment-link-issued: <username>` when an administrator
issues a link in the admin (which also keeps Django's admin history of the account). A new
member's invitation (`kernteam.members`, `send_invitation`) carries the same link; with it she
chooses her first password (`password-set-by-invitation`).
"""

from __future__ import annotations

import logging

from django.core import signing
from django.db import transaction
from django.utils.translation import gettext
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kernteam.access_log import write
from kernteam.models import AccessLogEntry, person_name
from kernteam.refusals import Refused

logger = logging.getLogger("kernteam.accounts")

ENROLMENT_HOURS = 72
RECOVERY_CODES = 10
_SALT = "kernteam.second_factor.enrolment"


class EnrolmentRefused(Refused):
    """Why no link can be issued, in the active language (the admin shows it as is)."""


class CodeRefused(Exception):
    """`reason`: "throttled" (wait a moment), "wrong", or "gone" (nothing to verify against)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def has_second_factor(user) -> bool:
    return _apps(user).exists()


def app_device(user) -> TOTPDevice | None:
    """The confirmed authenticator app that signs `user` in; None before enrolment."""
    return _apps(user).first()


def _apps(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True)


# --- enrolment ------------------------------------------------------------------------------


def issue_enrolment_link(*, user) -> str:
    """A new enrolment token for `user` (who has no authenticator app yet); an earlier link
    stops working. The caller sends or prints the link; it carries no health data."""
    if not user.is_active:
        raise EnrolmentRefused(
            gettext("%(user)s is not an active account: activate it first.")
            % {"user": user.username}
        )
    if has_second_factor(user):
        raise EnrolmentRefused(
            gettext("%(user)s already has an authenticator app; reset it first.")
            % {"user": user.username}
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)
    logger.info("Enrolment link issued for %s (device %s).", user.username, device.pk)
    return signing.dumps({"d": device.pk}, salt=_SALT)


def device_for_link(token: str) -> TOTPDevice | None:
    """The unconfirmed device the link was issued with, while the link works; else None."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=ENROLMENT_HOURS * 3600)
    except signing.BadSignature:  # (SignatureExpired included)
        return None
    device_id = payload.get("d") if isinstance(payload, dict) else None
    if not isinstance(device_id, int):
        return None
    device = (
        TOTPDevice.objects.select_related("user")
        .filter(pk=device_id, confirmed=False, user__is_active=True)
        .first()
    )
    if device is None or has_second_factor(device.user):
        return None
    return device


def enrol(*, device: TOTPDevice, code: str, path: str, ip: str | None) -> list[str]:
    """The first correct code confirms the device; returns the new recovery codes (to show
    once)."""
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().filter(pk=device.pk).first()
        refused = "gone" if locked is None or locked.confirmed else _refusal(locked, code)
        if not refused:
            locked.confirmed = True
            locked.save(update_fields=["confirmed"])
            codes = _new_codes(locked.user)
            audit(user=locked.user, what="second-factor-enrolled", path=path, ip=ip)
    if refused:  # (raised after the transaction: the slower-guessing count is kept)
        raise CodeRefused(refused)
    device.confirmed = True
    return codes


def verify_app_code(*, device: TOTPDevice, code: str) -> None:
    """A sign-in code from the app; raises CodeRefused."""
    refused = _refusal(device, code)
    if refused:
        raise CodeRefused(refused)


def _refusal(device, code: str) -> str:
    """ "" when the code is right; else why not. Each wrong code is counted (django-otp then
    makes the next try wait longer), so a caller raises only once its transaction is over."""
    allowed, _why = device.verify_is_allowed()
    if not allowed:
        return "throttled"
    return "" if device.verify_token(code) else "wrong"


# --- recovery codes -------------------------------------------------------------------------


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def new_recovery_codes(*, user, path: str, ip: str | None) -> list[str]:
    """Ten new codes for a lost phone; the earlier ones stop working."""
    with transaction.atomic():
        codes = _new_codes(user)
        audit(user=user, what="recovery-codes-renewed", path=path, ip=ip)
    return codes


def _new_codes(user) -> list[str]:
    device = StaticDevice.objects.filter(user=user).first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def use_recovery_code(*, user, code: str, path: str, ip: str | None) -> StaticDevice:
    """Each code works once, in place of the app's code. Returns the device to sign in with."""
    with transaction.atomic():
        device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        refused = "gone" if device is None else _refusal(device, normalised(code))
        if not refused:
            audit(user=user, what="recovery-code-used", path=path, ip=ip)
    if refused:
        raise CodeRefused(refused)
    logger.warning("%s signed in with a recovery code.", user.username)
    return device


# --- the administrator's reset --------------------------------------------------------------


def reset_second_factor(*, user, by, path: str, ip: str | None) -> None:
    """Removes the professional's authenticator app and recovery codes: they sign in again only
    after enrolling with a new link. Sessions verified with a removed device lose it at their
    next request."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()  # (and its codes)
        audit(user=by, what=f"second-factor-reset: {user.username}", path=path, ip=ip, role="admin")
    logger.warning("%s reset the second factor of %s.", by.username, user.username)


def audit(*, user, what: str, path: str, ip: str | None, role: str = "") -> None:
    """One access-log entry without a team or resident, and a logger line."""
    row = (None, None, AccessLogEntry.Action.WRITE, what[:60], role)
    write(user=user, rows=[row], path=path, ip=ip)
    logger.info("Account: %s by %s from %s.", what, user.username, ip or "-")


def send_enrolment_link(*, user, link: str) -> None:
    """The link by e-mail, to the professional's own address; nothing about residents."""
    from django.core.mail import send_mail
    from django.utils.translation import gettext as _

    values = {
        "name": person_name(user),
        "hours": ENROLMENT_HOURS,
        "username": user.username,
        "link": link,
    }
    if user.has_usable_password():
        message = _(
            "Dear %(name)s,\n\nTo sign in to Kernteam you confirm each sign-in with a code from "
            "an authenticator app on your phone. Open this link to set up the app (it works "
            "once, for %(hours)d hours), sign in with your username %(username)s and your "
            "password, and scan the QR code:\n\n%(link)s\n\nDid you not expect this e-mail? "
            "Then tell the administrator of Kernteam.\n"
        )
    else:  # (no password yet: she chooses it with the link, as an invitation says)
        message = (
            _("Dear %(name)s,")
            + "\n\n"
            + _how_to_enrol(user)
            + "\n\n%(link)s\n\n"
            + _("Did you not expect this e-mail? Then tell the administrator of Kernteam.")
            + "\n"
        )
    send_mail(
        subject=_("Kernteam: set up your authenticator app"),
        message=message % values,
        from_email=None,
        recipient_list=[user.email],
    )


def _how_to_enrol(user) -> str:
    """What to do with the link (untranslated placeholders `username`, `hours`): sign in
    with her password, or, without one, choose it. One wording for invitations and links."""
    from django.utils.translation import gettext as _

    if user.has_usable_password():
        return _(
            "Open this link, sign in with your username %(username)s and your password, and set "
            "up the authenticator app on your phone (the link works once, for %(hours)d hours):"
        )
    return _(
        "Your username is %(username)s. Kernteam never sends you a password: you choose it "
        "yourself. Open this link to choose your password and set up the authenticator app "
        "on your phone (the link works once, for %(hours)d hours):"
    )


def send_invitation(*, user, link: str, team: str, role: str, by: str) -> None:
    """A new member's invitation (`kernteam.members`): the one-time enrolment link, with which
    she sets her password (an account without one: `frontend.two_factor_views`) and sets up
    the authenticator app. Never a password; nothing about residents."""
    from django.core.mail import send_mail
    from django.utils.translation import gettext as _

    values = {
        "name": person_name(user),
        "by": by,
        "team": team,
        "role": role,
        "hours": ENROLMENT_HOURS,
        "username": user.username,
        "link": link,
    }
    how = _how_to_enrol(user)
    send_mail(
        subject=_("Kernteam: you are on the kernteam %(team)s") % values,
        message=(
            _("Dear %(name)s,\n\n%(by)s added you to the kernteam %(team)s as %(role)s.\n\n")
            + how
            + "\n\n%(link)s\n\n"
            + _(
                "Did you not expect this e-mail? Then tell %(by)s or the administrator of "
                "Kernteam.\n"
            )
        )
        % values,
        from_email=None,
        recipient_list=[user.email],
    )
