"""A carer's concern (*zorg melden*): raised by the carer or phoned in, flagged on the board,
handled by the team; never raised by strangers, never lost."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.models import Concern
from clients.services import handle_concern, raise_concern
from kernteam.refusals import Refused
from kernteam.undeletable import ProtectedRecord
from steps.board import board_columns
from tests.factories import carer_for, open_meeting
from tests.helpers import exactly


def flags_of(resident, daalhof) -> tuple[str, ...]:
    columns = board_columns(team=daalhof.team, user=daalhof.poh)
    return next(c.flags for col in columns for c in col.cards if c.resident_id == resident.pk)


def test_thea_raises_a_concern_and_the_card_is_flagged(
    daalhof, resident_in, team_events, django_capture_on_commit_callbacks
):
    resident = resident_in("step2", last_name="Ramakers")
    thea = carer_for(resident, username="thea")
    assert "concern" not in flags_of(resident, daalhof)

    with django_capture_on_commit_callbacks(execute=True):
        concern = raise_concern(
            resident=resident, by=thea.user, text="Vader lijkt verwarder sinds vorige week."
        )

    assert (concern.carer, concern.recorded_by) == (thea, thea.user)
    assert "concern" in flags_of(resident, daalhof)
    assert team_events == [
        (f"team-{daalhof.team.pk}", {"type": "resident.concern_raised", "resident": resident.pk})
    ]


def test_a_member_records_a_concern_a_carer_phoned_in(daalhof, resident_in):
    resident = resident_in("step2")
    carer = carer_for(resident)
    concern = raise_concern(
        resident=resident, by=daalhof.poh, text="Belde: valt vaker.", carer=carer
    )
    assert (concern.carer, concern.recorded_by) == (carer, daalhof.poh)


def test_a_member_must_name_a_linked_carer(daalhof, malberg, resident_in):
    resident = resident_in("step2")
    stranger = carer_for(malberg_resident := resident_in("step1"))
    assert malberg_resident.pk != resident.pk
    with pytest.raises(ValidationError) as refused:
        raise_concern(resident=resident, by=daalhof.poh, text="x", carer=stranger)
    assert refused.value.message_dict["carer"] == [
        "Kies een mantelzorger die bij deze cliënt hoort."
    ]
    with pytest.raises(ValidationError) as refused:
        raise_concern(resident=resident, by=daalhof.poh, text="x")
    assert refused.value.message_dict == {
        "carer": ["Kies een mantelzorger die bij deze cliënt hoort."]
    }


def test_nobody_else_raises_a_concern(daalhof, malberg, resident_in, thea):
    resident = resident_in("step2")
    carer = carer_for(resident)
    for outsider in (malberg.poh, thea):  # another team; a carer of someone else
        with pytest.raises(
            Refused,
            match=exactly("Alleen leden van het kernteam van deze cliënt kunnen dit doen."),
        ):
            raise_concern(resident=resident, by=outsider, text="x", carer=carer)
    assert not Concern.objects.exists()


def test_an_empty_concern_is_refused_in_dutch(daalhof, resident_in):
    resident = resident_in("step2")
    thea = carer_for(resident, username="thea")
    with pytest.raises(ValidationError) as refused:
        raise_concern(resident=resident, by=thea.user, text="   ")
    assert refused.value.message_dict["text"] == ["Schrijf op waar u zich zorgen over maakt."]


def test_handling_clears_the_flag_records_the_meeting_and_keeps_the_concern(daalhof, resident_in):
    resident = resident_in("step2")
    concern = raise_concern(
        resident=resident, by=carer_for(resident, username="thea").user, text="Verward"
    )
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    handle_concern(concern=concern, by=daalhof.gp, meeting=meeting)
    handle_concern(concern=concern, by=daalhof.poh)  # a second click changes nothing
    concern.refresh_from_db()
    assert (concern.handled_by, concern.handled_in) == (daalhof.gp, meeting)
    assert "concern" not in flags_of(resident, daalhof)
    with pytest.raises(ProtectedRecord, match=exactly("Concern records are never deleted.")):
        concern.delete()


def test_the_panel_shows_the_concern_and_handles_it(client, daalhof, resident_in):
    resident = resident_in("step2")
    raise_concern(resident=resident, by=carer_for(resident, username="thea").user, text="Verward")
    client.force_login(daalhof.district_nurse)
    html = client.get(reverse("resident", args=[resident.pk])).content.decode()
    assert "Zorgen van mantelzorgers" in html and "Verward" in html
    concern = Concern.objects.get()
    done = client.post(reverse("concern_handled", args=[concern.pk]), HTTP_HX_REQUEST="true")
    assert done.headers["HX-Trigger"] == "board-changed"
    assert not Concern.objects.open().exists()


def test_the_panel_records_a_phoned_in_concern_with_dutch_errors(client, daalhof, resident_in):
    resident = resident_in("step2")
    carer = carer_for(resident)
    client.force_login(daalhof.poh)
    url = reverse("resident_add", args=[resident.pk, "concern"])
    empty = client.post(url, {"carer": carer.pk, "text": ""}, HTTP_HX_REQUEST="true")
    assert "Dit veld is verplicht." in empty.content.decode()
    done = client.post(
        url, {"carer": carer.pk, "text": "Belde: slaapt slecht"}, HTTP_HX_REQUEST="true"
    )
    assert done.headers["HX-Trigger"] == "board-changed"
    assert Concern.objects.get().text == "Belde: slaapt slecht"


def test_a_concern_about_another_teams_resident_is_404(client, malberg, resident_in):
    resident = resident_in("step2")
    concern = raise_concern(
        resident=resident, by=carer_for(resident, username="thea").user, text="Verward"
    )
    client.force_login(malberg.gp)
    assert client.post(reverse("concern_handled", args=[concern.pk])).status_code == 404
    assert Concern.objects.open().count() == 1
