"""What the importer needs from the outside world, as small protocols."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from meterguard.services.importing.registry import Changes, Registry


@dataclass(frozen=True, slots=True)
class RawReading:
    """A reading as it came from the file: text from CSV, typed values from Parquet."""

    line: int
    mpxn: str
    ts: str | int
    kwh: str | float


class FolderSource(Protocol):
    """The files of one import folder."""

    name: str

    def present(self) -> list[str]:
        """The file names found in the folder."""
        ...

    def header(self, file: str) -> list[str]: ...

    def rows(self, file: str) -> Iterator[tuple[int, dict[str, str]]]:
        """Each data row with its line number in the file (the header is line 1)."""
        ...


class ReadingsSource(Protocol):
    name: str
    total: int  # in the units of ``position``: bytes for CSV, rows for Parquet

    def columns(self) -> list[str]: ...

    def batches(self) -> Iterator[list[RawReading]]: ...

    def position(self) -> int: ...


@dataclass(frozen=True, slots=True)
class ReadingCounts:
    inserted: int
    updated: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class StagedDuplicate:
    line: int
    first_line: int
    mpxn: str
    ts: int


class ImportWriter(Protocol):
    """Writes inside the import's one transaction."""

    def write(self, file: str, changes: Changes) -> None: ...

    def stage_readings(self, batch: list[tuple[int, str, int, float]]) -> None:
        """Stage (line, mpxn, ts, kwh) rows; nothing reaches ``readings`` before ``merge``."""
        ...

    def staged_duplicates(self, limit: int) -> list[StagedDuplicate]: ...

    def merge_readings(self) -> ReadingCounts: ...

    def record_run(self, finished_at: int, source: str, summary: dict[str, Any]) -> None: ...

    def record_consent_changes(self, changes: Changes, at: int, source: str) -> None:
        """A consent event for each consent the import inserted or changed."""
        ...


class ImportStore(Protocol):
    def load_registry(self) -> Registry: ...

    def meter_point_ids(self) -> set[str]: ...

    def transaction(self) -> AbstractContextManager[ImportWriter]:
        """Commits when the block ends normally, rolls everything back when it raises."""
        ...
