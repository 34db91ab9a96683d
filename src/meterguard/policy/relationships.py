"""Relationship periods R(party, role, subject) of ACCESS-RULES section 6.

Each function answers with the periods and a short description of what grants them, which the
engine puts in its explanation.
"""

from __future__ import annotations

from dataclasses import dataclass

from meterguard.domain.catalogue import Group
from meterguard.domain.consents import Consent
from meterguard.domain.devices import Device
from meterguard.domain.parties import Party
from meterguard.domain.period import PeriodSet
from meterguard.domain.roles import ROLES, Relationship, Role
from meterguard.policy.decision import Reason
from meterguard.policy.snapshot import Snapshot

_EMPTY = PeriodSet.empty()
_ALL_TIME = PeriodSet.full()


@dataclass(frozen=True, slots=True)
class ConsentMatch:
    """The consents that match a request, and those of them active at ``at``."""

    matching: tuple[Consent, ...]
    active: tuple[Consent, ...]
    periods: PeriodSet


def consent_periods(
    facts: Snapshot, party_id: str, mpxn: str, group: Group, purpose: str, at: int
) -> ConsentMatch:
    """OU: active matching consents' data windows, each within its consumer's own occupancy."""
    matching = tuple(
        c
        for c in facts.consents_at.get((party_id, mpxn), ())
        if group in c.data_groups and c.purpose == purpose
    )
    active: list[Consent] = []
    periods = _EMPTY
    for consent in matching:
        occupancy = facts.occupancy_of(consent.consumer_id, mpxn)
        if consent.is_active_at(at, occupancy):
            active.append(consent)
            periods = periods | consent.entitled_periods(occupancy)
    return ConsentMatch(matching, tuple(active), periods)


def non_consent_periods(
    facts: Snapshot, party: Party, role: Role, mpxn: str, device: Device | None
) -> PeriodSet:
    """R for every role but OU (whose R needs the item's group and the request's purpose)."""
    relationship = ROLES[role].relationship
    if relationship is Relationship.APPOINTMENT:
        return facts.held.get((party.party_id, role), {}).get(mpxn, _EMPTY)
    if relationship is Relationship.OCCUPANCY:
        return facts.occupied.get(party.party_id, {}).get(mpxn, _EMPTY)
    if device is None:  # MAP and DM relate to devices only
        return _EMPTY
    if relationship is Relationship.DEVICE_OWNERSHIP:
        return _ALL_TIME if device.owner_party_id == party.party_id else _EMPTY
    if relationship is Relationship.DEVICE_MANUFACTURER:
        return (
            _ALL_TIME
            if party.manufacturer and device.manufacturer == party.manufacturer
            else _EMPTY
        )
    raise AssertionError(f"{role} has no non-consent relationship")  # pragma: no cover


def describe_basis(
    role: Role, periods: PeriodSet, device: Device | None, consents: tuple[Consent, ...] = ()
) -> Reason:
    """The reason a relationship gives, formatted only when read."""
    relationship = ROLES[role].relationship
    if relationship is Relationship.APPOINTMENT:
        return ("appointment {} {}", (role, periods))
    if relationship is Relationship.CONSENT:
        ids = ", ".join(c.consent_id for c in consents) or "none"
        return ("consent {} (data window within the consumer's occupancy: {})", (ids, periods))
    if relationship is Relationship.OCCUPANCY:
        return ("occupancy of the site by the party itself {}", (periods,))
    guid = device.guid if device else "(none)"
    if relationship is Relationship.DEVICE_OWNERSHIP:
        return (
            ("owner of device {}", (guid,)) if periods else ("not the owner of device {}", (guid,))
        )
    return (
        ("manufacturer of device {}", (guid,))
        if periods
        else ("not the manufacturer of device {}", (guid,))
    )
