"""Storage of the compliance workflows: User Entry dates, assessments, samples, contact records.

Every write appends its audit record in the same transaction (``append_audit``), so a step is
recorded exactly when it happened, and not at all when it did not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, and_, delete, insert, select, update

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.audit_store import (
    SqlAuditLog,
    append_audit,
    entries_about,
    entry_from_row,
)
from meterguard.adapters.storage.records import consent_from, occupancy_from, party_from
from meterguard.domain.assessments import AssessmentKind
from meterguard.domain.consents import Consent
from meterguard.domain.occupancy import Occupancy
from meterguard.domain.parties import Party
from meterguard.domain.period import Period
from meterguard.domain.privacy import Charge, Draw, PrivacyAssessmentKind, ticket
from meterguard.domain.time import Instant
from meterguard.services.assessments import DoneAssessment
from meterguard.services.audit import AuditEntry, AuditRecord, ChainReport
from meterguard.services.consents import ConsentEvent
from meterguard.services.privacy import PrivacyAssessment, PrivacyRefused, StoredDraw
from meterguard.services.subject_access import ContactKind, ContactRecord

_entries, _done = schema.party_user_entries, schema.security_assessments
_samples, _privacy = schema.privacy_samples, schema.privacy_assessments
_contacts = schema.consumer_contacts


def load_parties(connection: Connection) -> list[Party]:
    return [party_from(r) for r in connection.execute(select(schema.parties)).mappings()]


class _Registry:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def parties(self) -> list[Party]:
        with self.engine.connect() as connection:
            return load_parties(connection)

    def user_entries(self) -> dict[str, Instant]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(_entries.c.party_id, _entries.c.entered_at))
            return {party_id: int(at) for party_id, at in rows}


class SqlAssessmentStore(_Registry):
    def set_user_entry(
        self, party_id: str, entered_at: Instant, at: Instant, actor: str, record: AuditRecord
    ) -> None:
        with self.engine.begin() as connection:
            append_audit(connection, [record], at)
            connection.execute(delete(_entries).where(_entries.c.party_id == party_id))
            connection.execute(
                insert(_entries).values(
                    party_id=party_id, entered_at=entered_at, recorded_at=at, actor=actor
                )
            )

    def done(self) -> dict[tuple[str, int], DoneAssessment]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(_done)).mappings()
            return {
                (r["party_id"], r["year"]): DoneAssessment(
                    r["party_id"],
                    r["year"],
                    AssessmentKind(r["kind"]),
                    r["completed_at"],
                    r["outcome"],
                    r["actor"],
                )
                for r in rows
            }

    def record_done(self, done: DoneAssessment, record: AuditRecord) -> None:
        with self.engine.begin() as connection:
            append_audit(connection, [record], done.completed_at)
            connection.execute(
                delete(_done).where(
                    and_(_done.c.party_id == done.party_id, _done.c.year == done.year)
                )
            )
            connection.execute(
                insert(_done).values(
                    party_id=done.party_id,
                    year=done.year,
                    kind=done.kind.value,
                    completed_at=done.completed_at,
                    outcome=done.outcome,
                    actor=done.actor,
                )
            )


class SqlPrivacyStore(_Registry):
    def sample(self, year: int) -> StoredDraw | None:
        with self.engine.connect() as connection:
            row = (
                connection.execute(select(_samples).where(_samples.c.year == year))
                .mappings()
                .first()
            )
        if row is None:
            return None
        population = tuple(json.loads(row["population"]))
        seed = row["seed"]
        draw = Draw(
            seed,
            population,
            row["count"],
            tuple(json.loads(row["chosen"])),
            {p: ticket(seed, p) for p in population},
        )
        return StoredDraw(year, draw, row["drawn_at"], row["actor"])

    def save_sample(
        self, stored: StoredDraw, assessments: list[PrivacyAssessment], record: AuditRecord
    ) -> list[PrivacyAssessment]:
        with self.engine.begin() as connection:
            taken = connection.execute(
                select(_samples.c.year).where(_samples.c.year == stored.year)
            ).first()
            if taken:
                raise PrivacyRefused(f"the {stored.year} sample was drawn meanwhile")
            append_audit(connection, [record], stored.drawn_at)
            connection.execute(
                insert(_samples).values(
                    year=stored.year,
                    seed=stored.draw.seed,
                    count=stored.draw.count,
                    population=json.dumps(list(stored.draw.population)),
                    chosen=json.dumps(list(stored.draw.chosen)),
                    drawn_at=stored.drawn_at,
                    actor=stored.actor,
                )
            )
            return [self._insert(connection, a) for a in assessments]

    def open(self, assessment: PrivacyAssessment, record: AuditRecord) -> PrivacyAssessment:
        with self.engine.begin() as connection:
            exists = connection.execute(
                select(_privacy.c.assessment_id).where(
                    and_(
                        _privacy.c.party_id == assessment.party_id,
                        _privacy.c.year == assessment.year,
                        _privacy.c.kind == assessment.kind.value,
                    )
                )
            ).first()
            if exists:
                raise PrivacyRefused(
                    f"{assessment.party_id} already has a {assessment.kind} privacy assessment "
                    f"for {assessment.year} (id {exists[0]})"
                )
            append_audit(connection, [record], assessment.opened_at)
            return self._insert(connection, assessment)

    @staticmethod
    def _insert(connection: Connection, a: PrivacyAssessment) -> PrivacyAssessment:
        result = connection.execute(
            insert(_privacy)
            .values(
                party_id=a.party_id,
                year=a.year,
                kind=a.kind.value,
                charge=a.charge.value,
                opened_at=a.opened_at,
                opened_by=a.opened_by,
            )
            .returning(_privacy.c.assessment_id)
        )
        new_id = int(result.scalar_one())
        return PrivacyAssessment(
            new_id, a.party_id, a.year, a.kind, a.charge, a.opened_at, a.opened_by
        )

    def get(self, assessment_id: int) -> PrivacyAssessment | None:
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    select(_privacy).where(_privacy.c.assessment_id == assessment_id)
                )
                .mappings()
                .first()
            )
        return _assessment(row) if row else None

    def update_text(
        self, assessment_id: int, field: str, text: str, at: Instant, record: AuditRecord
    ) -> None:
        if field not in ("report", "response"):
            raise ValueError(field)
        with self.engine.begin() as connection:
            append_audit(connection, [record], at)
            connection.execute(
                update(_privacy)
                .where(_privacy.c.assessment_id == assessment_id)
                .values({field: text, f"{field}_at": at})
            )

    def assessments(self, year: int | None = None) -> list[PrivacyAssessment]:
        query = select(_privacy).order_by(_privacy.c.year, _privacy.c.assessment_id)
        if year is not None:
            query = query.where(_privacy.c.year == year)
        with self.engine.connect() as connection:
            return [_assessment(r) for r in connection.execute(query).mappings()]


def _assessment(r: object) -> PrivacyAssessment:
    row = dict(r)  # type: ignore[call-overload]
    return PrivacyAssessment(
        row["assessment_id"],
        row["party_id"],
        row["year"],
        PrivacyAssessmentKind(row["kind"]),
        Charge(row["charge"]),
        row["opened_at"],
        row["opened_by"],
        row["report"],
        row["report_at"],
        row["response"],
        row["response_at"],
    )


class SqlSubjectAccessStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.log = SqlAuditLog(engine)

    def occupancies_of(self, consumer_id: str) -> list[Occupancy]:
        table = schema.occupancies
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table).where(table.c.consumer_id == consumer_id)
            ).mappings()
            return [occupancy_from(r) for r in rows]

    def consents_of(self, consumer_id: str) -> list[tuple[Consent, list[ConsentEvent]]]:
        consents, events = schema.consents, schema.consent_events
        with self.engine.connect() as connection:
            found = [
                consent_from(r)
                for r in connection.execute(
                    select(consents)
                    .where(consents.c.consumer_id == consumer_id)
                    .order_by(consents.c.granted_at, consents.c.consent_id)
                ).mappings()
            ]
            result = []
            for consent in found:
                rows = connection.execute(
                    select(events.c.event, events.c.at, events.c.actor, events.c.detail)
                    .where(events.c.consent_id == consent.consent_id)
                    .order_by(events.c.at, events.c.event_id)
                )
                result.append(
                    (
                        consent,
                        [
                            ConsentEvent(consent.consent_id, e, at, actor, json.loads(detail))
                            for e, at, actor, detail in rows
                        ],
                    )
                )
            return result

    def audit_entries(self, mpxn: str, within: Period) -> list[AuditEntry]:
        with self.engine.connect() as connection:
            return entries_about(connection, mpxn, within.start, within.end, newest_first=False)

    def readings(self, mpxn: str, period: Period) -> list[tuple[Instant, float]]:
        table = schema.readings
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table.c.ts, table.c.kwh)
                .where(table.c.mpxn == mpxn, table.c.ts >= period.start, table.c.ts < period.end)
                .order_by(table.c.ts)
            )
            return [(int(ts), float(kwh)) for ts, kwh in rows]

    def contacts_of(self, consumer_id: str) -> list[ContactRecord]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(_contacts)
                .where(_contacts.c.consumer_id == consumer_id)
                .order_by(_contacts.c.kind)
            ).mappings()
            return [
                ContactRecord(
                    r["consumer_id"],
                    ContactKind(r["kind"]),
                    r["value"],
                    r["recorded_at"],
                    r["source"],
                )
                for r in rows
            ]

    def append(self, records: Sequence[AuditRecord], at: Instant) -> None:
        self.log.append(records, at)

    def save_contact(self, contact: ContactRecord, record: AuditRecord) -> None:
        with self.engine.begin() as connection:
            append_audit(connection, [record], contact.recorded_at)
            _replace_contact(connection, contact)

    def erase_contacts(
        self, consumer_id: str, record: AuditRecord, at: Instant
    ) -> list[ContactKind]:
        with self.engine.begin() as connection:
            held = [
                ContactKind(k)
                for k in connection.execute(
                    select(_contacts.c.kind).where(_contacts.c.consumer_id == consumer_id)
                ).scalars()
            ]
            connection.execute(delete(_contacts).where(_contacts.c.consumer_id == consumer_id))
            append_audit(connection, [record], at)
            return sorted(held)


def _replace_contact(connection: Connection, contact: ContactRecord) -> None:
    connection.execute(
        delete(_contacts).where(
            and_(
                _contacts.c.consumer_id == contact.consumer_id,
                _contacts.c.kind == contact.kind.value,
            )
        )
    )
    connection.execute(
        insert(_contacts).values(
            consumer_id=contact.consumer_id,
            kind=contact.kind.value,
            value=contact.value,
            recorded_at=contact.recorded_at,
            source=contact.source,
        )
    )


class SqlComplianceRecords:
    """The audit log, read for the compliance report."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def entries_with_action_prefix(
        self, prefix: str, start: Instant, end: Instant
    ) -> list[AuditEntry]:
        log = schema.audit_log
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(log)
                .where(log.c.action.startswith(prefix, autoescape=True))
                .where(log.c.at >= start, log.c.at < end)
                .order_by(log.c.seq)
            )
            return [entry_from_row(row) for row in rows]

    def verify(self) -> ChainReport:
        return SqlAuditLog(self.engine).verify()

    def append(self, records: Sequence[AuditRecord], at: Instant) -> None:
        SqlAuditLog(self.engine).append(records, at)
