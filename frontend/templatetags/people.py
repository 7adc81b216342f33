"""How templates name a person: `{{ user|person }}` (full name, else username; "" for nobody)."""

from django import template

from kernteam.models import person_name

register = template.Library()


@register.filter
def person(user) -> str:
    return person_name(user)
