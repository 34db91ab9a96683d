"""Audited releases in group commits: the readings of every request waiting, and their audit
entries, fetched and appended in one transaction.

Every audited release appends to one hash chain, so appenders queue on the chain's head row and
each waits for the one before it to commit (a disk flush). One release per transaction caps the hub
at one flush per release. Here the releases that arrive while a transaction runs wait for the next
one (``Rounds``), which fetches each one's readings, chains each one's entry after the one before,
and commits once. Each release still has its readings and its entry in the same transaction, and
nothing is answered before that transaction has committed (ACCESS-RULES 10).

Two writers do a round: ``SqlRoundWriter`` on any database through SQLAlchemy (SQLite), and
``pg_rounds.PgRoundWriter`` on PostgreSQL, pipelined over an asynchronous connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine

from meterguard.adapters.storage.audit_store import append_audit_groups
from meterguard.adapters.storage.release_store import fetch_readings
from meterguard.domain.period import Period
from meterguard.domain.time import Instant
from meterguard.services.audit import AuditRecord
from meterguard.services.batching import Rounds
from meterguard.services.releases import Reading


@dataclass(frozen=True, slots=True)
class ReadingsRelease:
    """Readings of ``mpxn`` within ``periods``, released with the entry ``record_for(readings)``."""

    mpxn: str
    periods: tuple[Period, ...]
    record_for: Callable[[list[Reading]], AuditRecord]
    at: Instant


@dataclass(frozen=True, slots=True)
class Entries:
    """Audit entries with no data (refusals, events)."""

    records: tuple[AuditRecord, ...]
    at: Instant


Job = ReadingsRelease | Entries
Outcome = list[Reading] | None | Exception


def audit_groups(
    jobs: Sequence[Job], fetched: Sequence[list[Reading] | None]
) -> list[tuple[Sequence[AuditRecord], Instant]]:
    """Each job's records, with its own time, in the order the round chains them."""
    groups: list[tuple[Sequence[AuditRecord], Instant]] = []
    for job, rows in zip(jobs, fetched, strict=True):
        if isinstance(job, ReadingsRelease):
            groups.append(((job.record_for(rows or []),), job.at))
        else:
            groups.append((job.records, job.at))
    return groups


class RoundWriter(Protocol):
    async def write(self, jobs: Sequence[Job]) -> list[list[Reading] | None]:
        """Fetch and append every job's readings and entries in one transaction; commit."""
        ...


class SqlRoundWriter:
    """A round in one SQLAlchemy transaction. Blocking: on SQLite the database is in the process
    and a round holds one job, since nothing else runs on the event loop while it writes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def write(self, jobs: Sequence[Job]) -> list[list[Reading] | None]:
        with self.engine.begin() as connection:
            fetched: list[list[Reading] | None] = [
                fetch_readings(connection, job.mpxn, job.periods)
                if isinstance(job, ReadingsRelease)
                else None
                for job in jobs
            ]
            append_audit_groups(connection, audit_groups(jobs, fetched))
        return fetched


class GroupReleases:
    """What the hot HTTP routes release and record, in group commits."""

    def __init__(self, writer: RoundWriter, close: Callable[[], Awaitable[None]] | None = None):
        self.writer = writer
        self.rounds: Rounds[Job, Outcome] = Rounds(self._round)
        self._close = close

    async def readings(
        self,
        mpxn: str,
        periods: Sequence[Period],
        record_for: Callable[[list[Reading]], AuditRecord],
        at: Instant,
    ) -> list[Reading]:
        """The readings of ``mpxn`` within ``periods``; returns once their entry has committed."""
        outcome = await self.rounds.submit(ReadingsRelease(mpxn, tuple(periods), record_for, at))
        if isinstance(outcome, Exception):
            raise outcome
        return outcome or []

    async def record(self, records: Sequence[AuditRecord], at: Instant) -> None:
        """Append entries for which no data leaves; returns once they have committed."""
        if not records:
            return
        outcome = await self.rounds.submit(Entries(tuple(records), at))
        if isinstance(outcome, Exception):
            raise outcome

    async def _round(self, jobs: Sequence[Job]) -> list[Outcome]:
        try:
            return list(await self.writer.write(jobs))
        except Exception:
            if len(jobs) == 1:
                raise
        # One job spoiled the round (or the connection broke): each job alone, so that only
        # the job at fault fails. Nothing of the failed round committed, or it raised at commit
        # and the retry may append a second entry for the same request: the log then says a
        # release happened twice, never that it did not happen.
        outcomes: list[Outcome] = []
        for job in jobs:
            try:
                outcomes.extend(await self.writer.write([job]))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    async def aclose(self) -> None:
        if self._close is not None:
            await self._close()
