"""The audit log in the database: appended in the caller's transaction, read back, verified.

``append_audit`` takes the caller's connection, so an entry commits with the release it records or
not at all. Appenders first update the one ``audit_head`` row, which serialises them (a row lock on
PostgreSQL; on SQLite, whose driver opens the transaction at the first write, the database's write
lock), then chain their entries after the head and move it. On PostgreSQL a trigger refuses any
UPDATE, DELETE or TRUNCATE of ``audit_log`` (migration 0004).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from meterguard.adapters.storage import schema
from meterguard.domain.period import Period
from meterguard.domain.time import BEGINNING, FOREVER, Instant, parse_instant
from meterguard.services.audit import (
    RELEASED_DIGEST,
    AuditEntry,
    AuditRecord,
    ChainReport,
    canonical_fields,
    chain_groups,
    periods_json,
    released_digest,
    verify_chain,
)

_log, _head, _released = schema.audit_log, schema.audit_head, schema.audit_released
_READ_BATCH = 10_000


def append_audit(
    connection: Connection, records: Sequence[AuditRecord], at: int
) -> list[AuditEntry]:
    """Chain ``records`` after the newest entry, inside the caller's transaction."""
    return append_audit_groups(connection, [(records, at)])


def append_audit_groups(
    connection: Connection, groups: Sequence[tuple[Sequence[AuditRecord], int]]
) -> list[AuditEntry]:
    """Chain groups of records (each with its own time) after the newest entry, inside the
    caller's transaction."""
    if not any(records for records, _ in groups):
        return []
    # The first write of the transaction: it takes the lock that orders appenders.
    connection.execute(update(_head).where(_head.c.id == 1).values(seq=_head.c.seq))
    last_seq, last_hash = connection.execute(
        select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)
    ).one()
    entries = chain_groups(groups, last_seq, last_hash)
    connection.execute(insert(_log), [audit_row(entry) for entry in entries])
    released = released_rows(entries)
    if released:
        connection.execute(insert(_released), released)
    newest = entries[-1]
    connection.execute(
        update(_head).where(_head.c.id == 1).values(seq=newest.seq, hash=newest.hash)
    )
    return entries


