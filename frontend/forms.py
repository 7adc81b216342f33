from django import forms
from django.utils.translation import gettext_lazy as _

from steps.states import ClosureReason


class MoveForm(forms.Form):
    """A move as the panel offers it. The guards decide; this form only carries the input."""

    transition = forms.CharField(widget=forms.HiddenInput)
    expected_state = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    closure_reason = forms.ChoiceField(
        label=_("Reason for closing"), choices=[("", "—"), *ClosureReason.choices], required=False
    )
