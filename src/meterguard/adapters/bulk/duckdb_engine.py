"""The compiled windows run by DuckDB over the Parquet readings dataset.

The windows are registered as an in-memory Arrow table and the dataset as a relation; the join is
fixed SQL text; the only values (the date bounds that prune partitions) are constant expressions
of DuckDB's relational API, never text.
DuckDB plans the inequality join as a range join over the windows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

from meterguard.adapters.bulk.windows import READING_SCHEMA, TAGGED_SCHEMA, windows_table
from meterguard.adapters.readings_parquet import ParquetReadings
from meterguard.policy.bulk import Window

_BATCH_ROWS = 1_000_000
_THE_START = date(1, 1, 1)
_THE_END = date(9999, 12, 31)

EXTRACT_SQL = """
SELECT r.mpxn, r.ts, r.kwh
FROM readings r JOIN windows w
  ON r.mpxn = w.mpxn AND r.ts >= w.w_start AND r.ts < w.w_end
ORDER BY r.mpxn, r.ts
"""

TAG_SQL = """
SELECT r.mpxn, r.ts, r.kwh, w.party_id
FROM readings r LEFT JOIN windows w
  ON r.mpxn = w.mpxn AND r.ts >= w.w_start AND r.ts < w.w_end
ORDER BY r.mpxn, r.ts
"""


def _day(instant: int, fallback: date) -> date:
    try:
        return datetime.fromtimestamp(instant, UTC).date()
    except (OverflowError, OSError, ValueError):
        return fallback


class DuckDbReadingsEngine:
    name = "duckdb"

    def __init__(self, dataset: ParquetReadings, threads: int | None = None) -> None:
        self.dataset = dataset
        self.threads = threads

    def select(self, windows: Sequence[Window], tag: bool) -> Iterator[pa.RecordBatch]:
        target = TAGGED_SCHEMA if tag else READING_SCHEMA
        if not self.dataset.exists():
            raise FileNotFoundError(f"no Parquet readings dataset at {self.dataset.root}")
        with duckdb.connect() as duck:
            if self.threads:
                duck.execute("SET threads = ?", [self.threads])  # bound, like every value here
            duck.register("windows", windows_table(windows))
            readings = self.dataset.relation(duck)
            if not tag:
                # Partitions are whole days: prune to those the windows touch (bound constants).
                low = _day(min((w.start for w in windows), default=0), _THE_START)
                high = _day(max((w.end for w in windows), default=0), _THE_END)
                readings = readings.filter(
                    duckdb.ColumnExpression("date").between(
                        duckdb.ConstantExpression(low), duckdb.ConstantExpression(high)
                    )
                )
            duck.register("readings", readings)
            result = duck.sql(TAG_SQL if tag else EXTRACT_SQL)
            reader = result.to_arrow_reader(_BATCH_ROWS)
            for batch in reader:
                yield batch.cast(target) if batch.schema != target else batch
