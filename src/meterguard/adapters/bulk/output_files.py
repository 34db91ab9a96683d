"""Extract files written under a temporary name and renamed into place only when published.

The rename is atomic on one file system, so a reader of ``PATH`` sees either nothing or the whole
audited file. Parquet and CSV carry readings as INTERCHANGE writes them (``ts`` as a UTC
timestamp, or its ``YYYY-MM-DDTHH:MM:SSZ`` text), so an extract can be imported again.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from meterguard.adapters.bulk.windows import READING_SCHEMA, TAGGED_SCHEMA

FORMATS = ("parquet", "csv")


class TempExportFile:
    def __init__(self, path: Path, file_format: str, tagged: bool = False) -> None:
        if file_format not in FORMATS:
            raise ValueError(f"unknown format {file_format!r}; expected parquet or csv")
        self.path = path
        self.format = file_format
        self.temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
        self._writer: Any = None
        self._empty_schema = TAGGED_SCHEMA if tagged else READING_SCHEMA

    def write(self, batch: pa.RecordBatch) -> int:
        table = _for_file(batch, self.format)
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.format == "parquet":
                self._writer = pq.ParquetWriter(self.temp, table.schema)
            else:
                self._writer = pacsv.CSVWriter(
                    self.temp,
                    table.schema,
                    write_options=pacsv.WriteOptions(quoting_style="none", quoting_header="none"),
                )
        if table.num_rows:
            self._writer.write_table(table)
        return table.num_rows

    def publish(self) -> str:
        if self._writer is None:  # no batch at all: still a file, with its header
            self.write(pa.RecordBatch.from_pylist([], schema=self._empty_schema))
        self._writer.close()
        os.replace(self.temp, self.path)
        return str(self.path)

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.temp.unlink(missing_ok=True)


def _for_file(batch: pa.RecordBatch, file_format: str) -> pa.Table:
    table = pa.Table.from_batches([batch])
    index = table.schema.get_field_index("ts")
    stamps = pc.cast(table.column("ts"), pa.timestamp("s", tz="UTC"))
    if file_format == "csv":
        stamps = pc.strftime(stamps, format="%Y-%m-%dT%H:%M:%SZ")
    return table.set_column(index, "ts", stamps)
