"""The consent lifecycle (ACCESS-RULES 6; SEC Section I as seed 001 tells it).

An Other User may obtain a consumer's data only with that consumer's Unambiguous Consent, and
only once it has told the consumer in writing the time periods, the purpose, and the right to
withdraw. Every change is stored with an event naming who made it and when, and is applied to the
live snapshot at once, so the very next decision sees it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from meterguard.domain.catalogue import EXCLUDED_GROUPS, Group
from meterguard.domain.consents import PURPOSE, Consent, ConsentState
from meterguard.domain.occupancy import Occupancy
from meterguard.domain.period import EmptyPeriod, Period
from meterguard.domain.roles import Role
from meterguard.domain.time import FOREVER, Instant, format_instant
from meterguard.policy.snapshot import Snapshot


class ConsentRefused(ValueError):
    """A consent change that the rules do not allow; nothing was written."""


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    consent_id: str
    event: str  # granted, notice_sent, withdrawn, expired, ended_by_move_out
    at: Instant
    actor: str
    detail: dict[str, object]

    def detail_json(self) -> str:
        return json.dumps(self.detail, sort_keys=True)


class ConsentStore(Protocol):
    def save_consent(self, consent: Consent, event: ConsentEvent) -> None:
        """Insert or update the consent and add its event, in one transaction."""
        ...

    def add_events(self, events: list[ConsentEvent]) -> None: ...

    def events(self, consent_id: str) -> list[ConsentEvent]: ...

    def end_occupancy(
        self, mpxn: str, consumer_id: str, at: Instant, actor: str, events: list[ConsentEvent]
    ) -> list[Occupancy]:
        """End the consumer's occupancy at ``at``, record the move-out and the events, in one
        transaction; return the meter point's occupancies as they now are."""
        ...


