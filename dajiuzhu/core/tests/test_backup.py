"""db_backup and db_restore: back up, restore into a fresh database, find the same rows."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dajiuzhu.core.dburl import database_url
from dajiuzhu.core.testing import LINYI_VILLAGE, make_household, member_input

ROWS_SQL = {
    "people": "SELECT id_hash, name, household_id FROM registry_person ORDER BY id",
    "households": "SELECT id, number, region_code FROM registry_household ORDER BY id",
    "audit": "SELECT id, hash, prev_hash FROM core_auditevent ORDER BY id",
}


def _current_rows() -> dict[str, list[tuple]]:
    with connection.cursor() as cursor:
        out = {}
        for key, sql in ROWS_SQL.items():
            cursor.execute(sql)
            out[key] = [tuple(row) for row in cursor.fetchall()]
        return out


def _registry():
    make_household(LINYI_VILLAGE, members=[member_input("王秀英", age=71, sex="F")])
    make_household(LINYI_VILLAGE)


@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_restores_into_a_fresh_database_with_the_same_rows(tmp_path, capsys):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite variant")
    _registry()
    before = _current_rows()
    call_command("db_backup", str(tmp_path / "backup.sqlite3"))
    target = tmp_path / "restored.sqlite3"
    call_command("db_restore", str(tmp_path / "backup.sqlite3"), database_url=f"sqlite:///{target}")
    restored = sqlite3.connect(target)
    try:
        after = {key: [tuple(r) for r in restored.execute(sql).fetchall()] for key, sql in ROWS_SQL.items()}
    finally:
        restored.close()
    assert after == before and len(after["people"]) == 3
    assert "registry_person 3" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not empty"):
        call_command("db_restore", str(tmp_path / "backup.sqlite3"), database_url=f"sqlite:///{target}")


@pytest.mark.django_db
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a backup")
    with pytest.raises(CommandError, match="neither"):
        call_command("db_restore", str(junk), database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_backup_restores_into_a_fresh_database_with_the_same_rows(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    import psycopg

    _registry()
    before = _current_rows()
    backup = tmp_path / "backup.dump"
    call_command("db_backup", str(backup))
    assert backup.read_bytes()[:5] == b"PGDMP"
    s = connection.settings_dict
    name = f"{s['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    url = database_url(name=name)
    admin = dict(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname="postgres",
                 autocommit=True, **({"password": s["PASSWORD"]} if s.get("PASSWORD") else {}))
    try:
        call_command("db_restore", str(backup), database_url=url)
        with psycopg.connect(**{**admin, "dbname": name, "autocommit": False}) as restored:
            after = {key: [tuple(r) for r in restored.execute(sql).fetchall()] for key, sql in ROWS_SQL.items()}
        assert after == before and len(after["people"]) == 3
        with pytest.raises(CommandError, match="not empty"):
            call_command("db_restore", str(backup), database_url=url)
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
