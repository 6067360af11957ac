"""Test databases copied from a template migrated once (PostgreSQL and SQLite), and on
PostgreSQL emptied between transactional tests with DELETE rather than TRUNCATE (conftest.py
`django_db_modify_db_settings`).

SQLite: the test database lives in memory, one per worker, and Django migrates each (3 CPU s).
Here it is filled with sqlite3's backup API from a file migrated once under a file lock,
`<tmp>/onewindow-test-<hash>.sqlite3` (same hash, same rules, kept for the next run). The dev
server's test copies the same file (tests/processes.py `migrated_sqlite`), on either database.

The template:

Django makes each test database (one per pytest-xdist worker) by running every migration in it:
3 CPU s in the worker and as much again in the server, per worker and run. Here the first
worker to need one migrates a template database, `test_onewindow_tpl_<hash>`, and each worker's
database is `CREATE DATABASE … TEMPLATE` of it (0.3 s). The hash is over every installed app's
migration files and Django's version: a template is used only by runs whose migrations made it,
and it stays on the server for the next run (a new one replaces the older ones). The workers
take turns through an advisory lock of the server, so the template is built once.

The databases are the same as Django's: the template is made by Django's own `create_test_db`
(migrate, post_migrate's content types and permissions), and a copy has the same tables, rows,
triggers and sequences. `--reuse-db` keeps Django's way.

The flush: after each transactional test (`transaction=True`, the browser tests' live server)
Django empties every table with one TRUNCATE, and the browser tests' demo rows are written back
after another (e2e/conftest.py). TRUNCATE makes new files for the 72 tables: 150–280 ms, 70 ms
of it the server's CPU, for tables holding a few rows. DELETE FROM each table, the foreign keys
checked at the commit (Django makes them DEFERRABLE INITIALLY DEFERRED), empties them in 5 ms.
The audit tables refuse DELETE by trigger (accounts/migrations/0005, 0007), as they should: they
are still truncated, when they hold rows. A flush that resets sequences, or of only some of the
tables, stays Django's TRUNCATE."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError

# Bump when what a template holds changes other than through a migration or Django.
VERSION = 1
MAX_NAME = 63  # PostgreSQL's identifiers


def migrations_hash() -> str:
    digest = hashlib.sha256(f"{VERSION} {django.get_version()}".encode())
    for config in sorted(apps.get_app_configs(), key=lambda config: config.label):
        for path in sorted((Path(config.path) / "migrations").glob("*.py")):
            digest.update(f"{config.label}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def template_name() -> tuple[str, str]:
    """(the template's name, the prefix of every template). One name per server and migrations,
    whatever the test database is called: CI names its database after its process, and a
    template per name would stay behind after every run."""
    prefix = "test_onewindow_tpl_"
    return prefix + migrations_hash(), prefix


def flush_with_delete(ops) -> None:
    """Make `ops.sql_flush` (a PostgreSQL connection's) empty the tables with DELETE."""
    django_flush = ops.sql_flush
    connection = ops.connection
    quote = ops.quote_name
    guarded: list[str] = []  # the tables with triggers of their own

    def sql_flush(style, tables, *, reset_sequences=False, allow_cascade=False):
        every = connection.introspection.django_table_names(only_existing=True)
        if reset_sequences or set(tables) != set(every):
            return django_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        if not guarded:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"
                )
                guarded.extend(sorted(name.strip('"') for (name,) in cursor.fetchall()))
        sql = ["SET CONSTRAINTS ALL DEFERRED"]
        truncated = [table for table in guarded if table in tables]
        if truncated:  # first: a table with pending trigger events cannot be truncated
            held = " OR ".join(f"EXISTS (SELECT 1 FROM {quote(table)})" for table in truncated)
            names = ", ".join(quote(table) for table in truncated)
            sql.append(f"DO $$ BEGIN IF {held} THEN TRUNCATE {names}; END IF; END $$")
        sql += [f"DELETE FROM {quote(table)}" for table in sorted(tables) if table not in guarded]
        return sql

    ops.sql_flush = sql_flush


def _django_create_as(django_create, connection, name: str, verbosity: int) -> None:
    """Django's own create_test_db (migrate, content types, permissions) into the database
    `name`; the connection's settings are put back and no session is left on it."""
    test = connection.settings_dict["TEST"]
    saved = test.get("NAME"), connection.settings_dict["NAME"]
    test["NAME"] = name
    try:
        django_create(verbosity, autoclobber=True, serialize=False, keepdb=False)
    finally:
        connection.close()
        test["NAME"], connection.settings_dict["NAME"] = saved
        settings.DATABASES[connection.alias]["NAME"] = saved[1]


def clone_from_template(creation) -> None:
    """Make `creation.create_test_db` (a PostgreSQL connection's) clone the template."""
    django_create = creation.create_test_db
    connection = creation.connection
    quote = connection.ops.quote_name

    def create_test_db(verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        if keepdb:  # --reuse-db: Django's own, whose migrate brings a kept database up to date
            return django_create(verbosity, autoclobber, serialize, keepdb)
        name = creation._get_test_db_name()
        template, prefix = template_name()
        with creation._nodb_cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [template])
            try:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
                if cursor.fetchone() is None:
                    build(template, verbosity)
                    drop_older(cursor, prefix, template)
                if autoclobber:
                    cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)}")
                cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(template)}")
            finally:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [template])
        # What Django's create_test_db does after its migrate.
        connection.close()
        settings.DATABASES[connection.alias]["NAME"] = name
        connection.settings_dict["NAME"] = name
        if serialize:
            connection._test_serialized_contents = creation.serialize_db_to_string()
        call_command("createcachetable", database=connection.alias)
        connection.ensure_connection()
        return name

    def build(template: str, verbosity: int) -> None:
        """Django's create_test_db under another name, renamed to the template's once migrated
        (a run stopped halfway leaves no template behind); no session left on it."""
        building = template.replace("_tpl_", "_bld_")
        _django_create_as(django_create, connection, building, verbosity)
        with creation._nodb_cursor() as cursor:
            cursor.execute(f"ALTER DATABASE {quote(building)} RENAME TO {quote(template)}")

    def drop_older(cursor, prefix: str, template: str) -> None:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE left(datname, %s) = %s AND datname <> %s",
            [len(prefix), prefix, template],
        )
        for (older,) in cursor.fetchall():
            with contextlib.suppress(DatabaseError):  # in use by another run: for a later one
                cursor.execute(f"DROP DATABASE {quote(older)}")

    creation.create_test_db = create_test_db


