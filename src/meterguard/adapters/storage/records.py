"""Converting domain records to table rows and back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from meterguard.adapters.storage import schema
from meterguard.domain.appointments import Appointment
from meterguard.domain.catalogue import Channel, Group
from meterguard.domain.consents import Consent
from meterguard.domain.devices import CspRegion, Device, DeviceStatus, DeviceType
from meterguard.domain.meter_points import MeterPoint, Sector
from meterguard.domain.occupancy import Occupancy
from meterguard.domain.parties import Category, Party
from meterguard.domain.period import Period
from meterguard.domain.roles import Role
from meterguard.domain.time import FOREVER
from meterguard.policy.matrix import Access, Cell, CellKey
from meterguard.services.importing.parsers import CriticalAlert, MatrixRow

Row = Mapping[str, Any]


def _end(value: int | None) -> int:
    return FOREVER if value is None else value


def _stored_end(value: int) -> int | None:
    return None if value == FOREVER else value


def party_row(p: Party) -> dict[str, Any]:
    return {
        "party_id": p.party_id,
        "name": p.name,
        "roles": " ".join(sorted(p.roles)),
        "category": p.category.value,
        "manufacturer": p.manufacturer,
        "domestic_premises": p.domestic_premises,
        "non_domestic_premises": p.non_domestic_premises,
        "shared_resources": p.shared_resources,
    }


def party_from(r: Row) -> Party:
    return Party(
        r["party_id"],
        r["name"],
        frozenset(Role(code) for code in r["roles"].split()),
        Category(r["category"]),
        r["manufacturer"],
        r["domestic_premises"],
        r["non_domestic_premises"],
        bool(r["shared_resources"]),
    )


def meter_point_row(m: MeterPoint) -> dict[str, Any]:
    return {"mpxn": m.mpxn, "fuel": m.fuel.value, "sector": m.sector.value, "region": m.region}


def meter_point_from(r: Row) -> MeterPoint:
    return MeterPoint(r["mpxn"], Sector(r["sector"]), r["region"])


def appointment_row(a: Appointment) -> dict[str, Any]:
    return {
        "mpxn": a.mpxn,
        "role": a.role.value,
        "party_id": a.party_id,
        "valid_from": a.period.start,
        "valid_to": _stored_end(a.period.end),
    }


def appointment_from(r: Row) -> Appointment:
    return Appointment(
        r["mpxn"], Role(r["role"]), r["party_id"], Period(r["valid_from"], _end(r["valid_to"]))
    )


def occupancy_row(o: Occupancy) -> dict[str, Any]:
    return {
        "mpxn": o.mpxn,
        "consumer_id": o.consumer_id,
        "valid_from": o.period.start,
        "valid_to": _stored_end(o.period.end),
    }


def occupancy_from(r: Row) -> Occupancy:
    return Occupancy(r["mpxn"], r["consumer_id"], Period(r["valid_from"], _end(r["valid_to"])))


def device_row(d: Device) -> dict[str, Any]:
    return {
        "guid": d.guid,
        "device_type": d.device_type.value,
        "mpxn": d.mpxn,
        "manufacturer": d.manufacturer,
        "model": d.model,
        "firmware_version": d.firmware_version,
        "status": d.status.value if d.status else None,
        "csp_region": d.csp_region.value,
        "owner_party_id": d.owner_party_id,
        "credentials_party_id": d.credentials_party_id,
    }


def device_from(r: Row) -> Device:
    return Device(
        r["guid"],
        DeviceType(r["device_type"]),
        r["mpxn"],
        r["manufacturer"],
        r["model"],
        r["firmware_version"],
        DeviceStatus(r["status"]) if r["status"] else None,
        CspRegion(r["csp_region"]),
        r["owner_party_id"],
        r["credentials_party_id"],
    )


def consent_row(c: Consent) -> dict[str, Any]:
    return {
        "consent_id": c.consent_id,
        "consumer_id": c.consumer_id,
        "mpxn": c.mpxn,
        "party_id": c.party_id,
        "purpose": c.purpose,
        "data_groups": " ".join(sorted(c.data_groups)),
        "data_from": c.data_period.start,
        "data_to": _stored_end(c.data_period.end),
        "granted_at": c.granted_at,
        "expires_at": _stored_end(c.expires_at),
        "withdrawn_at": c.withdrawn_at,
        "notice_sent_at": c.notice_sent_at,
        "verification": c.verification,
    }


def consent_from(r: Row) -> Consent:
    return Consent(
        r["consent_id"],
        r["consumer_id"],
        r["mpxn"],
        r["party_id"],
        r["purpose"],
        frozenset(Group(g) for g in r["data_groups"].split()),
        Period(r["data_from"], _end(r["data_to"])),
        r["granted_at"],
        r["verification"],
        _end(r["expires_at"]),
        r["withdrawn_at"],
        r["notice_sent_at"],
    )


def matrix_cell_row(m: MatrixRow) -> dict[str, Any]:
    return {
        "version": m.cell.version,
        "item": m.cell.key.item,
        "role": m.cell.key.role.value,
        "channel": m.cell.key.channel.value,
        "access": m.cell.access.value,
    }


def matrix_row_from(r: Row) -> MatrixRow:
    key = CellKey(r["item"], Role(r["role"]), Channel(r["channel"]))
    return MatrixRow(Cell(r["version"], key, Access(r["access"])), r["effective_from"])


def critical_alert_row(a: CriticalAlert) -> dict[str, Any]:
    return {"alert_code": a.alert_code, "description": a.description}


def critical_alert_from(r: Row) -> CriticalAlert:
    return CriticalAlert(r["alert_code"], r["description"])


@dataclass(frozen=True, slots=True)
class FileTable:
    """How one INTERCHANGE file maps onto one table."""

    table: Table
    to_row: Callable[[Any], dict[str, Any]]
    from_row: Callable[[Row], Any]


TABLE_OF_FILE: dict[str, FileTable] = {
    "parties.csv": FileTable(schema.parties, party_row, party_from),
    "meter_points.csv": FileTable(schema.meter_points, meter_point_row, meter_point_from),
    "appointments.csv": FileTable(schema.appointments, appointment_row, appointment_from),
    "occupancies.csv": FileTable(schema.occupancies, occupancy_row, occupancy_from),
    "devices.csv": FileTable(schema.devices, device_row, device_from),
    "consents.csv": FileTable(schema.consents, consent_row, consent_from),
    "matrix.csv": FileTable(schema.matrix_cells, matrix_cell_row, matrix_row_from),
    "critical_alerts.csv": FileTable(
        schema.critical_alerts, critical_alert_row, critical_alert_from
    ),
}
