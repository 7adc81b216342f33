"""A trajectory's state changes only together with its history: the database refuses an UPDATE
that changes `state` unless the trajectory's newest history row (highest id) records exactly
that move, from the old state to the new one.

A move writes its history row first and then the new state, in one transaction
(`Trajectory.save`), so a row-level BEFORE UPDATE trigger sees the row it needs, on PostgreSQL
and on SQLite alike. An UPDATE that leaves the state as it is (review date, pending
confirmation, …) is not checked; nor is an INSERT (a trajectory exists before its first
history row). On SQLite, whoever can write the file can drop the trigger; on PostgreSQL only
the tables' owner can (see `manage.py db_roles`). A later migration that makes SQLite rebuild
steps_trajectory (most AlterField/RemoveField) drops this trigger with the old table: re-create
it there (tests/test_state_guard.py notices).

On PostgreSQL this migration also takes UPDATE, DELETE and TRUNCATE on the step history and the
access log away from every role but their owner. `manage.py db_roles` gives the application's
role its rights on tables yet to be made by default privileges (all of SELECT, INSERT, UPDATE,
DELETE); on a new database, where the roles come before the first `migrate`, these two tables
would otherwise be made with rights the law does not allow.
"""

from django.db import migrations

MESSAGE = "a trajectory's state changes only with its history"
QUOTED = MESSAGE.replace("'", "''")  # inside an SQL string

PG_UP = f"""
CREATE OR REPLACE FUNCTION kernteam_state_matches_history() RETURNS trigger AS $$
DECLARE
    newest record;
BEGIN
    SELECT from_state, to_state INTO newest FROM steps_stepchange
        WHERE trajectory_id = NEW.id ORDER BY id DESC LIMIT 1;
    IF NOT FOUND OR newest.from_state IS DISTINCT FROM OLD.state
            OR newest.to_state IS DISTINCT FROM NEW.state THEN
        RAISE EXCEPTION '{QUOTED}: % to % refused', OLD.state, NEW.state
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER steps_trajectory_state_matches_history
    BEFORE UPDATE OF state ON steps_trajectory
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION kernteam_state_matches_history();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS steps_trajectory_state_matches_history ON steps_trajectory;
DROP FUNCTION IF EXISTS kernteam_state_matches_history();
"""
PG_ONLY_OWNER_CHANGES = """
DO $$ DECLARE item record; BEGIN
    FOR item IN SELECT DISTINCT c.oid::regclass AS name, a.grantee FROM pg_class c,
            aclexplode(c.relacl) a
            WHERE c.oid IN (to_regclass('steps_stepchange'), to_regclass('kernteam_accesslogentry'))
            AND a.grantee <> c.relowner AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM %s', item.name,
            CASE WHEN item.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(item.grantee)) END);
    END LOOP;
END $$;
"""
SQLITE_UP = f"""
CREATE TRIGGER steps_trajectory_state_matches_history BEFORE UPDATE OF state ON steps_trajectory
WHEN NEW.state IS NOT OLD.state AND NOT EXISTS (
    SELECT 1 FROM (
        SELECT from_state, to_state FROM steps_stepchange
        WHERE trajectory_id = NEW.id ORDER BY id DESC LIMIT 1
    ) AS newest
    WHERE newest.from_state = OLD.state AND newest.to_state = NEW.state
)
BEGIN SELECT RAISE(ABORT, '{QUOTED}: UPDATE refused'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS steps_trajectory_state_matches_history;"


def run(schema_editor, by_vendor: dict[str, str]) -> None:
    sql = by_vendor.get(schema_editor.connection.vendor)
    if sql:
        with schema_editor.connection.cursor() as cursor:  # no params: '%' stays literal
            cursor.execute(sql)


def forwards(apps, schema_editor):
    run(schema_editor, {"postgresql": PG_UP + PG_ONLY_OWNER_CHANGES, "sqlite": SQLITE_UP})


def backwards(apps, schema_editor):
    run(schema_editor, {"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN})


class Migration(migrations.Migration):
    dependencies = [
        ("steps", "0004_history_append_only_trigger"),
        ("kernteam", "0004_access_log_append_only_trigger"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
