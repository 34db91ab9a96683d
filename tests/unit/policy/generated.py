"""Hypothesis strategies for small random worlds and requests over them.

Times live on a grid of days 0..40 (in seconds), so periods meet, overlap and touch often.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from hypothesis import strategies as st

from meterguard.domain.appointments import Appointment
from meterguard.domain.catalogue import CATALOGUE, Channel, Group, is_excluded
from meterguard.domain.consents import Consent
from meterguard.domain.devices import CspRegion, Device, DeviceStatus, DeviceType
from meterguard.domain.meter_points import MeterPoint, Sector
from meterguard.domain.occupancy import Occupancy
from meterguard.domain.parties import Category, Party
from meterguard.domain.period import Period
from meterguard.domain.roles import Role
from meterguard.domain.time import DAY, FOREVER
from meterguard.policy.matrix import Access, CellKey, MatrixVersion
from meterguard.policy.requests import DataRequest
from meterguard.policy.snapshot import Snapshot

E1, E2, G1 = "1012345678903", "1200000000011", "3938424403"
METER_POINTS = (E1, E2, G1)
SUPPLIERS = ("S1", "S2", "S3")
CONSUMERS = ("C1", "C2", "M1")  # M1 is also a party: a Major Energy User
PURPOSES = ("energy_advice", "research")
DEVICES = {
    "00-00-00-00-00-00-00-01": E1,
    "00-00-00-00-00-00-00-02": E2,
    "00-00-00-00-00-00-00-03": G1,
}
PARTIES = [
    *(
        Party(s, s, frozenset({Role.IS, Role.GS, Role.ES}), Category.LARGE_SUPPLIER)
        for s in SUPPLIERS
    ),
    Party("N1", "N1", frozenset({Role.ED, Role.GT}), Category.ELECTRICITY_NETWORK),
    Party("OU1", "OU1", frozenset({Role.OU}), Category.OTHER_SEC_PARTY),
    Party("M1", "M1", frozenset({Role.MEU}), Category.NON_SEC_PARTY),
    Party("MAP1", "MAP1", frozenset({Role.MAP}), Category.NON_SEC_PARTY),
    Party("DM1", "DM1", frozenset({Role.DM}), Category.NON_SEC_PARTY, manufacturer="Mk"),
]
ROLES_OF = {p.party_id: sorted(p.roles) for p in PARTIES}
ITEMS = (
    "hh_consumption",
    "alerts",
    "registration",
    "supply_address",
    "device_inventory",
    "priority_services",
)
GRID = [d * DAY for d in range(41)]
day = st.sampled_from(GRID)


@st.composite
def history(draw: st.DrawFn, holders: tuple[str, ...]) -> list[tuple[str, Period]]:
    """A timeline: sorted cut points, each stretch held by someone or nobody."""
    cuts = sorted(draw(st.sets(day, min_size=1, max_size=5)))
    ends = [*cuts[1:], FOREVER]
    tenures = []
    for start, end in zip(cuts, ends, strict=True):
        holder = draw(st.sampled_from((*holders, None)))
        if holder is not None:
            tenures.append((holder, Period(start, end)))
    return tenures


@st.composite
def consents(draw: st.DrawFn) -> list[Consent]:
    result = []
    for n in range(draw(st.integers(0, 5))):
        data_from = draw(day)
        data_to = draw(st.sampled_from([g for g in GRID if g > data_from] + [FOREVER]))
        granted = draw(day)
        later = [g for g in GRID if g >= granted]
        result.append(
            Consent(
                f"K{n}",
                draw(st.sampled_from(CONSUMERS)),
                draw(st.sampled_from(METER_POINTS)),
                "OU1",
                draw(st.sampled_from(PURPOSES)),
                frozenset(
                    draw(
                        st.sets(
                            st.sampled_from([Group.CONSUMPTION, Group.ALERTS, Group.REGISTRATION]),
                            min_size=1,
                        )
                    )
                ),
                Period(data_from, data_to),
                granted,
                "ihd_guid",
                draw(st.sampled_from([g for g in later if g > granted] + [FOREVER])),
                draw(st.one_of(st.none(), st.sampled_from(later))),
                draw(st.one_of(st.none(), st.sampled_from(later))),
            )
        )
    return result


@st.composite
def matrices(draw: st.DrawFn) -> MatrixVersion:
    """A random valid matrix. Cells come from a seeded generator: hundreds of separate draws per
    example would exhaust Hypothesis's buffer and skew every matrix towards its simplest form."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    H, C, A = Access.HISTORIC, Access.CURRENT, Access.COMMUNITY
    cells = {}
    for item_name in ITEMS:
        item = CATALOGUE[item_name]
        for role in Role:
            for channel in Channel:
                # Weighted towards granting cells, so that decisions reach the later checks.
                choices = [H, H, H, H, C, C, A, Access.NOT_PERMITTED, None]
                if is_excluded(item, channel):
                    choices = [Access.NOT_PERMITTED, None]
                elif item.is_series:
                    choices.remove(A)
                access = rng.choice(choices)
                if access is not None:
                    cells[CellKey(item_name, role, channel)] = access
    return MatrixVersion(1, 0, cells)


