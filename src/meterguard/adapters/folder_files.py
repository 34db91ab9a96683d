"""Reading an import folder from disk: CSV registry files, and readings as CSV or Parquet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from meterguard.services.importing.parsers import REGISTRY_FILES
from meterguard.services.importing.ports import RawReading

READINGS_BATCH_ROWS = 50_000
_KNOWN = {spec.name for spec in REGISTRY_FILES}


class CsvFolder:
    """The registry files of one folder (``FolderSource``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)

    def present(self) -> list[str]:
        return sorted(p.name for p in self.path.iterdir() if p.name in _KNOWN)

    def header(self, file: str) -> list[str]:
        return csv_header(self.path / file)

    def rows(self, file: str) -> Iterator[tuple[int, dict[str, str]]]:
        return csv_rows(self.path / file)


def _open_csv(path: Path) -> io.TextIOWrapper:
    # utf-8-sig: a spreadsheet's byte-order mark must not become part of the first column name.
    return path.open(encoding="utf-8-sig", newline="")


def csv_header(path: Path) -> list[str]:
    with _open_csv(path) as handle:
        return [column.strip() for column in next(csv.reader(handle), [])]


def csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row of a CSV file by column name, with the physical line it starts on (the header is
    line 1); blank lines are skipped and short rows padded with empty values."""
    with _open_csv(path) as handle:
        reader = csv.reader(handle)
        header = [column.strip() for column in next(reader, [])]
        while True:
            line = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                return
            if not any(value.strip() for value in row):
                continue
            yield (
                line,
                {name: (row[i] if i < len(row) else "") for i, name in enumerate(header)},
            )


def readings_source(folder: Path) -> CsvReadings | ParquetReadings | None:
    csv_path, parquet_path = folder / "readings.csv", folder / "readings.parquet"
    if csv_path.exists() and parquet_path.exists():
        raise ValueError(f"{folder} holds both readings.csv and readings.parquet; keep one")
    if csv_path.exists():
        return CsvReadings(csv_path)
    if parquet_path.exists():
        return ParquetReadings(parquet_path)
    return None


class _CountingReader(io.RawIOBase):
    """Counts the bytes read, for a progress bar over a file read as text."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self.raw.readinto(buffer)
        self.count += n or 0
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


class CsvReadings:
    """readings.csv, streamed in batches (bounded memory whatever the file's size)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.total = path.stat().st_size
        self._counter: _CountingReader | None = None

    def columns(self) -> list[str]:
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            return [column.strip() for column in next(csv.reader(handle), [])]

    def batches(self) -> Iterator[list[RawReading]]:
        self._counter = _CountingReader(self.path.open("rb"))
        with io.TextIOWrapper(
            io.BufferedReader(self._counter), encoding="utf-8-sig", newline=""
        ) as text:
            reader = csv.reader(text)
            header = [column.strip() for column in next(reader, [])]
            at = {column: header.index(column) for column in ("mpxn", "ts", "kwh")}
            i_mpxn, i_ts, i_kwh = at["mpxn"], at["ts"], at["kwh"]
            width = len(header)
            batch: list[RawReading] = []
            while True:
                line = reader.line_num + 1  # the physical line this row starts on
                row = next(reader, None)
                if row is None:
                    break
                if not row:  # a blank line
                    continue
                if len(row) != width:
                    row = (row + [""] * width)[:width]
                batch.append(RawReading(line, row[i_mpxn], row[i_ts], row[i_kwh]))
                if len(batch) >= READINGS_BATCH_ROWS:
                    yield batch
                    batch = []
            if batch:
                yield batch

    def position(self) -> int:
        return self._counter.count if self._counter else 0


_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def _seconds(column: pa.Array) -> list[Any]:
    """Whole UTC seconds from a timestamp column of any unit; a value with a fraction of a second,
    or in text, is passed on as text for the row's own check to name."""
    if not pa.types.is_timestamp(column.type):
        return column.cast(pa.string()).to_pylist()
    per_second = _PER_SECOND[column.type.unit]
    raw = pc.cast(column, pa.int64()).to_pylist()
    return [
        None
        if value is None
        else value // per_second
        if value % per_second == 0
        else f"{value / per_second} s (not a whole second)"
        for value in raw
    ]


class ParquetReadings:
    """readings.parquet; a row's "line" is its 1-based row number."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self._file = pq.ParquetFile(path)
        self.total = self._file.metadata.num_rows
        self._position = 0

    def columns(self) -> list[str]:
        return list(self._file.schema_arrow.names)

    def batches(self) -> Iterator[list[RawReading]]:
        self._position = 0
        for batch in self._file.iter_batches(
            batch_size=READINGS_BATCH_ROWS, columns=["mpxn", "ts", "kwh"]
        ):
            mpxns = batch.column("mpxn").cast(pa.string()).to_pylist()
            stamps = _seconds(batch.column("ts"))
            kwh_column = batch.column("kwh")
            try:
                kwhs: list[Any] = kwh_column.cast(pa.float64()).to_pylist()
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                kwhs = kwh_column.cast(pa.string()).to_pylist()  # checked, and named, row by row
            first = self._position + 1
            rows = [
                RawReading(first + i, m or "", "" if t is None else t, "" if k is None else k)
                for i, (m, t, k) in enumerate(zip(mpxns, stamps, kwhs, strict=True))
            ]
            self._position += len(rows)
            yield rows

    def position(self) -> int:
        return self._position
