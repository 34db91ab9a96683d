"""Importing a folder: validate everything, then write everything, in one transaction."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from meterguard.domain.time import HALF_HOUR, BadInstant, parse_instant
from meterguard.services.importing.crosscheck import CrossCheck, Folder
from meterguard.services.importing.fields import RowReader
from meterguard.services.importing.parsers import READINGS_COLUMNS, REGISTRY_FILES, FileSpec
from meterguard.services.importing.ports import (
    FolderSource,
    ImportStore,
    ImportWriter,
    ReadingsSource,
)
from meterguard.services.importing.problems import ImportRejected, Problem
from meterguard.services.importing.registry import Changes, Incoming, Registry

# Beyond this many, problems are counted rather than listed: the first ones say what is wrong.
MAX_LISTED_PROBLEMS = 1000
_TS_CACHE_LIMIT = 200_000

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    source: str
    files: dict[str, dict[str, int]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"files": self.files}

    @property
    def changed(self) -> bool:
        return any(c["inserted"] or c["updated"] or c["deleted"] for c in self.files.values())


class ProblemLog:
    def __init__(self) -> None:
        self.listed: list[Problem] = []
        self.more = 0

    def add(self, problem: Problem) -> None:
        if len(self.listed) < MAX_LISTED_PROBLEMS:
            self.listed.append(problem)
        else:
            self.more += 1

    def extend(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def __bool__(self) -> bool:
        return bool(self.listed)


def import_folder(
    folder: FolderSource,
    readings: ReadingsSource | None,
    store: ImportStore,
    clock: Callable[[], int],
    on_progress: Progress | None = None,
) -> ImportReport:
    """Import ``folder``; raise ``ImportRejected`` (and write nothing) if any row is invalid."""
    problems = ProblemLog()
    present = set(folder.present())
    if not present and readings is None:
        problems.add(Problem(folder.name, 0, "-", "holds none of the files of INTERCHANGE.md"))
        raise ImportRejected(problems.listed)

    parsed: Folder = {}
    for spec in REGISTRY_FILES:
        if spec.name in present:
            parsed[spec.name] = _parse_file(folder, spec, problems)
    stored = store.load_registry()
    specs = {spec.name: spec for spec in REGISTRY_FILES}
    changes = {name: _changes(stored, specs[name], rows) for name, rows in parsed.items()}
    removed = {name: change.deleted for name, change in changes.items() if change.deleted}
    problems.extend(CrossCheck(stored, parsed, removed).run())

    report = ImportReport(folder.name)
    for name, change in changes.items():
        report.files[name] = change.counts()

    known_meter_points = store.meter_point_ids() | {
        row.record.mpxn for row in parsed.get("meter_points.csv", {}).values()
    }
    readings_usable = readings is not None and _check_header(
        readings.name, readings.columns(), READINGS_COLUMNS, problems
    )

    # Readings are staged inside the transaction even when problems are already known, so that
    # duplicates are found and every problem is listed; any problem rolls everything back.
    with store.transaction() as writer:
        if not problems:
            for spec in REGISTRY_FILES:
                if spec.name in changes:
                    writer.write(spec.name, changes[spec.name])
        if readings is not None and readings_usable:
            _stage_readings(readings, writer, known_meter_points, problems, on_progress)
        if problems:
            raise ImportRejected(_in_file_order(problems.listed), problems.more)
        if readings is not None:
            counts = writer.merge_readings()
            report.files[readings.name] = {
                "inserted": counts.inserted,
                "updated": counts.updated,
                "deleted": 0,
                "unchanged": counts.unchanged,
            }
        if report.changed:
            # An import that changes nothing writes nothing, not even a record of itself.
            now = clock()
            writer.record_run(now, folder.name, report.summary())
            if "consents.csv" in changes:
                writer.record_consent_changes(changes["consents.csv"], now, folder.name)
    return report


def _parse_file(
    folder: FolderSource, spec: FileSpec, problems: ProblemLog
) -> dict[tuple[object, ...], Incoming]:
    rows: dict[tuple[object, ...], Incoming] = {}
    if not _check_header(spec.name, folder.header(spec.name), spec.columns, problems):
        return rows
    for line, row in folder.rows(spec.name):
        reader = RowReader(spec.name, line, row)
        record = spec.parse(reader)
        problems.extend(reader.problems)
        if record is None:
            continue
        key = spec.key(record)
        if key in rows:
            problems.add(
                Problem(
                    spec.name,
                    line,
                    spec.columns[0],
                    f"duplicate of line {rows[key].line} (same key {_key_text(key)})",
                )
            )
            continue
        rows[key] = Incoming(line, record)
    return rows


def _key_text(key: tuple[object, ...]) -> str:
    return ", ".join(str(part) for part in key)


def _changes(stored: Registry, spec: FileSpec, rows: dict[tuple[object, ...], Incoming]) -> Changes:
    existing = stored.of(spec.name)
    change = Changes()
    if spec.history_slot is not None:
        slot = spec.history_slot
        restated = {slot(row.record) for row in rows.values()}
        change.deleted = [r for k, r in existing.items() if k not in rows and slot(r) in restated]
    for key, row in rows.items():
        before = existing.get(key)
        if before is None:
            change.inserted.append(row.record)
        elif before != row.record:
            change.updated.append(row.record)
        else:
            change.unchanged += 1
    return change


def _check_header(
    file: str, header: list[str], columns: tuple[str, ...], problems: ProblemLog
) -> bool:
    """Name every missing and every unknown column; true when no column is missing."""
    missing = [c for c in columns if c not in header]
    for column in missing:
        problems.add(Problem(file, 1, column, "column is missing from the header"))
    for column in header:
        if column not in columns:
            problems.add(
                Problem(file, 1, column, "is not a column of this file (see INTERCHANGE.md)")
            )
    return not missing


class _TimestampParser:
    """Half-hourly files repeat the same few thousand stamps for every meter: parse each once."""

    def __init__(self) -> None:
        self._cache: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        value = self._cache.get(text)
        if value is None:
            value = parse_instant(text)
            if len(self._cache) >= _TS_CACHE_LIMIT:
                self._cache.clear()
            self._cache[text] = value
        return value


def _validate_readings(
    file: str,
    batch: list[Any],
    known: set[str],
    problems: ProblemLog,
    parse_ts: _TimestampParser | None = None,
) -> list[tuple[int, str, int, float]]:
    parse_ts = parse_ts or _TimestampParser()
    valid: list[tuple[int, str, int, float]] = []
    for raw in batch:
        ok = True
        if raw.mpxn not in known:
            problems.add(
                Problem(
                    file,
                    raw.line,
                    "mpxn",
                    f"unknown meter point {raw.mpxn!r}" if raw.mpxn else "is required",
                )
            )
            ok = False
        ts: int | None
        try:
            ts = raw.ts if isinstance(raw.ts, int) else parse_ts(raw.ts)
        except BadInstant as exc:
            problems.add(Problem(file, raw.line, "ts", str(exc)))
            ts = None
            ok = False
        if ts is not None and ts % HALF_HOUR:
            problems.add(Problem(file, raw.line, "ts", "is not the start of a half hour"))
            ok = False
        try:
            kwh = float(raw.kwh)
        except (TypeError, ValueError):
            problems.add(
                Problem(
                    file,
                    raw.line,
                    "kwh",
                    f"{raw.kwh!r} is not a number" if raw.kwh != "" else "is required",
                )
            )
            continue
        if not math.isfinite(kwh) or kwh < 0:
            problems.add(
                Problem(
                    file,
                    raw.line,
                    "kwh",
                    f"{raw.kwh!r} is not a finite, non-negative number of kWh",
                )
            )
            continue
        if ok and ts is not None:
            valid.append((raw.line, raw.mpxn, ts, kwh))
    return valid


def _stage_readings(
    readings: ReadingsSource,
    writer: ImportWriter,
    known: set[str],
    problems: ProblemLog,
    on_progress: Progress | None,
) -> None:
    parse_ts = _TimestampParser()
    for batch in readings.batches():
        writer.stage_readings(_validate_readings(readings.name, batch, known, problems, parse_ts))
        _progress(on_progress, readings)
    for duplicate in writer.staged_duplicates(MAX_LISTED_PROBLEMS):
        problems.add(
            Problem(
                readings.name,
                duplicate.line,
                "ts",
                f"duplicate of line {duplicate.first_line} (same mpxn {duplicate.mpxn} and ts)",
            )
        )


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    order = {spec.name: i for i, spec in enumerate(REGISTRY_FILES)}
    return sorted(problems, key=lambda p: (order.get(p.file, len(order)), p.file, p.line))


def _progress(on_progress: Progress | None, readings: ReadingsSource) -> None:
    if on_progress is not None:
        on_progress(readings.position(), readings.total)
