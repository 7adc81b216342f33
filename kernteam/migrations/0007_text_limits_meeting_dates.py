import datetime

import django.core.validators
from django.db import migrations, models

FROM = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
UNTIL = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)


def refuse_unreadable_meetings(apps, schema_editor) -> None:
    """Meetings stored outside the range cannot get the constraint. Their date was typed by
    mistake (a year-1 date on PostgreSQL cannot even be read back) and what was meant is
    unknown, so this migration does not invent one: it stops and names them. Correct each
    (e.g. `UPDATE kernteam_meeting SET scheduled_for = '<meant date>' WHERE id = <id>;`) and
    migrate again. The comparison happens in the database: nothing is read into Python."""
    Meeting = apps.get_model("kernteam", "Meeting")
    outside = Meeting.objects.exclude(scheduled_for__gte=FROM, scheduled_for__lt=UNTIL)
    ids = sorted(outside.values_list("pk", flat=True))
    if ids:
        raise RuntimeError(
            f"Meetings {ids} are planned outside {FROM:%Y}–{UNTIL:%Y} (a date typed by "
            "mistake). Set the date that was meant for each, then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("kernteam", "0006_programme_office_group"),
    ]

    operations = [
        # The length limit of an agenda question (as for every free text): on the model, no
        # column property; nothing changes in the database.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="agendaitem",
                    name="question",
                    field=models.TextField(
                        blank=True,
                        max_length=4000,
                        validators=[django.core.validators.MaxLengthValidator(4000)],
                        verbose_name="question",
                    ),
                ),
            ]
        ),
        migrations.RunPython(refuse_unreadable_meetings, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="meeting",
            constraint=models.CheckConstraint(
                condition=models.Q(scheduled_for__gte=FROM) & models.Q(scheduled_for__lt=UNTIL),
                name="meeting_scheduled_in_a_readable_range",
            ),
        ),
    ]
