"""The clients app in the admin. A resident's data changed here is announced as any change is
(`kernteam.admin_base.residents_changed`, heard below): her boards and the integrators'
subscriptions hear of it."""

from django.contrib import admin
from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from clients.carer_notices import CarerNotice
from clients.models import (
    Assessment,
    CarePlanning,
    Carer,
    CarerLink,
    Concern,
    Consent,
    CoordinatorChange,
    MedicationReview,
    Resident,
)
from clients.subscriptions import Subscription, SubscriptionDelivery
from clients.visibility import send_resident_event_on_commit
from kernteam.admin_base import (
    NoDeleteAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ResidentDataAdmin,
    residents_changed,
)


@receiver(residents_changed, dispatch_uid="clients.admin.announce_residents_changed")
def announce_residents_changed(sender, *, resident_ids, event: str, **kwargs) -> None:
    """An admin page or action changed these residents' data (inside its transaction)."""
    for resident in Resident.objects.filter(pk__in=resident_ids).order_by("pk"):
        send_resident_event_on_commit(resident=resident, event=event)


class CarerLinkInline(admin.TabularInline):
    """On a carer's page the resident is chosen by autocomplete (which logs its suggestions): a
    plain select would list every resident of every team, unlogged."""

    model = CarerLink
    extra = 0
    can_delete = False
    autocomplete_fields = ["carer", "resident"]


class ClosedCarerLinkInline(ReadOnlyInline):
    model = CarerLink
    fields = ["carer", "relationship", "since", "ended_on"]
    readonly_fields = fields


@admin.register(Resident)
class ResidentAdmin(ResidentDataAdmin):
    """Residents enter through a signal (steps.services.signal_resident), not through the admin,
    so that every resident has a trajectory and a history from the first moment. The care
    coordinator is named by the team (the panel, the API: `change_coordinator`), so that every
    change is kept: here it is only shown."""

    list_display = ["display_name", "team", "date_of_birth", "coordinator", "state"]
    listed_residents = ("",)  # the record is the resident
    announced_residents = ("",)

    list_filter = ["team", "trajectory__state"]
    search_fields = ["first_name", "last_name"]
    inlines = [CarerLinkInline]
    list_select_related = ["team", "coordinator", "trajectory"]

    @admin.display(description="Stap")
    def state(self, obj: Resident) -> str:
        return obj.trajectory.get_state_display()

    def has_add_permission(self, request) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_closed:  # a closed record is read-only
            return [f.name for f in Resident._meta.fields]
        return ["team", "coordinator"]

    def get_inlines(self, request, obj):
        return [ClosedCarerLinkInline] if obj is not None and obj.is_closed else self.inlines


@admin.register(Carer)
class CarerAdmin(NoDeleteAdmin):
    list_display = ["__str__", "email", "phone"]
    search_fields = ["first_name", "last_name", "email"]
    inlines = [CarerLinkInline]
    shown_residents = ("links__resident",)  # the carer's page lists their residents
    announced_residents = ("links__resident",)  # her details are in each resident's data


@admin.register(CarerLink)
class CarerLinkAdmin(ResidentDataAdmin):
    list_display = ["carer", "resident", "relationship", "since", "ended_on"]
    autocomplete_fields = ["carer", "resident"]


