"""``/v1/meter-points/{mpxn}/consumption``: readings for a period, only the allowed periods' ones.

The engine decides (channel API); the readings of the allowed periods are fetched and the audit
entry appended in one transaction before the response is sent. Refusals are audited too.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from meterguard.domain.time import DAY, format_instant
from meterguard.entrypoints.http.auth import Caller, Hub
from meterguard.entrypoints.http.errors import ERROR_RESPONSES
from meterguard.entrypoints.http.json_body import JsonBody
from meterguard.entrypoints.http.refusals import (
    over_daily_limit,
    refuse_if_operator,
    refused,
)
from meterguard.entrypoints.http.requests import asked_period, engine_request
from meterguard.entrypoints.http.routes.decisions import DecisionOut
from meterguard.policy.decision import Outcome
from meterguard.services.audit import AuditRecord
from meterguard.services.releases import Reading, audit_record, decide_now

router = APIRouter(prefix="/v1", tags=["data"], responses=ERROR_RESPONSES)

Mpxn = Annotated[str, Path(max_length=64, description="The meter point (MPAN core or MPRN)")]
Role = Annotated[
    str, Query(max_length=8, description="The role the party asks in", examples=["IS"])
]


class ReadingOut(BaseModel):
    start: str
    kwh: float


class ConsumptionOut(BaseModel):
    mpxn: str
    item: str
    interval: Literal["PT30M", "P1D"]
    decision: DecisionOut
    readings: list[ReadingOut]


def _daily(rows: list[Reading]) -> list[Reading]:
    days: dict[int, float] = defaultdict(float)
    for ts, kwh in rows:
        days[ts - ts % DAY] += kwh
    return sorted((day, round(kwh, 6)) for day, kwh in days.items())


@router.get(
    "/meter-points/{mpxn}/consumption",
    response_model=ConsumptionOut,
    summary="Consumption of a meter point for a period: only the allowed periods' readings",
)
async def consumption(
    mpxn: Mpxn,
    role: Role,
    from_: Annotated[str, Query(alias="from", max_length=32, examples=["2025-01-01"])],
    state: Hub,
    caller: Caller,
    to: Annotated[str | None, Query(max_length=32)] = None,
    item: Literal["hh_consumption", "daily_consumption"] = "hh_consumption",
    purpose: Annotated[str, Query(max_length=64)] = "",
) -> JsonBody:
    refuse_if_operator(caller)
    at = state.clock()
    fields = {"role": role, "subject": mpxn, "item": item, "channel": "API", "purpose": purpose}
    request = engine_request(caller, {**fields, "from": from_, "to": to}, at)
    await over_daily_limit(state, caller, request, at)
    decision = decide_now(state.facts, request, catch_up=False)  # caught up by auth
    if decision.outcome is Outcome.DENY:
        raise await refused(state, request, decision, at)

    def record_for(rows: list[Reading]) -> AuditRecord:
        return audit_record(
            request,
            decision,
            channel="API",
            action=item,
            mpxn=mpxn,
            asked=asked_period(request),
            detail={"readings": len(rows)},
        )

    rows = await state.audited.readings(mpxn, decision.allowed, record_for, at)
    if item == "daily_consumption":
        rows = _daily(rows)
    # Built exactly to ConsumptionOut and sent as is: validating a few hundred readings again
    # cost more than deciding.
    return JsonBody(
        {
            "mpxn": mpxn,
            "item": item,
            "interval": "P1D" if item == "daily_consumption" else "PT30M",
            "decision": {**decision.as_json(), "at": format_instant(at)},
            "readings": [{"start": format_instant(ts), "kwh": kwh} for ts, kwh in rows],
        }
    )
