"""Building the engine's in-memory snapshot from the database.

This runs at every start of a process that decides, so it reads plain tuples with one query per
table and builds the snapshot's records directly, with enum values looked up in dictionaries
rather than constructed (both several times cheaper than going through row mappings).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, Engine, Select, select

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.records import consent_from, party_from
from meterguard.domain.catalogue import Channel
from meterguard.domain.devices import CspRegion, Device, DeviceStatus, DeviceType
from meterguard.domain.identifiers import Fuel
from meterguard.domain.period import Period
from meterguard.domain.roles import Role
from meterguard.domain.time import FOREVER
from meterguard.domain.timeline import Tenure, Timeline
from meterguard.policy.matrix import Access, CellKey, MatrixVersion
from meterguard.policy.snapshot import Snapshot

_ROLE = {r.value: r for r in Role}
_FUEL = {f.value: f for f in Fuel}
_TYPE = {t.value: t for t in DeviceType}
_STATUS = {s.value: s for s in DeviceStatus}
_REGION = {r.value: r for r in CspRegion}


def load_matrix_versions(engine: Engine) -> list[MatrixVersion]:
    cells: dict[int, dict[CellKey, Access]] = defaultdict(dict)
    versions, matrix = schema.matrix_versions, schema.matrix_cells
    with engine.connect() as connection:
        starts = dict(
            connection.execute(select(versions.c.version, versions.c.effective_from)).all()
        )
        rows = connection.execute(
            select(
                matrix.c.version, matrix.c.item, matrix.c.role, matrix.c.channel, matrix.c.access
            )
        )
        for version, item, role, channel, access in rows:
            cells[version][CellKey(item, Role(role), Channel(channel))] = Access(access)
    return [MatrixVersion(version, start, cells[version]) for version, start in starts.items()]


def _tuples(connection: Connection, statement: Select[Any]) -> list[tuple[Any, ...]]:
    """All rows as plain tuples from the driver's cursor, skipping SQLAlchemy's row objects.
    The statement is compiled by SQLAlchemy and carries no parameters."""
    sql = str(statement.compile(dialect=connection.dialect))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def load_snapshot(engine: Engine) -> Snapshot:
    a, o, d, m = schema.appointments, schema.occupancies, schema.devices, schema.meter_points
    with engine.connect() as connection:
        parties = [party_from(r) for r in connection.execute(select(schema.parties)).mappings()]
        fuels = {mpxn: _FUEL[fuel] for mpxn, fuel in connection.execute(select(m.c.mpxn, m.c.fuel))}
        appointment_rows = _tuples(
            connection, select(a.c.mpxn, a.c.role, a.c.party_id, a.c.valid_from, a.c.valid_to)
        )
        occupancy_rows = _tuples(
            connection, select(o.c.mpxn, o.c.consumer_id, o.c.valid_from, o.c.valid_to)
        )
        device_rows = _tuples(
            connection,
            select(
                d.c.guid,
                d.c.device_type,
                d.c.mpxn,
                d.c.manufacturer,
                d.c.model,
                d.c.firmware_version,
                d.c.status,
                d.c.csp_region,
                d.c.owner_party_id,
                d.c.credentials_party_id,
            ),
        )
        consents = [consent_from(r) for r in connection.execute(select(schema.consents)).mappings()]
    snapshot = Snapshot.build(
        parties, (), (), (), (), consents, load_matrix_versions(engine), fuels=fuels
    )

    by_slot: dict[tuple[str, Role], list[Tenure]] = defaultdict(list)
    for mpxn, role, party_id, start, end in appointment_rows:
        by_slot[(mpxn, _ROLE[role])].append(
            Tenure(party_id, Period(start, FOREVER if end is None else end))
        )
    snapshot._add_timelines(by_slot)

    by_meter: dict[str, list[Tenure]] = defaultdict(list)
    for mpxn, consumer_id, start, end in occupancy_rows:
        by_meter[mpxn].append(Tenure(consumer_id, Period(start, FOREVER if end is None else end)))
    for mpxn, tenures in by_meter.items():
        snapshot._set_occupants(mpxn, Timeline(tenures))

    devices, devices_at = snapshot.devices, snapshot.devices_at
    for guid, kind, mpxn, maker, model, firmware, status, region, owner, holder in device_rows:
        device = Device(
            guid,
            _TYPE[kind],
            mpxn,
            maker,
            model,
            firmware,
            _STATUS[status] if status else None,
            _REGION[region],
            owner,
            holder,
        )
        devices[guid] = device
        devices_at.setdefault(mpxn, {})[guid] = device
    snapshot.revision = 0
    return snapshot
