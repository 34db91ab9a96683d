"""``/v1/consents``: an Other User records a consumer's consent (with how the consumer was verified
and the written notice), withdraws it, and lists the consents given to it; operators see all.

A party never sees or changes another party's consents: such a consent answers 404, as one that
does not exist. Every change is audited (``consent.granted``, ``consent.notice_sent``,
``consent.withdrawn``) and honoured by the next decision in every server process.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from meterguard import bootstrap
from meterguard.domain.catalogue import Group
from meterguard.domain.consents import Consent
from meterguard.domain.roles import Role
from meterguard.domain.time import FOREVER, BadInstant, format_instant, parse_instant
from meterguard.entrypoints.http.auth import Caller, Hub
from meterguard.entrypoints.http.errors import ERROR_RESPONSES, forbidden, invalid, not_found
from meterguard.entrypoints.http.requests import new_request_id
from meterguard.entrypoints.http.state import HubState
from meterguard.services.api_keys import Principal
from meterguard.services.audit import AuditRecord
from meterguard.services.consents import ConsentRefused

router = APIRouter(prefix="/v1", tags=["consents"], responses=ERROR_RESPONSES)

ConsentId = Annotated[str, Path(max_length=64)]
GroupName = Literal["CONSUMPTION", "ALERTS", "METER_POINT", "REGISTRATION", "ADDRESS", "INVENTORY"]


class NoticeIn(BaseModel):
    """The written notice the Other User gave the consumer (SEC I1.2): the time periods, the
    purpose, and the right to withdraw and how."""

    time_periods: str = Field(min_length=1, max_length=500)
    right_to_withdraw: str = Field(min_length=1, max_length=500)


class ConsentIn(BaseModel):
    consumer_id: str = Field(min_length=1, max_length=64)
    mpxn: str = Field(min_length=1, max_length=64)
    purpose: str = Field(min_length=1, max_length=64, examples=["energy_advice"])
    data_groups: list[GroupName] = Field(min_length=1, max_length=6)
    data_from: str = Field(max_length=32, examples=["2024-01-01"])
    data_to: str | None = Field(default=None, max_length=32)
    expires_at: str | None = Field(default=None, max_length=32)
    verification: str = Field(
        min_length=1, max_length=200, description="How the consumer was verified"
    )
    notice: NoticeIn | None = Field(
        default=None, description="Without it the consent waits for its notice (pending_notice)"
    )
    party_id: str | None = Field(
        default=None, max_length=32, description="Operators only: the Other User it is given to"
    )


class WithdrawIn(BaseModel):
    reason: str = Field(default="", max_length=500)


class ConsentOut(BaseModel):
    consent_id: str
    consumer_id: str
    mpxn: str
    party_id: str
    purpose: str
    data_groups: list[str]
    data_from: str
    data_to: str | None
    granted_at: str
    expires_at: str | None
    withdrawn_at: str | None
    notice_sent_at: str | None
    verification: str
    state: str


class ConsentListOut(BaseModel):
    consents: list[ConsentOut]


def _instant(text: str | None, field: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except BadInstant as exc:
        raise invalid(f"{field}: {exc}") from None


def _text(at: int | None) -> str | None:
    return None if at is None or at == FOREVER else format_instant(at)


def consent_out(state: HubState, consent: Consent, at: int) -> dict[str, object]:
    occupancy = state.facts.snapshot.occupancy_of(consent.consumer_id, consent.mpxn)
    return {
        "consent_id": consent.consent_id,
        "consumer_id": consent.consumer_id,
        "mpxn": consent.mpxn,
        "party_id": consent.party_id,
        "purpose": consent.purpose,
        "data_groups": sorted(consent.data_groups),
        "data_from": format_instant(consent.data_period.start),
        "data_to": _text(consent.data_period.end),
        "granted_at": format_instant(consent.granted_at),
        "expires_at": _text(consent.expires_at),
        "withdrawn_at": _text(consent.withdrawn_at),
        "notice_sent_at": _text(consent.notice_sent_at),
        "verification": consent.verification,
        "state": consent.state_at(at, occupancy).value,
    }


def _may_manage(caller: Principal) -> None:
    if not caller.is_operator and not caller.holds(Role.OU.value):
        raise forbidden(
            "ROLE_NOT_HELD", "consents are recorded by the Other User they are given to (role OU)"
        )


def _visible(state: HubState, caller: Principal, consent_id: str) -> Consent:
    """The consent, if the caller may see it; another party's consent is 'not found'."""
    consent = state.facts.snapshot.consents.get(consent_id)
    if consent is None or not (caller.is_operator or consent.party_id == caller.party_id):
        raise not_found(f"no consent {consent_id} given to {caller.party_id}")
    return consent


