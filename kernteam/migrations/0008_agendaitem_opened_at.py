"""An agenda item says when the chair opened the resident (`opened_at`). Until now opening set
`discussed_at`; that is what those values record, so they are copied. Whether a resident was
discussed is no longer stored: a decision recorded with the meeting says so."""

from django.db import migrations, models


def copy_opened(apps, schema_editor) -> None:
    AgendaItem = apps.get_model("kernteam", "AgendaItem")
    AgendaItem.objects.filter(discussed_at__isnull=False).update(opened_at=models.F("discussed_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("kernteam", "0007_text_limits_meeting_dates"),
    ]

    operations = [
        migrations.AddField(
            model_name="agendaitem",
            name="opened_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="opened at"
            ),
        ),
        migrations.RunPython(copy_opened, migrations.RunPython.noop),
    ]
