"""Referral updates (issue 18 §2) are append-only in the database too, not only in the ORM: what
a provider said is never overwritten.

PostgreSQL: a trigger refuses UPDATE and DELETE (TRUNCATE, used only by test teardown and
`flush`, is not a row operation). SQLite: a trigger refuses UPDATE; DELETE stays refused by the
application, because Django's `flush` empties SQLite tables with DELETE (as 0004).
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION kernteam_referral_update_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'referral updates are append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER steps_referralupdate_append_only
    BEFORE UPDATE OR DELETE ON steps_referralupdate
    FOR EACH ROW EXECUTE FUNCTION kernteam_referral_update_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS steps_referralupdate_append_only ON steps_referralupdate;
DROP FUNCTION IF EXISTS kernteam_referral_update_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER steps_referralupdate_append_only BEFORE UPDATE ON steps_referralupdate
BEGIN SELECT RAISE(ABORT, 'referral updates are append-only: UPDATE refused'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS steps_referralupdate_append_only;"


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
    dependencies = [("steps", "0011_local_offers_and_referrals")]
    operations = [migrations.RunPython(forwards, backwards)]
