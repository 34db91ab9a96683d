"""``/v1/meter-points/{mpxn}/reference/{item}``: the current value of a reference data item.

Decided by the engine (current value, channel API); the value is read and the audit entry
appended in one transaction. Items the hub holds no value for answer ``value: null`` after the
same decision, so a caller learns the rules even where the hub has nothing to give.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from meterguard.adapters.storage.reference_reads import meter_point_details
from meterguard.domain.catalogue import CATALOGUE, Kind, SubjectKind
from meterguard.domain.roles import APPOINTMENT_ROLES
from meterguard.domain.time import format_instant
from meterguard.entrypoints.http.auth import Caller, Hub
from meterguard.entrypoints.http.errors import ERROR_RESPONSES, not_found
from meterguard.entrypoints.http.refusals import (
    over_daily_limit,
    refuse_if_operator,
    refused,
)
from meterguard.entrypoints.http.requests import engine_request
from meterguard.entrypoints.http.routes.decisions import DecisionOut
from meterguard.policy.decision import Outcome
from meterguard.services.audit import AuditRecord
from meterguard.services.releases import audit_record, decide_now

router = APIRouter(prefix="/v1", tags=["data"], responses=ERROR_RESPONSES)

REFERENCE_ITEMS = sorted(
    name
    for name, item in CATALOGUE.items()
    if item.kind is Kind.REFERENCE and item.subject is SubjectKind.METER_POINT
)


class ReferenceOut(BaseModel):
    mpxn: str
    item: str
    decision: DecisionOut
    value: dict[str, Any] | None


@router.get(
    "/meter-points/{mpxn}/reference/{item}",
    response_model=ReferenceOut,
    summary="The current value of a reference data item of a meter point",
    description="Items: " + ", ".join(REFERENCE_ITEMS),
)
async def reference(
    mpxn: Annotated[str, Path(max_length=64)],
    item: Annotated[str, Path(max_length=64)],
    role: Annotated[str, Query(max_length=8)],
    state: Hub,
    caller: Caller,
    purpose: Annotated[str, Query(max_length=64)] = "",
) -> dict[str, object]:
    refuse_if_operator(caller)
    if item not in REFERENCE_ITEMS:
        raise not_found(
            f"{item} is not a reference item of a meter point; one of {', '.join(REFERENCE_ITEMS)}",
            "UNKNOWN_ITEM",
        )
    at = state.clock()
    fields = {"role": role, "subject": mpxn, "item": item, "channel": "API", "purpose": purpose}
    request = engine_request(caller, fields, at)
    await over_daily_limit(state, caller, request, at)
    decision = decide_now(state.facts, request, catch_up=False)  # caught up by auth
    if decision.outcome is Outcome.DENY:
        raise await refused(state, request, decision, at)
    with state.facts.lock:
        snapshot = state.facts.snapshot
        holders = {
            role.value: snapshot.holder_at(mpxn, role, at)
            for role in sorted(APPOINTMENT_ROLES)
            if snapshot.holder_at(mpxn, role, at) is not None
        }

    def fetch(connection: Connection) -> dict[str, Any] | None:
        if item == "meter_point_details":
            return meter_point_details(connection, mpxn)
        if item == "registration":
            return {"mpxn": mpxn, "appointments": holders}
        return None  # annual quantity, supply address: the hub holds no value

    def record_for(value: dict[str, Any] | None) -> AuditRecord:
        return audit_record(
            request,
            decision,
            channel="API",
            action=item,
            mpxn=mpxn,
            detail={"value": value is not None},
        )

    # One blocking transaction of its own, run in the thread pool: the event loop goes on
    # answering the hot routes meanwhile.
    value = await run_in_threadpool(state.releases.release, record_for, at, fetch)
    return {
        "mpxn": mpxn,
        "item": item,
        "decision": {**decision.as_json(), "at": format_instant(at)},
        "value": value,
    }
