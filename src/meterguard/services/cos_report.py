"""The credentials-gap report (ACCESS-RULES 9, DP072): devices whose credentials holder is not the
Responsible Supplier of their meter point, because the gaining supplier has not sent SR 6.23.

For each such device: the meter point, the gaining (Responsible) supplier, the former supplier
still holding the credentials, the days since the Supply Start Date (the start of the gaining
supplier's unbroken tenure that holds ``at``), the messages the routing withheld from the former
supplier since then, and the critical alerts still delivered to it.

A device's credentials holder has no history in the registry: the report compares the holder as
it is now with the Responsible Supplier at ``at``. Decommissioned and withdrawn devices send
nothing and are left out; devices that hold no credentials (Type 2, pending) cannot have a gap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from meterguard.domain.devices import DeviceStatus
from meterguard.domain.roles import responsible_supplier_role
from meterguard.domain.time import days_between, format_instant
from meterguard.domain.timeline import Timeline
from meterguard.policy.snapshot import Snapshot
from meterguard.services.routing_ports import GapQuestion, RoutingStore

_SILENT = frozenset({DeviceStatus.DECOMMISSIONED, DeviceStatus.WITHDRAWN})
COLUMNS = (
    "device_guid",
    "device_type",
    "mpxn",
    "gaining_supplier",
    "former_supplier",
    "supply_start",
    "days_since_supply_start",
    "withheld_from_former",
    "critical_alerts_to_former",
)


@dataclass(frozen=True, slots=True)
class CredentialsGap:
    device_guid: str
    device_type: str
    mpxn: str
    gaining_supplier: str
    former_supplier: str
    supply_start: int
    days_since_supply_start: int
    withheld_from_former: int
    critical_alerts_to_former: int

    def as_json(self) -> dict[str, Any]:
        row = asdict(self)
        row["supply_start"] = format_instant(self.supply_start)
        return row


def supply_start(timeline: Timeline, at: int) -> int | None:
    """The start of the unbroken stretch in which ``at``'s holder has held the slot."""
    tenure = timeline.tenure_at(at)
    if tenure is None:
        return None
    start = tenure.period.start
    for earlier in reversed(timeline.tenures):
        if earlier.period.end == start and earlier.holder == tenure.holder:
            start = earlier.period.start
    return start


class CosReport:
    def __init__(self, store: RoutingStore, facts: Snapshot, clock: Callable[[], int]) -> None:
        self.store = store
        self.facts = facts
        self.clock = clock

    def rows(self, at: int | None = None, min_days: int = 0) -> list[CredentialsGap]:
        now = self.clock() if at is None else at
        facts = self.facts
        facts.load_all()
        found: list[tuple[GapQuestion, CredentialsGap]] = []
        for device in facts.devices.values():
            holder = device.credentials_party_id
            if not holder or device.status in _SILENT:
                continue
            fuel = facts.fuels.get(device.mpxn)
            if fuel is None:
                continue
            timeline = facts.timelines.get((device.mpxn, responsible_supplier_role(fuel)))
            gaining = timeline.holder_at(now) if timeline is not None else None
            if gaining is None or gaining == holder or timeline is None:
                continue
            start = supply_start(timeline, now)
            assert start is not None
            days = days_between(start, now)
            if days < min_days:
                continue
            gap = CredentialsGap(
                device.guid,
                device.device_type.value,
                device.mpxn,
                gaining,
                holder,
                start,
                days,
                0,
                0,
            )
            found.append((GapQuestion(device.guid, holder, start, now), gap))
        with self.store.transaction() as reader:
            counts = reader.gap_counts([q for q, _ in found])
        rows = [
            CredentialsGap(
                **{
                    **asdict(gap),
                    "withheld_from_former": counts[gap.device_guid].withheld,
                    "critical_alerts_to_former": counts[gap.device_guid].critical_sent,
                }
            )
            for _, gap in found
        ]
        rows.sort(key=lambda r: (-r.days_since_supply_start, r.mpxn, r.device_guid))
        return rows
