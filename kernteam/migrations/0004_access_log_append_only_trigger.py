"""The access log is append-only in the database too (NEN 7513): on PostgreSQL a trigger
refuses UPDATE and DELETE; on SQLite one refuses UPDATE (Django's `flush` deletes rows there).
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION kernteam_access_log_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER kernteam_accesslogentry_append_only
    BEFORE UPDATE OR DELETE ON kernteam_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION kernteam_access_log_is_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS kernteam_accesslogentry_append_only ON kernteam_accesslogentry;
DROP FUNCTION IF EXISTS kernteam_access_log_is_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER kernteam_accesslogentry_append_only BEFORE UPDATE ON kernteam_accesslogentry
BEGIN SELECT RAISE(ABORT, 'the access log is append-only: UPDATE refused'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS kernteam_accesslogentry_append_only;"


def run(schema_editor, by_vendor: dict[str, str]) -> None:
    sql = by_vendor.get(schema_editor.connection.vendor)
    if sql:
        with schema_editor.connection.cursor() as cursor:  # no params: '%' stays literal
            cursor.execute(sql)


def forwards(apps, schema_editor):
    run(schema_editor, {"postgresql": PG_UP, "sqlite": SQLITE_UP})


def backwards(apps, schema_editor):
    run(schema_editor, {"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN})


class Migration(migrations.Migration):
    dependencies = [("kernteam", "0003_access_log")]
    operations = [migrations.RunPython(forwards, backwards)]