class ConsentService:
    def __init__(self, store: ConsentStore, facts: Snapshot, clock: Callable[[], Instant]) -> None:
        self.store = store
        self.facts = facts
        self.clock = clock

    def grant(
        self,
        *,
        consumer_id: str,
        mpxn: str,
        party_id: str,
        purpose: str,
        data_groups: set[Group],
        data_from: Instant,
        data_to: Instant | None,
        expires_at: Instant | None,
        verification: str,
        actor: str,
        consent_id: str | None = None,
    ) -> Consent:
        """Record a consent given by the consumer, after checking it can mean anything."""
        now = self.clock()
        party = self.facts.parties.get(party_id)
        if party is None or Role.OU not in party.roles:
            raise ConsentRefused(
                f"party {party_id} is not an Other User: consent is the Other User's basis"
            )
        if mpxn not in self.facts.fuels:
            raise ConsentRefused(f"no meter point {mpxn}")
        self.facts.ensure_meter(mpxn)
        if (
            self.facts.occupants.get(mpxn) is None
            or self.facts.occupants[mpxn].holder_at(now) != consumer_id
        ):
            raise ConsentRefused(
                f"consumer {consumer_id} does not occupy {mpxn} now: only the occupant can consent"
            )
        if not PURPOSE.match(purpose):
            raise ConsentRefused(
                f"purpose {purpose!r} is not a lower-case token such as energy_advice"
            )
        if not data_groups:
            raise ConsentRefused("a consent names at least one data group")
        if data_groups & EXCLUDED_GROUPS:
            raise ConsentRefused(
                "contact and priority services data are never released to Other Users"
            )
        if not verification.strip():
            raise ConsentRefused(
                "say how the consumer was verified to be the consumer (verification)"
            )
        try:
            window = Period(data_from, FOREVER if data_to is None else data_to)
        except EmptyPeriod as exc:
            raise ConsentRefused(f"data window: {exc}") from None
        if expires_at is not None and expires_at <= now:
            raise ConsentRefused("the consent would expire before it is granted")
        consent_id = consent_id or f"CNS-{uuid.uuid4().hex[:12]}"
        if consent_id in self.facts.consents:
            raise ConsentRefused(f"consent {consent_id} exists already")
        consent = Consent(
            consent_id,
            consumer_id,
            mpxn,
            party_id,
            purpose,
            frozenset(data_groups),
            window,
            now,
            verification.strip(),
            FOREVER if expires_at is None else expires_at,
        )
        detail = {
            "purpose": purpose,
            "data_groups": sorted(data_groups),
            "data_window": [format_instant(window.start), format_instant(window.end)],
            "expires_at": format_instant(consent.expires_at),
            "verification": consent.verification,
        }
        self._save(consent, ConsentEvent(consent_id, "granted", now, actor, detail))
        return consent

    def record_notice(
        self,
        consent_id: str,
        *,
        time_periods: str,
        purpose: str,
        right_to_withdraw: str,
        actor: str,
    ) -> Consent:
        """The written notice to the consumer: the time periods, the purpose, and how to withdraw."""
        consent = self._existing(consent_id)
        now = self.clock()
        if consent.withdrawn_at is not None and consent.withdrawn_at <= now:
            raise ConsentRefused(f"consent {consent_id} is withdrawn")
        if not time_periods.strip() or not right_to_withdraw.strip():
            raise ConsentRefused(
                "a notice states the time periods and the right to withdraw, and how"
            )
        if purpose.strip() != consent.purpose:
            raise ConsentRefused(
                f"the notice states purpose {purpose!r} but the consent is for {consent.purpose!r}"
            )
        updated = replace(consent, notice_sent_at=now)
        detail = {
            "time_periods": time_periods.strip(),
            "purpose": purpose.strip(),
            "right_to_withdraw": right_to_withdraw.strip(),
        }
        self._save(updated, ConsentEvent(consent_id, "notice_sent", now, actor, detail))
        return updated

    def withdraw(self, consent_id: str, *, actor: str, reason: str = "") -> Consent:
        """Withdrawal takes effect at once: from this instant the consent grants nothing."""
        consent = self._existing(consent_id)
        now = self.clock()
        if consent.withdrawn_at is not None and consent.withdrawn_at <= now:
            return consent
        updated = replace(consent, withdrawn_at=now)
        self._save(updated, ConsentEvent(consent_id, "withdrawn", now, actor, {"reason": reason}))
        return updated

    def expire_due(self, *, actor: str = "hub") -> list[str]:
        """Record an ``expired`` event for each consent whose expiry has passed (its state already
        says so; the event puts it in the consent's history)."""
        now = self.clock()
        due = [
            c
            for c in self.facts.consents.values()
            if c.expires_at <= now
            and (c.withdrawn_at is None or c.withdrawn_at > c.expires_at)
            and not any(e.event == "expired" for e in self.store.events(c.consent_id))
        ]
        self.store.add_events(
            [ConsentEvent(c.consent_id, "expired", c.expires_at, actor, {}) for c in due]
        )
        return [c.consent_id for c in due]

    def move_out(
        self, mpxn: str, consumer_id: str, *, actor: str, at: Instant | None = None
    ) -> list[str]:
        """The occupant leaves: their occupancy ends and with it every consent they gave here."""
        when = self.clock() if at is None else at
        self.facts.ensure_meter(mpxn)
        timeline = self.facts.occupants.get(mpxn)
        tenure = timeline.tenure_at(when) if timeline else None
        if tenure is None or tenure.holder != consumer_id:
            raise ConsentRefused(
                f"consumer {consumer_id} does not occupy {mpxn} at {format_instant(when)}"
            )
        if when <= tenure.period.start:
            raise ConsentRefused(
                f"a move-out at {format_instant(when)} would end the occupancy the instant it began"
            )
        ending = [
            c
            for c in self.facts.consents_at_meter(mpxn)
            if c.consumer_id == consumer_id
            and c.state_at(when, self.facts.occupancy_of(consumer_id, mpxn))
            in (ConsentState.ACTIVE, ConsentState.PENDING_NOTICE)
        ]
        events = [
            ConsentEvent(c.consent_id, "ended_by_move_out", when, actor, {"mpxn": mpxn})
            for c in ending
        ]
        occupancies = self.store.end_occupancy(mpxn, consumer_id, when, actor, events)
        self.facts.set_occupancies(mpxn, occupancies)
        return [c.consent_id for c in ending]

    def history(self, consent_id: str) -> list[ConsentEvent]:
        self._existing(consent_id)
        return self.store.events(consent_id)

    def _existing(self, consent_id: str) -> Consent:
        consent = self.facts.consents.get(consent_id)
        if consent is None:
            raise ConsentRefused(f"no consent {consent_id}")
        return consent

    def _save(self, consent: Consent, event: ConsentEvent) -> None:
        self.store.save_consent(consent, event)  # the database first: a crash loses no change
        self.facts.put_consent(consent)
