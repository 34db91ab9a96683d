"""Messages held in quarantine (no Responsible Supplier at their data time), and their purge.

Quarantined payloads are kept for a retention period and then purged: the payload is emptied,
the message row stays (so the same message sent again is still a duplicate), and each purge is
recorded in ``quarantine_purges`` and in the audit log, one entry per meter point.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from meterguard.domain.period import Period
from meterguard.domain.time import DAY
from meterguard.services.audit import AuditRecord
from meterguard.services.routing_ports import RoutingStore, StoredMessage

HUB = "hub"


@dataclass(frozen=True, slots=True)
class PurgeReport:
    purge_id: int
    received_before: int
    messages: int


def list_quarantine(
    store: RoutingStore, *, mpxn: str | None = None, limit: int = 100
) -> list[StoredMessage]:
    """Quarantined messages (purged ones too, without payload), oldest first."""
    with store.transaction() as writer:
        return writer.quarantined(mpxn=mpxn, limit=limit)


class Quarantine:
    def __init__(self, store: RoutingStore, clock: Callable[[], int]) -> None:
        self.store = store
        self.clock = clock

    def list(self, *, mpxn: str | None = None, limit: int = 100) -> list[StoredMessage]:
        return list_quarantine(self.store, mpxn=mpxn, limit=limit)

    def purge(self, older_than_days: int, *, actor: str, at: int | None = None) -> PurgeReport:
        """Purge the payloads of messages quarantined more than ``older_than_days`` ago. Every
        purge is recorded, one that finds nothing too."""
        if older_than_days < 0:
            raise ValueError("older_than_days must not be negative")
        now = self.clock() if at is None else at
        before = now - older_than_days * DAY
        with self.store.transaction() as writer:
            purge_id, purged = writer.purge_quarantine(before, older_than_days, now, actor)
            writer.audit(_purge_audit(purge_id, purged, actor), now)
        return PurgeReport(purge_id, before, len(purged))


def _purge_audit(purge_id: int, purged: list[StoredMessage], actor: str) -> list[AuditRecord]:
    by_meter: dict[str, list[StoredMessage]] = defaultdict(list)
    for message in purged:
        by_meter[message.mpxn].append(message)
    summary = AuditRecord(
        party_id=HUB,
        role="",
        channel="ROUTING",
        action="quarantine.purge",
        subject="quarantine",
        decision="allow",
        code="OK",
        basis="retention period of quarantined messages",
        detail={"purge_id": purge_id, "actor": actor, "messages": len(purged)},
    )
    return [summary] + [
        AuditRecord(
            party_id=HUB,
            role="",
            channel="ROUTING",
            action="quarantine.purge",
            subject=mpxn,
            decision="allow",
            code="OK",
            mpxn=mpxn,
            asked=(Period(min(m.ts for m in mine), max(m.ts for m in mine) + 1),),
            basis="retention period of quarantined messages",
            detail={
                "purge_id": purge_id,
                "actor": actor,
                "message_ids": [m.message_id for m in mine],
            },
        )
        for mpxn, mine in sorted(by_meter.items())
    ]
