from __future__ import annotations

from dataclasses import replace

import pytest

from meterguard.domain.catalogue import Group
from meterguard.domain.consents import Consent, ConsentState
from meterguard.domain.period import Period, PeriodSet

OCCUPIED = PeriodSet.of(50, 1000)
CONSENT = Consent(
    consent_id="K1",
    consumer_id="C-BOB",
    mpxn="1012345678903",
    party_id="APP1",
    purpose="energy_advice",
    data_groups=frozenset({Group.CONSUMPTION}),
    data_period=Period(0),
    granted_at=100,
    verification="ihd_guid",
    expires_at=500,
    notice_sent_at=110,
)


@pytest.mark.parametrize(
    ("at", "consent", "occupancy", "state"),
    [
        (99, CONSENT, OCCUPIED, ConsentState.NOT_YET_GRANTED),
        (105, CONSENT, OCCUPIED, ConsentState.PENDING_NOTICE),
        (110, CONSENT, OCCUPIED, ConsentState.ACTIVE),
        (499, CONSENT, OCCUPIED, ConsentState.ACTIVE),
        (500, CONSENT, OCCUPIED, ConsentState.EXPIRED),
        (300, replace(CONSENT, withdrawn_at=300), OCCUPIED, ConsentState.WITHDRAWN),
        (299, replace(CONSENT, withdrawn_at=300), OCCUPIED, ConsentState.ACTIVE),
        (300, replace(CONSENT, notice_sent_at=None), OCCUPIED, ConsentState.PENDING_NOTICE),
        (300, CONSENT, PeriodSet.of(50, 200), ConsentState.ENDED_BY_MOVE_OUT),
        (300, CONSENT, PeriodSet.of(400, 1000), ConsentState.CONSUMER_NOT_OCCUPANT),
    ],
)
def test_consent_lifecycle_state(
    at: int, consent: Consent, occupancy: PeriodSet, state: ConsentState
) -> None:
    assert consent.state_at(at, occupancy) is state
    assert consent.is_active_at(at, occupancy) is (state is ConsentState.ACTIVE)


def test_a_consent_opens_only_its_consumers_own_occupancy() -> None:
    assert CONSENT.entitled_periods(OCCUPIED) == PeriodSet.of(50, 1000)


def test_a_consent_covers_its_groups_for_its_purpose_only() -> None:
    assert CONSENT.covers(Group.CONSUMPTION, "energy_advice")
    assert not CONSENT.covers(Group.CONSUMPTION, "research")
    assert not CONSENT.covers(Group.ALERTS, "energy_advice")
