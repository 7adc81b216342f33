"""Memberships changed in the Django admin (review 2 of issue 21): every change is in the team's
history (`MembershipChange`) and in the access log, as on the members page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from kernteam.models import AccessLogEntry, Membership, MembershipChange
from kernteam.roles import Role

pytestmark = pytest.mark.django_db


def posted(form) -> dict:
    """What a form posts when saved as shown."""
    data = {}
    for name in form.fields:
        field = form[name]
        value = field.value()
        if value is None or value is False:
            continue
        data[field.html_name] = "on" if value is True else value
        if field.field.show_hidden_initial:
            data[field.html_initial_name] = data[field.html_name]
    return data


def page_data(page) -> dict:
    """The change page's main form and its inlines, as shown."""
    data = posted(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= {f.html_name: f.value() for f in formset.management_form}
        for form in formset.forms:
            data |= posted(form)
    return data


def history() -> list[tuple[str, str]]:
    rows = MembershipChange.objects.order_by("pk")
    return [(c.kind, c.membership.user.username) for c in rows]


def logged() -> list[str]:
    return list(
        AccessLogEntry.objects.filter(what__startswith="member-")
        .order_by("pk")
        .values_list("what", flat=True)
    )


def test_a_membership_changed_or_ended_in_the_admin_is_in_history_and_log(admin_client, daalhof):
    membership = Membership.objects.get(user=daalhof.welfare, team=daalhof.team)
    url = reverse("admin:kernteam_membership_change", args=[membership.pk])
    data = page_data(admin_client.get(url))

    assert admin_client.post(url, data).status_code == 302  # nothing changed: nothing kept
    assert history() == [] and logged() == []

    assert admin_client.post(url, {**data, "role": Role.POH}).status_code == 302
    name = daalhof.welfare.username
    assert history() == [("changed", name)]
    assert logged() == [f"member-changed: {name} as poh"]
    entry = AccessLogEntry.objects.get(what__startswith="member-changed")
    assert (entry.team, entry.resident, entry.role) == (daalhof.team, None, "admin")

    today = timezone.localdate().isoformat()
    data = page_data(admin_client.get(url))
    assert admin_client.post(url, {**data, "ended_on": today}).status_code == 302
    assert history() == [("changed", name), ("ended", name)]
    assert logged()[-1] == f"member-ended: {name} as poh"
    page = admin_client.get(reverse("members", args=[daalhof.team.slug])).content.decode()
    assert "gewijzigd" in page and "beëindigd" in page


def test_a_membership_added_in_the_admin_is_in_history_and_log(admin_client, daalhof, malberg):
    url = reverse("admin:kernteam_membership_add")
    data = page_data(admin_client.get(url))
    data |= {"team": malberg.team.pk, "user": daalhof.gp.pk, "role": Role.GP}
    data["started_on"] = timezone.localdate().isoformat()
    answer = admin_client.post(url, data)
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    assert history() == [("added", daalhof.gp.username)]
    assert logged() == [f"member-added: {daalhof.gp.username} as gp"]
    assert MembershipChange.objects.get().team == malberg.team


def test_a_membership_changed_in_the_teams_inline_is_in_history_and_log(admin_client, daalhof):
    url = reverse("admin:kernteam_team_change", args=[daalhof.team.pk])
    page = admin_client.get(url)
    data = page_data(page)
    assert admin_client.post(url, data).status_code == 302
    assert history() == []
    formset = page.context["inline_admin_formsets"][0].formset
    [form] = [f for f in formset.forms if f.instance.user == daalhof.welfare]
    answer = admin_client.post(url, {**data, form["ended_on"].html_name: timezone.localdate()})
    assert answer.status_code == 302
    assert history() == [("ended", daalhof.welfare.username)]
    assert logged() == [f"member-ended: {daalhof.welfare.username} as welfare"]
