import django.core.validators
from django.db import migrations, models


def limited(verbose_name: str, max_length: int, **kwargs) -> models.TextField:
    return models.TextField(
        max_length=max_length,
        validators=[django.core.validators.MaxLengthValidator(max_length)],
        verbose_name=verbose_name,
        **kwargs,
    )


class Migration(migrations.Migration):
    """Length limits of goals, actions and reasons live on the models (forms, admin and API
    read them there). A TextField's max_length is no column property: nothing changes in the
    database, and on SQLite the tables (and the history's append-only triggers) are not
    rebuilt."""

    dependencies = [
        ("steps", "0005_state_matches_history"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="agreedaction",
                    name="description",
                    field=limited("what", 2000),
                ),
                migrations.AlterField(
                    model_name="goal",
                    name="description",
                    field=limited("goal", 2000),
                ),
                migrations.AlterField(
                    model_name="stepchange",
                    name="reason",
                    field=limited("reason", 2000, blank=True),
                ),
            ]
        ),
    ]
