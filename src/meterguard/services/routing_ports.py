"""What routing, the mailbox, corrections, quarantine and the CoS report need from storage."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from meterguard.services.audit import AuditRecord

# Message states.
ROUTED = "routed"
QUARANTINED = "quarantined"
PURGED = "purged"  # was quarantined; its payload is gone

# Delivery notices.
MESSAGE = "message"
DELETION = "deletion"
# The basis of a deletion notice.
NO_LONGER_ENTITLED = "no_longer_entitled"


@dataclass(frozen=True, slots=True)
class StoredMessage:
    message_id: str
    mpxn: str
    device_guid: str
    ts: int
    kind: str
    alert_code: str
    payload: str | None
    received_at: int
    state: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class NewDelivery:
    party_id: str
    message_id: str
    notice: str  # MESSAGE or DELETION
    basis: str


@dataclass(frozen=True, slots=True)
class LiveDelivery:
    """A delivered message its recipient may still hold (not withdrawn)."""

    delivery_id: int
    party_id: str
    message_id: str
    basis: str


@dataclass(frozen=True, slots=True)
class MailboxItem:
    delivery_id: int
    party_id: str
    notice: str
    basis: str
    message_id: str
    mpxn: str
    device_guid: str
    ts: int
    kind: str
    alert_code: str
    payload: str | None  # None on a deletion notice
    created_at: int
    pulled_at: int | None

    @property
    def label(self) -> str:
        """read, alert or deletion_notice"""
        return "deletion_notice" if self.notice == DELETION else self.kind


@dataclass(frozen=True, slots=True)
class GapQuestion:
    """What the CoS report asks storage about one device in a credentials gap."""

    device_guid: str
    former_supplier: str
    supply_start: int
    at: int


@dataclass(frozen=True, slots=True)
class GapCounts:
    withheld: int  # messages after the Supply Start Date the former supplier did not receive
    critical_sent: int  # critical alerts after it still delivered to the former supplier


@dataclass(frozen=True, slots=True)
class IngestBatch:
    """What one committed batch of an ingest writes."""

    at: int
    messages: Sequence[StoredMessage]
    deliveries: Sequence[NewDelivery]
    audit: Sequence[AuditRecord]


class RoutingWriter(Protocol):
    """Reads and writes inside one transaction."""

    def known_ids(self, ids: Collection[str]) -> set[str]: ...

    def add_messages(self, messages: Sequence[StoredMessage]) -> None: ...

    def add_deliveries(self, deliveries: Sequence[NewDelivery], at: int) -> None: ...

    def audit(self, records: Sequence[AuditRecord], at: int) -> None: ...

    def has_messages(self) -> bool: ...

    def lock_cursor(self) -> int | None:
        """The change-feed position corrections have reached (locked until commit)."""
        ...

    def set_cursor(self, seq: int) -> None: ...

    def appointment_changes(self, after: int) -> tuple[int, set[str]]:
        """(latest change seq, meter points whose appointments changed after ``after``)."""
        ...

    def messages_at(self, mpxns: Collection[str]) -> list[StoredMessage]:
        """Routed and quarantined messages about these meter points (not purged ones)."""
        ...

    def live_deliveries(self, message_ids: Collection[str]) -> list[LiveDelivery]: ...

    def withdraw(self, delivery_ids: Collection[int], at: int) -> None: ...

    def set_states(self, states: Sequence[tuple[str, str, str]]) -> None:
        """(message_id, state, reason) for each message."""
        ...

    def mailbox(self, party_id: str, limit: int) -> list[MailboxItem]: ...

    def mark_pulled(self, delivery_ids: Collection[int], at: int) -> None: ...

    def acknowledge(self, party_id: str, delivery_ids: Collection[int], at: int) -> int: ...

    def quarantined(self, *, mpxn: str | None, limit: int) -> list[StoredMessage]: ...

    def purge_quarantine(
        self, received_before: int, older_than_days: int, at: int, actor: str
    ) -> tuple[int, list[StoredMessage]]:
        """Empty the payloads of messages quarantined before ``received_before``; record the
        purge. Returns its id and the purged messages (without payload)."""
        ...

    def set_credentials_holder(self, guid: str, party_id: str, mpxn: str, at: int) -> None:
        """Change a device's credentials holder and note it on the registry change feed."""
        ...

    def gap_counts(self, questions: Sequence[GapQuestion]) -> dict[str, GapCounts]: ...


class RoutingStore(Protocol):
    def transaction(self) -> AbstractContextManager[RoutingWriter]:
        """Commits when the block ends normally, rolls everything back when it raises."""
        ...

    def commit_batch(self, build: Callable[[set[str]], IngestBatch], ids: Collection[str]) -> int:
        """In one transaction: find which of ``ids`` are stored already, ``build`` the batch
        from that, and write it. Returns the number of messages written."""
        ...

    def critical_alert_codes(self) -> list[str]:
        """The imported critical alerts list (empty when none was imported)."""
        ...
