"""The audit table refuses UPDATE, DELETE and TRUNCATE in the database itself.

Migration ``core.0002_secplatform_audit_append_only`` installs triggers that raise on any UPDATE or
DELETE of a row of ``core_auditevent`` and, on PostgreSQL, on TRUNCATE: the application never changes an
event after writing it, so whatever tries (a bug, an injected statement, an operator's hand-typed SQL
under the application's role) fails and changes nothing. Nothing in the application needs an exception:
the audit log has no retention period (``core.retention`` purges error reports only).

The one maintenance path is ``audit_maintenance()``: it lifts the guard inside one transaction and puts
it back before commit. On PostgreSQL it needs ``ALTER TABLE`` on the audit table, which only the table's
owner may run: deploy with the tables owned by a migration role and the web and worker processes
connected as a role that does not own them (docs/security.md), and the application role cannot lift
the guard at all. It is used by ``manage.py flush`` (which empties every table, as the test suite does
after each transactional test) and by the tests that play the attacker. Someone who owns the database
can still lift it: the signed checkpoints (``core.audit_checkpoint``) are what shows their changes.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction

TABLE = "core_auditevent"

POSTGRESQL_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION dajiuzhu_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the audit log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Audit events are never changed or deleted (docs/security.md).';
    END
    $$
    """,
    f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION dajiuzhu_audit_append_only()",
    f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION dajiuzhu_audit_append_only()",
]
POSTGRESQL_REMOVE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    "DROP FUNCTION IF EXISTS dajiuzhu_audit_append_only()",
]
# SQLite has no TRUNCATE (DELETE without WHERE is a DELETE) and no way to disable a trigger.
SQLITE_INSTALL = [
    f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE is refused'); END",
    f"CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE is refused'); END",
]
SQLITE_REMOVE = [f"DROP TRIGGER IF EXISTS {TABLE}_no_update", f"DROP TRIGGER IF EXISTS {TABLE}_no_delete"]


def install_sql(vendor: str) -> list[str]:
    return {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}.get(vendor, [])


def remove_sql(vendor: str) -> list[str]:
    return {"postgresql": POSTGRESQL_REMOVE, "sqlite": SQLITE_REMOVE}.get(vendor, [])


def guard_installed(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the triggers are in place and enabled."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
                           "AND tgenabled <> 'D' AND tgname IN (%s, %s)",
                           [TABLE, f"{TABLE}_append_only", f"{TABLE}_no_truncate"])
            return cursor.fetchone()[0] == 2
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
                           "AND name IN (%s, %s)", [TABLE, f"{TABLE}_no_update", f"{TABLE}_no_delete"])
            return cursor.fetchone()[0] == 2
    return False


@contextmanager
def audit_maintenance(using: str = DEFAULT_DB_ALIAS):
    """Lift the guard for the statements of the block, in one transaction; it is back before commit, and a
    block that fails rolls back with the lifting. PostgreSQL: only the audit table's owner may do this."""
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # ALTER TABLE waits for no deferred check of this transaction (foreign keys are deferred).
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for statement in remove_sql(connection.vendor):
                    cursor.execute(statement)
        yield
        # The block may have changed the chain's head: forget the head this transaction remembered (core.audit).
        connection._audit_chain_head = None
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for statement in install_sql(connection.vendor):
                    cursor.execute(statement)
