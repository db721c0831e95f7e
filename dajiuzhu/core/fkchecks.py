"""Foreign keys checked set-based, for bulk writes on PostgreSQL.

PostgreSQL checks a foreign key row by row: a trigger per new row and key, fired at commit (Django's
keys are ``DEFERRABLE INITIALLY DEFERRED``), each a small query that also locks the parent row
``FOR KEY SHARE``. For a bulk write of hundreds of thousands of rows that is several microseconds of
server CPU per row and key — the monthly index run wrote 368,000 scores with three keys each and
spent 7.7 s of a 36 s run in those checks at commit.

A bulk writer may instead write its rows with ``session_replication_role = replica`` (the foreign-key
triggers do not fire) and do the triggers' work itself, one statement per parent table
(``check_references``): every referred id must exist, and every parent row not created by this
transaction is locked ``FOR KEY SHARE``, as the trigger would lock it, so nobody deletes it before the
commit. Only allowed (``allowed``) when this role may set the parameter (a superuser, or since
PostgreSQL 15 ``GRANT SET ON PARAMETER session_replication_role TO <role>``; docs/deploy.md) and the
tables written have no trigger of their own, which the replica role would skip too. Everywhere else
(SQLite, a role without the grant) the writers keep the row-by-row triggers; tests compare both paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress

from django.db import DatabaseError, IntegrityError, connection

ENABLED = True  # False: bulk writers always take PostgreSQL's row-by-row triggers (tests compare both paths)


def allowed(tables: Iterable[str]) -> bool:
    """May rows of ``tables`` be written without the per-row foreign-key triggers (and checked by the writer)?"""
    if not ENABLED or connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        if connection.pg_version >= 150000:
            cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        else:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if not (row and row[0]):
            return False
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = ANY(%s::regclass[])",
                       [list(tables)])
        return cursor.fetchone()[0] == 0


@contextmanager
def triggers_off(cursor) -> Iterator[None]:
    """The statements inside run without foreign-key triggers (``allowed`` must have said yes).

    ``SET LOCAL``: the role is back to ``origin`` after the block and at the end of the transaction
    whatever happens; the decision is taken as each row is written, so only these statements skip."""
    cursor.execute("SET LOCAL session_replication_role = replica")
    try:
        yield
    except BaseException:
        # A failed statement aborted the transaction (or the savepoint around this block): the rollback the
        # caller makes undoes the SET LOCAL with it. Resetting here would only fail and hide the error.
        with suppress(DatabaseError):
            if not connection.needs_rollback and _healthy():
                cursor.execute("SET LOCAL session_replication_role = origin")
        raise
    cursor.execute("SET LOCAL session_replication_role = origin")


def _healthy() -> bool:
    """Is the current transaction still usable (not aborted by a failed statement)?"""
    info = getattr(connection.connection, "info", None)
    if info is None:
        return True
    from psycopg.pq import TransactionStatus

    return info.transaction_status != TransactionStatus.INERROR


def _id_text(ids: Iterable[int]) -> str:
    return ",".join(map(str, sorted(ids)))  # one text parameter: no array quoting per element


def check_references(cursor, parent: str, ids: Iterable[int], *, created: Iterable[int] = (), what: str = "") -> None:
    """The triggers' work for rows written under ``triggers_off`` that refer to ``parent`` by ``ids``.

    Raises ``IntegrityError`` (the caller's transaction rolls back, as a failed trigger would make it) if
    any id is missing. Parents in ``created`` (inserted by this transaction, invisible to everyone else
    until it commits) are only checked; every other one is locked ``FOR KEY SHARE``.
    """
    ids = set(ids)
    ids.discard(None)
    if not ids:
        return
    created = ids & set(created)
    others = ids - created
    label = what or parent
    for group, lock in ((others, " FOR KEY SHARE"), (created, "")):
        if not group:
            continue
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {parent} "  # noqa: S608 - table names are ours
                       f"WHERE id = ANY(string_to_array(%s, ',')::bigint[]){lock}) AS found", [_id_text(group)])
        if cursor.fetchone()[0] != len(group):
            cursor.execute(f"SELECT r.id FROM unnest(string_to_array(%s, ',')::bigint[]) AS r(id) "  # noqa: S608
                           f"WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = r.id) LIMIT 1", [_id_text(group)])
            missing = cursor.fetchone()
            raise IntegrityError(f"{label}: {parent} id {missing[0] if missing else '?'} does not exist (foreign key)")
