"""An agreed action can be marked as support for the informal carer (respite care, the
Steunpunt Mantelzorg): on the panel's form and in the API. The outcome KPI "carers with a
high burden who have support agreed" counts these (tests/test_kpi_outcomes.py)."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from steps import kpi
from tests.factories import carer_for
from tests.helpers import API, api_as


def in_a_month() -> str:
    return (timezone.localdate() + datetime.timedelta(days=30)).isoformat()


def test_the_nurse_marks_an_action_as_carer_support(client, daalhof, resident_in):
    resident = resident_in("step3")
    client.force_login(daalhof.district_nurse)
    url = reverse("resident_add", args=[resident.pk, "action"])
    form = client.get(url).content.decode()
    assert 'name="supports_carer"' in form and "ondersteunt de mantelzorger" in form.lower()
    done = client.post(
        url,
        {
            "description": "Respijtzorg aanvragen",
            "owner": f"m{daalhof.welfare.pk}",
            "due_on": in_a_month(),
            "supports_carer": "on",
        },
        HTTP_HX_REQUEST="true",
    )
    assert done.status_code == 200
    action = resident.actions.get()
    assert action.supports_carer and not action.shared_with_carers
    panel = client.get(reverse("resident", args=[resident.pk])).content.decode()
    assert "mantelzorgondersteuning" in panel


def test_an_action_is_no_carer_support_unless_marked(client, daalhof, resident_in):
    resident = resident_in("step2")
    client.force_login(daalhof.district_nurse)
    client.post(
        reverse("resident_add", args=[resident.pk, "action"]),
        {"description": "Bellen", "owner": f"m{daalhof.poh.pk}", "due_on": in_a_month()},
        HTTP_HX_REQUEST="true",
    )
    assert not resident.actions.get().supports_carer


def test_the_api_takes_and_gives_the_mark(daalhof, resident_in):
    resident = resident_in("step3")
    nurse = api_as(daalhof.district_nurse)
    made = nurse.post(
        f"{API}/residents/{resident.pk}/actions/",
        {
            "description": "Aanmelden bij Steunpunt Mantelzorg Zuid",
            "due_on": in_a_month(),
            "owner_member": daalhof.welfare.pk,
            "supports_carer": True,
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["supports_carer"] is True
    listed = nurse.get(f"{API}/residents/{resident.pk}/actions/").json()
    assert [a["supports_carer"] for a in listed] == [True]
    wrong = nurse.post(
        f"{API}/residents/{resident.pk}/actions/",
        {
            "description": "x",
            "due_on": in_a_month(),
            "owner_member": daalhof.welfare.pk,
            "supports_carer": "perhaps",
        },
        format="json",
    )
    assert wrong.status_code == 400 and "supports_carer" in wrong.json()
    assert resident.actions.count() == 1


def test_a_marked_action_counts_for_a_highly_burdened_carer(daalhof, resident_in):
    from steps.services import agree_action
    from tests.factories import score

    resident = resident_in("step3")
    carer = carer_for(resident)
    burden = score(resident, "csi", 9, daalhof.poh)
    burden.carer = carer
    burden.save()
    figures = kpi.carer_burden(teams=[daalhof.team])
    assert (figures.high, figures.high_supported) == (1, 0)
    agree_action(
        resident=resident,
        by=daalhof.poh,
        description="Respijtzorg",
        due_on=timezone.localdate() + datetime.timedelta(days=10),
        owner_member=daalhof.welfare,
        supports_carer=True,
    )
    assert kpi.carer_burden(teams=[daalhof.team]).high_supported == 1
