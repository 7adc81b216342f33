from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from clients.instruments import Instrument
from clients.models import Carer, CarerLink, Concern, Consent, Resident
from kernteam.models import AgendaItem, Meeting, person_name, text_limit, years_later
from kernteam.roles import Role
from steps.models import AgreedAction, Domain, Goal, StepChange
from steps.states import ClosureReason, State

# Django REST framework's Dutch catalogue also translates Django's own "This field is required."
# (as "vereist"); naming it here puts our wording, Django's "verplicht", in locale/nl, which
# wins: forms and the API then say the same thing.
gettext_noop("This field is required.")


def free_text(model, field: str, *, rows: int, **kwargs) -> forms.CharField:
    """A free-text field limited as the model limits it (the browser stops typing there too)."""
    return forms.CharField(
        max_length=text_limit(model, field),
        widget=forms.Textarea(attrs={"rows": rows, **kwargs.pop("attrs", {})}),
        **kwargs,
    )


def date_input(first=None, last=None) -> forms.DateInput:
    """A date picker; `min`/`max` (the model's window) guide the browser, the model decides."""
    attrs = {"type": "date"}
    attrs |= {"min": first.isoformat()} if first else {}
    attrs |= {"max": last.isoformat()} if last else {}
    return forms.DateInput(attrs=attrs, format="%Y-%m-%d")


class MoveForm(forms.Form):
    """A move as the panel offers it. The guards decide; this form only carries the input."""

    transition = forms.CharField(widget=forms.HiddenInput)
    expected_state = forms.CharField(widget=forms.HiddenInput)
    reason = free_text(
        StepChange, "reason", rows=3, attrs={"autofocus": True}, label=_("Reason"), required=False
    )
    closure_reason = forms.ChoiceField(
        label=_("Reason for closing"), choices=[("", "—"), *ClosureReason.choices], required=False
    )


