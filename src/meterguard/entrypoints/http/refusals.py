"""Refusing a request: audit the refusal, then answer with the status its code deserves."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from meterguard.domain.time import format_instant
from meterguard.entrypoints.http.errors import ApiError, forbidden
from meterguard.entrypoints.http.requests import (
    asked_period,
    counts_against_daily_limit,
    enforce_daily_limit,
    meter_point_of,
)
from meterguard.entrypoints.http.state import HubState
from meterguard.policy.decision import Code, Decision, Outcome
from meterguard.policy.requests import DataRequest, Request
from meterguard.services.api_keys import Principal
from meterguard.services.audit import AuditRecord
from meterguard.services.releases import audit_record

_STATUS = {
    Code.UNKNOWN_SUBJECT: 404,
    Code.UNKNOWN_ITEM: 404,
    Code.BAD_PERIOD: 422,
    Code.BAD_REQUEST: 422,
}


def status_of(decision: Decision) -> int:
    return _STATUS.get(decision.code, 403)


def refuse_if_operator(caller: Principal) -> None:
    if caller.is_operator:
        raise forbidden(
            "OPERATOR_IS_NOT_A_PARTY",
            "operators administer the hub; data is asked for by a party with its own key",
        )


def _item(request: Request) -> str:
    return request.item if isinstance(request, DataRequest) else request.action


def _channel(request: Request) -> str:
    return request.channel.value if isinstance(request, DataRequest) else "API"


def refusal_record(
    state: HubState, request: Request, decision: Decision, endpoint: str = ""
) -> AuditRecord:
    """The audit entry of a refused request (its legal basis is the decision's reasons)."""
    return audit_record(
        request,
        decision,
        channel=_channel(request),
        action=_item(request),
        mpxn=meter_point_of(state, request.subject),
        asked=asked_period(request),
        detail={"endpoint": endpoint} if endpoint else {},
    )


def _error(decision: Decision, at: int) -> ApiError:
    return ApiError(
        status_of(decision),
        decision.code.value,
        decision.explanation,
        decision={**decision.as_json(), "at": format_instant(at)},
    )


def after_decision(
    state: HubState, request: Request, decision: Decision, at: int, endpoint: str = ""
) -> ApiError:
    """Audit a refused decision; the error to answer with (the decision in its body). For the
    routes that run in the thread pool; ``refused`` is the same for the event loop's routes."""
    state.releases.record([refusal_record(state, request, decision, endpoint)], at)
    return _error(decision, at)


async def refused(
    state: HubState, request: Request, decision: Decision, at: int, endpoint: str = ""
) -> ApiError:
    """``after_decision`` for routes on the event loop: the entry joins the next group commit."""
    await state.audited.record([refusal_record(state, request, decision, endpoint)], at)
    return _error(decision, at)


async def over_daily_limit(state: HubState, caller: Principal, request: Request, at: int) -> None:
    """Answer 429 when an Other User has reached its daily limit; the refusal is audited. The
    count is a write transaction of its own, run in the thread pool so that the event loop goes
    on answering meanwhile."""
    if not counts_against_daily_limit(request):
        return
    try:
        await run_in_threadpool(enforce_daily_limit, state, caller, request, at)
    except ApiError as exc:
        await state.audited.record(
            [
                AuditRecord(
                    party_id=request.party_id,
                    role=request.role,
                    channel=_channel(request),
                    action=_item(request),
                    subject=request.subject,
                    decision=Outcome.DENY.value,
                    code=exc.code,
                    mpxn=meter_point_of(state, request.subject),
                    asked=asked_period(request),
                    basis=exc.message,
                    request_id=request.request_id,
                )
            ],
            at,
        )
        raise
