"""Operator routes: the audit chain's status and entries, and API keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from meterguard import bootstrap
from meterguard.domain.time import format_instant
from meterguard.entrypoints.http.auth import Hub, Operator
from meterguard.entrypoints.http.errors import ERROR_RESPONSES, invalid, not_found
from meterguard.services.api_keys import KeyRefused

router = APIRouter(prefix="/v1", tags=["administration"], responses=ERROR_RESPONSES)


class ChainOut(BaseModel):
    ok: bool
    checked: int
    first_broken: int | None
    reason: str
    head_seq: int
    summary: str


class AuditEntriesOut(BaseModel):
    entries: list[dict[str, Any]]


class KeyIn(BaseModel):
    party_id: str | None = Field(default=None, max_length=32)
    operator: str | None = Field(default=None, max_length=64)


class KeyOut(BaseModel):
    key: str = Field(description="Shown once; the hub keeps only its SHA-256")
    prefix: str


class KeyInfo(BaseModel):
    prefix: str
    party_id: str
    is_operator: bool
    created_at: str
    revoked_at: str | None


class KeyListOut(BaseModel):
    keys: list[KeyInfo]


@router.get("/audit/verify", response_model=ChainOut, summary="Verify the audit hash chain")
def audit_verify(state: Hub, _: Operator) -> dict[str, object]:
    report = bootstrap.audit_log(state.engine).verify()
    return {
        "ok": report.ok,
        "checked": report.checked,
        "first_broken": report.first_broken,
        "reason": report.reason,
        "head_seq": report.head_seq,
        "summary": report.describe(),
    }


@router.get("/audit/entries", response_model=AuditEntriesOut, summary="Audit entries, newest first")
def audit_entries(
    state: Hub,
    _: Operator,
    mpxn: Annotated[str | None, Query(max_length=64)] = None,
    party: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, object]:
    entries = bootstrap.audit_log(state.engine).entries(
        mpxn=mpxn, party_id=party, limit=limit, newest_first=True
    )
    return {"entries": [e.as_json() for e in entries]}


@router.post("/keys", response_model=KeyOut, status_code=201, summary="Issue an API key")
def issue_key(asked: KeyIn, state: Hub, _: Operator) -> dict[str, str]:
    try:
        key = state.keys.issue(party_id=asked.party_id, operator=asked.operator)
    except KeyRefused as exc:
        raise invalid(str(exc), "KEY_REFUSED") from None
    return {"key": key, "prefix": key[:11]}


@router.get("/keys", response_model=KeyListOut, summary="Every API key (never the key itself)")
def list_keys(state: Hub, _: Operator) -> dict[str, object]:
    return {
        "keys": [
            {
                "prefix": k.prefix,
                "party_id": k.party_id,
                "is_operator": k.is_operator,
                "created_at": format_instant(k.created_at),
                "revoked_at": format_instant(k.revoked_at) if k.revoked_at else None,
            }
            for k in state.keys.list()
        ]
    }


@router.post("/keys/{prefix}/revoke", response_model=KeyInfo, summary="Revoke an API key")
def revoke_key(prefix: str, state: Hub, _: Operator) -> dict[str, object]:
    try:
        state.keys.revoke(prefix)
    except KeyRefused as exc:
        raise not_found(str(exc)) from None
    (info,) = [k for k in state.keys.list() if k.prefix == prefix][-1:]
    return {
        "prefix": info.prefix,
        "party_id": info.party_id,
        "is_operator": info.is_operator,
        "created_at": format_instant(info.created_at),
        "revoked_at": format_instant(info.revoked_at) if info.revoked_at else None,
    }
