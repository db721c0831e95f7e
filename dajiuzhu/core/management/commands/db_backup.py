"""Back up the database: pg_dump's custom format on PostgreSQL, the SQLite online-backup API on SQLite."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections


def pg_tool(name: str) -> str:
    """Full path of a PostgreSQL client program (``PG_BIN`` first, then ``PATH``)."""
    folder = os.environ.get("PG_BIN", "")
    found = shutil.which(name, path=folder or None)
    if not found:
        raise CommandError(f"{name} not found: install the PostgreSQL client programs or set PG_BIN")
    return found


def pg_environment(settings_dict: dict) -> dict[str, str]:
    """libpq environment for pg_dump/pg_restore (the password never goes on the command line)."""
    env = {**os.environ}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"),
                      ("NAME", "PGDATABASE")):
        if settings_dict.get(key):
            env[name] = str(settings_dict[key])
    return env


class Command(BaseCommand):
    help = "Back up the database to PATH (pg_dump custom format, or a SQLite database file)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, path: str, database: str, **options):
        connection = connections[database]
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        partial = target.with_name(target.name + ".partial")
        if connection.vendor == "postgresql":
            env = pg_environment(connection.settings_dict)
            result = subprocess.run(  # noqa: S603
                [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(partial)],
                env=env, capture_output=True, text=True)
            if result.returncode != 0:
                partial.unlink(missing_ok=True)
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        elif connection.vendor == "sqlite":
            connection.ensure_connection()
            partial.unlink(missing_ok=True)
            destination = sqlite3.connect(partial)
            try:
                connection.connection.backup(destination)
            finally:
                destination.close()
        else:
            raise CommandError(f"db_backup does not support {connection.vendor}")
        partial.replace(target)
        size = target.stat().st_size
        self.stdout.write(f"backup of {connection.vendor} database written to {target} "
                          f"({size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s)")
