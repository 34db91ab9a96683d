"""What the consumer portal reads: a consumer's occupancies, consents, consumption and the audit
entries about their meter points (``PortalStore``, ``AccessLogSource``)."""

from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import Engine, and_, func, or_, select

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.audit_store import append_audit, entries_about
from meterguard.adapters.storage.records import consent_from
from meterguard.domain.consents import Consent
from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.time import DAY, FOREVER, Instant
from meterguard.services.audit import AuditEntry, AuditRecord
from meterguard.services.consents import ConsentEvent
from meterguard.services.portal import DailyUse


class SqlPortalStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def occupancies_of(self, consumer_id: str) -> dict[str, PeriodSet]:
        table = schema.occupancies
        periods: dict[str, list[Period]] = defaultdict(list)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table.c.mpxn, table.c.valid_from, table.c.valid_to).where(
                    table.c.consumer_id == consumer_id
                )
            )
            for mpxn, start, end in rows:
                periods[mpxn].append(Period(start, FOREVER if end is None else end))
        return {mpxn: PeriodSet(found) for mpxn, found in sorted(periods.items())}

    def consents_of(self, consumer_id: str) -> list[Consent]:
        table = schema.consents
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table).where(table.c.consumer_id == consumer_id)
            ).mappings()
            return [consent_from(row) for row in rows]

    def consumers_with_consents(self) -> list[str]:
        """Consumers who gave any consent, most consents first (the demo picks one to show)."""
        table = schema.consents
        count = func.count().label("n")
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table.c.consumer_id, count)
                .group_by(table.c.consumer_id)
                .order_by(count.desc(), table.c.consumer_id)
            )
            return [consumer for consumer, _ in rows]

    def party_names(self) -> dict[str, str]:
        table = schema.parties
        with self.engine.connect() as connection:
            return {
                party: name
                for party, name in connection.execute(select(table.c.party_id, table.c.name))
            }

    def consent_events_of(self, consumer_id: str) -> list[ConsentEvent]:
        events, consents = schema.consent_events, schema.consents
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(
                    events.c.consent_id,
                    events.c.event,
                    events.c.at,
                    events.c.actor,
                    events.c.detail,
                )
                .join(consents, consents.c.consent_id == events.c.consent_id)
                .where(consents.c.consumer_id == consumer_id)
                .order_by(events.c.at.desc(), events.c.event_id.desc())
            )
            return [
                ConsentEvent(cid, event, at, actor, json.loads(detail))
                for cid, event, at, actor, detail in rows
            ]

    def daily_use_audited(
        self, mpxn: str, shown: PeriodSet, record: AuditRecord, at: Instant
    ) -> list[DailyUse]:
        readings = schema.readings
        in_shown = or_(*(and_(readings.c.ts >= p.start, readings.c.ts < p.end) for p in shown))
        totals: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
        with self.engine.begin() as connection:
            # The entry first: it takes the audit log's lock, and commits with the read or not at all.
            append_audit(connection, [record], at)
            rows = connection.execute(
                select(readings.c.ts, readings.c.kwh).where(readings.c.mpxn == mpxn, in_shown)
            )
            for ts, kwh in rows:
                day = totals[ts - ts % DAY]
                day[0] += kwh
                day[1] += 1
        return [
            DailyUse(day, round(kwh, 3), int(count)) for day, (kwh, count) in sorted(totals.items())
        ]

    def entries_about(
        self, mpxn: str, start: Instant, end: Instant, limit: int
    ) -> list[AuditEntry]:
        with self.engine.connect() as connection:
            return entries_about(connection, mpxn, start, end, limit)
