"""Consents and their events in the database (``ConsentStore``)."""

from __future__ import annotations

import json

from sqlalchemy import Engine, and_, insert, select, update

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.changes import CONSENTS, OCCUPANCIES, note_changes
from meterguard.adapters.storage.records import consent_row, occupancy_from
from meterguard.domain.consents import Consent
from meterguard.domain.occupancy import Occupancy
from meterguard.services.consents import ConsentEvent

_KEY = "consent_id"


class SqlConsentStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save_consent(self, consent: Consent, event: ConsentEvent) -> None:
        row = consent_row(consent)
        consents = schema.consents
        with self.engine.begin() as connection:
            exists = connection.execute(
                select(consents.c.consent_id).where(consents.c.consent_id == consent.consent_id)
            ).first()
            if exists:
                values = {k: v for k, v in row.items() if k != _KEY}
                connection.execute(
                    update(consents)
                    .where(consents.c.consent_id == consent.consent_id)
                    .values(values)
                )
            else:
                connection.execute(insert(consents).values(row))
            connection.execute(insert(schema.consent_events), [_event_row(event)])
            note_changes(connection, [(consent.mpxn, CONSENTS)], event.at)

    def add_events(self, events: list[ConsentEvent]) -> None:
        if events:
            with self.engine.begin() as connection:
                connection.execute(insert(schema.consent_events), [_event_row(e) for e in events])

    def events(self, consent_id: str) -> list[ConsentEvent]:
        table = schema.consent_events
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table.c.consent_id, table.c.event, table.c.at, table.c.actor, table.c.detail)
                .where(table.c.consent_id == consent_id)
                .order_by(table.c.at, table.c.event_id)
            )
            return [
                ConsentEvent(cid, event, at, actor, json.loads(detail))
                for cid, event, at, actor, detail in rows
            ]

    def end_occupancy(
        self, mpxn: str, consumer_id: str, at: int, actor: str, events: list[ConsentEvent]
    ) -> list[Occupancy]:
        table = schema.occupancies
        with self.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(
                    and_(
                        table.c.mpxn == mpxn,
                        table.c.consumer_id == consumer_id,
                        table.c.valid_from < at,
                    )
                )
                .where((table.c.valid_to.is_(None)) | (table.c.valid_to > at))
                .values(valid_to=at)
            )
            connection.execute(
                insert(schema.move_outs).values(
                    mpxn=mpxn, consumer_id=consumer_id, at=at, actor=actor
                )
            )
            if events:
                connection.execute(insert(schema.consent_events), [_event_row(e) for e in events])
            note_changes(connection, [(mpxn, OCCUPANCIES), (mpxn, CONSENTS)], at)
            rows = connection.execute(select(table).where(table.c.mpxn == mpxn)).mappings()
            return [occupancy_from(r) for r in rows]


def _event_row(event: ConsentEvent) -> dict[str, object]:
    return {
        "consent_id": event.consent_id,
        "event": event.event,
        "at": event.at,
        "actor": event.actor,
        "detail": event.detail_json(),
    }
