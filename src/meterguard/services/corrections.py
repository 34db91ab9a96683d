"""Corrections (ACCESS-RULES 9): when appointment history changes, route the stored messages again.

The registry change feed says which meter points' appointments changed; ``routing_cursor`` says
how far along the feed the deliveries have been brought. One transaction reads the changes since
the cursor, routes every stored message of those meter points against the snapshot as it is now,
and writes the difference:

- a delivery the corrected history no longer entitles is withdrawn (it is never handed out
  again) and answered by a deletion notice in its recipient's mailbox;
- a party the corrected history entitles and that has no delivery gets one;
- a message with no Responsible Supplier any more goes to quarantine, and a quarantined message
  that has one now is delivered;

and moves the cursor, all together. A process that dies after an import commits but before its
corrections do leaves the cursor behind: the next import, ingest or ``meterguard reroute`` applies
them, and nothing is ever half-applied.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from meterguard.domain.period import Period
from meterguard.policy.routing import Outcome, Router
from meterguard.services.audit import AuditRecord
from meterguard.services.routing_ports import (
    DELETION,
    MESSAGE,
    NO_LONGER_ENTITLED,
    QUARANTINED,
    ROUTED,
    LiveDelivery,
    NewDelivery,
    RoutingStore,
    StoredMessage,
)

HUB = "hub"


@dataclass
class CorrectionReport:
    meter_points: int = 0  # meter points whose appointments changed since the last pass
    messages: int = 0  # stored messages routed again
    withdrawn: int = 0  # deliveries no longer entitled: each answered by a deletion notice
    delivered: int = 0  # new deliveries to parties now entitled
    quarantined: int = 0  # messages that lost their Responsible Supplier
    released: int = 0  # quarantined messages delivered at last
    touched: set[str] = field(default_factory=set)

    @property
    def changed(self) -> bool:
        return bool(self.withdrawn or self.delivered or self.quarantined or self.released)


def apply_corrections(store: RoutingStore, router: Router, at: int) -> CorrectionReport:
    report = CorrectionReport()
    with store.transaction() as writer:
        cursor = writer.lock_cursor()
        latest, touched = writer.appointment_changes(cursor or 0)
        if latest == (cursor or 0) and cursor is not None:
            return report
        if not writer.has_messages():
            writer.set_cursor(latest)  # nothing routed yet: nothing to correct
            return report
        report.meter_points = len(touched)
        messages = writer.messages_at(touched)
        live: dict[str, list[LiveDelivery]] = defaultdict(list)
        for delivery in writer.live_deliveries([m.message_id for m in messages]):
            live[delivery.message_id].append(delivery)

        withdrawn: list[int] = []
        new: list[NewDelivery] = []
        states: list[tuple[str, str, str]] = []
        changed: dict[str, list[tuple[StoredMessage, str]]] = defaultdict(list)
        for message in messages:
            report.messages += 1
            route = router.route(
                message.mpxn, message.device_guid, message.ts, message.kind, message.alert_code
            )
            entitled = dict(route.recipients) if route.outcome is Outcome.DELIVER else {}
            holding = {d.party_id for d in live[message.message_id]}
            for delivery in live[message.message_id]:
                if delivery.party_id not in entitled:
                    withdrawn.append(delivery.delivery_id)
                    new.append(
                        NewDelivery(
                            delivery.party_id, message.message_id, DELETION, NO_LONGER_ENTITLED
                        )
                    )
                    changed[message.mpxn].append((message, f"withdrawn from {delivery.party_id}"))
                    report.withdrawn += 1
            for party, basis in entitled.items():
                if party not in holding:
                    new.append(NewDelivery(party, message.message_id, MESSAGE, basis.value))
                    changed[message.mpxn].append((message, f"delivered to {party}"))
                    report.delivered += 1
            if route.outcome is Outcome.DELIVER and message.state == QUARANTINED:
                states.append((message.message_id, ROUTED, ""))
                report.released += 1
            elif route.outcome is not Outcome.DELIVER and message.state == ROUTED:
                reason = route.reason.value if route.reason else ""
                states.append((message.message_id, QUARANTINED, reason))
                changed[message.mpxn].append((message, f"quarantined: {reason}"))
                report.quarantined += 1
        writer.withdraw(withdrawn, at)
        writer.add_deliveries(new, at)
        writer.set_states(states)
        writer.audit(_audit(changed), at)
        writer.set_cursor(latest)
        report.touched = touched
    return report


def _audit(changed: dict[str, list[tuple[StoredMessage, str]]]) -> list[AuditRecord]:
    """One entry per meter point whose deliveries the correction changed."""
    records = []
    for mpxn, what in sorted(changed.items()):
        first = min(m.ts for m, _ in what)
        last = max(m.ts for m, _ in what)
        records.append(
            AuditRecord(
                party_id=HUB,
                role="",
                channel="ROUTING",
                action="routing.corrected",
                subject=mpxn,
                decision="allow",
                code="OK",
                mpxn=mpxn,
                asked=(Period(first, last + 1),),
                basis="ACCESS-RULES 9: appointment history corrected after delivery",
                detail={"changes": [[m.message_id, change] for m, change in what]},
            )
        )
    return records
