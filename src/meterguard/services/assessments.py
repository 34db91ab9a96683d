"""User Security Assessments: the schedule of what is due, User Entry dates, and what was done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from meterguard.domain.assessments import AssessmentDue, AssessmentKind, assessment_due, is_dcc_user
from meterguard.domain.parties import Party
from meterguard.domain.time import Instant, format_instant
from meterguard.services.audit import AuditRecord
from meterguard.services.operator_records import check_actor, operator_record


class AssessmentRefused(ValueError):
    """A step the schedule does not allow; nothing was written."""


@dataclass(frozen=True, slots=True)
class DoneAssessment:
    party_id: str
    year: int
    kind: AssessmentKind
    completed_at: Instant
    outcome: str
    actor: str


class Status:
    DONE = "done"
    WEAKER = "weaker than due"
    OUTSTANDING = "outstanding"
    UPCOMING = "upcoming"


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    party: Party
    due: AssessmentDue
    done: DoneAssessment | None
    status: str


@dataclass(frozen=True, slots=True)
class Schedule:
    rows: list[ScheduleRow]
    without_entry: list[Party]  # DCC Users whose User Entry date is not recorded


class AssessmentStore(Protocol):
    def parties(self) -> list[Party]: ...

    def user_entries(self) -> dict[str, Instant]: ...

    def set_user_entry(
        self, party_id: str, entered_at: Instant, at: Instant, actor: str, record: AuditRecord
    ) -> None:
        """Insert or replace the party's User Entry date and append the record, in one transaction."""
        ...

    def done(self) -> dict[tuple[str, int], DoneAssessment]: ...

    def record_done(self, done: DoneAssessment, record: AuditRecord) -> None:
        """Insert or replace the party's assessment of that year and append the record."""
        ...


def year_of(instant: Instant) -> int:
    return datetime.fromtimestamp(instant, UTC).year


class Assessments:
    def __init__(self, store: AssessmentStore, clock: Callable[[], Instant]) -> None:
        self.store = store
        self.clock = clock

    def schedule(self, year: int | None = None) -> Schedule:
        """Every DCC User's assessment due in ``year``; without a year, every year from its User
        Entry to this year."""
        this_year = year_of(self.clock())
        entries = self.store.user_entries()
        done = self.store.done()
        rows: list[ScheduleRow] = []
        without: list[Party] = []
        for party in sorted(self.store.parties(), key=lambda p: p.party_id):
            if not is_dcc_user(party):
                continue
            if party.party_id not in entries:
                without.append(party)
                continue
            entry_year = year_of(entries[party.party_id])
            years = [year] if year is not None else range(entry_year, this_year + 1)
            for y in years:
                due = assessment_due(party, entry_year, y)
                if due is not None:
                    record = done.get((party.party_id, y))
                    rows.append(ScheduleRow(party, due, record, _status(due, record, this_year)))
        return Schedule(rows, without)

    def set_user_entry(self, party_id: str, entered_at: Instant, actor: str) -> None:
        actor = check_actor(actor)
        party = self._party(party_id)
        if not is_dcc_user(party):
            raise AssessmentRefused(f"{party_id} holds no DCC User role: it has no User Entry")
        at = self.clock()
        if entered_at > at:
            raise AssessmentRefused("a User Entry date cannot be in the future")
        record = operator_record(
            actor,
            "assessment.user_entry",
            f"party:{party_id}",
            {"entered_at": format_instant(entered_at)},
        )
        self.store.set_user_entry(party_id, entered_at, at, actor, record)

    def record(
        self, party_id: str, year: int, kind: AssessmentKind, outcome: str, actor: str
    ) -> ScheduleRow:
        """Record the assessment a party had in ``year``; say how it compares with what was due."""
        actor = check_actor(actor)
        party = self._party(party_id)
        entered = self.store.user_entries().get(party_id)
        if entered is None:
            raise AssessmentRefused(f"{party_id} has no User Entry date: set it first")
        at = self.clock()
        if year > year_of(at):
            raise AssessmentRefused(f"{year} has not begun: an assessment is recorded once done")
        due = assessment_due(party, year_of(entered), year)
        if due is None:
            raise AssessmentRefused(
                f"{party_id} was not a User in {year} (User Entry {format_instant(entered)})"
            )
        done = DoneAssessment(party_id, year, kind, at, outcome.strip() or "completed", actor)
        status = _status(due, done, year_of(at))
        record = operator_record(
            actor,
            "assessment.recorded",
            f"party:{party_id}",
            {"year": year, "kind": kind.value, "due": due.kind.value, "rule": due.rule.code,
             "status": status, "outcome": done.outcome},
        )  # fmt: skip
        self.store.record_done(done, record)
        return ScheduleRow(party, due, done, status)

    def _party(self, party_id: str) -> Party:
        for party in self.store.parties():
            if party.party_id == party_id:
                return party
        raise AssessmentRefused(f"no such party {party_id!r}")


def _status(due: AssessmentDue, done: DoneAssessment | None, this_year: int) -> str:
    if done is not None:
        return Status.DONE if done.kind.strictness >= due.kind.strictness else Status.WEAKER
    return Status.OUTSTANDING if due.year <= this_year else Status.UPCOMING
