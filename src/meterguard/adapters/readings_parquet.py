"""Readings at scale: a Parquet dataset partitioned by date, beside the registry's database.

Layout: ``ROOT/date=YYYY-MM-DD/part-0.parquet``, columns ``mpxn`` (string), ``ts`` (integer UTC
seconds, the same integers the database holds) and ``kwh``, each file sorted by (mpxn, ts). The
dataset is replaced whole: a new version is written to a sibling temporary directory and swapped
in by two renames, so a reader sees the old dataset or the new one, never a mixture; an import that
fails leaves the old one untouched.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from sqlalchemy import text

from meterguard.adapters.bulk.windows import READING_SCHEMA
from meterguard.adapters.storage.import_store import SqlImportStore, SqlImportWriter
from meterguard.services.importing.ports import ReadingCounts

STORE_PREFIX = "parquet:"
_PARTITIONING = ds.partitioning(pa.schema([("date", pa.string())]), flavor="hive")


def parse_store(text_value: str) -> Path | None:
    """``db`` (the default: the ``readings`` table) or ``parquet:PATH``."""
    if text_value == "db":
        return None
    if text_value.startswith(STORE_PREFIX) and len(text_value) > len(STORE_PREFIX):
        return Path(text_value[len(STORE_PREFIX) :])
    raise ValueError(f"--readings-store {text_value!r}: expected db or parquet:PATH")


class ParquetReadings:
    def __init__(self, root: Path) -> None:
        self.root = root

    def exists(self) -> bool:
        return self.root.is_dir()

    def files_glob(self) -> str:
        return str(self.root / "*" / "*.parquet")

    def relation(self, connection: duckdb.DuckDBPyConnection) -> Any:
        """The dataset as a DuckDB relation (with its ``date`` partition column)."""
        return connection.read_parquet(self.files_glob(), hive_partitioning=True)

    def replace(self, table: pa.Table) -> None:
        """Write ``table`` (mpxn, ts, kwh) as the whole dataset, all or nothing."""
        self.root.parent.mkdir(parents=True, exist_ok=True)
        with self.staged() as temp:
            write_partitioned(table, temp)

    @contextmanager
    def staged(self) -> Iterator[Path]:
        """A temporary directory swapped in for the dataset when the block ends normally."""
        temp = self.root.with_name(f".{self.root.name}.{uuid.uuid4().hex[:8]}.new")
        temp.mkdir(parents=True)
        try:
            yield temp
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        self.swap_in(temp)

    def swap_in(self, temp: Path) -> None:
        old = self.root.with_name(f".{self.root.name}.{uuid.uuid4().hex[:8]}.old")
        if self.root.exists():
            os.replace(self.root, old)
        os.replace(temp, self.root)
        shutil.rmtree(old, ignore_errors=True)


def write_partitioned(table: pa.Table, folder: Path) -> None:
    table = table.select(["mpxn", "ts", "kwh"]).cast(READING_SCHEMA)
    day = pc.strftime(pc.cast(table.column("ts"), pa.timestamp("s", tz="UTC")), format="%Y-%m-%d")
    table = table.append_column("date", day).sort_by(
        [("date", "ascending"), ("mpxn", "ascending"), ("ts", "ascending")]
    )
    ds.write_dataset(
        table,
        folder,
        format="parquet",
        partitioning=_PARTITIONING,
        basename_template="part-{i}.parquet",
        existing_data_behavior="overwrite_or_ignore",
        max_rows_per_group=1_000_000,
    )


class ParquetImportStore(SqlImportStore):
    """The import's store with readings kept in a Parquet dataset instead of the ``readings``
    table. Readings are still validated and staged in the import's database transaction (so
    duplicates and unknown meter points are found exactly as before); the merge writes a new
    dataset version beside the old one, which is swapped in only after the transaction commits."""

    def __init__(self, engine: Any, dataset: ParquetReadings) -> None:
        super().__init__(engine)
        self.dataset = dataset

    @contextmanager
    def transaction(self) -> Iterator[SqlImportWriter]:
        pending: list[Path] = []
        try:
            with self.engine.begin() as connection:
                writer = _ParquetWriter(connection, self.dataset, pending)
                try:
                    yield writer
                finally:
                    writer.staging.drop()
        except BaseException:
            for temp in pending:
                shutil.rmtree(temp, ignore_errors=True)
            raise
        for temp in pending:  # committed: hand the new readings over
            self.dataset.swap_in(temp)


class _ParquetWriter(SqlImportWriter):
    def __init__(self, connection: Any, dataset: ParquetReadings, pending: list[Path]) -> None:
        super().__init__(connection)
        self.dataset = dataset
        self.pending = pending

    def merge_readings(self) -> ReadingCounts:
        if not getattr(self.staging, "created", False):
            return ReadingCounts(0, 0, 0)
        staged = _fetch_staged(self.connection)
        with duckdb.connect() as duck:
            duck.register("staged", staged)
            if self.dataset.exists():
                duck.register("old", self.dataset.relation(duck).select("mpxn, ts, kwh"))
            else:
                duck.register("old", pa.Table.from_pylist([], schema=READING_SCHEMA))
            existing, updated = duck.sql(
                "SELECT count(o.kwh), count(*) FILTER (WHERE o.kwh IS DISTINCT FROM s.kwh "
                "AND o.kwh IS NOT NULL) FROM staged s LEFT JOIN old o USING (mpxn, ts)"
            ).fetchall()[0]
            inserted = staged.num_rows - existing
            if inserted or updated:
                merged = duck.sql(
                    "SELECT mpxn, ts, kwh FROM staged UNION ALL "
                    "SELECT o.mpxn, o.ts, o.kwh FROM old o ANTI JOIN staged s USING (mpxn, ts)"
                ).to_arrow_table()
                temp = self.dataset.root.with_name(
                    f".{self.dataset.root.name}.{uuid.uuid4().hex[:8]}.new"
                )
                temp.parent.mkdir(parents=True, exist_ok=True)
                self.pending.append(temp)
                write_partitioned(merged, temp)
        return ReadingCounts(inserted, updated, existing - updated)


def _fetch_staged(connection: Any) -> pa.Table:
    result = connection.execute(text("SELECT mpxn, ts, kwh FROM mg_staged_readings"))
    rows = result.fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [(), (), ()]
    return pa.table(
        [pa.array(c, f.type) for c, f in zip(columns, READING_SCHEMA, strict=True)],
        schema=READING_SCHEMA,
    )