@dataclass
class World:
    snapshot: Snapshot
    appointments: list[Appointment]
    occupancies: list[Occupancy]
    consents: list[Consent]
    devices: list[Device]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    appointments = []
    for mpxn in METER_POINTS:
        supplier_role = Role.GS if mpxn == G1 else Role.IS
        for holder, period in draw(history(SUPPLIERS)):
            appointments.append(Appointment(mpxn, supplier_role, holder, period))
        for holder, period in draw(history(("N1",))):
            appointments.append(
                Appointment(mpxn, Role.GT if mpxn == G1 else Role.ED, holder, period)
            )
    occupancies = [
        Occupancy(mpxn, c, p) for mpxn in METER_POINTS for c, p in draw(history(CONSUMERS))
    ]
    devices = [
        Device(
            guid,
            DeviceType.GSME if mpxn == G1 else DeviceType.ESME,
            mpxn,
            draw(st.sampled_from(["Mk", "Other"])),
            "m",
            "1",
            DeviceStatus.COMMISSIONED,
            CspRegion.NORTH,
            draw(st.sampled_from(["MAP1", None])),
            draw(st.sampled_from([*SUPPLIERS, None])),
        )
        for guid, mpxn in DEVICES.items()
    ]
    given_consents = draw(consents())
    snapshot = Snapshot.build(
        PARTIES,
        [MeterPoint(m, Sector.DOMESTIC, "r") for m in METER_POINTS],
        appointments,
        occupancies,
        devices,
        given_consents,
        [draw(matrices())],
    )
    return World(snapshot, appointments, occupancies, given_consents, devices)


@st.composite
def data_requests(draw: st.DrawFn, party_ids: tuple[str, ...] = ()) -> DataRequest:
    party = draw(st.sampled_from([p for p in PARTIES if not party_ids or p.party_id in party_ids]))
    item = draw(st.sampled_from(ITEMS))
    subjects = list(DEVICES) if CATALOGUE[item].subject.value == "device" else list(METER_POINTS)
    at = draw(st.sampled_from(GRID[1:]))
    if draw(st.integers(0, 9)) == 0:  # now and then, any period at all, valid or not
        start = draw(st.one_of(st.none(), st.sampled_from(GRID)))
        end = draw(st.one_of(st.none(), st.sampled_from(GRID)))
    else:
        series = CATALOGUE[item].is_series
        earlier = [g for g in GRID if g < at]
        start = draw(st.sampled_from(earlier if series else [None, *earlier[::4]]))
        later = [g for g in GRID if start is None or g > start]
        end = draw(st.sampled_from([None, *later]))
    return DataRequest(
        "r",
        party.party_id,
        draw(st.sampled_from(ROLES_OF[party.party_id])),
        draw(st.sampled_from(list(Channel))),
        item,
        draw(st.sampled_from(subjects)),
        start,
        end,
        at,
        draw(st.sampled_from(PURPOSES)),
    )
