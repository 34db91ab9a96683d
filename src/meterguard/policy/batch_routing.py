"""Routing many messages at once: ``Router``'s rule over NumPy columns.

The snapshot is compiled into sorted arrays: every Responsible Supplier tenure as (meter point,
start) packed into one int64 key, with its end and holder; every device's meter point and
credentials holder. A batch is then a handful of vectorised steps: one ``searchsorted`` finds the
tenure that holds each message's data time, and comparisons settle rejection, quarantine and the
second recipient of a critical alert. Tests compare it with ``Router`` on generated worlds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from meterguard.domain.roles import responsible_supplier_role
from meterguard.policy.routing import (
    ALERT,
    QUARANTINE,
    REJECT_DEVICE_ELSEWHERE,
    REJECT_UNKNOWN_DEVICE,
    REJECT_UNKNOWN_METER_POINT,
    Basis,
    Outcome,
    Route,
    normalise_alert_code,
)
from meterguard.policy.snapshot import Snapshot

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
I8 = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]

# Outcome codes of a batch.
DELIVERED = 0
QUARANTINED = 1
UNKNOWN_METER_POINT = 2
UNKNOWN_DEVICE = 3
DEVICE_ELSEWHERE = 4

_ROUTE_OF_CODE = {
    QUARANTINED: QUARANTINE,
    UNKNOWN_METER_POINT: REJECT_UNKNOWN_METER_POINT,
    UNKNOWN_DEVICE: REJECT_UNKNOWN_DEVICE,
    DEVICE_ELSEWHERE: REJECT_DEVICE_ELSEWHERE,
}

# Instants are packed below the meter point's index: 35 bits hold 2^34 seconds either side of
# 1970 (about 544 years), and the open ends are clipped into that range.
_TIME_BITS = 35
_HALF = np.int64(2**34)


def _packed_time(ts: I64) -> I64:
    clipped: I64 = np.clip(ts, -_HALF, _HALF - 1) + _HALF
    return clipped


@dataclass(frozen=True, slots=True)
class MessageColumns:
    """A batch of messages as integers: indexes into the router's tables (-1: unknown)."""

    meter: I32
    device: I32
    ts: I64
    critical: Bools  # a critical alert

    def __len__(self) -> int:
        return len(self.ts)


@dataclass(frozen=True, slots=True)
class BatchRoutes:
    outcome: I8  # DELIVERED, QUARANTINED, or a rejection code
    supplier: I32  # party index of the Responsible Supplier, -1 when none
    holder: I32  # party index of the credentials holder receiving a critical alert too, or -1


class BatchRouter:
    def __init__(self, facts: Snapshot, critical_codes: Sequence[str]) -> None:
        self._facts = facts
        self.critical_codes = frozenset(normalise_alert_code(c) for c in critical_codes) - {""}
        self._compile()

    def _compile(self) -> None:
        facts = self._facts
        facts.load_all()
        self._revision = facts.revision
        self.meter_index = {mpxn: i for i, mpxn in enumerate(facts.fuels)}
        parties: dict[str, int] = {}

        def party(name: str) -> int:
            found = parties.get(name)
            if found is None:
                found = parties[name] = len(parties)
            return found

        keys: list[int] = []
        ends: list[int] = []
        holders: list[int] = []
        meters: list[int] = []
        for mpxn, fuel in facts.fuels.items():
            timeline = facts.timelines.get((mpxn, responsible_supplier_role(fuel)))
            if timeline is None:
                continue
            meter = self.meter_index[mpxn]
            for tenure in timeline.tenures:
                meters.append(meter)
                keys.append(tenure.period.start)
                ends.append(tenure.period.end)
                holders.append(party(tenure.holder))
        meter_of = np.array(meters, dtype=np.int64)
        packed = (meter_of << _TIME_BITS) | _packed_time(np.array(keys, dtype=np.int64))
        order = np.argsort(packed, kind="stable")
        self._keys: I64 = packed[order]
        # One padding entry at the end: index -1 (no tenure before the key) lands on it.
        self._tenure_meter: I64 = np.append(meter_of[order], -1)
        self._tenure_end: I64 = np.append(np.array(ends, dtype=np.int64)[order], np.int64(0))
        self._tenure_holder: I32 = np.append(np.array(holders, dtype=np.int32)[order], np.int32(-1))

        self.device_index = {guid: i for i, guid in enumerate(facts.devices)}
        devices = list(facts.devices.values())
        self._device_meter: I32 = np.array(
            [self.meter_index.get(d.mpxn, -1) for d in devices] + [-2], dtype=np.int32
        )
        self._device_holder: I32 = np.array(
            [party(d.credentials_party_id) if d.credentials_party_id else -1 for d in devices]
            + [-1],
            dtype=np.int32,
        )
        self.party_names: list[str] = list(parties)

    def fresh(self) -> None:
        """Compile again if the snapshot changed since the last compile."""
        if self._facts.revision != self._revision:
            self._compile()

    def encode(
        self,
        mpxns: Sequence[str],
        guids: Sequence[str],
        ts: Sequence[int],
        kinds: Sequence[str],
        alert_codes: Sequence[str],
    ) -> MessageColumns:
        meters, devices, critical = self.meter_index, self.device_index, self.critical_codes
        return MessageColumns(
            np.array([meters.get(m, -1) for m in mpxns], dtype=np.int32),
            np.array([devices.get(g, -1) for g in guids], dtype=np.int32),
            np.array(ts, dtype=np.int64),
            np.array(
                [k == ALERT and c in critical for k, c in zip(kinds, alert_codes, strict=True)],
                dtype=np.bool_,
            ),
        )

    def route(self, columns: MessageColumns) -> BatchRoutes:
        meter, device, ts = columns.meter, columns.device, columns.ts
        device_meter = self._device_meter[device]  # -1 (unknown device) lands on the padding
        packed = (meter.astype(np.int64) << _TIME_BITS) | _packed_time(ts)
        position = np.searchsorted(self._keys, packed, side="right") - 1
        held = (self._tenure_meter[position] == meter) & (ts < self._tenure_end[position])
        supplier = np.where(held, self._tenure_holder[position], np.int32(-1)).astype(np.int32)
        holder = self._device_holder[device]
        second = np.where(
            held & columns.critical & (holder >= 0) & (holder != supplier), holder, np.int32(-1)
        ).astype(np.int32)
        outcome = np.full(len(ts), DELIVERED, dtype=np.int8)
        outcome[~held] = QUARANTINED
        outcome[device_meter != meter] = DEVICE_ELSEWHERE
        outcome[device < 0] = UNKNOWN_DEVICE
        outcome[meter < 0] = UNKNOWN_METER_POINT
        return BatchRoutes(outcome, supplier, second)

    def route_of(self, routes: BatchRoutes, i: int) -> Route:
        """Message ``i``'s answer in ``Router``'s form, for comparison and for callers that
        want objects."""
        code = int(routes.outcome[i])
        if code != DELIVERED:
            return _ROUTE_OF_CODE[code]
        supplier = self.party_names[int(routes.supplier[i])]
        recipients: tuple[tuple[str, Basis], ...] = ((supplier, Basis.RESPONSIBLE_SUPPLIER),)
        if routes.holder[i] >= 0:
            holder = self.party_names[int(routes.holder[i])]
            recipients += ((holder, Basis.CREDENTIALS_HOLDER),)
        return Route(Outcome.DELIVER, recipients)
