"""Checks that need more than one row: references, overlaps, and the rules tying files together.

Every check runs on the registry as it would be after the import (stored records overlaid with the
folder's rows) and reports at the folder's row that breaks it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from meterguard.domain.devices import FUEL_OF_DEVICE, TYPE_2_DEVICES
from meterguard.domain.period import Period
from meterguard.domain.roles import APPOINTMENT_ROLES, ROLES, Role
from meterguard.domain.time import format_instant
from meterguard.services.importing.problems import Problem
from meterguard.services.importing.registry import Incoming, Registry

Folder = dict[str, dict[tuple[object, ...], Incoming]]


class CrossCheck:
    def __init__(self, stored: Registry, folder: Folder, removed: dict[str, list[Any]]) -> None:
        self.stored = stored
        self.folder = folder
        self.problems: list[Problem] = []
        merged = Registry()
        for name, rows in stored.records.items():
            gone = {id(record) for record in removed.get(name, ())}
            merged.of(name).update({k: r for k, r in rows.items() if id(r) not in gone})
        for name, rows in folder.items():
            merged.of(name).update({key: row.record for key, row in rows.items()})
        self.merged = merged

    def run(self) -> list[Problem]:
        self._parties()
        self._appointments()
        self._occupancies()
        self._devices()
        self._consents()
        self._matrix()
        return self.problems

    def _fail(self, file: str, row: Incoming, column: str, message: str) -> None:
        self.problems.append(Problem(file, row.line, column, message))

    def _rows(self, file: str) -> Iterable[Incoming]:
        return self.folder.get(file, {}).values()

    def _meter_point_fuel(self, file: str, row: Incoming, mpxn: str) -> Any:
        meter_point = self.merged.meter_points.get((mpxn,))
        if meter_point is None:
            self._fail(file, row, "mpxn", f"unknown meter point {mpxn}")
            return None
        return meter_point.fuel

    def _party_holding(
        self, file: str, row: Incoming, column: str, party_id: str, *roles: Role
    ) -> None:
        party = self.merged.parties.get((party_id,))
        if party is None:
            self._fail(file, row, column, f"unknown party {party_id}")
        elif not any(party.holds(role) for role in roles):
            wanted = " or ".join(roles)
            self._fail(file, row, column, f"party {party_id} does not hold the role {wanted}")

    def _parties(self) -> None:
        """A party may not give up a role that stored rows still rely on."""
        file = "parties.csv"
        losing = {}
        for row in self._rows(file):
            stored = self.stored.parties.get((row.record.party_id,))
            if stored is not None and stored.roles - row.record.roles:
                losing[row.record.party_id] = (row, stored.roles - row.record.roles)
        if not losing:
            return
        uses: dict[tuple[str, Role], list[str]] = defaultdict(list)
        for a in self.merged.appointments.values():
            uses[(a.party_id, a.role)].append(f"appointment at {a.mpxn}")
        for c in self.merged.consents.values():
            uses[(c.party_id, Role.OU)].append(f"consent {c.consent_id}")
        for d in self.merged.devices.values():
            if d.owner_party_id:
                uses[(d.owner_party_id, Role.MAP)].append(f"ownership of device {d.guid}")
        for party_id, (row, lost) in losing.items():
            for role in sorted(lost):
                relied = uses.get((party_id, role), [])
                if relied:
                    more = f" and {len(relied) - 3} more" if len(relied) > 3 else ""
                    self._fail(
                        file,
                        row,
                        "roles",
                        f"party {party_id} would no longer hold {role}, which {', '.join(relied[:3])}{more} rely on",
                    )

    def _appointments(self) -> None:
        file = "appointments.csv"
        for row in self._rows(file):
            appointment = row.record
            fuel = self._meter_point_fuel(file, row, appointment.mpxn)
            role = appointment.role
            if role not in APPOINTMENT_ROLES:
                self._fail(
                    file,
                    row,
                    "role",
                    f"{role} is held by {ROLES[role].relationship}, not by appointment",
                )
                continue
            self._party_holding(file, row, "party_id", appointment.party_id, role)
            if fuel is not None and fuel not in ROLES[role].fuels:
                self._fail(
                    file,
                    row,
                    "role",
                    f"{role} ({ROLES[role].name}) is not a role at a {fuel} meter point {appointment.mpxn}",
                )
        self._overlaps(
            file,
            lambda a: (a.mpxn, a.role),
            lambda a: a.period,
            lambda a: f"{a.role} appointment of {a.party_id} at {a.mpxn}",
        )

    def _occupancies(self) -> None:
        file = "occupancies.csv"
        for row in self._rows(file):
            occupancy = row.record
            self._meter_point_fuel(file, row, occupancy.mpxn)
            moved_out = self.stored.move_outs.get((occupancy.mpxn, occupancy.consumer_id))
            if moved_out is not None and occupancy.period.start < moved_out < occupancy.period.end:
                self._fail(
                    file,
                    row,
                    "valid_to",
                    f"{occupancy.consumer_id} moved out of {occupancy.mpxn} at {format_instant(moved_out)} (recorded in the hub); this row has the occupancy run on past it",
                )
        self._overlaps(
            file,
            lambda o: o.mpxn,
            lambda o: o.period,
            lambda o: f"occupancy of {o.consumer_id} at {o.mpxn}",
        )

    def _overlaps(
        self,
        file: str,
        slot: Callable[[Any], object],
        period: Callable[[Any], Period],
        describe: Callable[[Any], str],
    ) -> None:
        """Report every merged pair in one slot whose periods overlap, at the folder's row."""
        line_of = {id(row.record): row for row in self._rows(file)}
        by_slot: dict[object, list[Any]] = defaultdict(list)
        for record in self.merged.of(file).values():
            by_slot[slot(record)].append(record)
        for records in by_slot.values():
            if len(records) < 2:
                continue
            records.sort(key=lambda r: period(r).start)
            reach: Any = records[0]
            for later in records[1:]:
                if period(later).start < period(reach).end:
                    self._report_overlap(file, line_of, reach, later, period, describe)
                if period(later).end > period(reach).end:
                    reach = later

    def _report_overlap(
        self,
        file: str,
        line_of: dict[int, Incoming],
        earlier: Any,
        later: Any,
        period: Callable[[Any], Period],
        describe: Callable[[Any], str],
    ) -> None:
        culprit, other = (later, earlier) if id(later) in line_of else (earlier, later)
        row = line_of.get(id(culprit))
        if row is None:  # both stored: the database was already inconsistent, not this folder
            return
        other_row = line_of.get(id(other))
        where = f"line {other_row.line}" if other_row else "already stored"
        self._fail(
            file,
            row,
            "valid_from",
            f"{describe(culprit)} {period(culprit)} overlaps the {describe(other)} "
            f"{period(other)} ({where})",
        )

    def _devices(self) -> None:
        file = "devices.csv"
        for row in self._rows(file):
            device = row.record
            fuel = self._meter_point_fuel(file, row, device.mpxn)
            required_fuel = FUEL_OF_DEVICE.get(device.device_type)
            if fuel is not None and required_fuel is not None and fuel != required_fuel:
                self._fail(
                    file,
                    row,
                    "device_type",
                    f"a {device.device_type} belongs at a {required_fuel} meter point, not at {fuel} meter point {device.mpxn}",
                )
            if device.device_type in TYPE_2_DEVICES:
                if device.credentials_party_id:
                    self._fail(
                        file,
                        row,
                        "credentials_party_id",
                        f"a Type 2 device ({device.device_type}) holds no security credentials",
                    )
            elif device.status is None:
                self._fail(
                    file,
                    row,
                    "status",
                    f"is required for a {device.device_type} (only Type 2 devices have no SMI status)",
                )
            if device.owner_party_id:
                self._party_holding(file, row, "owner_party_id", device.owner_party_id, Role.MAP)
            if device.credentials_party_id:
                self._party_holding(
                    file, row, "credentials_party_id", device.credentials_party_id, Role.IS, Role.GS
                )

    def _consents(self) -> None:
        file = "consents.csv"
        for row in self._rows(file):
            consent = row.record
            self._meter_point_fuel(file, row, consent.mpxn)
            self._party_holding(file, row, "party_id", consent.party_id, Role.OU)
            stored = self.stored.consents.get((consent.consent_id,))
            withdrawn = stored.withdrawn_at if stored is not None else None
            if withdrawn is not None and (
                consent.withdrawn_at is None or consent.withdrawn_at > withdrawn
            ):
                self._fail(
                    file,
                    row,
                    "withdrawn_at",
                    f"consent {consent.consent_id} was withdrawn at {format_instant(withdrawn)}; an import can neither undo nor postpone a withdrawal",
                )

    def _matrix(self) -> None:
        file = "matrix.csv"
        stored_from = {key[0]: m.effective_from for key, m in self.stored.matrix.items()}
        folder_from: dict[int, tuple[int, Incoming]] = {}
        version_of_start: dict[int, int] = {start: v for v, start in stored_from.items()}
        for key, row in self.folder.get(file, {}).items():
            version, start = row.record.cell.version, row.record.effective_from
            if version in stored_from:
                if stored_from[version] != start:
                    self._fail(
                        file,
                        row,
                        "effective_from",
                        f"matrix version {version} is already stored, in force from {format_instant(stored_from[version])}; publish a change as a new version",
                    )
                elif key in self.stored.matrix and self.stored.matrix[key].cell != row.record.cell:
                    self._fail(
                        file,
                        row,
                        "access",
                        f"matrix version {version} is already stored with {key[1]}/{key[2]}/{key[3]} = {self.stored.matrix[key].cell.access}; publish a change as a new version",
                    )
                elif key not in self.stored.matrix:
                    self._fail(
                        file,
                        row,
                        "version",
                        f"matrix version {version} is already stored; publish a change as a new version",
                    )
                continue
            latest = max(stored_from.values(), default=None)
            if latest is not None and start <= latest:
                self._fail(
                    file,
                    row,
                    "effective_from",
                    f"a new matrix version must come into force after the newest stored one ({format_instant(latest)}): decisions already made keep their version",
                )
                continue
            first = folder_from.setdefault(version, (start, row))
            if first[0] != start:
                self._fail(
                    file,
                    row,
                    "effective_from",
                    f"matrix version {version} is in force from {format_instant(first[0])} on line {first[1].line}",
                )
                continue
            owner = version_of_start.setdefault(start, version)
            if owner != version:
                self._fail(
                    file,
                    row,
                    "effective_from",
                    f"matrix version {owner} is already in force from {format_instant(start)}",
                )
