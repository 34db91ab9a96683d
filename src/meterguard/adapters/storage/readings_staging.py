"""Staging readings inside the import's transaction, then merging them into ``readings``.

Readings are staged first so that a duplicate (or any late problem) rolls the whole import back,
and so that re-importing the same rows changes nothing. Each dialect uses its fastest honest path:
SQLite a keyed temporary table filled with ``executemany``; PostgreSQL ``COPY`` into an unkeyed
temporary table, checked for duplicates with one aggregate. All SQL here is fixed text with bound
parameters.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Connection, text

from meterguard.services.importing.ports import ReadingCounts, StagedDuplicate


class ReadingsStaging(Protocol):
    def add(self, batch: list[tuple[int, str, int, float]]) -> None: ...

    def duplicates(self, limit: int) -> list[StagedDuplicate]: ...

    def merge(self) -> ReadingCounts: ...

    def drop(self) -> None: ...


def staging_for(connection: Connection) -> ReadingsStaging:
    if connection.dialect.name == "postgresql":
        return PostgresStaging(connection)
    return SqliteStaging(connection)


def _counts(connection: Connection, changed_sql: str, empty_target: bool) -> ReadingCounts:
    staged = connection.execute(text("SELECT count(*) FROM mg_staged_readings")).scalar_one()
    existing = 0
    if not empty_target:
        existing = connection.execute(
            text(
                "SELECT count(*) FROM mg_staged_readings s "
                "JOIN readings r ON r.mpxn = s.mpxn AND r.ts = s.ts"
            )
        ).scalar_one()
    changed = connection.execute(text(changed_sql)).rowcount
    inserted = staged - existing
    updated = changed - inserted
    return ReadingCounts(inserted, updated, existing - updated)


def _target_is_empty(connection: Connection) -> bool:
    return connection.execute(text("SELECT NOT EXISTS (SELECT 1 FROM readings)")).scalar_one() in (
        True,
        1,
    )


_MAX_KEPT = 10_000  # duplicates listed at most; the importer lists fewer still


class SqliteStaging:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.created = False
        self.found: list[StagedDuplicate] = []

    def _create(self) -> Any:
        raw = self.connection.connection.driver_connection
        assert raw is not None
        if not self.created:
            raw.execute(
                "CREATE TEMP TABLE IF NOT EXISTS mg_staged_readings ("
                "mpxn TEXT NOT NULL, ts INTEGER NOT NULL, kwh REAL NOT NULL, line INTEGER NOT NULL, "
                "PRIMARY KEY (mpxn, ts)) WITHOUT ROWID"
            )
            self.created = True
        return raw

    def add(self, batch: list[tuple[int, str, int, float]]) -> None:
        raw = self._create()
        cursor = raw.executemany(
            "INSERT OR IGNORE INTO mg_staged_readings (line, mpxn, ts, kwh) VALUES (?, ?, ?, ?)",
            batch,
        )
        if cursor.rowcount < len(batch):
            # Rare: find which rows of this batch repeat a key staged before them.
            for line, mpxn, ts, _kwh in batch:
                first = raw.execute(
                    "SELECT line FROM mg_staged_readings WHERE mpxn = ? AND ts = ?", (mpxn, ts)
                ).fetchone()[0]
                if first != line and len(self.found) < _MAX_KEPT:
                    self.found.append(StagedDuplicate(line, first, mpxn, ts))

    def duplicates(self, limit: int) -> list[StagedDuplicate]:
        return self.found[:limit]

    def merge(self) -> ReadingCounts:
        if not self.created:
            return ReadingCounts(0, 0, 0)
        return _counts(
            self.connection,
            "INSERT INTO readings (mpxn, ts, kwh) SELECT mpxn, ts, kwh FROM mg_staged_readings WHERE true "
            "ON CONFLICT (mpxn, ts) DO UPDATE SET kwh = excluded.kwh WHERE readings.kwh IS NOT excluded.kwh",
            _target_is_empty(self.connection),
        )

    def drop(self) -> None:
        if self.created:
            self.connection.exec_driver_sql("DROP TABLE IF EXISTS temp.mg_staged_readings")


class PostgresStaging:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.created = False

    def add(self, batch: list[tuple[int, str, int, float]]) -> None:
        raw = self.connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            if not self.created:
                cursor.execute(
                    "CREATE TEMP TABLE mg_staged_readings "
                    "(line bigint, mpxn text, ts bigint, kwh double precision) ON COMMIT DROP"
                )
                self.created = True
            with cursor.copy("COPY mg_staged_readings (line, mpxn, ts, kwh) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)

    def duplicates(self, limit: int) -> list[StagedDuplicate]:
        if not self.created:
            return []
        rows = self.connection.execute(
            text(
                "SELECT array_agg(line ORDER BY line), mpxn, ts FROM mg_staged_readings "
                "GROUP BY mpxn, ts HAVING count(*) > 1 ORDER BY min(line) LIMIT :limit"
            ),
            {"limit": limit},
        )
        # Every copy after the first is a duplicate of the first, as SQLite reports them.
        return [
            StagedDuplicate(line, lines[0], mpxn, ts)
            for lines, mpxn, ts in rows
            for line in lines[1:]
        ][:limit]

    def merge(self) -> ReadingCounts:
        if not self.created:
            return ReadingCounts(0, 0, 0)
        self.connection.exec_driver_sql("ANALYZE mg_staged_readings")
        return _counts(
            self.connection,
            "INSERT INTO readings (mpxn, ts, kwh) SELECT mpxn, ts, kwh FROM mg_staged_readings "
            "ORDER BY mpxn, ts ON CONFLICT (mpxn, ts) DO UPDATE SET kwh = excluded.kwh "
            "WHERE readings.kwh IS DISTINCT FROM excluded.kwh",
            _target_is_empty(self.connection),
        )

    def drop(self) -> None:
        # ON COMMIT DROP removes it with the transaction, committed or rolled back.
        pass
