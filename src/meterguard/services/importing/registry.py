"""The registry as the import sees it: every stored record, keyed as INTERCHANGE keys rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from meterguard.domain.appointments import Appointment
from meterguard.domain.consents import Consent
from meterguard.domain.devices import Device
from meterguard.domain.meter_points import MeterPoint
from meterguard.domain.occupancy import Occupancy
from meterguard.domain.parties import Party
from meterguard.services.importing.parsers import CriticalAlert, MatrixRow


@dataclass
class Registry:
    """Records keyed by file name, then by the row key of ``parsers.REGISTRY_FILES``."""

    records: dict[str, dict[tuple[object, ...], Any]] = field(default_factory=dict)
    # (mpxn, consumer) -> the latest move-out recorded in the hub (``meterguard move-out``)
    move_outs: dict[tuple[str, str], int] = field(default_factory=dict)

    def of(self, file: str) -> dict[tuple[object, ...], Any]:
        return self.records.setdefault(file, {})

    @property
    def parties(self) -> dict[tuple[object, ...], Party]:
        return self.of("parties.csv")

    @property
    def meter_points(self) -> dict[tuple[object, ...], MeterPoint]:
        return self.of("meter_points.csv")

    @property
    def appointments(self) -> dict[tuple[object, ...], Appointment]:
        return self.of("appointments.csv")

    @property
    def occupancies(self) -> dict[tuple[object, ...], Occupancy]:
        return self.of("occupancies.csv")

    @property
    def devices(self) -> dict[tuple[object, ...], Device]:
        return self.of("devices.csv")

    @property
    def consents(self) -> dict[tuple[object, ...], Consent]:
        return self.of("consents.csv")

    @property
    def matrix(self) -> dict[tuple[object, ...], MatrixRow]:
        return self.of("matrix.csv")

    @property
    def critical_alerts(self) -> dict[tuple[object, ...], CriticalAlert]:
        return self.of("critical_alerts.csv")


@dataclass(frozen=True, slots=True)
class Incoming:
    """A parsed row of the folder, with where it came from."""

    line: int
    record: Any


@dataclass
class Changes:
    """What the import will write for one file."""

    inserted: list[Any] = field(default_factory=list)
    updated: list[Any] = field(default_factory=list)
    deleted: list[Any] = field(default_factory=list)
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "inserted": len(self.inserted),
            "updated": len(self.updated),
            "deleted": len(self.deleted),
            "unchanged": self.unchanged,
        }
