"""`{% may_see_kpis user as show %}`: whether the navigation links to the KPI dashboard. The rule
is `kernteam.policy.may_see_kpis` (one query per request, none when signed out)."""

from django import template

from kernteam import policy

register = template.Library()


@register.simple_tag
def may_see_kpis(user) -> bool:
    return policy.may_see_kpis(user)
