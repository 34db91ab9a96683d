"""Turning what an HTTP caller asked into the engine's requests, and the checks before deciding."""

from __future__ import annotations

import uuid
from typing import Any

from meterguard.domain.period import Period
from meterguard.domain.roles import Role
from meterguard.domain.time import DAY, Instant, format_instant
from meterguard.entrypoints.http.errors import ApiError, invalid
from meterguard.entrypoints.http.state import HubState
from meterguard.policy.requests import BadRequest, DataRequest, Request, parse_request
from meterguard.services.api_keys import Principal


def new_request_id() -> str:
    return f"req-{uuid.uuid4().hex[:16]}"


def engine_request(caller: Principal, fields: dict[str, Any], at: Instant) -> Request:
    """The engine's request for these fields, asked by ``caller`` now (``at``): a party always
    asks as itself and at the present; it cannot choose another party or another time."""
    text = {k: v for k, v in fields.items() if v is not None}
    text["party_id"] = caller.party_id
    text["at"] = format_instant(at)
    text.setdefault("request_id", new_request_id())
    try:
        return parse_request(text)
    except BadRequest as exc:
        raise invalid(str(exc)) from None


def asked_period(request: Request) -> tuple[Period, ...]:
    """The data time asked, cut at the decision time, as the audit log records it."""
    if not isinstance(request, DataRequest) or request.start is None:
        return ()
    end = request.at if request.end is None or request.end > request.at else request.end
    return (Period(request.start, end),) if request.start < end else ()


def seconds_to_midnight(at: Instant) -> int:
    return DAY - at % DAY


def counts_against_daily_limit(request: Request) -> bool:
    """An Other User's data request: only those are counted."""
    return request.role == Role.OU.value and isinstance(request, DataRequest)


def enforce_daily_limit(state: HubState, caller: Principal, request: Request, at: Instant) -> None:
    """An Other User may ask about a limited number of distinct meter points each UTC day."""
    if not counts_against_daily_limit(request):
        return
    if not state.ou_limit.admit(caller.party_id, request.subject, at):
        wait = seconds_to_midnight(at)
        raise ApiError(
            429,
            "DAILY_LIMIT",
            f"Other User {caller.party_id} has asked about {state.ou_limit.limit} distinct meter "
            f"points today (UTC); try again after midnight UTC",
            {"Retry-After": str(wait)},
        )


def meter_point_of(state: HubState, subject: str) -> str | None:
    """The meter point a subject is, or the one a device is at: the consumer's view of the audit
    log selects on it."""
    with state.facts.lock:
        snapshot = state.facts.snapshot
        if subject in snapshot.fuels:
            return subject
        device = snapshot.device(subject)
        return device.mpxn if device is not None else None
