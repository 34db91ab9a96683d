"""The import's store over SQLAlchemy: load the registry, write one folder in one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, insert, select, update

from meterguard.adapters.storage import changes as changes_feed
from meterguard.adapters.storage import schema
from meterguard.adapters.storage.changes import note_changes
from meterguard.adapters.storage.readings_staging import ReadingsStaging, staging_for
from meterguard.adapters.storage.records import TABLE_OF_FILE, consent_row
from meterguard.services.importing.parsers import REGISTRY_FILES, MatrixRow
from meterguard.services.importing.ports import ReadingCounts, StagedDuplicate
from meterguard.services.importing.registry import Changes, Registry

_KEY_OF = {spec.name: spec.key for spec in REGISTRY_FILES}


class SqlImportStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load_registry(self) -> Registry:
        registry = Registry()
        with self.engine.connect() as connection:
            for file, mapping in TABLE_OF_FILE.items():
                if file == "matrix.csv":
                    continue
                key = _KEY_OF[file]
                rows = registry.of(file)
                for row in connection.execute(select(mapping.table)).mappings():
                    record = mapping.from_row(row)
                    rows[key(record)] = record
            cells, versions = schema.matrix_cells, schema.matrix_versions
            query = select(cells, versions.c.effective_from).join(
                versions, cells.c.version == versions.c.version
            )
            matrix = registry.of("matrix.csv")
            for row in connection.execute(query).mappings():
                record = TABLE_OF_FILE["matrix.csv"].from_row(row)
                matrix[_KEY_OF["matrix.csv"](record)] = record
            moves = schema.move_outs
            for mpxn, consumer_id, at in connection.execute(
                select(moves.c.mpxn, moves.c.consumer_id, moves.c.at)
            ):
                registry.move_outs[(mpxn, consumer_id)] = max(
                    at, registry.move_outs.get((mpxn, consumer_id), at)
                )
        return registry

    def meter_point_ids(self) -> set[str]:
        with self.engine.connect() as connection:
            return set(connection.execute(select(schema.meter_points.c.mpxn)).scalars())

    @contextmanager
    def transaction(self) -> Iterator[SqlImportWriter]:
        with self.engine.begin() as connection:
            writer = SqlImportWriter(connection)
            try:
                yield writer
            finally:
                writer.staging.drop()


class SqlImportWriter:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.staging: ReadingsStaging = staging_for(connection)
        self.touched: set[tuple[str | None, str]] = set()

    def write(self, file: str, changes: Changes) -> None:
        self.touched |= _touched(file, changes)
        if file == "matrix.csv":
            self._write_matrix_versions(changes.inserted)
        mapping = TABLE_OF_FILE[file]
        table = mapping.table
        if changes.deleted:
            keys = [column.name for column in table.primary_key.columns]
            statement = delete(table).where(
                and_(*(table.c[k] == bindparam(f"key_{k}") for k in keys))
            )
            self.connection.execute(
                statement,
                [{f"key_{k}": mapping.to_row(r)[k] for k in keys} for r in changes.deleted],
            )
        if changes.inserted:
            self.connection.execute(insert(table), [mapping.to_row(r) for r in changes.inserted])
        if changes.updated:
            keys = [column.name for column in table.primary_key.columns]
            statement = (
                update(table)
                .where(and_(*(table.c[k] == bindparam(f"key_{k}") for k in keys)))
                .values(
                    {
                        c.name: bindparam(f"new_{c.name}")
                        for c in table.columns
                        if c.name not in keys
                    }
                )
            )
            rows = []
            for record in changes.updated:
                row = mapping.to_row(record)
                rows.append(
                    {
                        **{f"key_{k}": row[k] for k in keys},
                        **{f"new_{k}": v for k, v in row.items() if k not in keys},
                    }
                )
            self.connection.execute(statement, rows)

    def _write_matrix_versions(self, rows: list[MatrixRow]) -> None:
        existing = set(self.connection.execute(select(schema.matrix_versions.c.version)).scalars())
        new = {
            row.cell.version: row.effective_from for row in rows if row.cell.version not in existing
        }
        if new:
            self.connection.execute(
                insert(schema.matrix_versions),
                [{"version": v, "effective_from": start} for v, start in sorted(new.items())],
            )

    def stage_readings(self, batch: list[tuple[int, str, int, float]]) -> None:
        self.staging.add(batch)

    def staged_duplicates(self, limit: int) -> list[StagedDuplicate]:
        return self.staging.duplicates(limit)

    def merge_readings(self) -> ReadingCounts:
        return self.staging.merge()

    def record_consent_changes(self, changes: Changes, at: int, source: str) -> None:
        rows = [
            {
                "consent_id": c.consent_id,
                "event": event,
                "at": at,
                "actor": f"import of {source}",
                "detail": json.dumps(consent_row(c), sort_keys=True),
            }
            for event, consents in (
                ("imported", changes.inserted),
                ("changed_by_import", changes.updated),
            )
            for c in consents
        ]
        if rows:
            self.connection.execute(insert(schema.consent_events), rows)

    def record_run(self, finished_at: int, source: str, summary: dict[str, Any]) -> None:
        note_changes(self.connection, self.touched, finished_at)
        self.connection.execute(
            insert(schema.import_runs),
            {
                "finished_at": finished_at,
                "source": source,
                "summary": json.dumps(summary, sort_keys=True),
            },
        )


# Which change-feed entry each file's rows make: per meter point, or registry-wide (None).
_KIND_OF_FILE = {
    "appointments.csv": changes_feed.APPOINTMENTS,
    "occupancies.csv": changes_feed.OCCUPANCIES,
    "devices.csv": changes_feed.DEVICES,
    "consents.csv": changes_feed.CONSENTS,
}


def _touched(file: str, changes: Changes) -> set[tuple[str | None, str]]:
    records = [*changes.inserted, *changes.updated, *changes.deleted]
    if not records:
        return set()
    kind = _KIND_OF_FILE.get(file)
    if kind is None:  # parties, meter points, the matrix, critical alerts
        return {(None, changes_feed.REGISTRY)}
    return {(record.mpxn, kind) for record in records}


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table, for reports and for tests that prove an import left nothing behind."""
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in schema.metadata.sorted_tables
        }