SQLITE_FOLDER = Path(tempfile.gettempdir())


def sqlite_template(build: Callable[[Path], None] | None = None) -> Path:
    """The migrated SQLite file, made first if missing, under a file lock: by `build(path)`, or
    by `manage.py migrate` in a process of its own (a PostgreSQL run's dev-server test)."""
    template = SQLITE_FOLDER / f"onewindow-test-{migrations_hash()}.sqlite3"
    with open(SQLITE_FOLDER / "onewindow-test-template.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            building = template.with_suffix(f".building-{os.getpid()}")
            (build or _migrate)(building)
            with contextlib.closing(sqlite3.connect(building)) as made:
                made.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            building.rename(template)
            for older in SQLITE_FOLDER.glob("onewindow-test-*.sqlite3"):
                if older != template:
                    older.unlink(missing_ok=True)
    return template


def _migrate(path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=settings.BASE_DIR,
                   env=env, check=True, timeout=300)  # fmt: skip


def sqlite_from_template(creation) -> None:
    """Make `creation.create_test_db` (an SQLite connection's) fill the in-memory test database
    from the template file."""
    django_create = creation.create_test_db
    connection = creation.connection

    def create_test_db(verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        name = creation._get_test_db_name()
        if keepdb or not creation.is_in_memory_db(name):
            return django_create(verbosity, autoclobber, serialize, keepdb)
        template = sqlite_template(
            lambda path: _django_create_as(django_create, connection, str(path), verbosity)
        )
        connection.close()
        settings.DATABASES[connection.alias]["NAME"] = name
        connection.settings_dict["NAME"] = name
        connection.ensure_connection()
        source = sqlite3.connect(template)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        if serialize:
            connection._test_serialized_contents = creation.serialize_db_to_string()
        call_command("createcachetable", database=connection.alias)
        return name

    creation.create_test_db = create_test_db
