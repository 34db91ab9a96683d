"""Reading an import folder from disk: CSV registry files, and readings as CSV or Parquet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

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
        with self._open(file) as handle:
            return [column.strip() for column in next(csv.reader(handle), [])]

    def rows(self, file: str) -> Iterator[tuple[int, dict[str, str]]]:
        with self._open(file) as handle:
            reader = csv.DictReader(handle, skipinitialspace=False)
            line = 1
            for row in reader:
                yield line + 1, {k.strip(): (v or "") for k, v in row.items() if k is not None}
                line = reader.line_num

    def _open(self, file: str) -> io.TextIOWrapper:
        # utf-8-sig: a spreadsheet's byte-order mark must not become part of the first column name.
        return (self.path / file).open(encoding="utf-8-sig", newline="")


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
            line = 1
            for row in reader:
                line += 1
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
            ts_column = batch.column("ts")
            if pa.types.is_timestamp(ts_column.type):
                seconds = pc.cast(ts_column.cast(pa.timestamp("s", tz="UTC")), pa.int64())
                stamps: list[str | int] = seconds.to_pylist()
            else:
                stamps = ts_column.cast(pa.string()).to_pylist()
            kwhs = batch.column("kwh").cast(pa.float64()).to_pylist()
            first = self._position + 1
            rows = [
                RawReading(first + i, m or "", "" if t is None else t, "" if k is None else k)
                for i, (m, t, k) in enumerate(zip(mpxns, stamps, kwhs, strict=True))
            ]
            self._position += len(rows)
            yield rows

    def position(self) -> int:
        return self._position
