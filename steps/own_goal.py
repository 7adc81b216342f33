"""The resident's own goal, "Wat is belangrijk voor u?" (issue 17, part 3): in her own words,
first on the plan. One row per version, append-only (the database refuses changes too:
migration steps 0009); the latest is current, earlier versions are kept and shown as earlier.
Goals per domain say whether they serve it (`steps.models.Goal.serves_own_goal`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Resident
from kernteam.models import limited_text
from kernteam.refusals import Refused
from kernteam.undeletable import AppendOnly, AppendOnlyQuerySet


class OwnGoal(AppendOnly, models.Model):
    """One version of what matters to the resident, in her own words."""

    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="own_goals",
    )
    text = limited_text(_("in her own words"), max_length=1000)
    noted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("noted by"),
    )
    noted_at = models.DateTimeField(_("noted at"), default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-noted_at", "-pk"]
        verbose_name = _("own goal")
        verbose_name_plural = _("own goals")

    def __str__(self) -> str:
        return self.text


def own_goal_versions(*, resident: Resident) -> list[OwnGoal]:
    """Every version, the current (latest) first."""
    return list(resident.own_goals.select_related("noted_by").order_by("-noted_at", "-pk"))


def check_may_serve(resident: Resident) -> None:
    """A goal serves the resident's own goal only once she has one noted: Refused otherwise
    (for adding a goal that serves it, and for linking one later)."""
    if not resident.own_goals.exists():
        raise Refused(
            str(_("Note her own goal first: then a goal can serve it.")), field="serves_own_goal"
        )
