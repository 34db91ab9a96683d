"""The facts the engine decides from, held in memory and indexed for each question it asks.

A snapshot is built once from the registry and then changed in place, one slot at a time, when an
appointment history, an occupancy history, a consent, a device, a party or a matrix version
changes: each change touches only the indexes of its own meter point, so the next decision sees it
at once and nothing is rebuilt.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from meterguard.domain.appointments import Appointment
from meterguard.domain.consents import Consent
from meterguard.domain.devices import Device
from meterguard.domain.identifiers import Fuel, fuel_of
from meterguard.domain.meter_points import MeterPoint
from meterguard.domain.occupancy import Occupancy
from meterguard.domain.parties import Party
from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.roles import Role
from meterguard.domain.timeline import Tenure, Timeline
from meterguard.policy.matrix import Matrix, MatrixVersion

_EMPTY = PeriodSet.empty()

# One meter point's appointments as (role, party, period), occupancies as (consumer, period), and
# devices: what a lazily built snapshot fetches the first time a decision touches the meter point.
MeterFacts = tuple[list[tuple[Role, str, Period]], list[tuple[str, Period]], list[Device]]


class MeterSource(Protocol):
    """Where a lazily built snapshot finds what it has not loaded yet."""

    def meter(self, mpxn: str) -> MeterFacts: ...

    def meter_of_device(self, guid: str) -> str | None: ...

    def everything(self, skip: set[str]) -> dict[str, MeterFacts]:
        """Every meter point's facts but those in ``skip``."""
        ...


