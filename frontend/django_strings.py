"""Django's own messages whose wording changed in 5.2 while its Dutch catalogue kept the old
wording: written here so that `make messages` keeps our Dutch translation of them."""

from django.utils.translation import ngettext_lazy

PASSWORD_TOO_SHORT = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    "min_length",
)
