"""Operator routes for the matrix change workflow (the Disclosure Request Report, seed 000):
version list and diff, propose, impact, DPIA screening, submit, approve, reject.

Every step calls ``services.matrix_changes.MatrixChanges``; the actor recorded is the operator's
name from the API key. Refusals: 404 for an unknown change or version, 422 for a malformed
proposal (``EXCLUDED_GROUP`` when it touches a group never released through that channel) or
screening, 409 ``SCREENING_REQUIRED`` for approving a change that newly exposes personal data
without a completed screening, 409 ``CHANGE_REFUSED`` for any other step the change's state does
not allow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from meterguard import bootstrap
from meterguard.domain.dpia import IncompleteScreening, screening_from_mapping
from meterguard.domain.time import BadInstant, format_instant, parse_instant
from meterguard.entrypoints.http.auth import Hub, Operator
from meterguard.entrypoints.http.errors import (
    ERROR_RESPONSES,
    ApiError,
    ErrorBody,
    invalid,
    not_found,
)
from meterguard.services.matrix_changes import (
    ChangeNotFound,
    ChangeRefused,
    ExcludedGroupTouched,
    MatrixChange,
    MatrixChanges,
    ProposalRejected,
    ScreeningRequired,
    StoredScreening,
    parse_proposal,
)

router = APIRouter(
    prefix="/v1/matrix",
    tags=["matrix changes"],
    responses={
        **ERROR_RESPONSES,
        409: {"model": ErrorBody, "description": "the step is not allowed"},
    },
)

ChangeId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Version = Annotated[int, Query(ge=1, le=2**31 - 1)]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class CellIn(BaseModel):
    item: str = Field(max_length=64)
    role: str = Field(max_length=16)
    channel: str = Field(max_length=16)
    access: str = Field(max_length=8)


class ProposalIn(BaseModel):
    title: Text
    cells: list[CellIn] = Field(min_length=1, max_length=2000)


class ScreeningIn(BaseModel):
    answers: dict[str, Any] = Field(
        description='Each question reference -> "yes" | "no" | {"answer": ..., "comment": ...}'
    )
    risks: list[Annotated[str, Field(max_length=500)]] = Field(default=[], max_length=100)
    stage2_reference: str = Field(default="", max_length=200)


class ApproveIn(BaseModel):
    effective_from: str = Field(max_length=32, description="YYYY-MM-DDTHH:MM:SSZ, in the future")


class RejectIn(BaseModel):
    reason: Text


class VersionOut(BaseModel):
    version: int
    effective_from: str
    cells: int


class VersionsOut(BaseModel):
    versions: list[VersionOut]


class ChangeOut(BaseModel):
    change_id: int
    title: str
    status: str
    base_version: int
    cells: list[dict[str, str]]
    drafted_at: str
    drafted_by: str
    submitted_at: str | None
    decided_at: str | None
    decided_by: str | None
    reason: str | None
    effective_from: str | None
    new_version: int | None
    screening: str | None = Field(description="The newest screening's outcome, if any")


class ChangesOut(BaseModel):
    changes: list[ChangeOut]


class ScreeningOut(BaseModel):
    change_id: int
    outcome: str
    requires_stage2: bool
    answered_yes: list[str]
    risks: list[str]
    stage2_reference: str
    screened_at: str
    screened_by: str


def _service(state: Hub) -> MatrixChanges:
    return bootstrap.matrix_changes(state.engine, state.clock)


def _when(instant: int | None) -> str | None:
    return format_instant(instant) if instant is not None else None


def _change_json(change: MatrixChange, screening: StoredScreening | None) -> dict[str, object]:
    return {
        "change_id": change.change_id,
        "title": change.title,
        "status": change.status.value,
        "base_version": change.base_version,
        "cells": [
            {"item": k.item, "role": k.role.value, "channel": k.channel.value, "access": a.value}
            for k, a in change.cells
        ],
        "drafted_at": format_instant(change.drafted_at),
        "drafted_by": change.drafted_by,
        "submitted_at": _when(change.submitted_at),
        "decided_at": _when(change.decided_at),
        "decided_by": change.decided_by,
        "reason": change.reason,
        "effective_from": _when(change.effective_from),
        "new_version": change.new_version,
        "screening": screening.screening.outcome if screening else None,
    }


def _refused(exc: Exception) -> ApiError:
    """The HTTP answer to a refusal of the service."""
    if isinstance(exc, ChangeNotFound):
        return not_found(str(exc))
    if isinstance(exc, ExcludedGroupTouched):
        return invalid(str(exc), "EXCLUDED_GROUP")
    if isinstance(exc, ScreeningRequired):
        return ApiError(409, "SCREENING_REQUIRED", str(exc))
    return ApiError(409, "CHANGE_REFUSED", str(exc))


def _step(state: Hub, act: Callable[[MatrixChanges], MatrixChange]) -> Any:
    service = _service(state)
    try:
        change = act(service)
    except ChangeRefused as exc:
        raise _refused(exc) from None
    return _change_json(change, service.screening(change.change_id))


@router.get("/versions", response_model=VersionsOut, summary="Every matrix version")
def list_versions(state: Hub, _: Operator) -> dict[str, object]:
    return {
        "versions": [
            {
                "version": v.version,
                "effective_from": format_instant(v.effective_from),
                "cells": len(v.cells),
            }
            for v in bootstrap.matrix_versions(state.engine)
        ]
    }


@router.get("/diff", summary="What changes between two matrix versions")
def diff_versions(state: Hub, _: Operator, before: Version, after: Version) -> dict[str, Any]:
    try:
        return _service(state).diff_versions(before, after).as_json()
    except ChangeRefused as exc:
        raise _refused(exc) from None


@router.get("/changes", response_model=ChangesOut, summary="Every matrix change request")
def list_changes(state: Hub, _: Operator) -> dict[str, object]:
    service = _service(state)
    return {"changes": [_change_json(c, service.screening(c.change_id)) for c in service.changes()]}


@router.post(
    "/changes", response_model=ChangeOut, status_code=201, summary="Propose (draft) a change"
)
def propose(asked: ProposalIn, state: Hub, operator: Operator) -> Any:
    rows = [(n, cell.model_dump()) for n, cell in enumerate(asked.cells, start=1)]
    try:
        cells = parse_proposal(rows, "cells")
    except ProposalRejected as exc:
        code = "EXCLUDED_GROUP" if exc.touches_excluded_group else "BAD_PROPOSAL"
        raise ApiError(422, code, "; ".join(exc.problems), problems=exc.problems) from None
    return _step(state, lambda s: s.draft(asked.title, cells, operator.party_id))


@router.get("/changes/{change_id}", response_model=ChangeOut, summary="One change request")
def get_change(change_id: ChangeId, state: Hub, _: Operator) -> Any:
    return _step(state, lambda s: s.get(change_id))


@router.get("/changes/{change_id}/impact", summary="A change's impact")
def impact(change_id: ChangeId, state: Hub, _: Operator) -> dict[str, Any]:
    try:
        return _service(state).impact(change_id).as_json()
    except ChangeRefused as exc:
        raise _refused(exc) from None


@router.post(
    "/changes/{change_id}/screening",
    response_model=ScreeningOut,
    status_code=201,
    summary="Record the DPIA screening of a change",
)
def screen(change_id: ChangeId, asked: ScreeningIn, state: Hub, operator: Operator) -> Any:
    try:
        screening = screening_from_mapping({"answers": asked.answers, "risks": asked.risks})
        stored = _service(state).screen(
            change_id, screening, operator.party_id, asked.stage2_reference
        )
    except IncompleteScreening as exc:
        raise invalid(str(exc), "INCOMPLETE_SCREENING") from None
    except ChangeRefused as exc:
        raise _refused(exc) from None
    return {
        "change_id": change_id,
        "outcome": stored.screening.outcome,
        "requires_stage2": stored.screening.requires_stage2,
        "answered_yes": list(stored.screening.answered_yes),
        "risks": list(stored.screening.risks),
        "stage2_reference": stored.stage2_reference,
        "screened_at": format_instant(stored.screened_at),
        "screened_by": stored.screened_by,
    }


@router.post("/changes/{change_id}/submit", response_model=ChangeOut, summary="Submit a draft")
def submit(change_id: ChangeId, state: Hub, operator: Operator) -> Any:
    return _step(state, lambda s: s.submit(change_id, operator.party_id))


@router.post(
    "/changes/{change_id}/approve",
    response_model=ChangeOut,
    summary="Approve a submitted change: a new matrix version from effective_from",
)
def approve(change_id: ChangeId, asked: ApproveIn, state: Hub, operator: Operator) -> Any:
    try:
        start = parse_instant(asked.effective_from)
    except BadInstant as exc:
        raise invalid(f"effective_from: {exc}") from None
    return _step(state, lambda s: s.approve(change_id, operator.party_id, start))


@router.post(
    "/changes/{change_id}/reject", response_model=ChangeOut, summary="Reject a submitted change"
)
def reject(change_id: ChangeId, asked: RejectIn, state: Hub, operator: Operator) -> Any:
    return _step(state, lambda s: s.reject(change_id, operator.party_id, asked.reason))
