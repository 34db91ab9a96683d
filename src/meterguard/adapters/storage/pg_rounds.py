"""PostgreSQL for the hot HTTP routes: the change feed and group commits over asynchronous psycopg.

A server process answers many requests at once on its event loop. A blocking database call stops
every one of them while it waits, so these two waits, which every authenticated request or every
audited release has, go over an ``AsyncConnection`` of the process's own instead:

- the change-feed read, shared by every request waiting when it starts (``shared_catch_up``);
- the audited-release round (``group_release``), pipelined: begin, each release's readings and the
  lock on the chain's head travel in one round trip; the entries, the head's move and the commit
  in a second.

The statements are SQLAlchemy Core compiled once for psycopg: one schema, no SQL assembled from
strings, parameters bound by the driver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import psycopg
from sqlalchemy import (
    BigInteger,
    Engine,
    Integer,
    String,
    and_,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.sql import ClauseElement

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.audit_store import audit_row, released_rows
from meterguard.adapters.storage.changes import FEED_AFTER
from meterguard.adapters.storage.group_release import Job, ReadingsRelease, audit_groups
from meterguard.adapters.storage.snapshot_follower import Change
from meterguard.domain.period import PeriodSet
from meterguard.services.audit import chain_groups
from meterguard.services.releases import Reading

T = TypeVar("T")


class Statement:
    """A Core statement compiled for psycopg, with its fixed parameters."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=psycopg_dialect.dialect())  # type: ignore[no-untyped-call]
        self.sql = str(compiled)
        self.fixed = dict(compiled.params)

    def params(self, **given: Any) -> Mapping[str, Any]:
        return {**self.fixed, **given}


