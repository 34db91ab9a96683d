"""Messages, mailboxes, quarantine and the corrections cursor over SQLAlchemy Core.

Every write happens inside one transaction the caller opens (``transaction``), or, for an ingest
batch, inside ``commit_batch``: a batch's messages, their deliveries and their audit entries
commit together or not at all, and ``message_id`` is the primary key of ``messages``, so a rerun
after a crash skips exactly what committed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from meterguard.adapters.storage import changes as changes_feed
from meterguard.adapters.storage import schema
from meterguard.adapters.storage.audit_store import append_audit
from meterguard.adapters.storage.changes import note_changes
from meterguard.services.audit import AuditRecord
from meterguard.services.routing_ports import (
    DELETION,
    MESSAGE,
    PURGED,
    QUARANTINED,
    ROUTED,
    GapCounts,
    GapQuestion,
    IngestBatch,
    LiveDelivery,
    MailboxItem,
    NewDelivery,
    StoredMessage,
)

_messages, _deliveries = schema.messages, schema.deliveries
_purges, _cursor = schema.quarantine_purges, schema.routing_cursor
# Bound parameters per IN list: well under SQLite's and PostgreSQL's limits.
_CHUNK = 5_000
_RETRIES = 3


def _chunks(items: Collection[Any]) -> Iterator[list[Any]]:
    values = list(items)
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _message(row: Any) -> StoredMessage:
    return StoredMessage(
        row.message_id,
        row.mpxn,
        row.device_guid,
        row.ts,
        row.kind,
        row.alert_code,
        row.payload,
        row.received_at,
        row.state,
        row.reason,
    )


class SqlRoutingWriter:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    # -- ingest ------------------------------------------------------------------------------

    def known_ids(self, ids: Collection[str]) -> set[str]:
        known: set[str] = set()
        for chunk in _chunks(ids):
            known.update(
                self.connection.execute(
                    select(_messages.c.message_id).where(_messages.c.message_id.in_(chunk))
                ).scalars()
            )
        return known

    def add_messages(self, messages: Sequence[StoredMessage]) -> None:
        if messages:
            self.connection.execute(
                insert(_messages),
                [
                    {
                        "message_id": m.message_id,
                        "mpxn": m.mpxn,
                        "device_guid": m.device_guid,
                        "ts": m.ts,
                        "kind": m.kind,
                        "alert_code": m.alert_code,
                        "payload": m.payload,
                        "received_at": m.received_at,
                        "state": m.state,
                        "reason": m.reason,
                    }
                    for m in messages
                ],
            )

    def add_deliveries(self, deliveries: Sequence[NewDelivery], at: int) -> None:
        if deliveries:
            self.connection.execute(
                insert(_deliveries),
                [
                    {
                        "party_id": d.party_id,
                        "message_id": d.message_id,
                        "notice": d.notice,
                        "basis": d.basis,
                        "created_at": at,
                    }
                    for d in deliveries
                ],
            )

    def audit(self, records: Sequence[AuditRecord], at: int) -> None:
        append_audit(self.connection, records, at)

    def has_messages(self) -> bool:
        return bool(self.connection.execute(select(exists().select_from(_messages))).scalar())

    # -- corrections -------------------------------------------------------------------------

    def lock_cursor(self) -> int | None:
        # A write first: it takes the lock that orders correctors (a row lock on PostgreSQL, the
        # database's write lock on SQLite).
        self.connection.execute(
            update(_cursor).where(_cursor.c.id == 1).values(change_seq=_cursor.c.change_seq)
        )
        value = self.connection.execute(
            select(_cursor.c.change_seq).where(_cursor.c.id == 1)
        ).scalar()
        return None if value is None else int(value)

    def set_cursor(self, seq: int) -> None:
        updated = self.connection.execute(
            update(_cursor).where(_cursor.c.id == 1).values(change_seq=seq)
        )
        if updated.rowcount == 0:
            self.connection.execute(insert(_cursor), {"id": 1, "change_seq": seq})

    def appointment_changes(self, after: int) -> tuple[int, set[str]]:
        feed = schema.registry_changes
        latest = changes_feed.latest_change(self.connection)
        touched = set(
            self.connection.execute(
                select(feed.c.mpxn)
                .where(
                    feed.c.seq > after,
                    feed.c.seq <= latest,
                    feed.c.kind == changes_feed.APPOINTMENTS,
                    feed.c.mpxn.is_not(None),
                )
                .distinct()
            ).scalars()
        )
        return latest, touched

    def messages_at(self, mpxns: Collection[str]) -> list[StoredMessage]:
        found: list[StoredMessage] = []
        for chunk in _chunks(mpxns):
            rows = self.connection.execute(
                select(_messages)
                .where(_messages.c.mpxn.in_(chunk), _messages.c.state.in_((ROUTED, QUARANTINED)))
                .order_by(_messages.c.mpxn, _messages.c.ts, _messages.c.message_id)
            )
            found.extend(_message(row) for row in rows)
        return found

    def live_deliveries(self, message_ids: Collection[str]) -> list[LiveDelivery]:
        found: list[LiveDelivery] = []
        for chunk in _chunks(message_ids):
            rows = self.connection.execute(
                select(
                    _deliveries.c.delivery_id,
                    _deliveries.c.party_id,
                    _deliveries.c.message_id,
                    _deliveries.c.basis,
                )
                .where(
                    _deliveries.c.message_id.in_(chunk),
                    _deliveries.c.notice == MESSAGE,
                    _deliveries.c.withdrawn_at.is_(None),
                )
                .order_by(_deliveries.c.delivery_id)
            )
            found.extend(LiveDelivery(*row) for row in rows)
        return found

    def withdraw(self, delivery_ids: Collection[int], at: int) -> None:
        for chunk in _chunks(delivery_ids):
            self.connection.execute(
                update(_deliveries)
                .where(_deliveries.c.delivery_id.in_(chunk))
                .values(withdrawn_at=at)
            )

    def set_states(self, states: Sequence[tuple[str, str, str]]) -> None:
        if states:
            self.connection.execute(
                update(_messages)
                .where(_messages.c.message_id == bindparam("key_id"))
                .values(state=bindparam("new_state"), reason=bindparam("new_reason")),
                [{"key_id": m, "new_state": s, "new_reason": r} for m, s, r in states],
            )

    # -- mailbox -----------------------------------------------------------------------------

    def mailbox(self, party_id: str, limit: int) -> list[MailboxItem]:
        d, m = _deliveries, _messages
        rows = self.connection.execute(
            select(
                d.c.delivery_id,
                d.c.party_id,
                d.c.notice,
                d.c.basis,
                d.c.message_id,
                m.c.mpxn,
                m.c.device_guid,
                m.c.ts,
                m.c.kind,
                m.c.alert_code,
                case((d.c.notice == DELETION, None), else_=m.c.payload).label("payload"),
                d.c.created_at,
                d.c.pulled_at,
            )
            .join(m, m.c.message_id == d.c.message_id)
            .where(
                d.c.party_id == party_id,
                d.c.acknowledged_at.is_(None),
                d.c.withdrawn_at.is_(None),
            )
            .order_by(d.c.delivery_id)
            .limit(limit)
        )
        return [MailboxItem(*row) for row in rows]

    def mark_pulled(self, delivery_ids: Collection[int], at: int) -> None:
        for chunk in _chunks(delivery_ids):
            self.connection.execute(
                update(_deliveries)
                .where(_deliveries.c.delivery_id.in_(chunk), _deliveries.c.pulled_at.is_(None))
                .values(pulled_at=at)
            )

    def acknowledge(self, party_id: str, delivery_ids: Collection[int], at: int) -> int:
        done = 0
        for chunk in _chunks(delivery_ids):
            result = self.connection.execute(
                update(_deliveries)
                .where(
                    _deliveries.c.delivery_id.in_(chunk),
                    _deliveries.c.party_id == party_id,
                    _deliveries.c.acknowledged_at.is_(None),
                )
                .values(acknowledged_at=at)
            )
            done += result.rowcount
        return done

    # -- quarantine --------------------------------------------------------------------------

    def quarantined(self, *, mpxn: str | None, limit: int) -> list[StoredMessage]:
        query = select(_messages).where(_messages.c.state.in_((QUARANTINED, PURGED)))
        if mpxn is not None:
            query = query.where(_messages.c.mpxn == mpxn)
        query = query.order_by(_messages.c.received_at, _messages.c.message_id).limit(limit)
        return [_message(row) for row in self.connection.execute(query)]

    def purge_quarantine(
        self, received_before: int, older_than_days: int, at: int, actor: str
    ) -> tuple[int, list[StoredMessage]]:
        due = [
            _message(row)
            for row in self.connection.execute(
                select(_messages)
                .where(_messages.c.state == QUARANTINED, _messages.c.received_at < received_before)
                .order_by(_messages.c.received_at, _messages.c.message_id)
            )
        ]
        purge_id = self.connection.execute(
            insert(_purges)
            .values(
                at=at,
                older_than_days=older_than_days,
                received_before=received_before,
                messages=len(due),
                actor=actor,
            )
            .returning(_purges.c.purge_id)
        ).scalar_one()
        for chunk in _chunks([m.message_id for m in due]):
            self.connection.execute(
                update(_messages)
                .where(_messages.c.message_id.in_(chunk))
                .values(state=PURGED, payload=None, purge_id=purge_id)
            )
        return int(purge_id), due

    # -- devices -----------------------------------------------------------------------------

    def set_credentials_holder(self, guid: str, party_id: str, mpxn: str, at: int) -> None:
        self.connection.execute(
            update(schema.devices)
            .where(schema.devices.c.guid == guid)
            .values(credentials_party_id=party_id)
        )
        note_changes(self.connection, [(mpxn, changes_feed.DEVICES)], at)

    # -- the CoS report ----------------------------------------------------------------------

    def gap_counts(self, questions: Sequence[GapQuestion]) -> dict[str, GapCounts]:
        m, d = _messages, _deliveries
        counts: dict[str, GapCounts] = {}
        for q in questions:
            after = and_(m.c.device_guid == q.device_guid, m.c.ts >= q.supply_start, m.c.ts < q.at)
            to_former = (
                select(d.c.delivery_id)
                .where(
                    d.c.message_id == m.c.message_id,
                    d.c.party_id == q.former_supplier,
                    d.c.notice == MESSAGE,
                    d.c.withdrawn_at.is_(None),
                )
                .exists()
            )
            total, sent = self.connection.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((to_former, 1), else_=0)), 0),
                ).where(after)
            ).one()
            counts[q.device_guid] = GapCounts(int(total) - int(sent), int(sent))
        return counts


class SqlRoutingStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[SqlRoutingWriter]:
        with self.engine.begin() as connection:
            yield SqlRoutingWriter(connection)

    def commit_batch(self, build: Callable[[set[str]], IngestBatch], ids: Collection[str]) -> int:
        # Another ingest of the same messages may commit between our look-up and our insert: the
        # primary key refuses the second copy, and the batch is simply done again.
        for attempt in range(_RETRIES):
            try:
                with self.engine.begin() as connection:
                    writer = SqlRoutingWriter(connection)
                    batch = build(writer.known_ids(ids))
                    writer.add_messages(batch.messages)
                    writer.add_deliveries(batch.deliveries, batch.at)
                    writer.audit(batch.audit, batch.at)
                    return len(batch.messages)
            except IntegrityError:
                if attempt == _RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def corrections_due(self) -> bool:
        """Whether appointments changed since the last corrections while messages are stored."""
        feed = schema.registry_changes
        with self.engine.connect() as connection:
            cursor = connection.execute(
                select(_cursor.c.change_seq).where(_cursor.c.id == 1)
            ).scalar()
            newer = select(feed.c.seq).where(
                feed.c.seq > (cursor or 0), feed.c.kind == changes_feed.APPOINTMENTS
            )
            return bool(
                connection.execute(select(exists(newer), exists().select_from(_messages))).one()
                == (True, True)
            )

    def critical_alert_codes(self) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(schema.critical_alerts.c.alert_code)).scalars())
