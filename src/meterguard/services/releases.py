"""Releasing data: decide, then fetch only the allowed periods and audit, in one transaction.

ACCESS-RULES 10: every release and every refusal is recorded before the data leaves. The store
behind ``ReleaseStore`` fetches the rows and appends the audit entry in the same database
transaction, so no row leaves without its entry, and an entry names exactly what left.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from meterguard.domain.period import Period
from meterguard.domain.time import Instant
from meterguard.policy.decision import Decision, Outcome
from meterguard.policy.engine import decide
from meterguard.policy.requests import Request
from meterguard.policy.snapshot import Snapshot
from meterguard.services.audit import AuditRecord


class CurrentFacts(Protocol):
    """The process's snapshot, kept current from the change feed (``SnapshotFollower``)."""

    @property
    def lock(self) -> AbstractContextManager[Any]: ...

    @property
    def snapshot(self) -> Snapshot: ...

    def catch_up(self) -> object: ...


def decide_now(facts: CurrentFacts, request: Request, catch_up: bool = True) -> Decision:
    """Decide from facts that include every change any process has committed. ``catch_up=False``
    when the caller has already caught up in this same request (the HTTP authentication does)."""
    with facts.lock:
        if catch_up:
            facts.catch_up()
        return decide(request, facts.snapshot)


def decide_many(
    facts: CurrentFacts, requests: Sequence[Request], catch_up: bool = True
) -> list[Decision]:
    with facts.lock:
        if catch_up:
            facts.catch_up()
        snapshot = facts.snapshot
        return [decide(request, snapshot) for request in requests]


Reading = tuple[Instant, float]


class ReleaseStore(Protocol):
    def readings(
        self,
        mpxn: str,
        periods: Sequence[Period],
        record_for: Callable[[list[Reading]], AuditRecord],
        at: Instant,
    ) -> list[Reading]:
        """The readings of ``mpxn`` within ``periods``, fetched in the transaction that appends
        ``record_for(readings)`` to the audit log."""
        ...

    def record(self, records: Sequence[AuditRecord], at: Instant) -> None:
        """Audit refusals and events (no data leaves with them)."""
        ...


def audit_record(
    request: Request,
    decision: Decision,
    *,
    channel: str,
    action: str,
    mpxn: str | None,
    asked: tuple[Period, ...] = (),
    detail: dict[str, Any] | None = None,
) -> AuditRecord:
    """The audit entry for a decision: its legal basis is the decision's decisive reasons (the
    matrix cell and the appointment, consent or ownership that granted or refused)."""
    return AuditRecord(
        party_id=request.party_id,
        role=request.role,
        channel=channel,
        action=action,
        subject=request.subject,
        decision=decision.outcome.value,
        code=decision.code.value,
        mpxn=mpxn,
        asked=asked,
        allowed=decision.allowed,
        basis=decision.explanation,
        request_id=request.request_id,
        detail=detail or {},
    )


def released(decision: Decision) -> bool:
    return decision.outcome is not Outcome.DENY
