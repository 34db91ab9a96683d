"""The Other Users' daily limit of distinct meter points, counted in the database.

Kept in a table rather than in memory so that every server process counts against one total.
A (party, day, meter point) row is added the first time the party asks about that meter point that
UTC day; asking again the same day costs nothing.
Two processes admitting different new meter points at the same instant may each see the count
one below the limit, so the limit can be passed by at most the number of concurrent requests.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from meterguard.adapters.storage import schema
from meterguard.domain.time import DAY

_usage = schema.ou_meter_points


class SqlDailyMeterPoints:
    def __init__(self, engine: Engine, limit: int) -> None:
        self.engine = engine
        self.limit = limit

    def admit(self, party_id: str, subject: str, at: int) -> bool:
        """Whether ``party_id`` may ask about ``subject`` today; counts it when it is new."""
        day = at // DAY
        key = (_usage.c.party_id == party_id) & (_usage.c.day == day)
        with self.engine.begin() as connection:
            seen = connection.execute(select(_usage.c.mpxn).where(key, _usage.c.mpxn == subject))
            if seen.first() is not None:
                return True
            used = connection.execute(select(func.count()).select_from(_usage).where(key))
            if used.scalar_one() >= self.limit:
                return False
            # Another process may count the same meter point at the same moment: one row either way.
            dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
            connection.execute(
                dialect_insert(_usage)
                .values(party_id=party_id, day=day, mpxn=subject)
                .on_conflict_do_nothing()
            )
        return True