@admin.register(Consent)
class ConsentAdmin(ResidentDataAdmin):
    """A recorded consent is not edited: it is withdrawn (and a new one recorded)."""

    list_display = ["resident", "given_on", "share_with_carers", "recorded_by", "withdrawn_at"]
    list_filter = ["share_with_carers", ("withdrawn_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["recorded_by", "recorded_at", "withdrawn_at", "withdrawn_by"]
    autocomplete_fields = ["resident"]
    actions = ["withdraw"]
    announced_event = "resident.consent_changed"  # (as `record_consent` says it)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [f.name for f in Consent._meta.fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Withdraw consent"))
    def withdraw(self, request, queryset):
        with transaction.atomic():
            withdrawn = []
            for consent in queryset.filter(withdrawn_at__isnull=True):
                consent.withdraw(by=request.user)
                withdrawn.append(consent.pk)
            self.announce(withdrawn)


@admin.register(Assessment)
class AssessmentAdmin(ResidentDataAdmin):
    """A recorded score is not edited; a correction is a new assessment."""

    list_display = ["resident", "instrument", "score", "outcome", "assessed_on", "assessed_by"]
    list_filter = ["instrument", "above_cutoff"]
    readonly_fields = ["assessed_by", "outcome"]
    autocomplete_fields = ["resident", "carer"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj.assessed_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Concern)
class ConcernAdmin(ResidentDataAdmin, ReadOnlyAdmin):
    """Concerns are raised by carers (or phoned in) and handled on the board; here they are
    only looked up."""

    list_display = ["resident", "carer", "raised_at", "handled_at", "handled_in"]
    list_filter = [("handled_at", admin.EmptyFieldListFilter)]
    search_fields = ["resident__last_name", "carer__last_name"]


@admin.register(CoordinatorChange)
class CoordinatorChangeAdmin(ResidentDataAdmin, ReadOnlyAdmin):
    """Every change of care coordinator, as the team made it: only looked up."""

    list_display = ["resident", "from_coordinator", "to_coordinator", "actor", "at", "meeting"]
    list_select_related = ["resident", "from_coordinator", "to_coordinator", "actor", "meeting"]
    search_fields = ["resident__last_name"]


@admin.register(CarePlanning)
class CarePlanningAdmin(ResidentDataAdmin, ReadOnlyAdmin):
    """Advance care planning (PZP): every version as recorded by the team, only looked up (a
    new conversation is recorded from the panel or the API: `record_care_planning`)."""

    list_display = ["resident", "held_on", "capacity", "recorded_by", "recorded_at"]
    list_select_related = ["resident", "recorded_by"]
    search_fields = ["resident__last_name"]


@admin.register(MedicationReview)
class MedicationReviewAdmin(ResidentDataAdmin, ReadOnlyAdmin):
    """Medication reviews: every review as recorded by the team, only looked up (a review is
    recorded from the API: `record_medication_review`)."""

    list_display = ["resident", "reviewed_on", "reviewer", "medicines_in_use", "recorded_by"]
    list_select_related = ["resident", "recorded_by"]
    search_fields = ["resident__last_name"]


@admin.register(CarerNotice)
class CarerNoticeAdmin(ReadOnlyAdmin):
    """Carers' mails that failed or wait for another try (issue 19). Never the resident."""

    list_display = ["created_at", "carer", "kind", "mail_status", "mail_attempts"]
    list_filter = ["mail_status", "kind"]
    list_select_related = ["carer"]
    fields = [
        "carer",
        "kind",
        "key",
        "created_at",
        "mail_status",
        "mail_attempts",
        "mail_next_try",
        "mailed_at",
        "mail_error",
    ]


# --- integrators' subscriptions (issue 20): the delivery log, never the secret or a resident


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    """An integrator's subscription (made, read and stopped through the FHIR API) and a link to
    its delivery log. The secret is never shown; nor are the residents of the deliveries."""

    list_display = ["pk", "team", "owner", "endpoint", "status", "created_at", "ended_at"]
    list_filter = ["status", "team"]
    list_select_related = ["team", "owner"]
    fields = [
        "team",
        "owner",
        "endpoint",
        "criteria",
        "reason",
        "status",
        "error",
        "created_at",
        "ended_at",
        "delivery_log",
    ]
    readonly_fields = ["delivery_log"]

    @admin.display(description=_("delivery log"))
    def delivery_log(self, obj: Subscription) -> str:
        url = reverse("admin:clients_subscriptiondelivery_changelist")
        counts = {
            status: obj.deliveries.filter(status=status).count()
            for status in ("sent", "pending", "failed")
        }
        return format_html(
            '<a href="{}?subscription__id__exact={}">{}</a>',
            url,
            obj.pk,
            _("%(sent)s sent, %(pending)s waiting, %(failed)s failed") % counts,
        )


@admin.register(SubscriptionDelivery)
class SubscriptionDeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: per notification its status, times, tries and the last HTTP status."""

    list_display = [
        "created_at",
        "subscription",
        "event",
        "status",
        "attempts",
        "first_try_at",
        "next_try",
        "sent_at",
        "last_status_code",
        "error",
    ]
    list_filter = ["status", "subscription"]
    list_select_related = ["subscription__team"]
    fields = [
        "subscription",
        "event",
        "status",
        "attempts",
        "created_at",
        "first_try_at",
        "next_try",
        "sent_at",
        "last_status_code",
        "error",
    ]