def _event(
    caller: Principal, consent: Consent, event: str, request_id: str, **detail: object
) -> AuditRecord:
    return AuditRecord(
        party_id=caller.party_id,
        role=Role.OU.value if not caller.is_operator else "OPERATOR",
        channel="API",
        action=f"consent.{event}",
        subject=consent.consent_id,
        decision="recorded",
        code="OK",
        mpxn=consent.mpxn,
        asked=(consent.data_period,),
        basis=f"consent {consent.consent_id} of {consent.consumer_id} to {consent.party_id}",
        request_id=request_id,
        detail=detail,
    )


@router.get("/consents", response_model=ConsentListOut, summary="Consents given to you")
def list_consents(
    state: Hub,
    caller: Caller,
    mpxn: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> dict[str, object]:
    at = state.clock()
    with state.facts.lock:
        state.facts.catch_up()
        snapshot = state.facts.snapshot
        if caller.is_operator:
            found = list(snapshot.consents.values())
        else:
            found = list(snapshot.consents_of.get(caller.party_id, {}).values())
        if mpxn is not None:
            found = [c for c in found if c.mpxn == mpxn]
        found.sort(key=lambda c: (c.granted_at, c.consent_id))
        return {"consents": [consent_out(state, c, at) for c in found[:limit]]}


@router.get("/consents/{consent_id}", response_model=ConsentOut, summary="One consent")
def get_consent(consent_id: ConsentId, state: Hub, caller: Caller) -> dict[str, object]:
    with state.facts.lock:
        state.facts.catch_up()
        return consent_out(state, _visible(state, caller, consent_id), state.clock())


@router.post(
    "/consents",
    response_model=ConsentOut,
    status_code=201,
    summary="Record a consumer's consent, with verification and the written notice",
)
def grant_consent(asked: ConsentIn, state: Hub, caller: Caller) -> dict[str, object]:
    _may_manage(caller)
    if caller.is_operator:
        if not asked.party_id:
            raise invalid("party_id: operators name the Other User the consent is given to")
        party_id = asked.party_id
    else:
        if asked.party_id not in (None, caller.party_id):
            raise forbidden("NOT_YOUR_CONSENT", "an Other User records consents given to itself")
        party_id = caller.party_id
    data_from = _instant(asked.data_from, "data_from")
    assert data_from is not None
    request_id = new_request_id()
    with state.facts.lock:
        state.facts.catch_up()
        service = bootstrap.consent_service(state.engine, state.facts.snapshot, state.clock)
        try:
            consent = service.grant(
                consumer_id=asked.consumer_id,
                mpxn=asked.mpxn,
                party_id=party_id,
                purpose=asked.purpose,
                data_groups={Group(g) for g in asked.data_groups},
                data_from=data_from,
                data_to=_instant(asked.data_to, "data_to"),
                expires_at=_instant(asked.expires_at, "expires_at"),
                verification=asked.verification,
                actor=f"api:{caller.party_id}",
            )
            events = [
                _event(caller, consent, "granted", request_id, verification=consent.verification)
            ]
            if asked.notice is not None:
                consent = service.record_notice(
                    consent.consent_id,
                    time_periods=asked.notice.time_periods,
                    purpose=consent.purpose,
                    right_to_withdraw=asked.notice.right_to_withdraw,
                    actor=f"api:{caller.party_id}",
                )
                events.append(_event(caller, consent, "notice_sent", request_id))
        except ConsentRefused as exc:
            raise invalid(str(exc), "CONSENT_REFUSED") from None
        state.releases.record(events, state.clock())
        return consent_out(state, consent, state.clock())


@router.post(
    "/consents/{consent_id}/withdraw",
    response_model=ConsentOut,
    summary="Withdraw a consent: from this instant it grants nothing, in every server process",
)
def withdraw_consent(
    consent_id: ConsentId, state: Hub, caller: Caller, asked: WithdrawIn | None = None
) -> dict[str, object]:
    _may_manage(caller)
    reason = asked.reason if asked else ""
    with state.facts.lock:
        state.facts.catch_up()
        before = _visible(state, caller, consent_id)
        service = bootstrap.consent_service(state.engine, state.facts.snapshot, state.clock)
        consent = service.withdraw(consent_id, actor=f"api:{caller.party_id}", reason=reason)
        if consent != before:  # withdrawing twice changes nothing and records nothing
            state.releases.record(
                [_event(caller, consent, "withdrawn", new_request_id(), reason=reason)],
                state.clock(),
            )
        return consent_out(state, consent, state.clock())
