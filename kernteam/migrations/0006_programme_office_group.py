from django.db import migrations

PROGRAMME_OFFICE = "programme office"


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=PROGRAMME_OFFICE)


class Migration(migrations.Migration):
    dependencies = [
        ("kernteam", "0005_log_officers_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
