"""Instrument scores: ranges enforced with a clear message, outcome derived from the cut-off."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from clients.models import Assessment
from tests.factories import score

# instrument, lowest, highest, highest score below the cut-off, lowest at/above it
INSTRUMENTS = [
    ("gfi", 0, 15, 3, 4),
    ("tfi", 0, 15, 4, 5),
    ("cfs", 1, 9, 4, 5),
    ("isar_pc", 0, "9.5", "1.5", 2),
    ("trazag", 0, 15, 3, 4),
    ("intermed", 0, 60, 15, 16),
    ("ediz_plus", 0, 15, 8, 9),
    ("csi", 0, 13, 6, 7),
]


@pytest.mark.parametrize(("instrument", "low", "high", "below", "above"), INSTRUMENTS)
def test_outcome_follows_the_cutoff(daalhof, resident_in, instrument, low, high, below, above):
    resident = resident_in("screening")
    assert score(resident, instrument, low, daalhof.poh).above_cutoff is False
    assert score(resident, instrument, below, daalhof.poh).above_cutoff is False
    assert score(resident, instrument, above, daalhof.poh).above_cutoff is True
    assert score(resident, instrument, high, daalhof.poh).above_cutoff is True


@pytest.mark.parametrize(("instrument", "low", "high", "below", "above"), INSTRUMENTS)
def test_scores_outside_the_range_are_rejected(
    daalhof, resident_in, instrument, low, high, below, above
):
    resident = resident_in("screening")
    for outside in (-1, float(high) + 1):
        with pytest.raises(ValidationError) as exc:
            score(resident, instrument, outside, daalhof.poh)
        assert list(exc.value.message_dict) == ["score"]
        (message,) = exc.value.message_dict["score"]
        assert re.fullmatch(
            r"[\w-]+-scores lopen van [\d.]+ tot [\d.]+; -?[\d.]+ valt daarbuiten\.", message
        )
    assert resident.assessments.count() == 0


def test_the_message_names_the_range_in_dutch(daalhof, resident_in):
    with pytest.raises(ValidationError) as exc:
        score(resident_in("screening"), "gfi", 17, daalhof.poh)
    assert exc.value.message_dict["score"] == ["GFI-scores lopen van 0 tot 15; 17 valt daarbuiten."]


def test_whole_and_half_points(daalhof, resident_in):
    resident = resident_in("screening")
    with pytest.raises(ValidationError) as refused:
        score(resident, "gfi", "4.5", daalhof.poh)
    assert refused.value.message_dict == {"score": ["GFI-scores zijn hele getallen."]}
    assert score(resident, "isar_pc", "2.5", daalhof.poh).above_cutoff is True
    with pytest.raises(ValidationError) as refused:
        score(resident, "isar_pc", "2.3", daalhof.poh)
    assert refused.value.message_dict == {"score": ["ISAR-PC-scores gaan in stappen van 0,5."]}


def test_gfi_cutoff_is_configurable(daalhof, resident_in, settings):
    resident = resident_in("screening")
    assert score(resident, "gfi", 4, daalhof.poh).above_cutoff is True
    settings.KERNTEAM_GFI_CUTOFF = 5
    assert score(resident, "gfi", 4, daalhof.poh).above_cutoff is False
    assert score(resident, "gfi", 5, daalhof.poh).above_cutoff is True


def test_outcome_is_derived_not_typed(daalhof, resident_in):
    a = Assessment(
        resident=resident_in("screening"),
        instrument="gfi",
        score=8,
        assessed_by=daalhof.poh,
        above_cutoff=False,
    )
    a.save()
    a.refresh_from_db()
    assert a.above_cutoff is True
    assert a.outcome == "kwetsbaar"


def test_the_latest_screening_decides(daalhof, resident_in):
    resident = resident_in("screening")
    score(resident, "gfi", 8, daalhof.poh)
    score(resident, "intermed", 30, daalhof.poh)  # not a frailty screening
    latest = score(resident, "tfi", 2, daalhof.poh)
    assert resident.latest_frailty_screening() == latest


def test_consent_names_only_known_disciplines(daalhof, resident_in):
    from clients.models import Consent

    consent = Consent(
        resident=resident_in("signalled"),
        given_on="2026-11-01",
        recorded_by=daalhof.poh,
        disciplines=["gp", "tandarts"],
    )
    with pytest.raises(ValidationError) as exc:
        consent.full_clean()
    assert exc.value.message_dict["disciplines"] == ["Onbekende discipline: tandarts."]
