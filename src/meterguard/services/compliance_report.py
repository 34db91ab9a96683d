"""The year's compliance record, gathered for a privacy auditor to take away.

Assessments due and done, the Random Sample Privacy Assessment drawn (with its seed, its
population and why each party was chosen), the Privacy Assessments and who pays for them, the
matrix changes with their impact and screenings, and the subject access and erasure requests
served, plus the state of the audit chain those steps were recorded in. Rendering is the
adapters' business; this is the content.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from meterguard.domain.time import Instant
from meterguard.services.assessments import Assessments, Schedule
from meterguard.services.audit import AuditEntry, AuditRecord, ChainReport
from meterguard.services.matrix_changes import Impact, MatrixChange, MatrixChanges, StoredScreening
from meterguard.services.operator_records import check_actor, operator_record
from meterguard.services.privacy import PrivacyAssessment, PrivacyAssessments, StoredDraw


class ComplianceRecords(Protocol):
    def entries_with_action_prefix(
        self, prefix: str, start: Instant, end: Instant
    ) -> list[AuditEntry]: ...

    def verify(self) -> ChainReport: ...

    def append(self, records: Sequence[AuditRecord], at: Instant) -> None: ...


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    change: MatrixChange
    impact: Impact
    screening: StoredScreening | None


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    year: int
    produced_at: Instant
    schedule: Schedule
    sample: StoredDraw | None
    privacy_assessments: list[PrivacyAssessment]
    charges: dict[str, list[PrivacyAssessment]]
    matrix_changes: list[ChangeRecord]
    subject_access: list[AuditEntry]
    erasures: list[AuditEntry]
    chain: ChainReport


def year_bounds(year: int) -> tuple[Instant, Instant]:
    start = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    return start, end


class ComplianceReports:
    def __init__(
        self,
        assessments: Assessments,
        privacy: PrivacyAssessments,
        matrix_changes: MatrixChanges,
        records: ComplianceRecords,
        clock: Callable[[], Instant],
    ) -> None:
        self.assessments = assessments
        self.privacy = privacy
        self.matrix_changes = matrix_changes
        self.records = records
        self.clock = clock

    def build(self, year: int, actor: str) -> ComplianceReport:
        """The year's record; producing it is itself recorded (it names consumers and parties)."""
        actor = check_actor(actor)
        start, end = year_bounds(year)
        changes = [
            ChangeRecord(c, self.matrix_changes.impact(c.change_id), self.matrix_changes.screening(c.change_id))
            for c in self.matrix_changes.changes()
            if start <= c.drafted_at < end or (c.decided_at is not None and start <= c.decided_at < end)
        ]  # fmt: skip
        requests = self.records.entries_with_action_prefix("subject_access.", start, end)
        chain = self.records.verify()
        produced_at = self.clock()
        self.records.append(
            [operator_record(actor, "compliance.report", f"compliance_report:{year}",
                             {"year": year, "chain_ok": chain.ok})],
            produced_at,
        )  # fmt: skip
        return ComplianceReport(
            year=year,
            produced_at=produced_at,
            schedule=self.assessments.schedule(year),
            sample=self.privacy.store.sample(year),
            privacy_assessments=self.privacy.store.assessments(year),
            charges=self.privacy.charges(year),
            matrix_changes=changes,
            subject_access=[e for e in requests if e.record.action == "subject_access.export"],
            erasures=[e for e in requests if e.record.action == "subject_access.erasure"],
            chain=chain,
        )
