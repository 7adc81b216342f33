from django.db import migrations

LOG_OFFICERS = "log officers"


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=LOG_OFFICERS)


class Migration(migrations.Migration):
    dependencies = [
        ("kernteam", "0004_access_log_append_only_trigger"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
