"""Subject access and erasure for an energy consumer (UK GDPR Articles 15 and 17; SEC I1.7).

The export gathers everything the hub holds about one consumer: their occupancies, their consents
and each consent's events, the entries of the audit log about their meter points whose data
periods overlap their own occupancy (ACCESS-RULES 10: nothing of anyone else's), their readings
during their occupancy, and the contact and Priority Services records held for them. The export
is audited before it is handed over.

Erasure removes the contact and Priority Services records of a consumer who has left (no current
occupancy): the registry facts (occupancies, consents and their events) and the audit log stay,
being the hub's record of who was entitled to what, and the erasure itself is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from meterguard.domain.consents import Consent
from meterguard.domain.occupancy import Occupancy
from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.time import Instant, format_instant
from meterguard.services.access_log import basis_for
from meterguard.services.audit import AuditEntry, AuditRecord, overlaps_any, periods_json
from meterguard.services.consents import ConsentEvent
from meterguard.services.operator_records import OPERATOR, check_actor, operator_record


class SubjectAccessRefused(ValueError):
    """A subject access or erasure request that cannot be served as asked; nothing was written."""


class ContactKind(StrEnum):
    CONSUMER_CONTACT = "consumer_contact"
    EMERGENCY_CONTACT = "emergency_contact"
    PRIORITY_SERVICES = "priority_services"


@dataclass(frozen=True, slots=True)
class ContactRecord:
    consumer_id: str
    kind: ContactKind
    value: str
    recorded_at: Instant
    source: str


class SubjectAccessStore(Protocol):
    def occupancies_of(self, consumer_id: str) -> list[Occupancy]: ...

    def consents_of(self, consumer_id: str) -> list[tuple[Consent, list[ConsentEvent]]]: ...

    def audit_entries(self, mpxn: str, within: Period) -> list[AuditEntry]:
        """Entries about the meter point whose data envelope overlaps ``within``."""
        ...

    def readings(self, mpxn: str, period: Period) -> list[tuple[Instant, float]]: ...

    def contacts_of(self, consumer_id: str) -> list[ContactRecord]: ...

    def append(self, records: Sequence[AuditRecord], at: Instant) -> None: ...

    def save_contact(self, contact: ContactRecord, record: AuditRecord) -> None: ...

    def erase_contacts(
        self, consumer_id: str, record: AuditRecord, at: Instant
    ) -> list[ContactKind]:
        """Delete the consumer's contact records and append the record, in one transaction."""
        ...


@dataclass(frozen=True, slots=True)
class Erasure:
    consumer_id: str
    removed: list[ContactKind]
    at: Instant


