"""Integrators subscribe to changes of a team's residents (issue 20 §2): FHIR R4 Subscriptions
with a `rest-hook` channel and an id-only payload ("notified pull": the receiver fetches what
changed with its own token, `GET <base>Patient/<id>/$everything`).

Who: an *integration account* of a team, that is an account with an active membership of the
team (its role decides which residents it may see, as for any member: `can_see_resident`) that
is also in the Django group `kernteam.roles.INTEGRATIONS`. Only such an account creates, reads
and stops subscriptions, and only its own, for a team it is an integration account of.

What: `criteria` is `Patient` (every resident of the account's team it may see) or, for an
account on several teams, `Patient?_kernteam=<team slug>` (plain `Patient` is then refused at
`Subscription.criteria`). The endpoint (`endpoint_problem`) is an https URL that Django's
URLValidator takes, at most 500 characters, no spaces, control characters, NUL or lone
surrogates, no user, password or fragment, a port 1-65535, and a host that is a name or a
global IP address: never a loopback, private, link-local or reserved address, nor `localhost`
(a webhook is no way into the hosting network). The one exception: `http(s)://127.0.0.1` or
`localhost` (loopback) with settings.DEBUG or KERNTEAM_WEBHOOK_ALLOW_HTTP_LOCALHOST (default
False; the tests' local receiver). The worker checks the name's addresses again when it sends.
The secret that signs the deliveries is made here (`whsec_` + base64 of 32 random bytes),
shown once in the answer to the creation, and kept to sign; the admin never shows it.

Status (FHIR `Subscription.status`): a new subscription is `active` at once (no handshake). A
delivery that failed for 24 hours puts it in `error`, with the reason, and no more deliveries
are made for it; the integrator stops it and subscribes anew (a new secret). Stopping sets
`off`: nothing is ever deleted. The deliveries are `clients.subscription_delivery`'s.

An owner that is no longer an integration account of the subscription's team (its membership
ended, it left the group of integration accounts, or the account was deactivated) makes the
subscription `off`, with the reason in `error` (`retire_if_orphaned`), at the next change of
one of the team's residents or the next send, whichever comes first: it never stays `active`
while silently getting nothing, and a membership that comes back does not revive it. The owner
still lists, reads and stops its own subscriptions whatever its teams (`own_subscriptions`).
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
import unicodedata
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.care_planning_services import reads_care_planning
from clients.fhir_refs import FHIR_JSON, fhir_base
from clients.models import Resident
from clients.visibility import can_see_resident
from kernteam.models import Membership, Team
from kernteam.refusals import Refused
from kernteam.roles import INTEGRATIONS

SECRET_PREFIX = "whsec_"
BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
PAYLOAD_CONTENT = BACKPORT + "backport-payload-content"
LOCAL_HOSTS = {"localhost"}
CARE_PLANNING_EVENT = "resident.care_planning"  # told only to an account that reads her PZP
ORPHANED = "off: the account is no longer an integration account of this team"


class Status(models.TextChoices):  # FHIR R4 subscription-status
    REQUESTED = "requested", gettext_lazy("requested")
    ACTIVE = "active", gettext_lazy("active")
    ERROR = "error", gettext_lazy("in error")
    OFF = "off", gettext_lazy("off")


class Subscription(models.Model):
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        related_name="subscriptions",
        verbose_name=gettext_lazy("team"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="subscriptions",
        verbose_name=gettext_lazy("integration account"),
    )
    endpoint = models.URLField(gettext_lazy("endpoint"), max_length=500)
    secret = models.CharField(max_length=100, editable=False)  # signs; shown once, never again
    status = models.CharField(
        gettext_lazy("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    error = models.CharField(gettext_lazy("why in error"), max_length=300, blank=True)
    reason = models.CharField(gettext_lazy("reason"), max_length=300)
    criteria = models.CharField(gettext_lazy("criteria"), max_length=200)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)
    ended_at = models.DateTimeField(gettext_lazy("stopped at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = gettext_lazy("subscription")
        verbose_name_plural = gettext_lazy("subscriptions")

    def __str__(self) -> str:
        return f"Subscription/{self.pk} · {self.team} · {self.get_status_display()}"

    @property
    def full_url(self) -> str:
        return fhir_base() + f"Subscription/{self.pk}"

    def secret_bytes(self) -> bytes:
        return base64.b64decode(self.secret.removeprefix(SECRET_PREFIX))

    def as_fhir(self, *, secret: bool = False) -> dict:
        """The FHIR R4 Subscription resource, as the Backport IG writes an id-only payload.
        `secret`: in the answer to its creation only (an extension, see the README)."""
        resource = {
            "resourceType": "Subscription",
            "id": str(self.pk),
            "status": self.status,
            "reason": self.reason,
            "criteria": self.criteria,
            "channel": {
                "type": "rest-hook",
                "endpoint": self.endpoint,
                "payload": FHIR_JSON,
                "_payload": {"extension": [{"url": PAYLOAD_CONTENT, "valueCode": "id-only"}]},
            },
        }
        if self.ended_at is not None:
            resource["end"] = self.ended_at.isoformat()
        if self.error:
            resource["error"] = self.error
        if secret:
            resource["extension"] = [{"url": secret_extension(), "valueString": self.secret}]
        return resource


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("to be sent")
    SENDING = "sending", gettext_lazy("being sent")
    SENT = "sent", gettext_lazy("sent")
    FAILED = "failed", gettext_lazy("failed")
    WITHHELD = "withheld", gettext_lazy("not sent")  # stopped, or no longer visible


class SubscriptionDelivery(models.Model):
    """One notification to one subscription that a resident changed. Coalesced: while one is
    pending for (subscription, resident), a later change adds none (the receiver fetches the
    resident as she is then)."""

    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=gettext_lazy("subscription"),
    )
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="+")
    event = models.CharField(gettext_lazy("event"), max_length=60)
    status = models.CharField(
        gettext_lazy("status"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(gettext_lazy("tries"), default=0)
    next_try = models.DateTimeField(gettext_lazy("next try"), null=True, blank=True)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)
    first_try_at = models.DateTimeField(gettext_lazy("first try"), null=True, blank=True)
    sent_at = models.DateTimeField(gettext_lazy("sent at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        gettext_lazy("last HTTP status"), null=True, blank=True
    )
    error = models.CharField(gettext_lazy("why not sent"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = gettext_lazy("subscription delivery")
        verbose_name_plural = gettext_lazy("subscription deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "resident"],
                condition=models.Q(status="pending"),
                name="one_pending_delivery_per_resident",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} · {self.event} · {self.get_status_display()}"


def secret_extension() -> str:
    return fhir_base() + "StructureDefinition/subscription-secret"


# --- who may subscribe ---------------------------------------------------------------------


def is_integration_account(user) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and Group.objects.filter(name=INTEGRATIONS, user=user).exists()
    )


def integration_teams(*, user) -> list[Team]:
    """The teams `user` is an integration account of (none unless in the group)."""
    if not is_integration_account(user):
        return []
    member = Membership.objects.active().filter(user=user).values("team_id")
    return list(Team.objects.filter(pk__in=member).order_by("slug"))


def require_integration_account(*, user) -> list[Team]:
    teams = integration_teams(user=user)
    if not teams:
        raise Refused(
            _("Only an integration account of a kernteam can manage subscriptions."),
            forbidden=True,
        )
    return teams


# --- the rules of a new subscription -------------------------------------------------------


def http_localhost_allowed() -> bool:
    return bool(settings.DEBUG or settings.KERNTEAM_WEBHOOK_ALLOW_HTTP_LOCALHOST)


def has_bad_characters(text: str) -> bool:
    """Spaces, control characters (NUL among them) or lone surrogates: no URL holds them."""
    return any(
        c.isspace() or unicodedata.category(c) in ("Cc", "Cs", "Cf", "Zl", "Zp") for c in text
    )


def endpoint_problem(url: str) -> str:
    """Why the endpoint cannot be used ("" when it can): see the module's docstring."""
    if len(url) > Subscription._meta.get_field("endpoint").max_length:
        return _("The endpoint is too long.")
    if has_bad_characters(url):
        return _("The endpoint may not hold spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port  # (raises ValueError for a port that is not a number, or > 65535)
    except ValueError:
        return _("Not a valid URL.")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return _("The endpoint must be an https URL.")
    if parts.username is not None or parts.password is not None or parts.fragment:
        return _("The endpoint may not hold a user name, password or fragment.")
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        return _("Not a valid URL.")
    if port is not None and not 1 <= port <= 65535:
        return _("Not a valid URL.")
    if is_local(parts.hostname):
        if http_localhost_allowed():
            return ""
        if parts.scheme == "http":
            return _("http is not allowed here: the endpoint must be an https URL.")
        return _("The endpoint must be a public address, not this machine.")
    if not host_is_public(parts.hostname):
        return _("The endpoint must be a public address, not this machine.")
    if parts.scheme == "http":
        return _("The endpoint must be an https URL.")
    return ""


def is_local(host: str) -> bool:
    """`localhost` or a loopback address (the only exception, with the setting)."""
    host = host.lower().rstrip(".")
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_is_public(host: str) -> bool:
    """A name (its addresses are checked when sending), or a global IP address."""
    try:
        return address_allowed(host)
    except ValueError:
        return not is_local(host)


def address_allowed(address: str) -> bool:
    """An IP address a delivery may go to: a global one, or loopback where the setting allows
    (`http_localhost_allowed`). Raises ValueError if `address` is no IP address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return http_localhost_allowed()
    return ip.is_global and not ip.is_multicast


def team_for_criteria(*, criteria: str, teams: list[Team]) -> Team:
    """The team the criteria name: `Patient` (the account's one team) or
    `Patient?_kernteam=<slug>`. Refused at Subscription.criteria otherwise."""
    field = "Subscription.criteria"
    criteria = criteria.strip()
    if criteria == "Patient":
        if len(teams) == 1:
            return teams[0]
        raise Refused(
            _("This account is on several teams: name one, e.g. Patient?_kernteam=%(slug)s.")
            % {"slug": teams[0].slug},
            field=field,
        )
    prefix = "Patient?_kernteam="
    if not criteria.startswith(prefix):
        raise Refused(_("Only Patient or Patient?_kernteam=<team> is supported."), field=field)
    slug = criteria.removeprefix(prefix)
    for team in teams:
        if team.slug == slug:
            return team
    raise Refused(
        _("This account may only subscribe to its own team."), field=field, forbidden=True
    )


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


# --- services ------------------------------------------------------------------------------


def create_subscription(*, owner, endpoint: str, reason: str, criteria: str) -> Subscription:
    """An active subscription of the owner's team the criteria name, with a new secret. The
    API checks the elements first (`frontend.api.subscription_views`); the rules that keep a
    row storable are checked here again, so nothing is half-saved."""
    team = team_for_criteria(criteria=criteria, teams=require_integration_account(user=owner))
    if problem := endpoint_problem(endpoint):
        raise Refused(problem, field="Subscription.channel.endpoint")
    reason = reason.strip()
    limit = Subscription._meta.get_field("reason").max_length
    if not reason or len(reason) > limit or has_bad_characters(reason.replace(" ", "")):
        raise Refused(
            _("Write a reason of at most %(limit)s characters.") % {"limit": limit},
            field="Subscription.reason",
        )
    return Subscription.objects.create(
        team=team,
        owner=owner,
        endpoint=endpoint,
        secret=new_secret(),
        status=Status.ACTIVE,
        reason=reason,
        criteria=criteria.strip(),
    )


def own_subscriptions(*, user):
    """The subscriptions `user` made, whatever its teams now (it may still read and stop one
    of a team it left). Refused to an account that is no integration account and made none."""
    mine = Subscription.objects.filter(owner=user).select_related("team")
    if not is_integration_account(user) and not mine.exists():
        require_integration_account(user=user)  # (raises the 403)
    return mine


def stop_subscription(*, subscription: Subscription) -> Subscription:
    """Off, from now on: pending deliveries are not sent (nothing is deleted). Idempotent."""
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if locked.status != Status.OFF:
            locked.status, locked.ended_at = Status.OFF, timezone.now()
            locked.save(update_fields=["status", "ended_at"])
    return locked


def mark_in_error(*, subscription_id: int, why: str) -> None:
    """A delivery failed for good: the subscription is in error (if it was still active)."""
    Subscription.objects.filter(pk=subscription_id, status=Status.ACTIVE).update(
        status=Status.ERROR, error=why[:300]
    )


def owner_integrates(subscription: Subscription) -> bool:
    """Its owner is still an integration account of its team (active account, in the group,
    an active membership of the team)."""
    owner = subscription.owner
    return is_integration_account(owner) and (
        Membership.objects.active().filter(user=owner, team_id=subscription.team_id).exists()
    )


def retire_if_orphaned(subscription: Subscription) -> bool:
    """If the owner is no longer an integration account of the team: the subscription is
    `off` from now on, with the reason (once: only an active one changes). True if retired."""
    if subscription.status != Status.ACTIVE or owner_integrates(subscription):
        return False
    now = timezone.now()
    Subscription.objects.filter(pk=subscription.pk, status=Status.ACTIVE).update(
        status=Status.OFF, ended_at=now, error=ORPHANED
    )
    subscription.status, subscription.ended_at, subscription.error = Status.OFF, now, ORPHANED
    return True


def may_notify(*, subscription: Subscription, resident: Resident, event: str = "") -> bool:
    """The rule, when a delivery is made and again when it is sent: the subscription active,
    its owner still an integration account of the resident's team that may see her, and for a
    change of her PZP (`CARE_PLANNING_EVENT`) one that reads her PZP (else a notification would
    tell that a PZP conversation was recorded)."""
    owner = subscription.owner
    return (
        subscription.status == Status.ACTIVE
        and resident.team_id == subscription.team_id
        and owner_integrates(subscription)
        and can_see_resident(user=owner, resident=resident)
        and (event != CARE_PLANNING_EVENT or reads_care_planning(user=owner, resident=resident))
    )
