"""The registry change feed: every write to the registry notes what it touched, in commit order.

A process's in-memory snapshot reads the feed before it decides and reloads what changed, so a
change committed by any process (an import, a consent withdrawn, SR 6.23 recorded) is seen by
the next decision in every process. Writers call ``note_changes`` inside their own transaction:
the note commits with the change or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, func, insert, select

from meterguard.adapters.storage import schema

_changes = schema.registry_changes

# Kinds of change, for the reader's benefit; a None meter point means registry-wide.
APPOINTMENTS = "appointments"
OCCUPANCIES = "occupancies"
DEVICES = "devices"
CONSENTS = "consents"
REGISTRY = "registry"  # parties, meter points, the matrix: reload the registry-wide facts


def note_changes(
    connection: Connection, touched: Iterable[tuple[str | None, str]], at: int
) -> None:
    """Record (meter point or None, kind) pairs, each once."""
    rows = [{"mpxn": mpxn, "kind": kind, "at": at} for mpxn, kind in sorted(set(touched), key=str)]
    if rows:
        connection.execute(insert(_changes), rows)


def latest_change(connection: Connection) -> int:
    return int(connection.execute(select(func.coalesce(func.max(_changes.c.seq), 0))).scalar_one())


# The feed after a position (bound as ``after``): the one query every reader of the feed runs,
# through SQLAlchemy here and compiled for asynchronous psycopg in ``pg_rounds``.
FEED_AFTER = (
    select(_changes.c.seq, _changes.c.mpxn, _changes.c.kind)
    .where(_changes.c.seq > bindparam("after"))
    .order_by(_changes.c.seq)
)


def changes_since(connection: Connection, seq: int) -> list[tuple[int, str | None, str]]:
    """(seq, meter point or None, kind) of every change after ``seq``, oldest first."""
    rows = connection.execute(FEED_AFTER, {"after": seq})
    return [(int(s), m, k) for s, m, k in rows]
