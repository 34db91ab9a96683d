"""Audit records of the compliance workflows: what an operator or the hub did, and to what.

Compliance steps release no data of their own (a subject access export aside), so their entries
carry the operator as the party, ``OPERATOR`` as role and channel, ``recorded`` as the decision,
and the step's facts in ``detail``; ``action`` names the step (``assessment.recorded``,
``matrix.approved``, ``subject_access.export``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meterguard.domain.period import Period
from meterguard.services.audit import AuditRecord

OPERATOR = "OPERATOR"


def operator_record(
    actor: str,
    action: str,
    subject: str,
    detail: Mapping[str, Any] | None = None,
    *,
    mpxn: str | None = None,
    allowed: tuple[Period, ...] = (),
    channel: str = OPERATOR,
) -> AuditRecord:
    return AuditRecord(
        party_id=actor,
        role=OPERATOR,
        channel=channel,
        action=action,
        subject=subject,
        decision="recorded",
        code="OK",
        mpxn=mpxn,
        allowed=allowed,
        basis="compliance workflow",
        detail=dict(detail or {}),
    )


def check_actor(actor: str) -> str:
    """An operator step names who took it; a blank name is refused before anything is written."""
    name = actor.strip()
    if not name:
        raise ValueError("an operator step needs --actor naming who takes it")
    return name