_readings, _head = schema.readings, schema.audit_head
# Every release of a round, one row per period: (the release's place in the round, meter point,
# start, end). A release's periods are merged first, so no reading is selected twice.
_asked = (
    func.unnest(
        bindparam("jobs", type_=ARRAY(Integer)),
        bindparam("mpxns", type_=ARRAY(String)),
        bindparam("starts", type_=ARRAY(BigInteger)),
        bindparam("ends", type_=ARRAY(BigInteger)),
    )
    .table_valued("job", "mpxn", "s", "e")
    .render_derived(name="asked")
)
FEED = Statement(FEED_AFTER)
# The readings of every release of a round in one statement: an index range scan per period.
READINGS = Statement(
    select(_asked.c.job, _readings.c.ts, _readings.c.kwh)
    .select_from(
        _asked.join(
            _readings,
            and_(
                _readings.c.mpxn == _asked.c.mpxn,
                _readings.c.ts >= _asked.c.s,
                _readings.c.ts < _asked.c.e,
            ),
        )
    )
    .order_by(_asked.c.job, _readings.c.ts)
)
LOCK_HEAD = Statement(
    update(_head)
    .where(_head.c.id == 1)
    .values(seq=_head.c.seq)
    .returning(_head.c.seq, _head.c.hash)
)
MOVE_HEAD = Statement(
    update(_head)
    .where(_head.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
APPEND = Statement(insert(schema.audit_log))
APPEND_RELEASED = Statement(insert(schema.audit_released))


def conninfo(engine: Engine) -> str:
    """libpq's URL for the engine's database (SQLAlchemy's driver name taken off)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class ProcessConnection:
    """One ``AsyncConnection`` for this process, opened on first use in the running event loop
    (a test client may run several loops one after another) and replaced when broken."""

    def __init__(self, engine: Engine, *, autocommit: bool) -> None:
        self._conninfo = conninfo(engine)
        self._autocommit = autocommit
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def get(self) -> psycopg.AsyncConnection[Any]:
        loop = asyncio.get_running_loop()
        connection = self._connection
        if connection is not None and (connection.broken or self._loop is not loop):
            connection.pgconn.finish()  # no await: it may belong to a loop that has ended
            connection = None
        if connection is None or connection.closed:
            connection = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=self._autocommit
            )
            self._connection, self._loop = connection, loop
        return connection

    async def run(
        self,
        work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]],
        *,
        retry_if: Callable[[], bool],
    ) -> T:
        """``work`` on the connection; once more on a new connection if the connection broke (a
        database restart) and ``retry_if()`` says doing it again is safe."""
        connection = await self.get()
        try:
            return await work(connection)
        except psycopg.OperationalError:
            if not (connection.broken and retry_if()):
                raise
        return await work(await self.get())

    async def aclose(self) -> None:
        if self._connection is not None and self._loop is asyncio.get_running_loop():
            await self._connection.close()
        self._connection = None


class PgFeedReader:
    """The change feed after a position, read in autocommit mode (one round trip)."""

    def __init__(self, engine: Engine) -> None:
        self.connection = ProcessConnection(engine, autocommit=True)

    async def changes_after(self, seq: int) -> list[Change]:
        async def read(connection: psycopg.AsyncConnection[Any]) -> list[Change]:
            cursor = await connection.execute(FEED.sql, FEED.params(after=seq), prepare=True)
            return [(int(s), m, k) for s, m, k in await cursor.fetchall()]

        return await self.connection.run(read, retry_if=lambda: True)  # a read: safe to repeat


class PgRoundWriter:
    """A group commit in two pipelined round trips and one commit."""

    def __init__(self, engine: Engine) -> None:
        self.connection = ProcessConnection(engine, autocommit=False)

    async def write(self, jobs: Sequence[Job]) -> list[list[Reading] | None]:
        past_head = False  # from then on COMMIT may have gone out: not safe to do again

        async def transaction(
            connection: psycopg.AsyncConnection[Any],
        ) -> list[list[Reading] | None]:
            nonlocal past_head
            past_head = False
            async with connection.pipeline(), connection.transaction():
                asked = _asked_rows(jobs)
                readings = (
                    await connection.execute(READINGS.sql, READINGS.params(**asked), prepare=True)
                    if asked["jobs"]
                    else None
                )
                head = await connection.execute(LOCK_HEAD.sql, LOCK_HEAD.params(), prepare=True)
                row = await head.fetchone()  # a sync point: every result above has arrived
                past_head = True
                assert row is not None, "audit_head has its one row (migration 0004)"
                fetched: list[list[Reading] | None] = [
                    [] if isinstance(job, ReadingsRelease) else None for job in jobs
                ]
                for index, ts, kwh in await readings.fetchall() if readings is not None else ():
                    fetched[index].append((int(ts), float(kwh)))  # type: ignore[union-attr]
                entries = chain_groups(audit_groups(jobs, fetched), int(row[0]), str(row[1]))
                if entries:
                    async with connection.cursor() as cursor:
                        await cursor.executemany(APPEND.sql, [audit_row(e) for e in entries])
                        if released := released_rows(entries):  # none on the hot routes today
                            await cursor.executemany(APPEND_RELEASED.sql, released)
                    await connection.execute(
                        MOVE_HEAD.sql,
                        MOVE_HEAD.params(new_seq=entries[-1].seq, new_hash=entries[-1].hash),
                        prepare=True,
                    )
            return fetched  # the pipeline has synced: committed

        # Broken before the chain's head was read: no COMMIT went out and nothing of the round
        # committed, so it is done again on a new connection. A round that broke later may have
        # committed: that failure goes to ``GroupReleases``.
        return await self.connection.run(transaction, retry_if=lambda: not past_head)

    async def aclose(self) -> None:
        await self.connection.aclose()


def _asked_rows(jobs: Sequence[Job]) -> dict[str, list[Any]]:
    """The round's releases as the arrays ``READINGS`` unnests: a row per merged period."""
    asked: dict[str, list[Any]] = {"jobs": [], "mpxns": [], "starts": [], "ends": []}
    for index, job in enumerate(jobs):
        if isinstance(job, ReadingsRelease):
            for period in PeriodSet(job.periods):
                asked["jobs"].append(index)
                asked["mpxns"].append(job.mpxn)
                asked["starts"].append(period.start)
                asked["ends"].append(period.end)
    return asked
