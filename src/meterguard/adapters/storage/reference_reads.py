"""Reads of reference data and the device inventory, run inside a release's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from meterguard.adapters.storage import schema

_devices, _meter_points = schema.devices, schema.meter_points

# The inventory as a Meter Asset Provider or a manufacturer sees it: never who holds the
# credentials (a supplier's identity) nor who owns the device.
INVENTORY_COLUMNS = (
    "guid",
    "device_type",
    "mpxn",
    "manufacturer",
    "model",
    "firmware_version",
    "status",
    "csp_region",
)
_INVENTORY = tuple(_devices.c[name] for name in INVENTORY_COLUMNS)


def meter_point_details(connection: Connection, mpxn: str) -> dict[str, Any] | None:
    row = connection.execute(
        select(
            _meter_points.c.mpxn,
            _meter_points.c.fuel,
            _meter_points.c.sector,
            _meter_points.c.region,
        ).where(_meter_points.c.mpxn == mpxn)
    ).first()
    return None if row is None else dict(row._mapping)


def device(connection: Connection, guid: str) -> dict[str, Any] | None:
    row = connection.execute(select(*_INVENTORY).where(_devices.c.guid == guid)).first()
    return None if row is None else dict(row._mapping)


def own_devices(
    connection: Connection, *, owner: str | None = None, manufacturer: str | None = None
) -> list[tuple[Any, ...]]:
    """The devices a Meter Asset Provider owns, or a manufacturer made, in guid order."""
    query = select(*_INVENTORY).order_by(_devices.c.guid)
    if owner is not None:
        query = query.where(_devices.c.owner_party_id == owner)
    elif manufacturer:
        query = query.where(_devices.c.manufacturer == manufacturer)
    else:
        return []
    return [tuple(row) for row in connection.execute(query)]
