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
from meterguard.domain.roles import ROLE_BY_CODE, Role
from meterguard.domain.time import FOREVER
from meterguard.policy.matrix import Access, CellKey, MatrixVersion
from meterguard.policy.snapshot import MeterFacts, Snapshot

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


_APPOINTMENT_COLUMNS = (
    schema.appointments.c.mpxn,
    schema.appointments.c.role,
    schema.appointments.c.party_id,
    schema.appointments.c.valid_from,
    schema.appointments.c.valid_to,
)
_OCCUPANCY_COLUMNS = (
    schema.occupancies.c.mpxn,
    schema.occupancies.c.consumer_id,
    schema.occupancies.c.valid_from,
    schema.occupancies.c.valid_to,
)
_DEVICE_COLUMNS = tuple(schema.devices.c[name] for name in Device._fields)


def _meter_facts(
    appointment_rows: list[tuple[Any, ...]],
    occupancy_rows: list[tuple[Any, ...]],
    device_rows: list[tuple[Any, ...]],
) -> dict[str, MeterFacts]:
    """Rows of any number of meter points, grouped and typed per meter point."""
    facts: dict[str, MeterFacts] = defaultdict(lambda: ([], [], []))
    for mpxn, role, party_id, start, end in appointment_rows:
        facts[mpxn][0].append(
            (ROLE_BY_CODE[role], party_id, Period(start, FOREVER if end is None else end))
        )
    for mpxn, consumer_id, start, end in occupancy_rows:
        facts[mpxn][1].append((consumer_id, Period(start, FOREVER if end is None else end)))
    for guid, kind, mpxn, maker, model, firmware, status, region, owner, holder in device_rows:
        facts[mpxn][2].append(
            Device(
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
        )
    return facts


class SqlMeterSource:
    """Each meter point's facts on demand (``MeterSource``), three indexed queries a meter point."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def meter(self, mpxn: str) -> MeterFacts:
        with self.engine.connect() as connection:
            rows = (
                connection.execute(
                    select(*_APPOINTMENT_COLUMNS).where(schema.appointments.c.mpxn == mpxn)
                ).all(),
                connection.execute(
                    select(*_OCCUPANCY_COLUMNS).where(schema.occupancies.c.mpxn == mpxn)
                ).all(),
                connection.execute(
                    select(*_DEVICE_COLUMNS).where(schema.devices.c.mpxn == mpxn)
                ).all(),
            )
        return _meter_facts(*rows).get(mpxn, ([], [], []))  # type: ignore[arg-type]

    def meter_of_device(self, guid: str) -> str | None:
        with self.engine.connect() as connection:
            return connection.execute(
                select(schema.devices.c.mpxn).where(schema.devices.c.guid == guid)
            ).scalar()

    def everything(self, skip: set[str]) -> dict[str, MeterFacts]:
        with self.engine.connect() as connection:
            rows = (
                _tuples(connection, select(*_APPOINTMENT_COLUMNS)),
                _tuples(connection, select(*_OCCUPANCY_COLUMNS)),
                _tuples(connection, select(*_DEVICE_COLUMNS)),
            )
        return {mpxn: facts for mpxn, facts in _meter_facts(*rows).items() if mpxn not in skip}


def load_snapshot(engine: Engine, lazy: bool = False) -> Snapshot:
    """The engine's snapshot. ``lazy`` loads the registry-wide facts now and each meter point's
    appointments, occupancies and devices when a decision first touches it: a process that
    decides starts in a fraction of the time a full load takes."""
    m = schema.meter_points
    with engine.connect() as connection:
        parties = [party_from(r) for r in connection.execute(select(schema.parties)).mappings()]
        fuels = {
            mpxn: _FUEL[fuel] for mpxn, fuel in _tuples(connection, select(m.c.mpxn, m.c.fuel))
        }
        consents = [consent_from(r) for r in connection.execute(select(schema.consents)).mappings()]
    snapshot = Snapshot.build(
        parties, (), (), (), (), consents, load_matrix_versions(engine), fuels=fuels
    )
    snapshot.source = SqlMeterSource(engine)
    if not lazy:
        snapshot.load_all()
    return snapshot