class AssessmentForm(forms.Form):
    instrument = forms.ChoiceField(label=_("instrument"), choices=Instrument.choices)
    score = forms.DecimalField(label=_("score"), max_digits=4, decimal_places=1)
    assessed_on = forms.DateField(
        label=_("assessed on"), initial=timezone.localdate, widget=date_input()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessed_on"].widget = date_input(last=timezone.localdate())


class GoalForm(forms.Form):
    domain = forms.ChoiceField(label=_("domain"), choices=Domain.choices)
    description = free_text(Goal, "description", rows=2, label=_("goal"))
    serves_own_goal = forms.BooleanField(
        label=_("serves what matters to her (her own goal)"), required=False
    )


class ActionForm(forms.Form):
    """Who does what by when. The owner is a team member or one of the resident's carers."""

    description = free_text(AgreedAction, "description", rows=2, label=_("what"))
    owner = forms.ChoiceField(label=_("who"))
    due_on = forms.DateField(label=_("due on"), widget=date_input())
    shared_with_carers = forms.BooleanField(label=_("shared with informal carers"), required=False)
    supports_carer = forms.BooleanField(
        label=_("supports the informal carer"),
        help_text=_("For example respite care or the Steunpunt Mantelzorg."),
        required=False,
    )

    def __init__(self, *args, resident, **kwargs):
        super().__init__(*args, **kwargs)
        members = resident.team.people().select_related("user").order_by("role")
        carers = resident.carer_links.active().select_related("carer")
        choices = [("", "—")]
        choices += [
            (
                f"m{m.user_id}",
                f"{person_name(m.user)} ({m.get_role_display()})",
            )
            for m in members
        ]
        choices += [
            (f"c{link.carer_id}", f"{link.carer} ({link.get_relationship_display()})")
            for link in carers
        ]
        self.fields["owner"].choices = choices
        today = timezone.localdate()
        last = years_later(today, AgreedAction.DUE_WITHIN_YEARS)
        self.fields["due_on"].widget = date_input(today, last)

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if problem := AgreedAction.due_on_problem(due_on):
            raise forms.ValidationError(problem)
        return due_on

    def owner_kwargs(self) -> dict:
        """The chosen owner; the choices only ever hold this team's members and carers."""
        kind, pk = self.cleaned_data["owner"][0], int(self.cleaned_data["owner"][1:])
        if kind == "m":
            return {"owner_member": get_user_model().objects.get(pk=pk)}
        return {"owner_carer": Carer.objects.get(pk=pk)}


class SignalForm(forms.Form):
    """A new signal: the minimum to find the person again, and why the team should look."""

    salutation = forms.ChoiceField(
        label=_("salutation"),
        required=False,
        choices=[("", "—"), ("Mevrouw", "Mevrouw"), ("Mijnheer", "Mijnheer")],
    )
    first_name = forms.CharField(
        label=_("first name"), max_length=text_limit(Resident, "first_name")
    )
    last_name = forms.CharField(label=_("last name"), max_length=text_limit(Resident, "last_name"))
    date_of_birth = forms.DateField(label=_("date of birth"), widget=date_input())
    reason = free_text(StepChange, "reason", rows=3, label=_("Why do you signal this resident?"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date_of_birth"].widget = date_input(*Resident.born_between())

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if problem := Resident.date_of_birth_problem(born):
            raise forms.ValidationError(problem)
        return born


class ConcernForm(forms.Form):
    """A concern a carer phoned in, recorded by a team member on the carer's behalf."""

    carer = forms.ModelChoiceField(label=_("informal carer"), queryset=Carer.objects.none())
    text = free_text(Concern, "text", rows=3, label=_("concern"))

    def __init__(self, *args, resident, **kwargs):
        super().__init__(*args, **kwargs)
        linked = resident.carer_links.active().values("carer_id")
        self.fields["carer"].queryset = Carer.objects.filter(pk__in=linked)


class CarerLinkForm(forms.Form):
    """A carer linked from the panel: who they are, how to reach them (the e-mail address is
    how they are invited and sign in)."""

    first_name = forms.CharField(label=_("first name"), max_length=text_limit(Carer, "first_name"))
    last_name = forms.CharField(label=_("last name"), max_length=text_limit(Carer, "last_name"))
    relationship = forms.ChoiceField(
        label=_("relationship"),
        choices=[("", "—"), *CarerLink.Relationship.offered()],
        # (a neutral code of links recorded before, too: the service's words, not a code)
        error_messages={"invalid_choice": _("Choose how the carer is related.")},
    )
    phone = forms.CharField(
        label=_("phone"),
        max_length=text_limit(Carer, "phone"),
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("email"),
        max_length=text_limit(Carer, "email"),
        required=False,
        help_text=_("Needed for the invitation: the carer signs in with it."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class PlanMeetingForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        label=_("date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first, last = Meeting.plannable()
        self.fields["scheduled_for"].widget.attrs |= {
            "min": f"{first.isoformat()}T00:00",
            "max": f"{last.isoformat()}T23:59",
        }

    def clean_scheduled_for(self):
        moment = self.cleaned_data["scheduled_for"]
        if problem := Meeting.scheduled_for_problem(moment):
            raise forms.ValidationError(problem)
        return moment


class AgendaAddForm(forms.Form):
    """A member raises a resident of the team with a question."""

    resident = forms.ChoiceField(label=_("resident"))
    question = free_text(AgendaItem, "question", rows=2, label=_("What should the team discuss?"))

    def __init__(self, *args, team, hidden: set[int], **kwargs):
        super().__init__(*args, **kwargs)
        residents = (
            Resident.objects.filter(team=team)
            .exclude(trajectory__state=State.CLOSED)
            .exclude(pk__in=hidden)
        )
        self.fields["resident"].choices = [("", "—")] + [
            (r.pk, r.display_name) for r in residents.order_by("last_name", "first_name")
        ]


class ConsentForm(forms.Form):
    """The resident's consent and its scope; recording it replaces the consent in force."""

    given_on = forms.DateField(label=_("given on"), initial=timezone.localdate, widget=date_input())
    disciplines = forms.MultipleChoiceField(
        label=_("shared with"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    share_with_carers = forms.BooleanField(label=_("share with informal carers"), required=False)

    def __init__(self, *args, resident, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["given_on"].widget = date_input(
            years_later(today, -Consent.OLDEST_YEARS), today
        )
        if consent := resident.active_consent():
            self.initial |= {
                "disciplines": consent.disciplines,
                "share_with_carers": consent.share_with_carers,
            }
