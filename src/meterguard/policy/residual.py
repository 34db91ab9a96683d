"""The residual of a request: what one (party, role, channel, item, purpose) may have at ``at``.

Rather than deciding one subject, the residual lists every subject the party is entitled to and the
data-time periods of each, as data. Bulk extracts compile it into a database filter, so a bulk
extract and a single decision come from the same rules and cannot disagree; tests prove, over
generated worlds, that ``decide`` allows exactly ``asked ∩ entitled[subject]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from meterguard.domain.catalogue import CATALOGUE, Channel, Item, SubjectKind, is_excluded
from meterguard.domain.devices import Device
from meterguard.domain.period import PeriodSet
from meterguard.domain.roles import ROLE_BY_CODE, ROLES, Relationship, Role
from meterguard.domain.time import BEGINNING, format_instant
from meterguard.policy.decision import Code
from meterguard.policy.matrix import Access, CellKey
from meterguard.policy.relationships import non_consent_periods
from meterguard.policy.snapshot import Snapshot

_ALL_TIME = PeriodSet.full()


@dataclass(frozen=True, slots=True)
class Residual:
    """``denied``: a code that refuses every subject alike (then nothing else is set).

    ``community``: cell ``A``, every subject's current value and nothing historic.
    ``entitled``: subject -> the data time a request may be answered for, already cut at ``at``
    (the window W of ACCESS-RULES 7 step 13); empty for a reference item under cell ``C``, which
    answers current-value requests only (``current_only``).
    ``current``: the subjects whose relationship holds at ``at``, for which a reference item's
    current value is answered.
    """

    at: int
    denied: Code | None = None
    reason: str = ""
    access: Access | None = None
    version: int | None = None
    community: bool = False
    current_only: bool = False
    entitled: dict[str, PeriodSet] = field(default_factory=dict)
    current: frozenset[str] = frozenset()


def residual(
    facts: Snapshot,
    party_id: str,
    role_code: str,
    channel: Channel,
    item_name: str,
    at: int,
    purpose: str = "",
) -> Residual:
    facts.load_all()  # the residual reads every meter point of the party
    party = facts.parties.get(party_id)
    if party is None:
        return Residual(at, Code.UNKNOWN_PARTY, f"no party {party_id}")
    role = ROLE_BY_CODE.get(role_code)
    if role is None or role not in party.roles:
        return Residual(at, Code.ROLE_NOT_HELD, f"party {party_id} does not hold role {role_code}")
    item = CATALOGUE.get(item_name)
    if item is None:
        return Residual(at, Code.UNKNOWN_ITEM, f"no data item {item_name}")
    if is_excluded(item, channel):
        return Residual(
            at, Code.EXCLUDED_GROUP, f"group {item.group} is never released through {channel}"
        )
    version = facts.matrix.in_force_at(at)
    if version is None:
        return Residual(
            at, Code.NOT_IN_MATRIX, f"no matrix version is in force at {format_instant(at)}"
        )
    access = version.cells.get(CellKey(item.name, role, channel))
    if access is None:
        return Residual(at, Code.NOT_IN_MATRIX, "not configured", version=version.version)
    if access is Access.NOT_PERMITTED:
        return Residual(at, Code.NOT_PERMITTED, "cell is -", access, version.version)
    if access is Access.COMMUNITY:
        return Residual(at, access=access, version=version.version, community=True)

    current_only = access is Access.CURRENT and not item.is_series
    entitled: dict[str, PeriodSet] = {}
    current: set[str] = set()
    past = PeriodSet.of(BEGINNING, at)
    for subject, periods in _relationships(facts, party_id, role, item, at, purpose):
        stretch = periods.stretch_containing(at)
        if stretch is not None:
            current.add(subject)
        if current_only:
            continue
        if access is Access.CURRENT:
            if stretch is None:
                continue
            periods = PeriodSet((stretch,))
        window = periods & past
        if window:
            entitled[subject] = window
    return Residual(
        at,
        access=access,
        version=version.version,
        current_only=current_only,
        entitled=entitled,
        current=frozenset(current),
    )


def _relationships(
    facts: Snapshot, party_id: str, role: Role, item: Item, at: int, purpose: str
) -> list[tuple[str, PeriodSet]]:
    """(subject, R) for every subject where the party's relationship R is not empty."""
    party = facts.parties[party_id]
    relationship = ROLES[role].relationship
    by_meter: dict[str, PeriodSet] = {}
    if relationship is Relationship.APPOINTMENT:
        by_meter = dict(facts.held.get((party_id, role), {}))
    elif relationship is Relationship.OCCUPANCY:
        by_meter = dict(facts.occupied.get(party_id, {}))
    elif relationship is Relationship.CONSENT:
        for consent in facts.consents_of.get(party_id, {}).values():
            if item.group not in consent.data_groups or consent.purpose != purpose:
                continue
            occupancy = facts.occupancy_of(consent.consumer_id, consent.mpxn)
            if consent.is_active_at(at, occupancy):
                gained = consent.entitled_periods(occupancy)
                by_meter[consent.mpxn] = by_meter.get(consent.mpxn, PeriodSet.empty()) | gained
    elif item.subject is SubjectKind.DEVICE:  # MAP, DM: device subjects only
        return [
            (device.guid, periods)
            for device in facts.devices.values()
            if (periods := non_consent_periods(facts, party, role, device.mpxn, device))
        ]

    if item.subject is SubjectKind.METER_POINT:
        return [(mpxn, periods) for mpxn, periods in by_meter.items() if periods]
    devices: list[tuple[str, PeriodSet]] = []
    for mpxn, periods in by_meter.items():
        if periods:
            device: Device
            for device in facts.devices_at.get(mpxn, {}).values():
                devices.append((device.guid, periods))
    return devices
