import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    """A concern's length limit lives on the model (forms, admin and API read it there). A
    TextField's max_length is no column property: nothing changes in the database (and on
    SQLite the table is not rebuilt)."""

    dependencies = [
        ("clients", "0005_carer_invitation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="concern",
                    name="text",
                    field=models.TextField(
                        max_length=4000,
                        validators=[django.core.validators.MaxLengthValidator(4000)],
                        verbose_name="concern",
                    ),
                ),
            ]
        ),
    ]
