"""Privacy Assessments of Other Users (SEC Section I, seed 001): records, the random sample, charges.

An assessment is opened for an Other User (its own, charged to it) or by the yearly Random Sample
Privacy Assessment draw (a Recoverable Cost); the Independent Privacy Auditor's report and the
user's response are added to it. One draw per year: a drawn sample is never re-drawn, so nobody
can draw again until the result suits them; ``verify`` re-runs it from its recorded seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from meterguard.domain.assessments import is_other_user
from meterguard.domain.parties import Party
from meterguard.domain.privacy import Charge, Draw, PrivacyAssessmentKind, charge_for, draw_sample
from meterguard.domain.time import Instant
from meterguard.services.audit import AuditRecord
from meterguard.services.operator_records import check_actor, operator_record


class PrivacyRefused(ValueError):
    """A privacy-assessment step that is not allowed; nothing was written."""


@dataclass(frozen=True, slots=True)
class PrivacyAssessment:
    assessment_id: int
    party_id: str
    year: int
    kind: PrivacyAssessmentKind
    charge: Charge
    opened_at: Instant
    opened_by: str
    report: str | None = None
    report_at: Instant | None = None
    response: str | None = None
    response_at: Instant | None = None

    @property
    def stage(self) -> str:
        if self.response is not None:
            return "responded"
        if self.report is not None:
            return "reported, awaiting response"
        return "open"


@dataclass(frozen=True, slots=True)
class StoredDraw:
    year: int
    draw: Draw
    drawn_at: Instant
    actor: str


class PrivacyStore(Protocol):
    def parties(self) -> list[Party]: ...

    def user_entries(self) -> dict[str, Instant]: ...

    def sample(self, year: int) -> StoredDraw | None: ...

    def save_sample(
        self, stored: StoredDraw, assessments: list[PrivacyAssessment], record: AuditRecord
    ) -> list[PrivacyAssessment]:
        """Store the draw and open its assessments, with the record, in one transaction; refuse
        (``PrivacyRefused``) when the year already has a draw."""
        ...

    def open(self, assessment: PrivacyAssessment, record: AuditRecord) -> PrivacyAssessment: ...

    def get(self, assessment_id: int) -> PrivacyAssessment | None: ...

    def update_text(
        self, assessment_id: int, field: str, text: str, at: Instant, record: AuditRecord
    ) -> None:
        """Set ``report`` or ``response`` (and its time) with the record, in one transaction."""
        ...

    def assessments(self, year: int | None = None) -> list[PrivacyAssessment]: ...


def _year_end(year: int) -> Instant:
    return int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())


class PrivacyAssessments:
    def __init__(self, store: PrivacyStore, clock: Callable[[], Instant]) -> None:
        self.store = store
        self.clock = clock

    def population(self, year: int) -> list[str]:
        """Other Users that were Users at some time in ``year`` (User Entry before its end)."""
        entries = self.store.user_entries()
        return sorted(
            p.party_id
            for p in self.store.parties()
            if is_other_user(p) and entries.get(p.party_id, _year_end(year)) < _year_end(year)
        )

    def draw(self, year: int, count: int, seed: str, actor: str) -> StoredDraw:
        actor = check_actor(actor)
        if self.store.sample(year) is not None:
            raise PrivacyRefused(
                f"the {year} Random Sample Privacy Assessment was already drawn; it is never re-drawn"
            )
        try:
            draw = draw_sample(self.population(year), count, seed)
        except ValueError as exc:
            raise PrivacyRefused(str(exc)) from exc
        at = self.clock()
        stored = StoredDraw(year, draw, at, actor)
        kind = PrivacyAssessmentKind.RANDOM_SAMPLE
        opened = [
            PrivacyAssessment(0, party_id, year, kind, charge_for(kind, party_id), at, actor)
            for party_id in draw.chosen
        ]
        record = operator_record(
            actor,
            "privacy.sample_drawn",
            f"privacy_sample:{year}",
            {"year": year, "seed": seed, "count": count, "population": list(draw.population),
             "chosen": list(draw.chosen), "charge": Charge.RECOVERABLE.value},
        )  # fmt: skip
        self.store.save_sample(stored, opened, record)
        return stored

    def verify(self, year: int) -> tuple[StoredDraw, bool]:
        """Re-run the year's draw from its recorded seed and population: the same parties?"""
        stored = self.store.sample(year)
        if stored is None:
            raise PrivacyRefused(f"no Random Sample Privacy Assessment was drawn for {year}")
        again = draw_sample(stored.draw.population, stored.draw.count, stored.draw.seed)
        return stored, again.chosen == stored.draw.chosen

    def open(self, party_id: str, year: int, actor: str) -> PrivacyAssessment:
        """Open a User's own Privacy Assessment: an explicit charge to it."""
        actor = check_actor(actor)
        party = next((p for p in self.store.parties() if p.party_id == party_id), None)
        if party is None:
            raise PrivacyRefused(f"no such party {party_id!r}")
        if not is_other_user(party):
            raise PrivacyRefused(f"{party_id} is not an Other User: Section I assesses Other Users")
        kind = PrivacyAssessmentKind.USER
        at = self.clock()
        assessment = PrivacyAssessment(
            0, party_id, year, kind, charge_for(kind, party_id), at, actor
        )
        record = operator_record(
            actor,
            "privacy.assessment_opened",
            f"party:{party_id}",
            {"year": year, "kind": kind.value, "charge": assessment.charge.value},
        )
        return self.store.open(assessment, record)

    def add_report(self, assessment_id: int, text: str, actor: str) -> PrivacyAssessment:
        return self._add_text(assessment_id, "report", text, actor)

    def add_response(self, assessment_id: int, text: str, actor: str) -> PrivacyAssessment:
        return self._add_text(assessment_id, "response", text, actor)

    def _add_text(self, assessment_id: int, field: str, text: str, actor: str) -> PrivacyAssessment:
        actor = check_actor(actor)
        assessment = self.store.get(assessment_id)
        if assessment is None:
            raise PrivacyRefused(f"no privacy assessment {assessment_id}")
        if not text.strip():
            raise PrivacyRefused(f"the {field} is empty")
        if field == "response" and assessment.report is None:
            raise PrivacyRefused(
                "a Privacy Assessment Response answers a report: add the report first"
            )
        if getattr(assessment, field) is not None:
            raise PrivacyRefused(f"privacy assessment {assessment_id} already has its {field}")
        record = operator_record(
            actor,
            f"privacy.{field}_added",
            f"party:{assessment.party_id}",
            {"assessment_id": assessment_id, "year": assessment.year, "chars": len(text)},
        )
        self.store.update_text(assessment_id, field, text.strip(), self.clock(), record)
        updated = self.store.get(assessment_id)
        assert updated is not None
        return updated

    def charges(self, year: int) -> dict[str, list[PrivacyAssessment]]:
        """The year's assessments by who pays: each party's explicit charges, and the
        recoverable costs."""
        grouped: dict[str, list[PrivacyAssessment]] = {}
        for a in self.store.assessments(year):
            key = a.party_id if a.charge is Charge.EXPLICIT else "recoverable costs"
            grouped.setdefault(key, []).append(a)
        return grouped
