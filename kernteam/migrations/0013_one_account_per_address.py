# One person, one account (issue 21 §2): an e-mail address, whatever its capitals, belongs to
# at most one account, in the database. Two coordinators adding the same new person at the same
# moment (on two teams: the team's lock does not help) cannot make two accounts; the second
# finds the first (`kernteam.members.add_member`). Accounts without an address may be many.
#
# The account model is Django's (`auth.User`), so the index is made here, on its table, with the
# schema editor (as the carers' address in clients 0009, which is on a model of our own). It is
# not in the model's state: Django's own checks do not know it; the database does. (Should a
# future `auth` migration rebuild the table on SQLite, make this index again.)

from django.conf import settings
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower

NAME = "kernteam_one_account_per_address"


def constraint() -> models.UniqueConstraint:
    return models.UniqueConstraint(Lower("email"), condition=~models.Q(email=""), name=NAME)


def no_address_on_two_accounts(apps, schema_editor):
    """Before the index: an address already on two accounts is not guessed at nor rewritten
    here. Say which accounts, so that the administrator changes all but one of each."""
    User = apps.get_model(settings.AUTH_USER_MODEL)
    shared = (
        User.objects.exclude(email="")
        .annotate(address=Lower("email"))
        .values("address")
        .annotate(accounts=Count("pk"))
        .filter(accounts__gt=1)
        .values_list("address", flat=True)
    )
    names = sorted(
        User.objects.annotate(address=Lower("email"))
        .filter(address__in=list(shared))
        .values_list("username", flat=True)
    )
    if names:
        raise RuntimeError(
            "These accounts share an e-mail address (any capitals): "
            f"{', '.join(names)}. Change the address of all but one of each (admin: users), "
            "then migrate again."
        )


def forwards(apps, schema_editor):
    no_address_on_two_accounts(apps, schema_editor)
    schema_editor.add_constraint(apps.get_model(settings.AUTH_USER_MODEL), constraint())


def backwards(apps, schema_editor):
    schema_editor.remove_constraint(apps.get_model(settings.AUTH_USER_MODEL), constraint())


class Migration(migrations.Migration):
    dependencies = [
        ("kernteam", "0012_membership_changes"),
        # (after every change of the account table: on SQLite one rebuilds the table)
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
