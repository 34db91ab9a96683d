"""``/v1/decisions``: what the hub decides for a request of the calling party, now.

No data leaves with a decision, so an allowed decision is not audited; every refusal is (ACCESS-
RULES 10), with the legal basis the engine gave.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from meterguard.domain.time import format_instant
from meterguard.entrypoints.http.auth import Caller, Hub
from meterguard.entrypoints.http.errors import ERROR_RESPONSES, invalid
from meterguard.entrypoints.http.json_body import JsonBody
from meterguard.entrypoints.http.refusals import (
    over_daily_limit,
    refusal_record,
    refuse_if_operator,
)
from meterguard.entrypoints.http.requests import engine_request
from meterguard.entrypoints.http.state import HubState
from meterguard.policy.decision import Decision, Outcome
from meterguard.policy.requests import Request
from meterguard.services.audit import AuditRecord
from meterguard.services.releases import decide_many, decide_now

router = APIRouter(prefix="/v1", tags=["decisions"], responses=ERROR_RESPONSES)

MAX_BATCH = 1000


class DecisionAsked(BaseModel):
    """A data request (``item``) or a service request (``action``), as INTERCHANGE writes it,
    without ``party_id`` and ``at``: the caller's key names the party, and the time is now."""

    model_config = ConfigDict(populate_by_name=True)

    role: str = Field(max_length=8, examples=["IS"])
    subject: str = Field(max_length=64, examples=["1012345678903"])
    item: str | None = Field(default=None, max_length=64, examples=["hh_consumption"])
    action: str | None = Field(default=None, max_length=64)
    channel: Literal["API", "BULK", "PORTAL"] = "API"
    from_: str | None = Field(default=None, alias="from", max_length=32, examples=["2025-01-01"])
    to: str | None = Field(default=None, max_length=32)
    purpose: str = Field(default="", max_length=64)
    request_id: str | None = Field(default=None, max_length=100)

    def fields(self) -> dict[str, object]:
        data = self.model_dump(by_alias=True, exclude_none=True)
        if self.item is None:
            data.pop("channel", None)
        return data


class DecisionOut(BaseModel):
    request_id: str
    decision: Literal["allow", "partial", "deny"]
    code: str
    allowed: list[list[str]]
    explanation: str
    at: str


class BatchAsked(BaseModel):
    requests: list[DecisionAsked] = Field(max_length=MAX_BATCH)


class BatchOut(BaseModel):
    decisions: list[DecisionOut]


def _refusals(
    state: HubState, pairs: list[tuple[Request, Decision]], endpoint: str
) -> list[AuditRecord]:
    return [
        refusal_record(state, request, decision, endpoint)
        for request, decision in pairs
        if decision.outcome is Outcome.DENY
    ]


def _out(decision: Decision, at: str) -> dict[str, object]:
    return {**decision.as_json(), "at": at}


@router.post("/decisions", response_model=DecisionOut, summary="Decide one request, now")
async def decide_one(asked: DecisionAsked, state: Hub, caller: Caller) -> JsonBody:
    at = state.clock()
    request = engine_request(caller, asked.fields(), at)
    refuse_if_operator(caller)
    await over_daily_limit(state, caller, request, at)
    decision = decide_now(state.facts, request, catch_up=False)  # caught up by auth
    await state.audited.record(_refusals(state, [(request, decision)], "decisions"), at)
    return JsonBody(_out(decision, format_instant(at)))  # built to DecisionOut: sent as is


@router.post(
    "/decisions/batch", response_model=BatchOut, summary="Decide up to 1,000 requests, now"
)
async def decide_batch(
    asked: Annotated[BatchAsked, Body()], state: Hub, caller: Caller
) -> JsonBody:
    refuse_if_operator(caller)
    at = state.clock()
    if not asked.requests:
        raise invalid("requests: give at least one request")
    requests = [engine_request(caller, a.fields(), at) for a in asked.requests]
    for request in requests:
        await over_daily_limit(state, caller, request, at)
    decisions = decide_many(state.facts, requests, catch_up=False)  # caught up by auth
    await state.audited.record(
        _refusals(state, list(zip(requests, decisions, strict=True)), "decisions/batch"), at
    )
    stamp = format_instant(at)
    return JsonBody({"decisions": [_out(d, stamp) for d in decisions]})