def audit_row(entry: AuditEntry) -> dict[str, Any]:
    r = entry.record
    envelope = r.data_envelope
    return {
        "seq": entry.seq,
        "at": entry.at,
        "party_id": r.party_id,
        "role": r.role,
        "channel": r.channel,
        "action": r.action,
        "subject": r.subject,
        "mpxn": r.mpxn,
        "data_from": envelope[0] if envelope else None,
        "data_to": envelope[1] if envelope else None,
        "asked": json.dumps(entry.canonical()["asked"]),
        "allowed": json.dumps(entry.canonical()["allowed"]),
        "decision": r.decision,
        "code": r.code,
        "basis": r.basis,
        "request_id": r.request_id,
        "detail": json.dumps(dict(r.detail), sort_keys=True),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def released_rows(entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
    """The ``audit_released`` rows of entries that name the meter points they released."""
    return [
        {
            "seq": entry.seq,
            "mpxn": mpxn,
            "data_from": periods[0].start,
            "data_to": periods[-1].end,
            "periods": json.dumps(periods_json(periods)),
        }
        for entry in entries
        for mpxn, periods in entry.record.released.items()
        if periods
    ]


def released_entry(row: Any) -> AuditEntry:
    """An entry of ``audit_log`` joined with one of its ``audit_released`` rows: as if it were
    about that meter point and those periods alone (the consumer's view of a bulk extract)."""
    entry = entry_from_row(row)
    periods = _periods(row.released_periods)
    record = replace(entry.record, mpxn=row.released_mpxn, asked=(), allowed=periods)
    return replace(entry, record=record)


def entries_about(
    connection: Connection,
    mpxn: str,
    start: Instant,
    end: Instant,
    limit: int | None = None,
    newest_first: bool = True,
) -> list[AuditEntry]:
    """The entries about ``mpxn`` whose data envelope meets [start, end): those about it alone,
    and the bulk entries that list it beside them (``released_entry``), in seq order."""
    order = _log.c.seq.desc() if newest_first else _log.c.seq
    direct = (
        select(_log)
        .where(_log.c.mpxn == mpxn, _log.c.data_from < end, _log.c.data_to > start)
        .order_by(order)
        .limit(limit)
    )
    listed = (
        select(
            _log,
            _released.c.mpxn.label("released_mpxn"),
            _released.c.periods.label("released_periods"),
        )
        .join(_released, _released.c.seq == _log.c.seq)
        .where(_released.c.mpxn == mpxn, _released.c.data_from < end, _released.c.data_to > start)
        .order_by(order)
        .limit(limit)
    )
    entries = [entry_from_row(row) for row in connection.execute(direct)]
    entries.extend(released_entry(row) for row in connection.execute(listed))
    entries.sort(key=lambda entry: entry.seq, reverse=newest_first)
    return entries[:limit]


def _periods(text: str) -> tuple[Period, ...]:
    return tuple(
        Period(parse_instant(start) if start else BEGINNING, parse_instant(end) if end else FOREVER)
        for start, end in json.loads(text)
    )


def entry_from_row(row: Any) -> AuditEntry:
    """An audit entry from a row of ``audit_log``, for every reader of the log."""
    record = AuditRecord(
        party_id=row.party_id,
        role=row.role,
        channel=row.channel,
        action=row.action,
        subject=row.subject,
        decision=row.decision,
        code=row.code,
        mpxn=row.mpxn,
        asked=_periods(row.asked),
        allowed=_periods(row.allowed),
        basis=row.basis,
        request_id=row.request_id,
        detail=json.loads(row.detail),
    )
    return AuditEntry(row.seq, row.at, record, row.prev_hash, row.hash)


def _stored_fields(row: Any) -> dict[str, Any]:
    """The canonical fields exactly as stored, for verification: nothing re-derived."""
    fields = canonical_fields(row.seq, row.at, entry_from_row(row).record, row.prev_hash)
    fields["asked"] = json.loads(row.asked)
    fields["allowed"] = json.loads(row.allowed)
    return fields


class SqlAuditLog:
    """``AuditLog`` over SQLAlchemy, with the reads and the verification."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append(self, records: Sequence[AuditRecord], at: int) -> list[AuditEntry]:
        with self.engine.begin() as connection:
            return append_audit(connection, records, at)

    def entries(
        self,
        *,
        mpxn: str | None = None,
        party_id: str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditEntry]:
        query = select(_log).where(_log.c.seq > after_seq)
        if mpxn is not None:
            query = query.where(_log.c.mpxn == mpxn)
        if party_id is not None:
            query = query.where(_log.c.party_id == party_id)
        query = query.order_by(_log.c.seq.desc() if newest_first else _log.c.seq)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [entry_from_row(row) for row in connection.execute(query)]

    def head(self) -> tuple[int, str]:
        with self.engine.connect() as connection:
            seq, digest = connection.execute(
                select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)
            ).one()
        return int(seq), str(digest)

    def verify(self) -> ChainReport:
        """Walk the whole chain in seq order, in batches, and name the first broken entry; then
        the meter points listed beside bulk entries against the digests the walk collected."""
        listed: dict[int, str] = {}  # seq -> the released digest its entry holds

        def stored() -> Iterator[tuple[dict[str, Any], str]]:
            for fields, digest in self._stored(connection):
                if RELEASED_DIGEST in fields["detail"]:
                    listed[fields["seq"]] = fields["detail"][RELEASED_DIGEST]
                yield fields, digest

        with self.engine.connect() as connection:
            head = connection.execute(
                select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)
            ).one()
            report = verify_chain(stored(), (int(head[0]), str(head[1])))
            if report.ok:
                report = self._verify_released(connection, report, listed)
        return report

    def _verify_released(
        self, connection: Connection, report: ChainReport, expected: dict[int, str]
    ) -> ChainReport:
        """The rows of ``audit_released`` against the digest each bulk entry holds."""
        rows = connection.execute(  # streamed: an extract may list a million meter points
            select(_released.c.seq, _released.c.mpxn, _released.c.periods)
            .order_by(_released.c.seq, _released.c.mpxn)
            .execution_options(yield_per=_READ_BATCH)
        )
        found = {
            int(seq): released_digest({mpxn: _periods(periods) for _, mpxn, periods in group})
            for seq, group in groupby(rows, key=lambda row: row[0])
        }
        for seq in sorted(set(expected) | set(found)):
            if found.get(seq, released_digest({})) != expected.get(seq):
                return replace(
                    report,
                    ok=False,
                    first_broken=seq,
                    reason="the meter points listed beside it do not match its digest "
                    "(a row was altered, added or removed)",
                )
        return report

    def _stored(self, connection: Connection) -> Iterator[tuple[dict[str, Any], str]]:
        after = 0
        while True:
            rows = connection.execute(
                select(_log).where(_log.c.seq > after).order_by(_log.c.seq).limit(_READ_BATCH)
            ).all()
            if not rows:
                return
            for row in rows:
                yield _stored_fields(row), row.hash
            after = rows[-1].seq
