"""Household numbers: the village code and a sequence (``371424100202-00017``), unique, safe when
several writers (imports, registration forms, windows) number households of one village at once."""

from __future__ import annotations

from django.db import connection


def _next_code(code: str) -> str:
    """The code after ``code`` (same width): every number of a village sorts in [code, next code)."""
    return str(int(code) + 1).zfill(len(code))


def reserve_household_numbers(cursor, regions) -> dict[str, int]:
    """The next free household number of each village (or township) in ``regions``, held until commit.

    On PostgreSQL a transaction-level advisory lock per village (taken in code order, so two importers
    never wait for each other in a cycle) makes a second transaction that numbers households of the
    same village wait until this one commits; it then reads the highest number again and continues
    after it. So two imports into one village at the same moment never collide on the number. The
    highest number of a village is an index probe (``number`` is unique and sorts by village). SQLite
    has one writer at a time.
    """
    codes = sorted(c for c in regions if c and c.isdigit())
    if not codes:
        return {}
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(v)) FROM unnest(%s::text[]) WITH ORDINALITY "
                       "AS t(v, n) ORDER BY n", [NUMBER_LOCK, codes])
        cursor.execute("SELECT v, (SELECT MAX(number) FROM registry_household WHERE number >= v AND number < u) "
                       "FROM unnest(%s::text[], %s::text[]) AS t(v, u)", [codes, [_next_code(c) for c in codes]])
        highest = dict(cursor.fetchall())
    else:
        highest = {}
        for code in codes:
            cursor.execute("SELECT MAX(number) FROM registry_household WHERE number >= %s AND number < %s",
                           [code, _next_code(code)])
            highest[code] = cursor.fetchone()[0]
    result = {}
    for code in codes:
        tail = (highest.get(code) or "").rsplit("-", 1)[-1]
        result[code] = int(tail) + 1 if tail.isdigit() else 1
    return result


NUMBER_LOCK = 0x4A5A  # the advisory-lock class of household numbering (with the village code's hash)


def household_number(region_code: str) -> str:
    """The next number of the village, for one household registered inside the caller's transaction
    (the advisory lock is held until it commits)."""
    with connection.cursor() as cursor:
        return f"{region_code}-{reserve_household_numbers(cursor, [region_code])[region_code]:05d}"
