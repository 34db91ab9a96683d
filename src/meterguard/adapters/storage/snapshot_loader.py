"""Building the engine's in-memory snapshot from the database."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Engine, select

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.records import (
    appointment_from,
    consent_from,
    device_from,
    meter_point_from,
    occupancy_from,
    party_from,
)
from meterguard.domain.catalogue import Channel
from meterguard.domain.roles import Role
from meterguard.policy.matrix import Access, CellKey, MatrixVersion
from meterguard.policy.snapshot import Snapshot


def load_matrix_versions(engine: Engine) -> list[MatrixVersion]:
    cells: dict[int, dict[CellKey, Access]] = defaultdict(dict)
    with engine.connect() as connection:
        starts = dict(
            connection.execute(
                select(schema.matrix_versions.c.version, schema.matrix_versions.c.effective_from)
            ).all()
        )
        for version, item, role, channel, access in connection.execute(
            select(
                schema.matrix_cells.c.version,
                schema.matrix_cells.c.item,
                schema.matrix_cells.c.role,
                schema.matrix_cells.c.channel,
                schema.matrix_cells.c.access,
            )
        ):
            cells[version][CellKey(item, Role(role), Channel(channel))] = Access(access)
    return [MatrixVersion(version, start, cells[version]) for version, start in starts.items()]


def load_snapshot(engine: Engine) -> Snapshot:
    with engine.connect() as connection:

        def rows(table):  # type: ignore[no-untyped-def]
            return connection.execute(select(table)).mappings()

        parties = [party_from(r) for r in rows(schema.parties)]
        meter_points = [meter_point_from(r) for r in rows(schema.meter_points)]
        appointments = [appointment_from(r) for r in rows(schema.appointments)]
        occupancies = [occupancy_from(r) for r in rows(schema.occupancies)]
        devices = [device_from(r) for r in rows(schema.devices)]
        consents = [consent_from(r) for r in rows(schema.consents)]
    return Snapshot.build(
        parties,
        meter_points,
        appointments,
        occupancies,
        devices,
        consents,
        load_matrix_versions(engine),
    )
