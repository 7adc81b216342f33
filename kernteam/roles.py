"""The roles people hold on a kernteam (see shared/domain.md, 'Who is on a kernteam')."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GP = "gp", _("GP")
    POH = "poh", _("practice nurse for older people")
    DISTRICT_NURSE = "district_nurse", _("district nurse")
    WELFARE = "welfare", _("welfare worker")
    DEMENTIA_CASE_MANAGER = "dementia_case_manager", _("dementia case manager")
    ELDERLY_CARE_PHYSICIAN = "elderly_care_physician", _("elderly-care physician")
    COORDINATOR = "coordinator", _("team coordinator")


# When a person holds several roles on one team, history rows name the first that applies.
ROLE_PRECEDENCE: tuple[str, ...] = (
    Role.GP,
    Role.ELDERLY_CARE_PHYSICIAN,
    Role.POH,
    Role.DISTRICT_NURSE,
    Role.DEMENTIA_CASE_MANAGER,
    Role.WELFARE,
    Role.COORDINATOR,
)


def role_label(code: str) -> str:
    return str(Role(code).label)


def role_list(codes) -> str:
    """Human enumeration of role labels: 'GP or district nurse'."""
    labels = [role_label(c) for c in sorted(codes, key=ROLE_PRECEDENCE.index)]
    if len(labels) <= 1:
        return "".join(labels)
    return _("%(first)s or %(last)s") % {"first": ", ".join(labels[:-1]), "last": labels[-1]}


# Not a team role: the log officer (NEN 7513) reads the access log of the whole organisation.
# Membership of this Django group grants it; nobody else, superusers included, reads the log.
LOG_OFFICERS = "log officers"

# Not a team role either: the regional programme office (PlusWIJken) follows the KPIs of every
# team and of the region as a whole. Membership of this Django group grants it; aggregates
# only, never a resident's data.
PROGRAMME_OFFICE = "programme office"

# Not a team role either: an integration account (a GP information system's connector, the
# regional data platform) is a member account of a team that is also in this Django group. It
# may subscribe to changes of its team's residents (FHIR Subscriptions, issue 20); what it may
# see is its role's, like any member's.
INTEGRATIONS = "integrations"
