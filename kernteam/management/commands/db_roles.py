"""`manage.py db_roles --owner kernteam_owner --app kernteam_app`: the two PostgreSQL roles.

The owner owns the database, its schema and every table, and runs the migrations. The
application connects as the app role: it reads and writes rows and nothing more. It owns
nothing, so it cannot alter or drop a table or disable a trigger, and it has no TRUNCATE. On
the append-only tables (the access log and the step history: every `AppendOnly` model) it has
SELECT and INSERT only; their triggers refuse UPDATE and DELETE as well, to everyone.

Prints the SQL (to run with psql as a superuser, connected to the application's database), or
runs it with --execute on the database of DATABASE_URL. Idempotent: run it again after a
migration that adds an append-only table. Tables created by later migrations get the app's
rights by default privileges (migration steps 0005 takes UPDATE, DELETE and TRUNCATE on the
two append-only tables away again). Passwords are set apart, e.g. psql's `\\password`.
"""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from kernteam.undeletable import AppendOnly

NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
ROWS = "SELECT, INSERT, UPDATE, DELETE"
NOT_APPEND = ("UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
EXTENSION = "EXISTS (SELECT FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"


def quoted(names) -> str:
    return ", ".join(f"'{name}'" for name in names)


def append_only_tables() -> list[str]:
    return sorted(m._meta.db_table for m in apps.get_models() if issubclass(m, AppendOnly))


def statements(*, owner: str, app: str, database: str, schema: str = "public") -> list[str]:
    """The SQL, one statement per item. Role and schema names are checked by the caller."""
    quoted_db = '"' + database.replace('"', '""') + '"'
    tables = f"unnest(ARRAY[{quoted(f'{schema}.{t}' for t in append_only_tables())}]::text[])"
    return [
        # the roles, if they are not there yet; the app role gets no powers of its own
        f"""DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{owner}') THEN
        CREATE ROLE {owner} LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{app}') THEN
        CREATE ROLE {app} LOGIN;
    END IF;
END $$""",
        f"ALTER ROLE {app} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
        # the owner owns the database, the schema and everything in it
        f"ALTER DATABASE {quoted_db} OWNER TO {owner}",
        f"ALTER SCHEMA {schema} OWNER TO {owner}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
        f"""DO $$ DECLARE item record; BEGIN
    FOR item IN SELECT c.oid::regclass AS name FROM pg_class c
            WHERE c.relnamespace = '{schema}'::regnamespace AND c.relkind IN ('r', 'p')
            AND c.relowner <> '{owner}'::regrole AND NOT {EXTENSION.format(oid="c.oid")} LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO {owner}', item.name);
    END LOOP;
    FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p
            WHERE p.pronamespace = '{schema}'::regnamespace
            AND p.proowner <> '{owner}'::regrole AND NOT {EXTENSION.format(oid="p.oid")} LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO {owner}', item.name);
    END LOOP;
END $$""",
        # the application: rows, not tables
        f"GRANT CONNECT ON DATABASE {quoted_db} TO {app}",
        f"GRANT USAGE ON SCHEMA {schema} TO {app}",
        f"GRANT {ROWS} ON ALL TABLES IN SCHEMA {schema} TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT {ROWS} "
        f"ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT USAGE, SELECT "
        f"ON SEQUENCES TO {app}",
        # append-only tables (when they exist): the app reads and adds to them; no role but
        # the owner may change, delete or empty them
        f"""DO $$ DECLARE item record; BEGIN
    FOR item IN SELECT DISTINCT c.oid::regclass AS name, a.grantee FROM pg_class c,
            aclexplode(c.relacl) a WHERE c.oid IN (SELECT to_regclass(t) FROM {tables} AS t)
            AND a.grantee <> c.relowner AND a.privilege_type IN ({quoted(NOT_APPEND)}) LOOP
        EXECUTE format('REVOKE {", ".join(NOT_APPEND)} ON %s FROM %s', item.name,
            CASE WHEN item.grantee = 0 THEN 'PUBLIC'
            ELSE quote_ident(pg_get_userbyid(item.grantee)) END);
    END LOOP;
    FOR item IN SELECT to_regclass(t) AS name FROM {tables} AS t
            WHERE to_regclass(t) IS NOT NULL LOOP
        EXECUTE format('GRANT SELECT, INSERT ON %s TO {app}', item.name);
    END LOOP;
END $$""",
    ]


class Command(BaseCommand):
    help = (
        "The database's two PostgreSQL roles: --owner owns the tables and runs migrations, "
        "--app is what the application connects as (rows only: no DDL, no TRUNCATE; the access "
        "log and the step history only SELECT and INSERT). Prints the SQL for a superuser, or "
        "runs it with --execute on DATABASE_URL's database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", required=True, help="Owns the tables, runs migrations.")
        parser.add_argument("--app", required=True, help="The application's role.")
        parser.add_argument("--schema", default="public")
        parser.add_argument(
            "--execute", action="store_true", help="Run it (as a superuser) instead of printing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        owner, app, schema = options["owner"], options["app"], options["schema"]
        for name in (owner, app, schema):
            if not NAME.match(name):
                raise CommandError(f"{name!r}: use lower-case letters, digits and _ only.")
        if owner == app:
            raise CommandError("The application's role must not be the owner.")
        if connection.vendor != "postgresql":
            raise CommandError("db_roles is for PostgreSQL (DATABASE_URL=postgres://…).")
        database = connection.settings_dict["NAME"]
        sql = statements(owner=owner, app=app, database=database, schema=schema)
        if not options["execute"]:
            self.stdout.write(f"-- Kernteam's roles on {database}: run as a superuser, e.g.")
            self.stdout.write(f"-- psql -v ON_ERROR_STOP=1 -d {database} -f roles.sql")
            for statement in sql:
                self.stdout.write(f"{statement};")
            return
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)  # (no parameters: '%' stays literal)
        self.stdout.write(
            f"{owner} owns {database}; {app} reads and writes rows, and only reads and adds to "
            f"{', '.join(append_only_tables())}."
        )
