"""Reading a file of device messages: CSV, JSON Lines or Parquet (INTERCHANGE.md).

Each reader yields raw rows with the line (CSV, JSON Lines) or row number (Parquet) a problem
should name. Values stay as the file gave them; the ingest service checks them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from meterguard.adapters.folder_files import csv_header, csv_rows
from meterguard.services.ingest import MESSAGE_COLUMNS, RawMessage

_PARQUET_BATCH = 50_000


class MessageFileError(ValueError):
    """A file that cannot be read as messages at all."""


def open_messages(path: Path) -> CsvMessages | JsonLinesMessages | ParquetMessages:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return CsvMessages(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return JsonLinesMessages(path)
    if suffix == ".parquet":
        return ParquetMessages(path)
    raise MessageFileError(f"{path}: expected a .csv, .jsonl or .parquet file of messages")


class CsvMessages:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name

    def columns(self) -> list[str]:
        return csv_header(self.path)

    def rows(self) -> Iterator[RawMessage]:
        for line, row in csv_rows(self.path):
            yield RawMessage(line, row)


class JsonLinesMessages:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name

    def columns(self) -> list[str]:
        # Every line is an object of its own: the columns are the ones INTERCHANGE names.
        return list(MESSAGE_COLUMNS)

    def rows(self) -> Iterator[RawMessage]:
        with self.path.open(encoding="utf-8") as handle:
            for line, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    fields = json.loads(text)
                except json.JSONDecodeError as exc:
                    yield RawMessage(line, {}, f"not JSON: {exc.msg} at column {exc.colno}")
                    continue
                if not isinstance(fields, dict):
                    yield RawMessage(line, {}, "not a JSON object")
                    continue
                yield RawMessage(line, fields)


class ParquetMessages:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name

    def columns(self) -> list[str]:
        return list(pq.read_schema(self.path).names)

    def rows(self) -> Iterator[RawMessage]:
        row = 0
        for batch in pq.ParquetFile(self.path).iter_batches(batch_size=_PARQUET_BATCH):
            for fields in batch.to_pylist():
                row += 1
                yield RawMessage(row, {k: _plain(v) for k, v in fields.items()})


def _plain(value: Any) -> Any:
    """A Parquet timestamp becomes the integer seconds the domain uses."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat()  # no zone: refused by the time check, not guessed
        return int(value.timestamp())
    return value
