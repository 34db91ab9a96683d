"""Data leaving the hub, with its audit entry in the same transaction (``ReleaseStore``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, or_, select

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.audit_store import append_audit
from meterguard.domain.period import Period
from meterguard.services.audit import AuditRecord
from meterguard.services.releases import Reading

_readings = schema.readings


def fetch_readings(connection: Connection, mpxn: str, periods: Sequence[Period]) -> list[Reading]:
    """The readings of ``mpxn`` within ``periods``, oldest first; nothing outside them is read."""
    if not periods:
        return []
    within = or_(*((_readings.c.ts >= p.start) & (_readings.c.ts < p.end) for p in periods))
    rows = connection.execute(
        select(_readings.c.ts, _readings.c.kwh)
        .where(_readings.c.mpxn == mpxn, within)
        .order_by(_readings.c.ts)
    )
    return [(int(ts), float(kwh)) for ts, kwh in rows]


class SqlReleaseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def readings(
        self,
        mpxn: str,
        periods: Sequence[Period],
        record_for: Callable[[list[Reading]], AuditRecord],
        at: int,
    ) -> list[Reading]:
        def fetch(connection: Connection) -> list[Reading]:
            return fetch_readings(connection, mpxn, periods)

        result: list[Reading] = self.release(lambda rows: record_for(rows), at, fetch)
        return result

    def release(
        self,
        record_for: Callable[[Any], AuditRecord],
        at: int,
        fetch: Callable[[Connection], Any],
    ) -> Any:
        """``fetch`` the data and append the entry ``record_for(data)``, in one transaction.

        Fetch first, append second, commit once: the entry and the data go together or not at
        all; a failure anywhere rolls both back and nothing is sent."""
        with self.engine.begin() as connection:
            result = fetch(connection)
            append_audit(connection, [record_for(result)], at)
        return result

    def record(self, records: Sequence[AuditRecord], at: int) -> None:
        if records:
            with self.engine.begin() as connection:
                append_audit(connection, records, at)
