"""A refusal or a ValidationError on the form that was sent: each message on the field it
names when the form has that field (`rename`: the domain's field name → the form's), else on
the form as a whole. One mapping for every form of the web layer."""

from __future__ import annotations

from django import forms

from kernteam.refusals import Refused


def attach_errors(form: forms.BaseForm, exc: Exception, *, rename: dict[str, str] | None = None):
    if isinstance(exc, Refused):
        found = exc.fields or {"": exc.problems}
    elif hasattr(exc, "error_dict"):
        found = exc.message_dict
    else:
        found = {"": exc.messages}
    for name, errors in found.items():
        name = (rename or {}).get(name, name)
        for error in errors:
            form.add_error(name if name in form.fields else None, error)
