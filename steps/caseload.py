"""A team's existing caseload, imported once from a CSV file (issue 21 §1): the records.

`CaseloadImport` is one imported file (its SHA-256: the same file twice changes nothing);
`CaseloadEntry` links each resident it brought in to her line and to the practice's own
patient number (never a BSN), so that a re-saved file (other line endings, another separator)
finds her again rather than a duplicate. Both are kept as written: never changed or deleted.

Reading, checking and importing the file: `steps.caseload_import`. Imported at the end of
`steps.models`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Resident
from kernteam.models import Team
from kernteam.undeletable import AppendOnly


class CaseloadImport(AppendOnly, models.Model):
    """One imported caseload file: who imported it, when, how many rows it brought in."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="caseload_imports")
    file_name = models.CharField(_("file"), max_length=200)
    file_sha256 = models.CharField(max_length=64, editable=False)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    rows = models.PositiveIntegerField(_("residents imported"), default=0)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = _("caseload import")
        verbose_name_plural = _("caseload imports")
        constraints = [
            models.UniqueConstraint(
                fields=["team", "file_sha256"], name="caseload_file_once_per_team"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.file_name} ({timezone.localdate(self.imported_at):%d-%m-%Y})"

    def resident_ids(self) -> list[int]:
        """The residents this import brought in, in the order of the file (for the access
        log)."""
        return list(self.entries.order_by("line").values_list("resident_id", flat=True))


class CaseloadEntry(AppendOnly, models.Model):
    """A resident brought in by an import: her line in the file and the practice's patient
    number as the file gave it, and as matched (`number_key`: capitals, spaces and leading
    zeros aside). One resident per number in a team."""

    caseload_import = models.ForeignKey(
        CaseloadImport, on_delete=models.PROTECT, related_name="entries"
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+", editable=False)
    resident = models.OneToOneField(
        Resident, on_delete=models.PROTECT, related_name="caseload_entry"
    )
    line = models.PositiveIntegerField(_("line"))
    practice_number = models.CharField(_("practice patient number"), max_length=20)
    number_key = models.CharField(max_length=20, editable=False)
    # the last review the earlier record names: the KPI "reviewed on time" counts it as one
    # (`steps.kpi.history.reviews_on_time_in`), the history row being no team decision
    last_review_on = models.DateField(_("last review"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["caseload_import", "line"]
        verbose_name = _("imported resident")
        verbose_name_plural = _("imported residents")
        constraints = [
            models.UniqueConstraint(
                fields=["team", "number_key"], name="caseload_number_once_per_team"
            )
        ]

    def __str__(self) -> str:
        return f"{self.caseload_import.file_name}:{self.line} ({self.practice_number})"
