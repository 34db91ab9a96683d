"""Routing what devices send (ACCESS-RULES section 9): to whom one message goes, by its data time.

A read or a non-critical alert goes to the Responsible Supplier at the message's data time ``ts``
and to nobody else. A critical alert goes there too, and also to the device's credentials holder
when that is another party (the meter encrypts it to whoever holds its certificates: DP072's
former supplier). With no Responsible Supplier at ``ts`` the message is held in quarantine, never
delivered to a guess. A message about an unknown meter point or device, or from a device that is
not at the meter point it names, is no message at all: it is rejected.

``Router.route`` decides one message in about a microsecond: two dictionary lookups and one bisect
over the meter point's supplier timeline, with the answers for the common cases made once and
shared. ``BatchRouter`` (``policy/batch_routing.py``) makes the same decisions over NumPy columns.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple

from meterguard.domain.devices import Device
from meterguard.domain.identifiers import Fuel
from meterguard.domain.roles import responsible_supplier_role
from meterguard.policy.snapshot import Snapshot

READ = "read"
ALERT = "alert"
KINDS = (READ, ALERT)


class Outcome(StrEnum):
    DELIVER = "deliver"
    QUARANTINE = "quarantine"
    REJECT = "reject"


class Reason(StrEnum):
    """Why a message was quarantined or rejected."""

    NO_RESPONSIBLE_SUPPLIER = "NO_RESPONSIBLE_SUPPLIER"
    UNKNOWN_METER_POINT = "UNKNOWN_METER_POINT"
    UNKNOWN_DEVICE = "UNKNOWN_DEVICE"
    DEVICE_NOT_AT_METER_POINT = "DEVICE_NOT_AT_METER_POINT"


class Basis(StrEnum):
    """Why a recipient receives a message."""

    RESPONSIBLE_SUPPLIER = "responsible_supplier"
    CREDENTIALS_HOLDER = "credentials_holder"  # a critical alert to a non-responsible holder


Recipient = tuple[str, Basis]


class Route(NamedTuple):
    outcome: Outcome
    recipients: tuple[Recipient, ...] = ()
    reason: Reason | None = None

    def parties(self) -> frozenset[str]:
        return frozenset(party for party, _ in self.recipients)


REJECT_UNKNOWN_METER_POINT = Route(Outcome.REJECT, (), Reason.UNKNOWN_METER_POINT)
REJECT_UNKNOWN_DEVICE = Route(Outcome.REJECT, (), Reason.UNKNOWN_DEVICE)
REJECT_DEVICE_ELSEWHERE = Route(Outcome.REJECT, (), Reason.DEVICE_NOT_AT_METER_POINT)
QUARANTINE = Route(Outcome.QUARANTINE, (), Reason.NO_RESPONSIBLE_SUPPLIER)

# One device's compiled answers: its meter point; per Responsible Supplier tenure, sorted, its start
# and end, the route of an ordinary message and the route of a critical alert.
_Entry = tuple[str, list[int], list[int], tuple[Route, ...], tuple[Route, ...]]

_SUPPLIER_ROLE = {fuel: responsible_supplier_role(fuel) for fuel in Fuel}


def normalise_alert_code(code: str) -> str:
    """``8f0a``, ``0x8F0A`` and `` 8F0A `` are one GBCS alert code: ``8F0A``."""
    code = code.strip().upper()
    return code[2:] if code.startswith("0X") else code


class Router:
    """Routes single messages against a snapshot and the set of critical alert codes.

    Each device's answers are compiled on its first message: its meter point, the start and end of
    each Responsible Supplier tenure there, and for each tenure the route of an ordinary message
    and of a critical alert. Routing is then one dictionary lookup and one bisect. The router
    follows the snapshot's change log, so a corrected appointment history or a new credentials
    holder is seen by the next message: only the devices of the meter points that changed are
    compiled again.
    """

    __slots__ = ("_critical", "_entries", "_epoch", "_facts", "_revision", "_seen", "_sole")

    def __init__(self, facts: Snapshot, critical_codes: Iterable[str]) -> None:
        self._facts = facts
        self._critical = frozenset(normalise_alert_code(c) for c in critical_codes) - {""}
        self._sole: dict[str, Route] = {}  # supplier -> the shared "to it alone" answer
        self._entries: dict[str, _Entry] = {}  # device guid -> its compiled answers
        self._revision = facts.revision
        self._epoch = facts.change_epoch
        self._seen = len(facts.changes)

    @property
    def critical_codes(self) -> frozenset[str]:
        return self._critical

    def is_critical(self, kind: str, alert_code: str) -> bool:
        return kind == ALERT and alert_code in self._critical

    def route(self, mpxn: str, device_guid: str, ts: int, kind: str, alert_code: str = "") -> Route:
        """Where one message goes. ``alert_code`` is expected normalised (upper case, no 0x)
        and empty on a read."""
        if self._facts.revision != self._revision:
            self._follow_changes()
        entry = self._entries.get(device_guid)
        if entry is None or entry[0] != mpxn:
            return self._route_slowly(mpxn, device_guid, ts, kind, alert_code)
        _, starts, ends, ordinary, critical = entry
        i = bisect_right(starts, ts) - 1
        if i < 0 or ts >= ends[i]:
            return QUARANTINE
        if alert_code in self._critical and kind == ALERT:
            return critical[i]
        return ordinary[i]

    def _route_slowly(
        self, mpxn: str, device_guid: str, ts: int, kind: str, alert_code: str
    ) -> Route:
        facts = self._facts
        fuel = facts.fuels.get(mpxn)
        if fuel is None:
            return REJECT_UNKNOWN_METER_POINT
        device = facts.device(device_guid)  # a lazy snapshot loads the device's meter point here
        if device is None:
            return REJECT_UNKNOWN_DEVICE
        if device.mpxn != mpxn:
            return REJECT_DEVICE_ELSEWHERE
        self._entries[device_guid] = self._compile(device, fuel)
        return self.route(mpxn, device_guid, ts, kind, alert_code)

    def _compile(self, device: Device, fuel: Fuel) -> _Entry:
        timeline = self._facts.timelines.get((device.mpxn, _SUPPLIER_ROLE[fuel]))
        tenures = timeline.tenures if timeline is not None else ()
        ordinary = tuple(self._to_supplier_alone(t.holder) for t in tenures)
        holder = device.credentials_party_id
        critical = tuple(
            Route(
                Outcome.DELIVER,
                ((t.holder, Basis.RESPONSIBLE_SUPPLIER), (holder, Basis.CREDENTIALS_HOLDER)),
            )
            if holder and holder != t.holder
            else ordinary[i]
            for i, t in enumerate(tenures)
        )
        return (
            device.mpxn,
            [t.period.start for t in tenures],
            [t.period.end for t in tenures],
            ordinary,
            critical,
        )

    def _to_supplier_alone(self, supplier: str) -> Route:
        sole = self._sole.get(supplier)
        if sole is None:
            sole = self._sole[supplier] = Route(
                Outcome.DELIVER, ((supplier, Basis.RESPONSIBLE_SUPPLIER),)
            )
        return sole

    def _follow_changes(self) -> None:
        """Forget the compiled answers of every device at a meter point that changed."""
        facts = self._facts
        if facts.change_epoch != self._epoch:
            touched: list[str | None] = [None]  # the log was trimmed: start afresh
        else:
            touched = facts.changes[self._seen :]
        self._revision, self._epoch, self._seen = (
            facts.revision,
            facts.change_epoch,
            len(facts.changes),
        )
        if None in touched:
            self._entries.clear()
            return
        entries = self._entries
        for mpxn in set(touched):
            assert mpxn is not None
            # A device that moved notes both meter points; it is listed at its new one.
            for guid in facts.devices_at.get(mpxn, {}):
                entries.pop(guid, None)
