"""Restore a backup made by ``db_backup`` into a fresh database named by ``--database-url``."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

import dj_database_url
from django.core.management.base import BaseCommand, CommandError

from .db_backup import pg_environment, pg_tool

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
COUNTED_TABLES = ("registry_household", "registry_person", "registry_householdfacts", "core_auditevent",
                  "accounts_user")


def _pg_admin(settings_dict: dict):
    import psycopg

    params = {"host": settings_dict.get("HOST") or "127.0.0.1", "port": settings_dict.get("PORT") or 5432,
              "user": settings_dict.get("USER") or None, "password": settings_dict.get("PASSWORD") or None,
              "dbname": "postgres", "autocommit": True}
    return psycopg.connect(**{k: v for k, v in params.items() if v is not None})


def _pg_counts(settings_dict: dict) -> dict[str, int]:
    import psycopg

    params = {"host": settings_dict.get("HOST") or "127.0.0.1", "port": settings_dict.get("PORT") or 5432,
              "user": settings_dict.get("USER") or None, "password": settings_dict.get("PASSWORD") or None,
              "dbname": settings_dict["NAME"]}
    counts = {}
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
        for table in COUNTED_TABLES:
            if conn.execute("SELECT to_regclass(%s)", [table]).fetchone()[0]:
                counts[table] = conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    return counts


class Command(BaseCommand):
    help = "Restore a db_backup file into a fresh database (--database-url); refuses a database that has tables."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--database-url", required=True, help="the fresh database to restore into")
        parser.add_argument("--jobs", type=int, default=2, help="parallel pg_restore jobs (PostgreSQL)")

    def handle(self, *args, path: str, database_url: str, jobs: int, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"no backup file at {source}")
        magic = source.open("rb").read(16)
        target = dj_database_url.parse(database_url)
        started = time.perf_counter()
        if magic.startswith(PG_MAGIC):
            if "postgresql" not in target["ENGINE"]:
                raise CommandError("this is a PostgreSQL backup: restore it into a PostgreSQL database")
            counts = self._restore_postgres(source, target, jobs)
        elif magic.startswith(SQLITE_MAGIC):
            if "sqlite" not in target["ENGINE"]:
                raise CommandError("this is a SQLite backup: restore it into a SQLite database (sqlite:///path)")
            counts = self._restore_sqlite(source, Path(target["NAME"]))
        else:
            raise CommandError(f"{source} is neither a pg_dump custom-format file nor a SQLite database")
        self.stdout.write(f"restored {source} into {target['NAME']} in {time.perf_counter() - started:.1f} s: "
                          + ", ".join(f"{table} {n:,}" for table, n in counts.items()))

    def _restore_postgres(self, source: Path, target: dict, jobs: int) -> dict[str, int]:
        import psycopg

        name = target["NAME"]
        with _pg_admin(target) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
        if any(n for n in _pg_counts(target).values()) or self._pg_has_tables(target):
            raise CommandError(f"database {name} is not empty; restore into a fresh database")
        result = subprocess.run(  # noqa: S603
            [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", f"--jobs={max(1, jobs)}",
             "--dbname", name, str(source)],
            env=pg_environment({**target, "NAME": name}), capture_output=True, text=True)
        if result.returncode != 0:
            raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        return _pg_counts(target)

    @staticmethod
    def _pg_has_tables(target: dict) -> bool:
        import psycopg

        params = {"host": target.get("HOST") or "127.0.0.1", "port": target.get("PORT") or 5432,
                  "user": target.get("USER") or None, "password": target.get("PASSWORD") or None,
                  "dbname": target["NAME"]}
        with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
            return bool(conn.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' LIMIT 1").fetchone())

    @staticmethod
    def _restore_sqlite(source: Path, target: Path) -> dict[str, int]:
        if target.exists() and target.stat().st_size > 0:
            check = sqlite3.connect(target)
            try:
                tables = check.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            finally:
                check.close()
            if tables:
                raise CommandError(f"{target} is not empty; restore into a fresh database")
        target.parent.mkdir(parents=True, exist_ok=True)
        backup, restored = sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(target)
        try:
            backup.backup(restored)
            counts = {}
            for table in COUNTED_TABLES:
                if restored.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [table]).fetchone():
                    counts[table] = restored.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        finally:
            backup.close()
            restored.close()
        return counts
