"""CI's PostgreSQL pass runs as the application's role, not as the tables' owner.

Given a superuser's URL (postgres://postgres@host:port/NAME), makes the test database
test_NAME as production is made: `manage.py db_roles` (as the superuser) gives it an owner and
an application role, the owner migrates it. The tests then connect as a test role: the
application's role plus TRUNCATE, which Django needs to empty the tables between transactional
tests (the append-only triggers refuse DELETE; the production role has no TRUNCATE, which
tests/test_db_roles.py checks on a database of its own). Prints the DATABASE_URL for the tests,
to run with `--reuse-db` (pytest-django then keeps this database as it is, migrations and all).
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
OWNER = os.environ.get("CI_DB_OWNER", "kernteam_owner")
APP = os.environ.get("CI_DB_APP", "kernteam_app")
TESTS = os.environ.get("CI_DB_TESTS", "kernteam_tests")


def at(url: urllib.parse.SplitResult, *, user: str, database: str) -> str:
    return f"postgres://{user}@{url.hostname or '127.0.0.1'}:{url.port or 5432}/{database}"


def manage(*args: str, database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DATABASE_URL=database_url, KERNTEAM_DB_POOL="0")
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    # (its output to stderr: stdout is the URL)
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=sys.stderr
    )


def main(superuser_url: str) -> None:
    url = urllib.parse.urlsplit(superuser_url)
    superuser, name = url.username or "postgres", url.path.lstrip("/")
    test_database = f"test_{name}"
    with psycopg.connect(at(url, user=superuser, database="postgres"), autocommit=True) as conn:
        database = sql.Identifier(test_database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(database))
    as_superuser = at(url, user=superuser, database=test_database)
    manage("db_roles", "--owner", OWNER, "--app", APP, "--execute", database_url=as_superuser)
    manage("migrate", "-v0", database_url=at(url, user=OWNER, database=test_database))
    with psycopg.connect(as_superuser, autocommit=True) as conn:
        tests = sql.Identifier(TESTS)
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [TESTS]).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(tests))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(APP), tests))
        conn.execute(sql.SQL("GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {}").format(tests))
    print(at(url, user=TESTS, database=name))


if __name__ == "__main__":
    main(sys.argv[1])