class SubjectAccess:
    def __init__(self, store: SubjectAccessStore, clock: Callable[[], Instant]) -> None:
        self.store = store
        self.clock = clock

    def export(self, consumer_id: str, actor: str, channel: str = OPERATOR) -> dict[str, Any]:
        """Everything held about the consumer, as JSON-ready data; audited before it is returned."""
        actor = check_actor(actor)
        at = self.clock()
        occupancies = self.store.occupancies_of(consumer_id)
        consents = self.store.consents_of(consumer_id)
        contacts = self.store.contacts_of(consumer_id)
        if not (occupancies or consents or contacts):
            raise SubjectAccessRefused(f"the hub holds nothing about consumer {consumer_id!r}")
        periods_by_mpxn: dict[str, list[Period]] = {}
        for occupancy in occupancies:
            periods_by_mpxn.setdefault(occupancy.mpxn, []).append(occupancy.period)
        meter_points = []
        for mpxn, periods in sorted(periods_by_mpxn.items()):
            own = PeriodSet(tuple(periods))
            envelope = Period(own.periods[0].start, own.periods[-1].end)
            entries = [e for e in self.store.audit_entries(mpxn, envelope) if overlaps_any(e, own)]
            readings = [
                {"ts": format_instant(ts), "kwh": kwh}
                for period in own.clip(end=at)  # no reading from the future
                for ts, kwh in self.store.readings(mpxn, period)
            ]
            meter_points.append(
                {
                    "mpxn": mpxn,
                    "occupancy": periods_json(own),
                    "access_log": [_entry_json(e, own, consumer_id) for e in entries],
                    "readings": readings,
                }
            )
        bundle = {
            "consumer_id": consumer_id,
            "produced_at": format_instant(at),
            "produced_by": actor,
            "occupancies": [
                {
                    "mpxn": o.mpxn,
                    "from": format_instant(o.period.start),
                    "to": format_instant(o.period.end),
                }
                for o in sorted(occupancies, key=lambda o: (o.mpxn, o.period.start))
            ],
            "consents": [_consent_json(c, events, occupancies, at) for c, events in consents],
            "meter_points": meter_points,
            "contact_records": [
                {
                    "kind": c.kind.value,
                    "value": c.value,
                    "recorded_at": format_instant(c.recorded_at),
                    "source": c.source,
                }
                for c in contacts
            ],
        }
        summary = {
            "consumer_id": consumer_id,
            "occupancies": len(occupancies),
            "consents": len(consents),
            "contact_records": len(contacts),
            "access_log_entries": sum(len(m["access_log"]) for m in meter_points),
            "readings": sum(len(m["readings"]) for m in meter_points),
        }
        records = [
            operator_record(
                actor,
                "subject_access.export",
                f"consumer:{consumer_id}",
                summary,
                mpxn=mpxn,
                allowed=tuple(PeriodSet(tuple(periods))),
                channel=channel,
            )
            for mpxn, periods in sorted(periods_by_mpxn.items())
        ] or [
            operator_record(
                actor, "subject_access.export", f"consumer:{consumer_id}", summary, channel=channel
            )
        ]
        self.store.append(records, at)
        return bundle

    def record_contact(
        self, consumer_id: str, kind: ContactKind, value: str, source: str, actor: str
    ) -> ContactRecord:
        actor = check_actor(actor)
        if not value.strip():
            raise SubjectAccessRefused("a contact record needs a value")
        at = self.clock()
        if not self.store.occupancies_of(consumer_id):
            raise SubjectAccessRefused(f"consumer {consumer_id!r} occupies no meter point")
        if not self._occupies_now(consumer_id, at):
            raise SubjectAccessRefused(
                f"consumer {consumer_id!r} has left: no new contact record is taken"
            )
        contact = ContactRecord(consumer_id, kind, value.strip(), at, source.strip() or actor)
        record = operator_record(
            actor, "contact.recorded", f"consumer:{consumer_id}", {"kind": kind.value}
        )
        self.store.save_contact(contact, record)
        return contact

    def erase(self, consumer_id: str, actor: str) -> Erasure:
        """Remove the contact and Priority Services records of a consumer who has left."""
        actor = check_actor(actor)
        at = self.clock()
        occupancies = self.store.occupancies_of(consumer_id)
        if not occupancies and not self.store.contacts_of(consumer_id):
            raise SubjectAccessRefused(f"the hub holds nothing about consumer {consumer_id!r}")
        current = [o for o in occupancies if o.period.contains(at)]
        if current:
            where = ", ".join(o.mpxn for o in current)
            raise SubjectAccessRefused(
                f"consumer {consumer_id!r} still occupies {where}: erasure is for a consumer who has left"
            )
        held = [c.kind.value for c in self.store.contacts_of(consumer_id)]
        record = operator_record(
            actor,
            "subject_access.erasure",
            f"consumer:{consumer_id}",
            {"consumer_id": consumer_id, "removed": held},
        )
        removed = self.store.erase_contacts(consumer_id, record, at)
        return Erasure(consumer_id, removed, at)

    def _occupies_now(self, consumer_id: str, at: Instant) -> bool:
        return any(o.period.contains(at) for o in self.store.occupancies_of(consumer_id))


def _entry_json(entry: AuditEntry, own: PeriodSet, consumer_id: str) -> dict[str, Any]:
    """An entry as the consumer may read it (ACCESS-RULES 10, "nothing of anyone else's"): its
    periods clipped to their own occupancy, and the basis without other consumers' consents or
    occupancy (``access_log.basis_for``), as the portal's access log shows it."""
    full = entry.as_json()
    shown = {
        key: full[key]
        for key in ("seq", "at", "party_id", "role", "channel", "action", "decision", "code")
    }
    record = entry.record
    shown["asked"] = periods_json(PeriodSet(record.asked).intersection(own))
    shown["allowed"] = periods_json(PeriodSet(record.allowed).intersection(own))
    shown["basis"] = basis_for(record, consumer_id)
    return shown


def _consent_json(
    consent: Consent, events: list[ConsentEvent], occupancies: list[Occupancy], at: Instant
) -> dict[str, Any]:
    own = PeriodSet(tuple(o.period for o in occupancies if o.mpxn == consent.mpxn))
    return {
        "consent_id": consent.consent_id,
        "mpxn": consent.mpxn,
        "party_id": consent.party_id,
        "purpose": consent.purpose,
        "data_groups": sorted(g.value for g in consent.data_groups),
        "data_from": format_instant(consent.data_period.start),
        "data_to": format_instant(consent.data_period.end),
        "granted_at": format_instant(consent.granted_at),
        "expires_at": format_instant(consent.expires_at),
        "withdrawn_at": format_instant(consent.withdrawn_at) if consent.withdrawn_at else "",
        "notice_sent_at": format_instant(consent.notice_sent_at) if consent.notice_sent_at else "",
        "state_now": consent.state_at(at, own).value,
        "events": [
            {"event": e.event, "at": format_instant(e.at), "actor": e.actor, "detail": e.detail}
            for e in events
        ],
    }
