"""The consumer portal's use cases: what a signed-in consumer may see and change.

A consumer sees the meter points they occupy or occupied, the consents they gave, and their own
consumption during their own occupancy; showing them that consumption is a release through the
PORTAL channel and is audited in the transaction that reads it. They may withdraw a consent they
gave, and only one they gave; the withdrawal takes effect at once (``ConsentService``, on the process's live snapshot,
while the change feed carries it to every other process) and is
recorded in the audit log with its data window within their occupancy, so it shows in their own
access log.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from meterguard.domain.catalogue import Channel
from meterguard.domain.consents import Consent, ConsentState
from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.time import DAY, Instant
from meterguard.policy.snapshot import Snapshot
from meterguard.services.audit import AuditLog, AuditRecord
from meterguard.services.consents import ConsentEvent, ConsentService, ConsentStore

CONSUMER_ROLE = "consumer"  # consumers are not parties; their entries carry this role
CHART_DAYS = 30
WITHDRAWABLE = (ConsentState.ACTIVE, ConsentState.PENDING_NOTICE, ConsentState.NOT_YET_GRANTED)


class NotYourConsent(LookupError):
    """No consent of this consumer has that id (another consumer's is treated as absent)."""


@dataclass(frozen=True, slots=True)
class ConsentView:
    consent: Consent
    state: ConsentState
    party_name: str

    @property
    def withdrawable(self) -> bool:
        return self.state in WITHDRAWABLE


@dataclass(frozen=True, slots=True)
class DailyUse:
    day: Instant  # midnight UTC
    kwh: float
    readings: int


@dataclass(frozen=True, slots=True)
class Consumption:
    mpxn: str
    window: Period  # the days drawn
    shown: PeriodSet  # the part of the window the consumer occupied: what was released
    days: tuple[DailyUse, ...]


class LiveFacts(Protocol):
    """The process's snapshot kept current from the change feed (``SnapshotFollower``): a change
    is made under its lock, on the snapshot it holds after catching up."""

    @property
    def lock(self) -> AbstractContextManager[Any]: ...

    @property
    def snapshot(self) -> Snapshot: ...

    def catch_up(self) -> object: ...


class PortalStore(Protocol):
    def occupancies_of(self, consumer_id: str) -> dict[str, PeriodSet]: ...

    def consumers_with_consents(self) -> list[str]: ...

    def consents_of(self, consumer_id: str) -> list[Consent]: ...

    def party_names(self) -> dict[str, str]: ...

    def consent_events_of(self, consumer_id: str) -> list[ConsentEvent]: ...

    def daily_use_audited(
        self, mpxn: str, shown: PeriodSet, record: AuditRecord, at: Instant
    ) -> list[DailyUse]:
        """Daily totals of the readings in ``shown``, read in the transaction that appends
        ``record`` to the audit log: the audit entry commits with the read or not at all."""
        ...


def chart_window(occupied: PeriodSet, now: Instant, days: int = CHART_DAYS) -> Period | None:
    """The last ``days`` whole days up to now, or up to the day the consumer moved out."""
    past = occupied.clip(end=now)
    if not past:
        return None
    last = past.periods[-1].end
    end = (last // DAY + (1 if last % DAY else 0)) * DAY
    return Period(end - days * DAY, end)


class Portal:
    def __init__(
        self,
        store: PortalStore,
        consent_store: ConsentStore,
        facts: LiveFacts,
        audit: AuditLog,
        clock: Callable[[], Instant],
    ) -> None:
        self.store = store
        self.consent_store = consent_store
        self.facts = facts
        self.audit = audit
        self.clock = clock

    def meter_points(self, consumer_id: str) -> dict[str, PeriodSet]:
        return self.store.occupancies_of(consumer_id)

    def consents(self, consumer_id: str) -> list[ConsentView]:
        now = self.clock()
        occupancy = self.store.occupancies_of(consumer_id)
        names = self.store.party_names()
        views = [
            ConsentView(
                c,
                c.state_at(now, occupancy.get(c.mpxn, PeriodSet.empty())),
                names.get(c.party_id, c.party_id),
            )
            for c in self.store.consents_of(consumer_id)
        ]
        views.sort(key=lambda v: (not v.withdrawable, -v.consent.granted_at, v.consent.consent_id))
        return views

    def demo_consumer(self) -> tuple[str, int] | None:
        """A consumer with the most consents that grant now (for the demo to sign in as), and how
        many; None when no consent grants anything now."""
        best: tuple[str, int] | None = None
        for consumer in self.store.consumers_with_consents()[:200]:
            active = sum(1 for view in self.consents(consumer) if view.state is ConsentState.ACTIVE)
            if active and (best is None or active > best[1]):
                best = (consumer, active)
        return best

    def consent_history(self, consumer_id: str) -> list[ConsentEvent]:
        return self.store.consent_events_of(consumer_id)

    def withdraw(self, consumer_id: str, consent_id: str) -> Consent:
        """Withdraw a consent this consumer gave; any other id is ``NotYourConsent``."""
        mine = {c.consent_id: c for c in self.store.consents_of(consumer_id)}
        consent = mine.get(consent_id)
        if consent is None:
            raise NotYourConsent(f"you have no consent {consent_id}")
        was_withdrawn = consent.withdrawn_at is not None and consent.withdrawn_at <= self.clock()
        with self.facts.lock:
            self.facts.catch_up()  # the consent as every process now knows it
            service = ConsentService(self.consent_store, self.facts.snapshot, self.clock)
            updated = service.withdraw(
                consent_id,
                actor=f"consumer {consumer_id} (portal)",
                reason="withdrawn by the consumer in the portal",
            )
        if not was_withdrawn and updated.withdrawn_at is not None:
            occupancy = self.store.occupancies_of(consumer_id).get(consent.mpxn, PeriodSet.empty())
            record = AuditRecord(
                party_id=consumer_id,
                role=CONSUMER_ROLE,
                channel=Channel.PORTAL.value,
                action="consent.withdrawn",
                subject=consent_id,
                decision="recorded",
                code="OK",
                mpxn=consent.mpxn,
                asked=consent.entitled_periods(occupancy).periods,
                basis="the consumer's own withdrawal",
                detail={"party_id": consent.party_id, "purpose": consent.purpose},
            )
            self.audit.append([record], updated.withdrawn_at)
        return updated

    def consumption(self, consumer_id: str) -> list[Consumption]:
        """Each meter point's daily use over the chart window, within the consumer's occupancy."""
        now = self.clock()
        charts = []
        for mpxn, occupied in sorted(self.store.occupancies_of(consumer_id).items()):
            window = chart_window(occupied, now)
            if window is None:
                continue
            shown = occupied.clip(window.start, min(window.end, now))
            if not shown:
                continue
            record = AuditRecord(
                party_id=consumer_id,
                role=CONSUMER_ROLE,
                channel=Channel.PORTAL.value,
                action="hh_consumption",
                subject=mpxn,
                decision="allow",
                code="OK",
                mpxn=mpxn,
                asked=shown.periods,
                allowed=shown.periods,
                basis="the occupant's own data, during their occupancy",
            )
            days = self.store.daily_use_audited(mpxn, shown, record, now)
            charts.append(Consumption(mpxn, window, shown, tuple(days)))
        return charts
