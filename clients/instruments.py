"""Assessment instruments, their score ranges and cut-offs (shared/domain.md, 'Instruments').

The outcome of a score is derived here, never typed by a user.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Instrument(models.TextChoices):
    GFI = "gfi", "GFI"
    TFI = "tfi", "TFI"
    CFS = "cfs", "CFS"
    ISAR_PC = "isar_pc", "ISAR-PC"
    TRAZAG = "trazag", "TRAZAG"
    INTERMED = "intermed", "INTERMED"
    EDIZ_PLUS = "ediz_plus", "EDIZ-plus"
    CSI = "csi", "CSI"


class Purpose(models.TextChoices):
    FRAILTY = "frailty", _("frailty screening")
    COMPLEXITY = "complexity", _("complexity of needs")
    CARER_BURDEN = "carer_burden", _("carer burden")


@dataclass(frozen=True)
class Spec:
    code: str
    purpose: str
    minimum: Decimal
    maximum: Decimal
    cutoff: Decimal
    strictly_above: bool  # True: score > cutoff; False: score >= cutoff
    positive: str  # outcome label at or above the cut-off
    negative: str
    half_points: bool = False  # ISAR-PC scores in steps of 0.5

    def is_positive(self, score: Decimal) -> bool:
        return score > self.cutoff if self.strictly_above else score >= self.cutoff

    def range_error(self, score: Decimal) -> str | None:
        label = Instrument(self.code).label
        if not self.minimum <= score <= self.maximum:
            return _("%(instrument)s scores run from %(min)s to %(max)s; %(score)s is outside.") % {
                "instrument": label,
                "min": _fmt(self.minimum),
                "max": _fmt(self.maximum),
                "score": _fmt(score),
            }
        step = Decimal("0.5") if self.half_points else Decimal(1)
        if score % step:
            if self.half_points:
                return _("%(instrument)s scores go in steps of 0.5.") % {"instrument": label}
            return _("%(instrument)s scores are whole numbers.") % {"instrument": label}
        return None


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


D = Decimal
FRAIL, NOT_FRAIL = _("frail"), _("not frail")


def spec(code: str) -> Spec:
    specs = {
        Instrument.GFI: Spec(
            "gfi",
            Purpose.FRAILTY,
            D(0),
            D(15),
            D(settings.KERNTEAM_GFI_CUTOFF),
            False,
            FRAIL,
            NOT_FRAIL,
        ),
        Instrument.TFI: Spec("tfi", Purpose.FRAILTY, D(0), D(15), D(5), False, FRAIL, NOT_FRAIL),
        Instrument.CFS: Spec("cfs", Purpose.FRAILTY, D(1), D(9), D(5), False, FRAIL, NOT_FRAIL),
        Instrument.ISAR_PC: Spec(
            "isar_pc",
            Purpose.FRAILTY,
            D(0),
            D("9.5"),
            D(2),
            False,
            _("raised risk of functional decline"),
            _("no raised risk"),
            half_points=True,
        ),
        Instrument.TRAZAG: Spec(
            "trazag", Purpose.FRAILTY, D(0), D(15), D(3), True, FRAIL, NOT_FRAIL
        ),
        Instrument.INTERMED: Spec(
            "intermed",
            Purpose.COMPLEXITY,
            D(0),
            D(60),
            D(16),
            False,
            _("complex needs"),
            _("no complex needs"),
        ),
        Instrument.EDIZ_PLUS: Spec(
            "ediz_plus",
            Purpose.CARER_BURDEN,
            D(0),
            D(15),
            D(9),
            False,
            _("carer overburdened"),
            _("carer not overburdened"),
        ),
        Instrument.CSI: Spec(
            "csi",
            Purpose.CARER_BURDEN,
            D(0),
            D(13),
            D(7),
            False,
            _("high carer strain"),
            _("no high carer strain"),
        ),
    }
    return specs[Instrument(code)]


FRAILTY_INSTRUMENTS: tuple[str, ...] = (
    Instrument.GFI,
    Instrument.TFI,
    Instrument.CFS,
    Instrument.ISAR_PC,
    Instrument.TRAZAG,
)
