"""Demo compliance facts for an imported demo registry: User Entry dates and contact records.

Nothing in the INTERCHANGE files says when a party became a DCC User, nor holds a consumer's
contact or Priority Services details, so the demo sets them in the database after an import:
each DCC User gets a User Entry date derived from its id (between 2018 and 2024, stable from run
to run), and a few consumers (some still living at their premises, some who have left) get contact
records. Existing values are left alone, so running it twice changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.audit_store import append_audit
from meterguard.adapters.storage.compliance_store import load_parties
from meterguard.domain.assessments import is_dcc_user
from meterguard.domain.time import Instant
from meterguard.services.operator_records import operator_record

DEMO_ACTOR = "demo-setup"
_FIRST_YEAR, _YEARS = 2018, 7


@dataclass(frozen=True, slots=True)
class DemoCompliance:
    user_entries: int
    contact_records: int
    present_consumers: list[str]
    departed_consumers: list[str]


def _stable(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def demo_entry_date(party_id: str) -> Instant:
    n = _stable(party_id)
    year = _FIRST_YEAR + n % _YEARS
    month = 1 + (n // _YEARS) % 12
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp())


def set_up_demo_compliance(engine: Engine, at: Instant, consumers: int = 3) -> DemoCompliance:
    entries, contacts = schema.party_user_entries, schema.consumer_contacts
    occupancies = schema.occupancies
    with engine.begin() as connection:
        known = set(connection.execute(select(entries.c.party_id)).scalars())
        new_entries = [
            {"party_id": p.party_id, "entered_at": demo_entry_date(p.party_id),
             "recorded_at": at, "actor": DEMO_ACTOR}
            for p in load_parties(connection)
            if is_dcc_user(p) and p.party_id not in known
        ]  # fmt: skip
        rows = connection.execute(
            select(occupancies.c.consumer_id, occupancies.c.valid_from, occupancies.c.valid_to)
            .where(occupancies.c.consumer_id.like("CU-%"))  # households, not business MEUs
            .order_by(occupancies.c.consumer_id, occupancies.c.valid_from)
        ).all()
        current: dict[str, bool] = {}
        first_seen: dict[str, Instant] = {}
        for consumer_id, start, end in rows:
            current[consumer_id] = current.get(consumer_id, False) or end is None or end > at
            first_seen.setdefault(consumer_id, start)
        present = [c for c, now in current.items() if now][:consumers]
        departed = [c for c, now in current.items() if not now][:consumers]
        held = set(connection.execute(select(contacts.c.consumer_id)).scalars())
        new_contacts = [
            row
            for index, consumer_id in enumerate(present + departed)
            if consumer_id not in held
            for row in _contact_rows(consumer_id, index, first_seen[consumer_id])
        ]
        if new_entries:
            connection.execute(insert(entries), new_entries)
        if new_contacts:
            connection.execute(insert(contacts), new_contacts)
        if new_entries or new_contacts:
            record = operator_record(
                DEMO_ACTOR,
                "demo.compliance_setup",
                "registry",
                {"user_entries": len(new_entries), "contact_records": len(new_contacts)},
            )
            append_audit(connection, [record], at)
    return DemoCompliance(len(new_entries), len(new_contacts), present, departed)


def _contact_rows(consumer_id: str, index: int, since: Instant) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {"consumer_id": consumer_id, "kind": "consumer_contact",
         "value": f"phone 01632 960{index:03d}; email {consumer_id.lower()}@example.org",
         "recorded_at": since, "source": "demo supplier feed"},
        {"consumer_id": consumer_id, "kind": "emergency_contact",
         "value": f"neighbour, phone 01632 961{index:03d}", "recorded_at": since,
         "source": "demo supplier feed"},
    ]  # fmt: skip
    if index % 2 == 0:
        rows.append(
            {"consumer_id": consumer_id, "kind": "priority_services",
             "value": "PSR needs code 14 (medically dependent equipment)", "recorded_at": since,
             "source": "demo supplier feed"}
        )  # fmt: skip
    return rows