@dataclass
class Snapshot:
    parties: dict[str, Party] = field(default_factory=dict)
    fuels: dict[str, Fuel] = field(default_factory=dict)  # mpxn -> fuel
    devices: dict[str, Device] = field(default_factory=dict)
    matrix: Matrix = field(default_factory=Matrix)
    # (mpxn, role) -> who held it when: "who held role R at M at t"
    timelines: dict[tuple[str, Role], Timeline] = field(default_factory=dict)
    # (party, role) -> mpxn -> merged periods: "the periods in which P held R at M", and the
    # residual's list of a party's meter points
    held: dict[tuple[str, Role], dict[str, PeriodSet]] = field(default_factory=dict)
    occupants: dict[str, Timeline] = field(default_factory=dict)  # mpxn -> occupancy timeline
    occupied: dict[str, dict[str, PeriodSet]] = field(
        default_factory=dict
    )  # consumer -> mpxn -> periods
    consents: dict[str, Consent] = field(default_factory=dict)
    consents_at: dict[tuple[str, str], list[Consent]] = field(default_factory=dict)  # (party, mpxn)
    consents_of: dict[str, dict[str, Consent]] = field(
        default_factory=dict
    )  # party -> id -> consent
    devices_at: dict[str, dict[str, Device]] = field(default_factory=dict)  # mpxn -> guid -> device
    # Counts changes, so that derived structures (the batch engine's arrays) know when to rebuild.
    revision: int = 0
    # What each change touched: a meter point, or None for a registry-wide change (a party, a new
    # meter point or device, a matrix version). The batch engine reads it to send requests about
    # changed meter points to the scalar engine until it next compiles, instead of recompiling.
    changes: list[str | None] = field(default_factory=list)
    change_epoch: int = 0  # bumped when the log is trimmed, which tells readers to start afresh
    # A lazily built snapshot holds registry-wide facts (parties, fuels, consents, the matrix)
    # from the start and each meter point's appointments, occupancies and devices from the first
    # decision that touches it. An eager snapshot has no source and everything loaded.
    source: MeterSource | None = None
    loaded: set[str] = field(default_factory=set)

    _CHANGE_LOG_LIMIT = 50_000

    def _changed(self, mpxn: str | None) -> None:
        """Note what a change touched (a meter point, or None: registry-wide)."""
        if len(self.changes) >= self._CHANGE_LOG_LIMIT:
            self.changes = []
            self.change_epoch += 1
        self.changes.append(mpxn)

    # -- loading on demand -------------------------------------------------------------------

    def ensure_meter(self, mpxn: str) -> None:
        """Make sure this meter point's facts are here (a no-op on an eager snapshot)."""
        if self.source is None or mpxn in self.loaded or mpxn not in self.fuels:
            return
        self.loaded.add(mpxn)
        self._add_meter(mpxn, self.source.meter(mpxn))

    def device(self, guid: str) -> Device | None:
        found = self.devices.get(guid)
        if found is None and self.source is not None:
            mpxn = self.source.meter_of_device(guid)
            if mpxn is not None:
                self.ensure_meter(mpxn)
                found = self.devices.get(guid)
        return found

    def load_all(self) -> None:
        """Everything, for the paths that read the whole registry (residual, batch engine)."""
        if self.source is None:
            return
        for mpxn, facts in self.source.everything(self.loaded).items():
            self._add_meter(mpxn, facts)
        self.source = None
        self.loaded = set()

    def _add_meter(self, mpxn: str, facts: MeterFacts) -> None:
        appointments, occupancies, devices = facts
        by_slot: dict[tuple[str, Role], list[Tenure]] = defaultdict(list)
        for role, party_id, period in appointments:
            by_slot[(mpxn, role)].append(Tenure(party_id, period))
        self._add_timelines(by_slot)
        if occupancies:
            self._set_occupants(mpxn, Timeline(Tenure(c, p) for c, p in occupancies))
        for device in devices:
            self.devices[device.guid] = device
            self.devices_at.setdefault(mpxn, {})[device.guid] = device

    # -- questions ---------------------------------------------------------------------------

    # The questions load the meter point first, so that they are right on a lazy snapshot too.

    def periods_held(self, party_id: str, role: Role, mpxn: str) -> PeriodSet:
        self.ensure_meter(mpxn)
        return self.held.get((party_id, role), {}).get(mpxn, _EMPTY)

    def holder_at(self, mpxn: str, role: Role, at: int) -> str | None:
        self.ensure_meter(mpxn)
        timeline = self.timelines.get((mpxn, role))
        return timeline.holder_at(at) if timeline else None

    def consents_at_meter(self, mpxn: str) -> list[Consent]:
        return [c for (_, m), cs in self.consents_at.items() if m == mpxn for c in cs]

    def occupancy_of(self, consumer_id: str, mpxn: str) -> PeriodSet:
        self.ensure_meter(mpxn)
        return self.occupied.get(consumer_id, {}).get(mpxn, _EMPTY)

    # -- building and changing ---------------------------------------------------------------

    @classmethod
    def build(
        cls,
        parties: Iterable[Party] = (),
        meter_points: Iterable[MeterPoint] = (),
        appointments: Iterable[Appointment] = (),
        occupancies: Iterable[Occupancy] = (),
        devices: Iterable[Device] = (),
        consents: Iterable[Consent] = (),
        matrix_versions: Iterable[MatrixVersion] = (),
        fuels: dict[str, Fuel] | None = None,
    ) -> Snapshot:
        """A snapshot of these records. ``fuels`` (mpxn -> fuel), when the caller already has it,
        spares validating every identifier again."""
        snapshot = cls()
        snapshot.parties = {p.party_id: p for p in parties}
        snapshot.fuels = (
            dict(fuels) if fuels is not None else {m.mpxn: m.fuel for m in meter_points}
        )
        by_meter: dict[str, MeterFacts] = defaultdict(lambda: ([], [], []))
        for a in appointments:
            by_meter[a.mpxn][0].append((a.role, a.party_id, a.period))
        for o in occupancies:
            by_meter[o.mpxn][1].append((o.consumer_id, o.period))
        for device in devices:
            by_meter[device.mpxn][2].append(device)
        for mpxn, facts in by_meter.items():
            snapshot._add_meter(mpxn, facts)
        for consent in consents:
            snapshot._index_consent(consent)
        snapshot.matrix = Matrix(matrix_versions)
        return snapshot

    def _add_timelines(self, by_slot: dict[tuple[str, Role], list[Tenure]]) -> None:
        """Index many empty slots at once; most slots have one holder, which needs no merging."""
        held, timelines = self.held, self.timelines
        for (mpxn, role), tenures in by_slot.items():
            timeline = Timeline(tenures)
            timelines[(mpxn, role)] = timeline
            if len(tenures) == 1:
                holder, period = tenures[0]
                periods = PeriodSet._from_merged((period,))
                held.setdefault((holder, role), {})[mpxn] = periods
            else:
                for holder, periods in timeline.periods_by_holder().items():
                    held.setdefault((holder, role), {})[mpxn] = periods

    def put_party(self, party: Party) -> None:
        self.revision += 1
        self._changed(None)
        self.parties[party.party_id] = party

    def put_meter_point(self, meter_point: MeterPoint) -> None:
        self.revision += 1
        self._changed(None)
        self.fuels[meter_point.mpxn] = fuel_of(meter_point.mpxn)

    def put_matrix_version(self, version: MatrixVersion) -> None:
        self.revision += 1
        self._changed(None)
        others = [v for v in self.matrix.versions if v.version != version.version]
        self.matrix = Matrix([*others, version])

    def set_appointments(self, mpxn: str, role: Role, appointments: Iterable[Appointment]) -> None:
        """Replace the whole history of one (meter point, role)."""
        self.revision += 1
        self._changed(mpxn)
        self.ensure_meter(mpxn)
        self._set_timeline(mpxn, role, Timeline(Tenure(a.party_id, a.period) for a in appointments))

    def _set_timeline(self, mpxn: str, role: Role, timeline: Timeline) -> None:
        old = self.timelines.get((mpxn, role))
        for holder in old.holders() if old else ():
            self.held.get((holder, role), {}).pop(mpxn, None)
        if timeline.tenures:
            self.timelines[(mpxn, role)] = timeline
        else:
            self.timelines.pop((mpxn, role), None)
        for holder, periods in timeline.periods_by_holder().items():
            self.held.setdefault((holder, role), {})[mpxn] = periods

    def set_occupancies(self, mpxn: str, occupancies: Iterable[Occupancy]) -> None:
        """Replace the whole occupancy history of one meter point."""
        self.revision += 1
        self._changed(mpxn)
        self.ensure_meter(mpxn)
        self._set_occupants(mpxn, Timeline(Tenure(o.consumer_id, o.period) for o in occupancies))

    def _set_occupants(self, mpxn: str, timeline: Timeline) -> None:
        old = self.occupants.get(mpxn)
        for consumer in old.holders() if old else ():
            self.occupied.get(consumer, {}).pop(mpxn, None)
        self.occupants[mpxn] = timeline
        for consumer, periods in timeline.periods_by_holder().items():
            self.occupied.setdefault(consumer, {})[mpxn] = periods

    def put_consent(self, consent: Consent) -> None:
        """Add a consent, or replace the stored one with the same id (a withdrawal, a notice)."""
        self.revision += 1
        self._changed(consent.mpxn)
        old = self.consents.get(consent.consent_id)
        if old is not None and old.mpxn != consent.mpxn:
            self._changed(old.mpxn)
        self._index_consent(consent)

    def _index_consent(self, consent: Consent) -> None:
        old = self.consents.get(consent.consent_id)
        if old is not None:
            siblings = self.consents_at.get((old.party_id, old.mpxn), [])
            self.consents_at[(old.party_id, old.mpxn)] = [
                c for c in siblings if c.consent_id != old.consent_id
            ]
            self.consents_of.get(old.party_id, {}).pop(old.consent_id, None)
        self.consents[consent.consent_id] = consent
        self.consents_at.setdefault((consent.party_id, consent.mpxn), []).append(consent)
        self.consents_of.setdefault(consent.party_id, {})[consent.consent_id] = consent

    def put_device(self, device: Device) -> None:
        self.revision += 1
        self._changed(device.mpxn if device.guid in self.devices else None)
        self.ensure_meter(device.mpxn)
        old = self.devices.get(device.guid)
        if old is not None and old.mpxn != device.mpxn:
            self._changed(old.mpxn)
        if old is not None:
            self.devices_at.get(old.mpxn, {}).pop(old.guid, None)
        self.devices[device.guid] = device
        self.devices_at.setdefault(device.mpxn, {})[device.guid] = device

    # -- following other processes' changes --------------------------------------------------

    def replace_meter(self, mpxn: str, facts: MeterFacts) -> None:
        """Replace one meter point's appointments, occupancies and devices with ``facts`` (as the
        database now holds them). A lazy snapshot that has not loaded the meter point needs
        nothing: it will load the new facts when first asked. A device that came here from
        another meter point leaves that one's index."""
        appointments, occupancies, devices = facts
        if self.source is not None and mpxn not in self.loaded:
            for device in devices:  # it may have left a meter point this snapshot has loaded
                old = self.devices.get(device.guid)
                if old is not None and old.mpxn != mpxn:
                    self.revision += 1
                    self._changed(old.mpxn)
                    del self.devices[device.guid]
                    self.devices_at.get(old.mpxn, {}).pop(device.guid, None)
            return
        self.revision += 1
        self._changed(mpxn)
        by_role: dict[Role, list[Tenure]] = defaultdict(list)
        for role, party_id, period in appointments:
            by_role[role].append(Tenure(party_id, period))
        for role in Role:
            if role in by_role or (mpxn, role) in self.timelines:
                self._set_timeline(mpxn, role, Timeline(by_role.get(role, ())))
        if occupancies or mpxn in self.occupants:
            self._set_occupants(mpxn, Timeline(Tenure(c, p) for c, p in occupancies))
        for guid in self.devices_at.pop(mpxn, {}):
            if guid in self.devices and self.devices[guid].mpxn == mpxn:
                del self.devices[guid]
        for device in devices:
            old = self.devices.get(device.guid)
            if old is not None and old.mpxn != mpxn:
                self.devices_at.get(old.mpxn, {}).pop(device.guid, None)
                self._changed(old.mpxn)
            self.devices[device.guid] = device
            self.devices_at.setdefault(mpxn, {})[device.guid] = device

    def replace_consents(self, mpxn: str, consents: Iterable[Consent]) -> None:
        """Replace every consent about one meter point with ``consents``."""
        self.revision += 1
        self._changed(mpxn)
        fresh = {c.consent_id: c for c in consents}
        for party_id in list(self.consents_of):
            for old in self.consents_at.pop((party_id, mpxn), []):
                if old.consent_id not in fresh:
                    self.consents.pop(old.consent_id, None)
                    self.consents_of[party_id].pop(old.consent_id, None)
        for consent in fresh.values():
            self.consents.pop(consent.consent_id, None)  # re-indexed from nothing
            self._index_consent(consent)

    def replace_registry(
        self,
        parties: Iterable[Party],
        fuels: dict[str, Fuel],
        matrix_versions: Iterable[MatrixVersion],
        consents: Iterable[Consent] | None = None,
    ) -> None:
        """Replace the registry-wide facts: parties, meter points (their fuels), the matrix, and
        with ``consents`` every consent."""
        self.revision += 1
        self._changed(None)
        self.parties = {p.party_id: p for p in parties}
        self.fuels = dict(fuels)
        self.matrix = Matrix(matrix_versions)
        if consents is not None:
            self.consents, self.consents_at, self.consents_of = {}, {}, {}
            for consent in consents:
                self._index_consent(consent)
