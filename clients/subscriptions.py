"""Integrators subscribe to changes of a team's residents (issue 20 §2): FHIR R4 Subscriptions
with a `rest-hook` channel and an id-only payload ("notified pull": the receiver fetches what
changed with its own token, `GET <base>Patient/<id>/$everything`).

Who: an *integration account* of a team, that is an account with an active membership of the
team (its role decides which residents it may see, as for any member: `can_see_resident`) that
is also in the Django group `kernteam.roles.INTEGRATIONS`. Only such an account creates, reads
and stops subscriptions, and only its own, for a team it is an integration account of.

What: `criteria` is `Patient` (every resident of the account's team it may see) or, for an
account on several teams, `Patient?_kernteam=<team slug>` (plain `Patient` is then refused at
`Subscription.criteria`). The endpoint is https; `http://127.0.0.1` or `http://localhost` only
with settings.DEBUG or KERNTEAM_WEBHOOK_ALLOW_HTTP_LOCALHOST (default False; the tests' local
receiver). The secret that signs the deliveries is made here (`whsec_` + base64 of 32 random
bytes), shown once in the answer to the creation, and kept to sign; the admin never shows it.

Status (FHIR `Subscription.status`): a new subscription is `active` at once (no handshake). A
delivery that failed for 24 hours puts it in `error`, with the reason, and no more deliveries
are made for it; the integrator stops it and subscribes anew (a new secret). Stopping sets
`off`: nothing is ever deleted. The deliveries are `clients.subscription_delivery`'s.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.models import Resident
from clients.visibility import can_see_resident
from kernteam.models import Membership, Team
from kernteam.refusals import Refused
from kernteam.roles import INTEGRATIONS

SECRET_PREFIX = "whsec_"
BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
PAYLOAD_CONTENT = BACKPORT + "backport-payload-content"
FHIR_JSON = "application/fhir+json"
LOCAL_HOSTS = {"localhost"}


class Status(models.TextChoices):  # FHIR R4 subscription-status
    REQUESTED = "requested", gettext_lazy("requested")
    ACTIVE = "active", gettext_lazy("active")
    ERROR = "error", gettext_lazy("in error")
    OFF = "off", gettext_lazy("off")


class Subscription(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="subscriptions")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subscriptions"
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
        Subscription, on_delete=models.PROTECT, related_name="deliveries"
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


def fhir_base() -> str:
    """settings.KERNTEAM_FHIR_BASE, ending in '/' (as `steps.fhir.context.base` reads it)."""
    return settings.KERNTEAM_FHIR_BASE.rstrip("/") + "/"


def secret_extension() -> str:
    return fhir_base() + "StructureDefinition/subscription-secret"


def patient_url(resident_id: int) -> str:
    """The Patient's fullUrl, as the export writes it (`steps.fhir.context`)."""
    return fhir_base() + f"Patient/resident-{resident_id}"


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


def endpoint_problem(url: str) -> str:
    """Why the endpoint cannot be used ("" when it can): https with a host, no user or
    password in it; http only to this machine, and only where the settings allow it."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return _("Not a valid URL.")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return _("The endpoint must be an https URL.")
    if parts.username is not None or parts.password is not None or parts.fragment:
        return _("The endpoint may not hold a user name, password or fragment.")
    if len(url) > Subscription._meta.get_field("endpoint").max_length:
        return _("The endpoint is too long.")
    if parts.scheme == "http":
        if not is_local(parts.hostname):
            return _("The endpoint must be an https URL.")
        if not http_localhost_allowed():
            return _("http is not allowed here: the endpoint must be an https URL.")
    return ""


def is_local(host: str) -> bool:
    if host.lower() in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    """An active subscription of the owner's team the criteria name, with a new secret."""
    team = team_for_criteria(criteria=criteria, teams=require_integration_account(user=owner))
    if problem := endpoint_problem(endpoint):
        raise Refused(problem, field="Subscription.channel.endpoint")
    return Subscription.objects.create(
        team=team,
        owner=owner,
        endpoint=endpoint,
        secret=new_secret(),
        status=Status.ACTIVE,
        reason=reason.strip(),
        criteria=criteria.strip(),
    )


def own_subscriptions(*, user):
    """The subscriptions `user` made, of the teams it is still an integration account of."""
    teams = require_integration_account(user=user)
    return Subscription.objects.filter(owner=user, team__in=teams).select_related("team")


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


def may_notify(*, subscription: Subscription, resident: Resident) -> bool:
    """The rule, when a delivery is made and again when it is sent: the subscription active,
    its owner still an integration account of the resident's team that may see her."""
    owner = subscription.owner
    return (
        subscription.status == Status.ACTIVE
        and resident.team_id == subscription.team_id
        and is_integration_account(owner)
        and can_see_resident(user=owner, resident=resident)
    )
