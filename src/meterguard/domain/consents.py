"""Consents an energy consumer gives an Other User, and their lifecycle (ACCESS-RULES 6).

A consent grants nothing until its written notice (time periods, purpose, right to withdraw) has
been sent, and nothing once it is withdrawn, expired, or its consumer has moved out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from meterguard.domain.catalogue import Group
from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.time import FOREVER, Instant

PURPOSE = re.compile(r"^[a-z][a-z0-9_]*$")
DEVICE_JOIN_PURPOSE = "device_join"


class ConsentState(StrEnum):
    NOT_YET_GRANTED = "not_yet_granted"
    PENDING_NOTICE = "pending_notice"
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    ENDED_BY_MOVE_OUT = "ended_by_move_out"
    CONSUMER_NOT_OCCUPANT = "consumer_not_occupant"


@dataclass(frozen=True, slots=True)
class Consent:
    consent_id: str
    consumer_id: str
    mpxn: str
    party_id: str
    purpose: str
    data_groups: frozenset[Group]
    data_period: Period
    granted_at: Instant
    verification: str
    expires_at: Instant = FOREVER
    withdrawn_at: Instant | None = None
    notice_sent_at: Instant | None = None

    def state_at(self, at: Instant, consumer_occupancy: PeriodSet) -> ConsentState:
        """The lifecycle state at ``at``; ``consumer_occupancy`` is the consumer's periods here."""
        if at < self.granted_at:
            return ConsentState.NOT_YET_GRANTED
        if self.withdrawn_at is not None and self.withdrawn_at <= at:
            return ConsentState.WITHDRAWN
        if at >= self.expires_at:
            return ConsentState.EXPIRED
        if not consumer_occupancy.contains(at):
            moved_out = any(p.end <= at for p in consumer_occupancy)
            if moved_out:
                return ConsentState.ENDED_BY_MOVE_OUT
            return ConsentState.CONSUMER_NOT_OCCUPANT
        if self.notice_sent_at is None or self.notice_sent_at > at:
            return ConsentState.PENDING_NOTICE
        return ConsentState.ACTIVE

    def is_active_at(self, at: Instant, consumer_occupancy: PeriodSet) -> bool:
        return self.state_at(at, consumer_occupancy) is ConsentState.ACTIVE

    def covers(self, group: Group, purpose: str) -> bool:
        return group in self.data_groups and purpose == self.purpose

    def entitled_periods(self, consumer_occupancy: PeriodSet) -> PeriodSet:
        """Data time this consent can open: its window, within the consumer's own occupancy."""
        return consumer_occupancy.intersection(PeriodSet((self.data_period,)))
