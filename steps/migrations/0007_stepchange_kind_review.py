"""A new kind of history row: the review that keeps the step ("besproken, stap blijft").

Only the field's choices change: no SQL on either database, so steps_stepchange is not rebuilt
on SQLite and its append-only triggers (0004) stay. A review row records the same state it
comes from, and the state does not change: the trigger of 0005 (a new state needs a history row
that records it) has nothing to check.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("steps", "0006_text_limits"),
    ]

    operations = [
        migrations.AlterField(
            model_name="stepchange",
            name="kind",
            field=models.CharField(
                choices=[
                    ("signal", "signalled"),
                    ("screen", "screening started"),
                    ("enter", "step assigned after screening"),
                    ("step_up", "step up"),
                    ("step_down", "step down"),
                    ("admit", "admitted"),
                    ("return", "returned home"),
                    ("close", "closed"),
                    ("reopen", "reopened"),
                    ("confirm", "urgent step-up confirmed"),
                    ("review", "discussed — step stays"),
                ],
                max_length=12,
                verbose_name="kind",
            ),
        ),
    ]
