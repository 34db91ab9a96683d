"""A party's mailbox: the messages routed to it and the deletion notices, pulled and acknowledged.

The pull is when data leaves the hub, so the pull is what is audited (ACCESS-RULES 10): in the same
transaction that marks the deliveries as handed out, one audit entry per meter point the pull
covers, naming the deliveries, the messages and the data period they span. A delivery stays in
the mailbox, and is handed out again by the next pull, until the party acknowledges it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection

from meterguard.domain.period import Period
from meterguard.services.audit import AuditRecord
from meterguard.services.routing_ports import DELETION, MailboxItem, RoutingStore

DEFAULT_LIMIT = 1000


class Mailbox:
    def __init__(self, store: RoutingStore, clock: Callable[[], int]) -> None:
        self.store = store
        self.clock = clock

    def pull(
        self,
        party_id: str,
        *,
        limit: int = DEFAULT_LIMIT,
        at: int | None = None,
        acknowledge: bool = False,
    ) -> list[MailboxItem]:
        """The party's unacknowledged deliveries, oldest first, audited as they leave.
        ``acknowledge`` acknowledges them in the same transaction."""
        now = self.clock() if at is None else at
        with self.store.transaction() as writer:
            items = writer.mailbox(party_id, limit)
            if not items:
                return []
            ids = [item.delivery_id for item in items]
            writer.audit(pull_audit(party_id, items, acknowledge), now)
            writer.mark_pulled(ids, now)
            if acknowledge:
                writer.acknowledge(party_id, ids, now)
        return items

    def acknowledge(self, party_id: str, ids: Collection[int], at: int | None = None) -> int:
        """Acknowledge these deliveries of the party; returns how many were still open."""
        now = self.clock() if at is None else at
        with self.store.transaction() as writer:
            return writer.acknowledge(party_id, ids, now)


def pull_audit(party_id: str, items: list[MailboxItem], acknowledged: bool) -> list[AuditRecord]:
    by_meter: dict[str, list[MailboxItem]] = defaultdict(list)
    for item in items:
        by_meter[item.mpxn].append(item)
    records = []
    for mpxn, mine in sorted(by_meter.items()):
        released = [i for i in mine if i.notice != DELETION]
        notices = [i for i in mine if i.notice == DELETION]
        period = (
            (Period(min(i.ts for i in released), max(i.ts for i in released) + 1),)
            if released
            else ()
        )
        records.append(
            AuditRecord(
                party_id=party_id,
                role="",
                channel="API",
                action="deliveries.pull",
                subject=mpxn,
                decision="allow",
                code="OK",
                mpxn=mpxn,
                asked=period,
                allowed=period,
                basis=" ".join(sorted({i.basis for i in released})),
                detail={
                    "delivery_ids": [i.delivery_id for i in mine],
                    "message_ids": [i.message_id for i in released],
                    "reads": sum(1 for i in released if i.kind == "read"),
                    "alerts": sum(1 for i in released if i.kind == "alert"),
                    "deletion_notices": [i.message_id for i in notices],
                    "acknowledged": acknowledged,
                },
            )
        )
    return records
