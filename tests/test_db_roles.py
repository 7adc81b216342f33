"""The application's PostgreSQL role (`manage.py db_roles`) does its work and nothing more: it
cannot change, delete or empty the access log or the step history, disable a trigger, or
create or drop a table. On a database of the test's own, set up as in production: the command
(as a superuser) makes the roles, the owner migrates, the application connects as the app role.
Needs a PostgreSQL server whatever the test database is (KERNTEAM_PG_ADMIN_URL, a superuser)."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import psycopg
import pytest
from psycopg import errors, sql

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("KERNTEAM_PG_ADMIN_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
LAW = ("kernteam_accesslogentry", "steps_stepchange")  # append-only by law (NEN 7513, WGBO)


def url(*, user: str, database: str) -> str:
    parts = urllib.parse.urlsplit(ADMIN_URL)
    host = parts.hostname or "127.0.0.1"
    return f"postgres://{user}@{host}:{parts.port or 5432}/{database}"


def manage(*args: str, database_url: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DEBUG"}}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.test_settings",
        KERNTEAM_DB_POOL="0",
    )
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def admin(database: str = ""):
    target = ADMIN_URL if not database else url(user=admin_user(), database=database)
    return psycopg.connect(target, autocommit=True, connect_timeout=3)


def admin_user() -> str:
    return urllib.parse.urlsplit(ADMIN_URL).username or "postgres"


@pytest.fixture(scope="module")
def roles():
    """A new database, its roles made by `db_roles` before the first migration (as on a new
    server), migrated by the owner."""
    try:
        admin().close()
        reachable = True
    except psycopg.OperationalError:
        reachable = False
    require_service(reachable, f"PostgreSQL (a superuser) at {ADMIN_URL} is not reachable")
    tag = f"kt_roles_{os.getpid()}"
    database, owner, app = tag, f"{tag}_owner", f"{tag}_app"
    with admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    try:
        as_superuser = url(user=admin_user(), database=database)
        manage("db_roles", "--owner", owner, "--app", app, "--execute", database_url=as_superuser)
        manage("migrate", "-v0", database_url=url(user=owner, database=database))
        yield {"database": database, "owner": owner, "app": app, "superuser": as_superuser}
    finally:
        with admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
            for role in (app, owner):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


ORDINARY_WORK = """
from kernteam.access_log import write
from kernteam.models import AccessLogEntry
from steps.models import Trajectory
from steps.services import move_resident
from tests.factories import MembershipFactory, ResidentFactory, TeamFactory, UserFactory

team = TeamFactory(neighbourhood="Daalhof")
nurse = UserFactory(username="wijkverpleging.daalhof")
MembershipFactory(team=team, user=nurse, role="district_nurse")
resident = ResidentFactory(team=team, state="step2")
move_resident(resident=resident, transition="step_up_to_3", expected_state="step2", by=nurse,
              reason="Twee keer gevallen")
row = (team, resident.pk, "read", "resident", "district_nurse")
write(user=nurse, rows=[row], path="/residents/", ip="10.0.0.1")  # INSERT
write(user=nurse, rows=[row] * 25, path="/teams/daalhof/board/", ip="10.0.0.1")  # COPY
state = Trajectory.objects.get(resident=resident).state
print(state, resident.trajectory.history.count(), AccessLogEntry.objects.count())
"""


@pytest.fixture(scope="module")
def worked(roles) -> str:
    """The application's work, done as the app role: what it printed."""
    as_app = url(user=roles["app"], database=roles["database"])
    return manage("shell", "-v0", "-c", ORDINARY_WORK, database_url=as_app)


def test_the_app_role_does_the_ordinary_work(worked):
    assert worked.split() == ["step3", "1", "26"]  # moved, with its history row; 26 rows logged


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("UPDATE kernteam_accesslogentry SET what = 'x'", "append-only"),
        ("DELETE FROM kernteam_accesslogentry", "append-only"),
        ("UPDATE steps_stepchange SET reason = 'x'", "append-only"),
        ("DELETE FROM steps_stepchange", "append-only"),
        ("UPDATE steps_trajectory SET state = 'step1'", "state changes only with its history"),
    ],
)
def test_even_the_owner_meets_the_triggers(roles, worked, statement, refusal):
    """The owner may alter tables (and so disable triggers, as a migration would), but
    its ordinary statements meet the same triggers."""
    as_owner = url(user=roles["owner"], database=roles["database"])
    with psycopg.connect(as_owner) as conn, pytest.raises(psycopg.DatabaseError, match=refusal):
        conn.execute(statement)


REFUSED = [
    *[f"UPDATE {table} SET id = id" for table in LAW],
    *[f"DELETE FROM {table}" for table in LAW],
    *[f"TRUNCATE {table}" for table in LAW],
    *[f"ALTER TABLE {table} DISABLE TRIGGER ALL" for table in LAW],
    "ALTER TABLE steps_trajectory DISABLE TRIGGER steps_trajectory_state_matches_history",
    "TRUNCATE clients_resident CASCADE",
    "DROP TABLE steps_trajectory CASCADE",
    "CREATE TABLE kernteam_copy AS SELECT * FROM kernteam_accesslogentry",
    "DROP FUNCTION kernteam_access_log_is_append_only() CASCADE",
    "SET session_replication_role = replica",  # would skip every trigger
    "CREATE ROLE kt_roles_more SUPERUSER",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_app_role_cannot_rewrite_empty_or_unprotect_the_record(roles, statement):
    as_app = url(user=roles["app"], database=roles["database"])
    with psycopg.connect(as_app, autocommit=True) as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)
        assert conn.execute("SELECT current_user").fetchone() == (roles["app"],)


def test_only_the_owner_owns_and_the_app_reads_and_adds_to_the_record(roles):
    with admin(roles["database"]) as conn:
        owners = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class"
            " WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S', 'i')"
        ).fetchall()
        assert owners == [(roles["owner"],)]
        for table in LAW:
            rights = conn.execute(
                "SELECT privilege_type FROM information_schema.role_table_grants"
                " WHERE table_name = %s AND grantee = %s ORDER BY 1",
                [table, roles["app"]],
            ).fetchall()
            assert rights == [("INSERT",), ("SELECT",)], table
        superuser = conn.execute(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = %s",
            [roles["app"]],
        ).fetchone()
        assert superuser == (False,)


def test_on_an_existing_database_the_command_hands_everything_to_the_owner(roles):
    """A database migrated before by one account (here the superuser) that owned it all."""
    with admin(roles["database"]) as conn:
        conn.execute("CREATE TABLE kernteam_older (id integer)")
        conn.execute("ALTER TABLE kernteam_accesslogentry OWNER TO CURRENT_USER")
        conn.execute("GRANT UPDATE, DELETE, TRUNCATE ON kernteam_accesslogentry TO PUBLIC")
    app, owner = roles["app"], roles["owner"]
    manage("db_roles", "--owner", owner, "--app", app, "--execute", database_url=roles["superuser"])
    with admin(roles["database"]) as conn:
        owned = conn.execute(
            "SELECT relname, pg_get_userbyid(relowner) FROM pg_class"
            " WHERE relname IN ('kernteam_older', 'kernteam_accesslogentry') ORDER BY 1"
        ).fetchall()
        assert owned == [("kernteam_accesslogentry", owner), ("kernteam_older", owner)]
    with psycopg.connect(url(user=app, database=roles["database"]), autocommit=True) as conn:
        conn.execute("INSERT INTO kernteam_older VALUES (1)")
        conn.execute("DELETE FROM kernteam_older")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("TRUNCATE kernteam_accesslogentry")
