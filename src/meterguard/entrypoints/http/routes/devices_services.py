"""Service requests on devices, the mailbox, the credentials-gap report and quarantine.

``/v1/service-requests``: join or unjoin a Type 2 device, or SR 6.23 (``update_credentials_cos``),
which also makes the calling Responsible Supplier the device's credentials holder: decided by the
engine from facts current in every process, audited, and (SR 6.23) written with its note on the
change feed in one transaction, so every server process honours it at its next decision.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from meterguard import bootstrap
from meterguard.adapters.storage.snapshot_loader import load_snapshot
from meterguard.domain.time import format_instant
from meterguard.entrypoints.http.auth import Caller, Hub, Operator
from meterguard.entrypoints.http.errors import ERROR_RESPONSES, ApiError
from meterguard.entrypoints.http.refusals import refuse_if_operator, status_of
from meterguard.entrypoints.http.requests import engine_request, new_request_id
from meterguard.entrypoints.http.routes.decisions import DecisionOut
from meterguard.policy.decision import Outcome
from meterguard.policy.requests import ServiceRequest
from meterguard.services.audit import AuditRecord
from meterguard.services.quarantine import list_quarantine

router = APIRouter(prefix="/v1", tags=["devices"], responses=ERROR_RESPONSES)


class ServiceRequestIn(BaseModel):
    role: str = Field(max_length=8, examples=["IS"])
    action: Literal["join_type2", "unjoin_type2", "update_credentials_cos"]
    subject: str = Field(
        max_length=64, description="A meter point (join, unjoin) or a device (SR 6.23)"
    )
    request_id: str | None = Field(default=None, max_length=100)


@router.post(
    "/service-requests",
    response_model=DecisionOut,
    summary="Join or unjoin a Type 2 device, or SR 6.23 (become the credentials holder)",
)
def service_request(asked: ServiceRequestIn, state: Hub, caller: Caller) -> dict[str, object]:
    refuse_if_operator(caller)
    at = state.clock()
    request = engine_request(caller, asked.model_dump(exclude_none=True), at)
    assert isinstance(request, ServiceRequest)
    with state.facts.lock:
        state.facts.catch_up()
        service = bootstrap.service_requests(state.engine, state.facts.snapshot, state.clock)
        decision = service.execute(request)  # audited, allowed or refused
    body = {**decision.as_json(), "at": format_instant(at)}
    if decision.outcome is Outcome.DENY:
        raise ApiError(
            status_of(decision), decision.code.value, decision.explanation, decision=body
        )
    return body


# -- the mailbox ------------------------------------------------------------------------------


class MailboxItemOut(BaseModel):
    delivery_id: int
    notice: str
    message_id: str
    mpxn: str
    device_guid: str
    ts: str
    kind: str
    alert_code: str
    payload: str | None
    basis: str


class MailboxOut(BaseModel):
    items: list[MailboxItemOut]


class AcknowledgeIn(BaseModel):
    delivery_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(
        min_length=1, max_length=10_000
    )


class AcknowledgeOut(BaseModel):
    acknowledged: int


@router.get(
    "/mailbox",
    response_model=MailboxOut,
    tags=["mailbox"],
    summary="Pull your unacknowledged deliveries (audited as they leave)",
)
def pull_mailbox(
    state: Hub,
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    acknowledge: bool = False,
) -> dict[str, object]:
    refuse_if_operator(caller)
    items = bootstrap.mailbox(state.engine, state.clock).pull(
        caller.party_id, limit=limit, acknowledge=acknowledge
    )
    return {
        "items": [
            {
                "delivery_id": i.delivery_id,
                "notice": i.notice,
                "message_id": i.message_id,
                "mpxn": i.mpxn,
                "device_guid": i.device_guid,
                "ts": format_instant(i.ts),
                "kind": i.kind,
                "alert_code": i.alert_code,
                "payload": i.payload,
                "basis": i.basis,
            }
            for i in items
        ]
    }


@router.post(
    "/mailbox/acknowledge",
    response_model=AcknowledgeOut,
    tags=["mailbox"],
    summary="Acknowledge deliveries you have pulled",
)
def acknowledge_mailbox(asked: AcknowledgeIn, state: Hub, caller: Caller) -> dict[str, int]:
    refuse_if_operator(caller)
    count = bootstrap.mailbox(state.engine, state.clock).acknowledge(
        caller.party_id, asked.delivery_ids
    )
    return {"acknowledged": count}


# -- the credentials-gap report and quarantine ------------------------------------------------


class GapOut(BaseModel):
    device_guid: str
    device_type: str
    mpxn: str
    gaining_supplier: str
    former_supplier: str
    supply_start: str
    days_since_supply_start: int
    withheld_from_former: int
    critical_alerts_to_former: int


class GapReportOut(BaseModel):
    at: str
    rows: list[GapOut]


@router.get(
    "/reports/credentials-gap",
    response_model=GapReportOut,
    tags=["reports"],
    summary="Devices whose credentials are still held by the former supplier (DP072)",
    description="Operators see every row; a supplier sees the rows it is the gaining or the "
    "former supplier of.",
)
def credentials_gap(
    state: Hub,
    caller: Caller,
    min_days: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> dict[str, object]:
    at = state.clock()
    # A report reads every device: it loads its own full snapshot of the registry as it is now,
    # rather than filling the process's lazy one with every meter point.
    rows = bootstrap.cos_report(state.engine, load_snapshot(state.engine), state.clock).rows(
        at, min_days
    )
    if not caller.is_operator:
        rows = [r for r in rows if caller.party_id in (r.gaining_supplier, r.former_supplier)]
    state.releases.record(
        [
            AuditRecord(
                party_id=caller.party_id,
                role="OPERATOR" if caller.is_operator else "",
                channel="API",
                action="report.credentials_gap",
                subject="credentials gaps",
                decision="allow",
                code="OK",
                basis="operator" if caller.is_operator else "gaining or former supplier",
                request_id=new_request_id(),
                detail={"rows": len(rows), "min_days": min_days},
            )
        ],
        at,
    )
    return {"at": format_instant(at), "rows": [r.as_json() for r in rows]}


class QuarantinedOut(BaseModel):
    message_id: str
    mpxn: str
    device_guid: str
    ts: str
    kind: str
    alert_code: str
    received_at: str
    state: str
    reason: str


class QuarantineOut(BaseModel):
    messages: list[QuarantinedOut]


@router.get(
    "/quarantine",
    response_model=QuarantineOut,
    tags=["administration"],
    summary="Quarantined messages (operators)",
)
def quarantine(
    state: Hub,
    _: Operator,
    mpxn: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> dict[str, Any]:
    found = list_quarantine(bootstrap.routing_store(state.engine), mpxn=mpxn, limit=limit)
    return {
        "messages": [
            {
                "message_id": m.message_id,
                "mpxn": m.mpxn,
                "device_guid": m.device_guid,
                "ts": format_instant(m.ts),
                "kind": m.kind,
                "alert_code": m.alert_code,
                "received_at": format_instant(m.received_at),
                "state": m.state,
                "reason": m.reason,
            }
            for m in found
        ]
    }
