"""``/v1/devices``: the device inventory as a Meter Asset Provider or a manufacturer sees it.

A MAP sees only the devices it owns, a manufacturer only those it made; the listing (JSON or CSV)
never carries a supplier's identity (who holds the credentials) nor the owner. The matrix cell
``device_inventory`` for the role on the API channel decides whether the role may list at all;
each listing is audited as one entry with the number of devices released.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Connection

from meterguard.adapters.storage.reference_reads import INVENTORY_COLUMNS, device, own_devices
from meterguard.domain.catalogue import Channel
from meterguard.domain.roles import Role
from meterguard.entrypoints.http.auth import Caller, Hub, require_role
from meterguard.entrypoints.http.errors import ERROR_RESPONSES, forbidden
from meterguard.entrypoints.http.refusals import after_decision, refuse_if_operator
from meterguard.entrypoints.http.requests import engine_request, new_request_id
from meterguard.entrypoints.http.state import HubState
from meterguard.policy.decision import Outcome
from meterguard.policy.matrix import Access
from meterguard.services.api_keys import Principal
from meterguard.services.audit import AuditRecord
from meterguard.services.releases import audit_record, decide_now

router = APIRouter(prefix="/v1", tags=["devices"], responses=ERROR_RESPONSES)

_LISTING_ROLES = {Role.MAP.value: "owner", Role.DM.value: "manufacturer"}
InventoryRole = Annotated[str, Query(max_length=8, description="MAP or DM", examples=["MAP"])]


class DeviceOut(BaseModel):
    guid: str
    device_type: str
    mpxn: str
    manufacturer: str
    model: str
    firmware_version: str
    status: str | None
    csp_region: str


class DeviceListOut(BaseModel):
    role: str
    devices: list[DeviceOut]


def _listing(state: HubState, caller: Principal, role: str, form: str) -> list[tuple[Any, ...]]:
    """The caller's own devices, after the matrix allows the role to list, audited."""
    refuse_if_operator(caller)
    require_role(caller, role)
    if role not in _LISTING_ROLES:
        raise forbidden(
            "NOT_ELIGIBLE",
            "device inventory lists are for Meter Asset Providers (MAP) and manufacturers (DM)",
        )
    at = state.clock()
    with state.facts.lock:
        state.facts.catch_up()
        snapshot = state.facts.snapshot
        version = snapshot.matrix.in_force_at(at)
        access = (
            version.by_tuple.get(("device_inventory", Role(role), Channel.API)) if version else None
        )
        party = snapshot.parties.get(caller.party_id)
    cell = f"device_inventory/{role}/API"
    request_id = new_request_id()

    def entry(decision: str, code: str, basis: str, count: int = 0) -> AuditRecord:
        return AuditRecord(
            party_id=caller.party_id,
            role=role,
            channel="API",
            action="device_inventory",
            subject=f"own devices ({_LISTING_ROLES[role]})",
            decision=decision,
            code=code,
            basis=basis,
            request_id=request_id,
            detail={"devices": count, "format": form},
        )

    if access is None or access is Access.NOT_PERMITTED:
        code = "NOT_IN_MATRIX" if access is None else "NOT_PERMITTED"
        basis = f"matrix cell {cell} = {access.value if access else 'not configured'}"
        state.releases.record([entry("deny", code, basis)], at)
        raise forbidden(code, basis)
    assert version is not None
    basis = f"matrix v{version.version} cell {cell} = {access.value}; {_LISTING_ROLES[role]} of each device listed"

    def fetch(connection: Connection) -> list[tuple[Any, ...]]:
        if role == Role.MAP.value:
            return own_devices(connection, owner=caller.party_id)
        return own_devices(connection, manufacturer=party.manufacturer if party else None)

    rows: list[tuple[Any, ...]] = state.releases.release(
        lambda found: entry("allow", "OK", basis, len(found)), at, fetch
    )
    return rows


@router.get("/devices", response_model=DeviceListOut, summary="Your own devices")
def list_devices(role: InventoryRole, state: Hub, caller: Caller) -> dict[str, object]:
    rows = _listing(state, caller, role, "json")
    return {
        "role": role,
        "devices": [dict(zip(INVENTORY_COLUMNS, row, strict=True)) for row in rows],
    }


@router.get(
    "/devices.csv",
    summary="Your own devices, all of them, as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "one device a line"}},
)
def list_devices_csv(role: InventoryRole, state: Hub, caller: Caller) -> Response:
    rows = _listing(state, caller, role, "csv")
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(INVENTORY_COLUMNS)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return Response(
        text.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="devices.csv"'},
    )


@router.get("/devices/{guid}", response_model=DeviceOut, summary="One device of the inventory")
def one_device(
    guid: Annotated[str, Path(max_length=64)],
    role: Annotated[str, Query(max_length=8)],
    state: Hub,
    caller: Caller,
) -> dict[str, Any]:
    refuse_if_operator(caller)
    at = state.clock()
    fields = {"role": role, "subject": guid, "item": "device_inventory", "channel": "API"}
    request = engine_request(caller, fields, at)
    decision = decide_now(state.facts, request, catch_up=False)  # caught up by auth
    if decision.outcome is Outcome.DENY:
        raise after_decision(state, request, decision, at)
    with state.facts.lock:
        found = state.facts.snapshot.device(guid)
    mpxn = found.mpxn if found else None

    def record_for(_: object) -> AuditRecord:
        return audit_record(request, decision, channel="API", action="device_inventory", mpxn=mpxn)

    row: dict[str, Any] = state.releases.release(record_for, at, lambda c: device(c, guid))
    return row
