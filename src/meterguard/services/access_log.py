"""A consumer's view of the audit log: who obtained which data of theirs (ACCESS-RULES 10).

The Self-Service Interface of SEC Section I (seed 001) gives the energy consumer a log of the
requests that gathered their consumption data. Here a consumer sees the entries about the meter
points they occupied whose data periods overlap their OWN occupancy there, and nothing else: a
later occupant's data never shows to an earlier one, nor the other way round. The periods shown
are clipped to the consumer's occupancy, so an entry that also touched a neighbour in time does
not reveal when that neighbour moved in or out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.roles import ROLE_BY_CODE, ROLES, Relationship
from meterguard.domain.time import Instant
from meterguard.services.audit import AuditEntry, AuditRecord, overlaps_any

DEFAULT_LIMIT = 200
_MATRIX_CELL = re.compile(r"^matrix v\d+ cell \S+ = \S")
_GROUNDS = {
    Relationship.APPOINTMENT: "appointed {name}",
    Relationship.CONSENT: "a consent you gave",
    Relationship.OCCUPANCY: "the business's own occupancy",
    Relationship.DEVICE_OWNERSHIP: "owner of the device",
    Relationship.DEVICE_MANUFACTURER: "manufacturer of the device",
}


@dataclass(frozen=True, slots=True)
class AccessLogLine:
    seq: int
    at: Instant
    party_id: str
    role: str
    channel: str
    action: str
    mpxn: str
    periods: tuple[Period, ...]  # the entry's data periods within the consumer's occupancy
    decision: str
    code: str
    basis: str


class AccessLogSource(Protocol):
    def occupancies_of(self, consumer_id: str) -> dict[str, PeriodSet]:
        """Meter point -> the periods this consumer occupied it."""
        ...

    def entries_about(
        self, mpxn: str, start: Instant, end: Instant, limit: int
    ) -> list[AuditEntry]:
        """The newest entries about ``mpxn`` whose data envelope meets [start, end), newest
        first (a coarse filter: the caller checks each entry's own periods)."""
        ...


def basis_for(record: AuditRecord, consumer_id: str) -> str:
    """The legal basis as the consumer may read it: the matrix cell and the kind of relationship.

    The engine's full explanation can name other consents at the meter point and the consenting
    consumer's occupancy, which may be someone else's; the consumer sees only what is theirs."""
    if record.party_id == consumer_id:
        return record.basis
    parts = []
    cell = _MATRIX_CELL.match(record.basis)
    if cell:
        parts.append(cell.group(0))
    role = ROLE_BY_CODE.get(record.role)
    if role is not None and record.decision in ("allow", "partial"):
        info = ROLES[role]
        parts.append(_GROUNDS[info.relationship].format(name=info.name))
    return "; ".join(parts)


def visible_lines(
    entries_by_mpxn: Mapping[str, list[AuditEntry]],
    occupancy: Mapping[str, PeriodSet],
    limit: int = DEFAULT_LIMIT,
    consumer_id: str = "",
) -> list[AccessLogLine]:
    """The entries a consumer with ``occupancy`` may see, newest first, periods clipped."""
    lines = []
    for mpxn, entries in entries_by_mpxn.items():
        own = occupancy.get(mpxn, PeriodSet.empty())
        for entry in entries:
            if entry.record.mpxn != mpxn or not overlaps_any(entry, own):
                continue
            record = entry.record
            data = PeriodSet(record.allowed or record.asked).intersection(own)
            lines.append(
                AccessLogLine(
                    entry.seq,
                    entry.at,
                    record.party_id,
                    record.role,
                    record.channel,
                    record.action,
                    mpxn,
                    data.periods,
                    record.decision,
                    record.code,
                    basis_for(record, consumer_id),
                )
            )
    lines.sort(key=lambda line: line.seq, reverse=True)
    return lines[:limit]


class ConsumerAccessLog:
    def __init__(self, source: AccessLogSource) -> None:
        self.source = source

    def lines(self, consumer_id: str, limit: int = DEFAULT_LIMIT) -> list[AccessLogLine]:
        occupancy = self.source.occupancies_of(consumer_id)
        found = {}
        for mpxn, periods in occupancy.items():
            if not periods:
                continue
            start, end = periods.periods[0].start, periods.periods[-1].end
            found[mpxn] = self.source.entries_about(mpxn, start, end, limit)
        return visible_lines(found, occupancy, limit, consumer_id)
