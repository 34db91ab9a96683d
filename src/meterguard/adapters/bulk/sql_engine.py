"""The compiled windows as SQLAlchemy Core over the ``readings`` table (SQLite and PostgreSQL).

The windows go into a session-private temporary table with bound parameters (``executemany``), and
one fixed statement range-joins readings against it: ``r.mpxn = w.mpxn AND w.w_start <= r.ts <
w.w_end``. With the readings' primary key (mpxn, ts), each window is one index range scan, so an
extract reads only the rows it releases. Tag-all is the same join, outer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    MetaData,
    Select,
    String,
    Table,
    and_,
    insert,
    select,
)

from meterguard.adapters.bulk.windows import READING_SCHEMA, TAGGED_SCHEMA
from meterguard.adapters.storage import schema
from meterguard.policy.bulk import Window

_BATCH_ROWS = 50_000
_INSERT_CHUNK = 20_000

_temporary = MetaData()
bulk_windows = Table(
    "mg_bulk_windows",
    _temporary,
    Column("mpxn", String(13), nullable=False),
    Column("w_start", BigInteger, nullable=False),
    Column("w_end", BigInteger, nullable=False),
    Column("party_id", String(32), nullable=False),
    Index("ix_mg_bulk_windows_mpxn_w_start", "mpxn", "w_start"),
    prefixes=["TEMPORARY"],
)


def extract_statement(
    tag: bool,
) -> Select[tuple[str, int, float]] | Select[tuple[str, int, float, str]]:
    r, w = schema.readings, bulk_windows
    held = and_(r.c.mpxn == w.c.mpxn, r.c.ts >= w.c.w_start, r.c.ts < w.c.w_end)
    if tag:
        return (
            select(r.c.mpxn, r.c.ts, r.c.kwh, w.c.party_id)
            .select_from(r.outerjoin(w, held))
            .order_by(r.c.mpxn, r.c.ts)
        )
    return select(r.c.mpxn, r.c.ts, r.c.kwh).select_from(w.join(r, held)).order_by(r.c.mpxn, r.c.ts)


class SqlReadingsEngine:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.name = engine.dialect.name

    def select(self, windows: Sequence[Window], tag: bool) -> Iterator[pa.RecordBatch]:
        target = TAGGED_SCHEMA if tag else READING_SCHEMA
        with self.engine.connect() as connection, connection.begin():
            _load_windows(connection, windows)
            result = connection.execute(
                extract_statement(tag), execution_options={"yield_per": _BATCH_ROWS}
            )
            for rows in result.partitions():
                columns = list(zip(*rows, strict=True))
                yield pa.RecordBatch.from_arrays(
                    [pa.array(c, f.type) for c, f in zip(columns, target, strict=True)],
                    schema=target,
                )
            result.close()
            bulk_windows.drop(connection)


def _load_windows(connection: Connection, windows: Sequence[Window]) -> None:
    bulk_windows.create(connection)
    for i in range(0, len(windows), _INSERT_CHUNK):
        connection.execute(
            insert(bulk_windows),
            [
                {"mpxn": w.mpxn, "w_start": w.start, "w_end": w.end, "party_id": w.party_id}
                for w in windows[i : i + _INSERT_CHUNK]
            ],
        )
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE mg_bulk_windows")  # fixed text: plan with its size
