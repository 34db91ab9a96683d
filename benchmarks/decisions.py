"""Single decisions side by side: MeterGuard's ``decide`` beside Cedar (cedarpy) and pycasbin.

Run: uv run --group bench python benchmarks/decisions.py [--requests 100000] [--casbin-requests 20000]

One run builds one deterministic world (seeded) as MeterGuard domain records, converts the SAME
records into Cedar entities and Casbin policy rows, generates one deterministic mix of data
requests, and then measures, per engine: latency of one decision (p50, p99), throughput, how long a
change (a consent withdrawn) takes to be seen by the next decision, and agreement with MeterGuard
on the whole-period question "is the request allowed exactly as asked?" (MeterGuard code ``OK``
versus the anchor's allow). Cedar and Casbin answer allow/deny for the whole request; they cannot
answer ``partial`` with the allowed periods, which is MeterGuard's real output.

The rules are ACCESS-RULES sections 2 to 7 with the default Data Permissions Matrix (one version).
Where an anchor cannot express a rule exactly, the encoding and its limits are written beside it
(``cedar_policies`` and ``benchmarks/casbin/model.conf``); the run lists every disagreement, checks
agreement again on requests placed exactly on period and lifecycle boundaries, and runs the known
limits of the encodings on a tiny world to show them.

Timing: ``time.perf_counter_ns`` around each call after a warm-up; the anchors are timed on inputs
already converted to their form (Cedar request dicts with the context pre-serialised, Casbin
argument tuples), which is their best case. ``gc.freeze()`` moves the world out of the collector's
reach before timing, for every engine alike. Nothing is timed while another benchmark runs: the
script refuses to start while another benchmark (``benchmarks/...``), a ``meterguard import`` or a
pytest run is on the machine (``--force`` overrides), and says whether one appeared during the run.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gc
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import cedarpy

import casbin  # pycasbin; ruff files it first-party because of the benchmarks/casbin/ folder
from meterguard.domain.appointments import Appointment
from meterguard.domain.catalogue import CATALOGUE, EXCLUDED_GROUPS, Channel, Group, SubjectKind
from meterguard.domain.consents import Consent
from meterguard.domain.devices import CspRegion, Device, DeviceStatus, DeviceType
from meterguard.domain.identifiers import Fuel, mpan_check_digit
from meterguard.domain.meter_points import MeterPoint, Sector
from meterguard.domain.occupancy import Occupancy
from meterguard.domain.parties import Category, Party
from meterguard.domain.period import Period
from meterguard.domain.roles import Role
from meterguard.domain.time import DAY, FOREVER, parse_instant
from meterguard.policy.batch import BatchDecisions, BatchEngine
from meterguard.policy.decision import Code
from meterguard.policy.engine import decide
from meterguard.policy.matrix import Access, CellKey, MatrixVersion
from meterguard.policy.requests import DataRequest
from meterguard.policy.snapshot import Snapshot

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MATRIX_CSV = ROOT / "src" / "meterguard" / "adapters" / "default_matrix.csv"
CEDAR_POLICIES = HERE / "cedar" / "policies.cedar"
CASBIN_MODEL = HERE / "casbin" / "model.conf"

HISTORY_FROM = parse_instant("2018-01-01")
AS_OF = parse_instant("2026-11-01")  # the latest decision time of any request
AT_FROM = parse_instant("2025-01-01")  # the earliest decision time of any request
HALF_HOUR = 1800
GUID = re.compile(r"^[0-9A-F]{2}(-[0-9A-F]{2}){7}$")

# ---------------------------------------------------------------------------------------------
# The world: parties, meter points, appointments, occupancies, devices, consents, the matrix
# ---------------------------------------------------------------------------------------------

MANUFACTURERS = (
    "Acme Meters Ltd",
    "Landis Gyr",
    "Secure Meters",
    "Aclara",
    "Itron",
    "Kaifa",
    "Honeywell Elster",
    "EDMI",
    "Chameleon",
    "Sagemcom",
    "Flonidan",
)
PURPOSE_GROUPS: dict[str, tuple[frozenset[Group], ...]] = {
    "energy_advice": (
        frozenset({Group.CONSUMPTION}),
        frozenset({Group.CONSUMPTION, Group.ALERTS}),
    ),
    "price_comparison": (frozenset({Group.CONSUMPTION, Group.METER_POINT, Group.REGISTRATION}),),
    "research": (frozenset({Group.CONSUMPTION, Group.ADDRESS}),),
    "device_join": (frozenset({Group.INVENTORY}),),
}
PURPOSES = tuple(PURPOSE_GROUPS)


@dataclass
class World:
    parties: list[Party]
    meter_points: list[MeterPoint]
    appointments: list[Appointment]
    occupancies: list[Occupancy]
    devices: list[Device]
    consents: list[Consent]
    matrix: MatrixVersion
    # lookups for the request generator (derived from the records above, nothing else)
    by_role: dict[Role, list[str]] = field(default_factory=dict)
    electricity: list[str] = field(default_factory=list)
    gas: list[str] = field(default_factory=list)
    devices_at: dict[str, list[Device]] = field(default_factory=dict)


def load_matrix(path: Path = MATRIX_CSV) -> MatrixVersion:
    cells: dict[CellKey, Access] = {}
    version, effective = 0, 0
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            version, effective = int(row["version"]), parse_instant(row["effective_from"])
            key = CellKey(row["item"], Role(row["role"]), Channel(row["channel"]))
            cells[key] = Access(row["access"])
    return MatrixVersion(version, effective, cells)


def _parties() -> list[Party]:
    def party(pid: str, roles: str, category: Category, manufacturer: str = "") -> Party:
        return Party(pid, pid, frozenset(Role(r) for r in roles.split()), category, manufacturer)

    out = [
        party(
            f"SUP{i:02d}", "IS ES GS", Category.LARGE_SUPPLIER if i < 6 else Category.SMALL_SUPPLIER
        )
        for i in range(20)
    ]
    out += [party(f"DNO{i:02d}", "ED", Category.ELECTRICITY_NETWORK) for i in range(8)]
    out += [party(f"GDN{i:02d}", "GT", Category.GAS_NETWORK) for i in range(4)]
    out += [party(f"SHIP{i:02d}", "SH", Category.OTHER_SEC_PARTY) for i in range(6)]
    out += [party(f"RSA{i:02d}", "RSA", Category.OTHER_SEC_PARTY) for i in range(4)]
    out += [party(f"MAM{i:02d}", "MAM", Category.OTHER_SEC_PARTY) for i in range(6)]
    out += [party(f"APP{i:02d}", "OU", Category.OTHER_SEC_PARTY) for i in range(20)]
    out += [party(f"MEU{i:02d}", "MEU", Category.NON_SEC_PARTY) for i in range(15)]
    out += [party(f"MAP{i:02d}", "MAP", Category.NON_SEC_PARTY) for i in range(8)]
    # nine of the eleven manufacturers are parties (DM); two make devices but are not parties
    out += [party(f"DM{i:02d}", "DM", Category.NON_SEC_PARTY, MANUFACTURERS[i]) for i in range(9)]
    assert len(out) == 100
    return out


def _stable(text: str) -> int:
    """A hash that is the same in every process (``hash`` of a str is salted per process)."""
    return zlib.crc32(text.encode())


def _day(rng: random.Random, start: int, end: int) -> int:
    """A random midnight in [start, end)."""
    days = max(1, (end - start) // DAY)
    return start - start % DAY + rng.randrange(days) * DAY


def build_world(seed: int, meters: int = 10_000) -> World:
    rng = random.Random(seed)
    parties = _parties()
    ids = {role: [p.party_id for p in parties if role in p.roles] for role in Role}
    suppliers = ids[Role.IS]
    supplier_weight = [8 if i < 6 else 2 for i in range(len(suppliers))]

    # meter points: 60% MPAN cores with valid check digits, 40% 10-digit MPRNs
    used: set[str] = set()
    meter_points: list[MeterPoint] = []
    electricity: list[str] = []
    gas: list[str] = []
    for n in range(meters):
        is_electricity = n < meters * 6 // 10
        while True:
            if is_electricity:
                body = f"{rng.randrange(10, 24):02d}{rng.randrange(10**10):010d}"
                mpxn = f"{body}{mpan_check_digit(body)}"
            else:
                mpxn = str(rng.randrange(10**9, 10**10))
            if mpxn not in used:
                used.add(mpxn)
                break
        sector = Sector.NON_DOMESTIC if rng.random() < 0.12 else Sector.DOMESTIC
        meter_points.append(MeterPoint(mpxn, sector, "_A" if is_electricity else "NW"))
        (electricity if is_electricity else gas).append(mpxn)

    appointments: list[Appointment] = []
    current_supplier: dict[str, str] = {}
    for mp in meter_points:
        fuel_role = Role.IS if mp.fuel is Fuel.ELECTRICITY else Role.GS
        first = _day(rng, HISTORY_FROM, HISTORY_FROM + 3 * 365 * DAY)
        changes = rng.choices((0, 1, 2), (82, 15, 3))[0]
        cuts = sorted({_day(rng, first + 60 * DAY, AS_OF - 30 * DAY) for _ in range(changes)})
        holders = [rng.choices(suppliers, supplier_weight)[0]]
        for k in range(len(cuts)):
            if k == 1 and rng.random() < 0.35:  # the first supplier wins the meter back
                holders.append(holders[0])
                continue
            holders.append(rng.choice([s for s in suppliers if s != holders[-1]]))
        bounds = [first, *cuts, FOREVER]
        for k, holder in enumerate(holders):
            start = bounds[k]
            if k and rng.random() < 0.02:  # a short supply gap after the change of supplier
                start += 3 * DAY
            appointments.append(
                Appointment(mp.mpxn, fuel_role, holder, Period(start, bounds[k + 1]))
            )
        current_supplier[mp.mpxn] = holders[-1]

    # networks, shippers, agents and export suppliers on a share of the meter points
    def appoint(pool: list[str], role: Role, count: int, party_of: Callable[[str], str]) -> None:
        for mpxn in rng.sample(pool, count):
            start = _day(rng, HISTORY_FROM - 5 * 365 * DAY, HISTORY_FROM + 4 * 365 * DAY)
            if role in (Role.SH, Role.RSA, Role.MAM) and rng.random() < 0.3:
                cut = _day(rng, start + 90 * DAY, AS_OF - 20 * DAY)
                appointments.append(Appointment(mpxn, role, party_of(mpxn), Period(start, cut)))
                if rng.random() < 0.7:
                    appointments.append(Appointment(mpxn, role, party_of(mpxn + "x"), Period(cut)))
            else:
                appointments.append(Appointment(mpxn, role, party_of(mpxn), Period(start)))

    appoint(electricity, Role.ED, 600, lambda m: ids[Role.ED][int(m[:2]) % 8])
    appoint(gas, Role.GT, 200, lambda m: ids[Role.GT][int(m[-1]) % 4])
    appoint(gas, Role.SH, 250, lambda m: ids[Role.SH][_stable(m) % 6])
    appoint(
        meters_sample(rng, electricity, gas, 80),
        Role.RSA,
        80,
        lambda m: ids[Role.RSA][_stable(m) % 4],
    )
    appoint(
        meters_sample(rng, electricity, gas, 120),
        Role.MAM,
        120,
        lambda m: ids[Role.MAM][_stable(m) % 6],
    )
    appoint(electricity, Role.ES, 100, lambda m: suppliers[_stable(m) % 20])

    # occupancies: tenancies with changes of tenancy, voids, a few returning occupants, MEU sites
    occupancies: list[Occupancy] = []
    tenancies: dict[str, list[Occupancy]] = {}
    consumer_no = 0
    non_domestic = [mp.mpxn for mp in meter_points if mp.sector is Sector.NON_DOMESTIC]
    meu_sites = dict(
        zip(
            rng.sample(non_domestic, 300),
            [p for p in ids[Role.MEU] for _ in range(20)],
            strict=True,
        )
    )
    for mp in meter_points:
        t = _day(rng, HISTORY_FROM - 4 * 365 * DAY, HISTORY_FROM + 365 * DAY)
        stays: list[Occupancy] = []
        while t < AS_OF - 10 * DAY:
            consumer_no += 1
            consumer = f"C{consumer_no:07d}"
            if len(stays) == 2 and rng.random() < 0.08:
                consumer = stays[0].consumer_id  # the first occupant moves back in
            end = t + rng.randrange(300, 6 * 365) * DAY
            if end > AS_OF - 30 * DAY:
                end = FOREVER if rng.random() < 0.96 else AS_OF - rng.randrange(1, 25) * DAY
                end = end if end > t else FOREVER
            stays.append(Occupancy(mp.mpxn, consumer, Period(t, end)))
            if end == FOREVER:
                break
            t = end + (rng.randrange(1, 60) * DAY if rng.random() < 0.3 else 0)
        if mp.mpxn in meu_sites and stays:
            last = stays[-1]
            stays[-1] = Occupancy(mp.mpxn, meu_sites[mp.mpxn], last.period)
            if len(stays) > 2 and rng.random() < 0.3:
                stays[-3] = Occupancy(mp.mpxn, meu_sites[mp.mpxn], stays[-3].period)
        tenancies[mp.mpxn] = stays
        occupancies.extend(stays)

    # devices: one meter per meter point, then IHDs and comms hubs up to 15,000
    devices: list[Device] = []
    guids: set[str] = set()

    def new_guid() -> str:
        while True:
            raw = f"{rng.getrandbits(64):016X}"
            guid = "-".join(raw[i : i + 2] for i in range(0, 16, 2))
            if guid not in guids:
                guids.add(guid)
                return guid

    def device(mpxn: str, kind: DeviceType) -> Device:
        type2 = kind in (DeviceType.IHD, DeviceType.CAD)
        owner = None if type2 or rng.random() < 0.1 else rng.choice(ids[Role.MAP])
        return Device(
            new_guid(),
            kind,
            mpxn,
            rng.choice(MANUFACTURERS),
            f"M{rng.randrange(1, 9)}",
            f"{rng.randrange(1, 5)}.{rng.randrange(10)}",
            None if type2 else DeviceStatus.COMMISSIONED,
            rng.choice(tuple(CspRegion)),
            owner,
            None if type2 else current_supplier[mpxn],
        )

    for mpxn in electricity:
        devices.append(device(mpxn, DeviceType.ESME))
    for mpxn in gas:
        devices.append(device(mpxn, DeviceType.GSME))
    for mpxn in rng.sample(electricity + gas, 3000):
        devices.append(device(mpxn, DeviceType.IHD))
    for mpxn in rng.sample(electricity, 1200):
        devices.append(device(mpxn, DeviceType.CHF))
    for mpxn in rng.sample(gas, 800):
        devices.append(device(mpxn, DeviceType.GPF))

    consents = _consents(rng, ids[Role.OU], tenancies, set(ids[Role.MEU]))
    matrix = load_matrix()
    devices_at: dict[str, list[Device]] = defaultdict(list)
    for d in devices:
        devices_at[d.mpxn].append(d)
    return World(
        parties,
        meter_points,
        appointments,
        occupancies,
        devices,
        consents,
        matrix,
        by_role={role: ids[role] for role in Role},
        electricity=electricity,
        gas=gas,
        devices_at=dict(devices_at),
    )


def meters_sample(rng: random.Random, electricity: list[str], gas: list[str], n: int) -> list[str]:
    return rng.sample(electricity, n // 2) + rng.sample(gas, n - n // 2)


def _consents(
    rng: random.Random,
    apps: list[str],
    tenancies: dict[str, list[Occupancy]],
    meu_parties: set[str],
    count: int = 5000,
) -> list[Consent]:
    """Consents in varied lifecycle states; at most one per (party, meter, consumer, purpose)."""
    stays = [o for per in tenancies.values() for o in per if o.consumer_id not in meu_parties]
    open_stays = [o for o in stays if o.period.end == FOREVER]
    closed_stays = [
        o for o in stays if o.period.end != FOREVER and o.period.end > AT_FROM - 400 * DAY
    ]
    states = ("active", "pending", "withdrawn", "expired", "moved_out")
    seen: set[tuple[str, str, str, str]] = set()
    out: list[Consent] = []
    while len(out) < count:
        state = rng.choices(states, (45, 12, 15, 13, 15))[0]
        stay = rng.choice(closed_stays if state == "moved_out" else open_stays)
        party = rng.choice(apps)
        purpose = rng.choices(PURPOSES, (40, 25, 20, 15))[0]
        key = (party, stay.mpxn, stay.consumer_id, purpose)
        if key in seen:
            continue
        seen.add(key)
        lo = max(stay.period.start, AT_FROM - 2 * 365 * DAY)
        hi = min(stay.period.end, AS_OF - 20 * DAY)
        if lo >= hi:
            continue
        granted = _day(rng, lo, hi) + rng.randrange(48) * HALF_HOUR
        notice: int | None = granted + rng.randrange(0, 3 * DAY)
        expires, withdrawn = FOREVER, None
        if state == "pending":
            notice = None if rng.random() < 0.6 else granted + rng.randrange(30, 400) * DAY
        elif state == "withdrawn":
            withdrawn = granted + rng.randrange(10, 500) * DAY
        elif state == "expired":
            expires = granted + rng.randrange(30, 400) * DAY
        elif rng.random() < 0.2:
            expires = AS_OF + 365 * DAY
        shape = rng.random()
        if shape < 0.4:
            data_from = stay.period.start
        elif shape < 0.6:  # reaches back before the consumer moved in: clipped by occupancy
            data_from = stay.period.start - rng.randrange(30, 400) * DAY
        elif shape < 0.85:
            data_from = granted - 365 * DAY
        else:
            data_from = granted
        data_to = FOREVER if rng.random() < 0.75 else data_from + rng.randrange(180, 900) * DAY
        out.append(
            Consent(
                f"K{len(out):05d}",
                stay.consumer_id,
                stay.mpxn,
                party,
                purpose,
                rng.choice(PURPOSE_GROUPS[purpose]),
                Period(data_from, data_to),
                granted,
                "ihd_guid",
                expires,
                withdrawn,
                notice,
            )
        )
    return out


def build_snapshot(world: World) -> Snapshot:
    return Snapshot.build(
        parties=world.parties,
        meter_points=world.meter_points,
        appointments=world.appointments,
        occupancies=world.occupancies,
        devices=world.devices,
        consents=world.consents,
        matrix_versions=[world.matrix],
    )


# ---------------------------------------------------------------------------------------------
# Requests: a deterministic mix, realistic for a hub
# ---------------------------------------------------------------------------------------------

MIX = (
    ("supplier series", 42),
    ("supplier reference", 8),
    ("other user", 15),
    ("network or shipper", 7),
    ("major energy user", 6),
    ("device inventory", 7),
    ("agent", 3),
    ("export", 2),
    ("no relationship", 5),
    ("invalid", 5),
)


def build_requests(world: World, n: int, seed: int) -> tuple[list[DataRequest], list[str]]:
    rng = random.Random(seed)
    supplier_appts = [a for a in world.appointments if a.role in (Role.IS, Role.GS)]
    by_role: dict[Role, list[Appointment]] = defaultdict(list)
    for a in world.appointments:
        by_role[a.role].append(a)
    meu_stays = [o for o in world.occupancies if o.consumer_id.startswith("MEU")]
    manufacturer_of = {p.party_id: p.manufacturer for p in world.parties if p.manufacturer}
    devices_by_owner: dict[str, list[Device]] = defaultdict(list)
    devices_by_maker: dict[str, list[Device]] = defaultdict(list)
    for d in world.devices:
        if d.owner_party_id:
            devices_by_owner[d.owner_party_id].append(d)
        devices_by_maker[d.manufacturer].append(d)
    names, weights = zip(*MIX, strict=True)
    requests: list[DataRequest] = []
    labels: list[str] = []

    def at_after(start: int) -> int:
        lo = max(AT_FROM, start + DAY)
        return lo + rng.randrange(max(1, AS_OF - lo))

    def recent(at: int, days: int = 30) -> tuple[int, int | None]:
        end = at - rng.randrange(0, 3) * DAY - at % HALF_HOUR
        start = end - rng.randrange(1, days + 1) * DAY
        return start, (None if rng.random() < 0.3 else end)

    def add(
        label: str,
        party: str,
        role: str,
        channel: str,
        item: str,
        subject: str,
        start: int | None,
        end: int | None,
        at: int,
        purpose: str = "",
    ) -> None:
        rid = f"R{len(requests):06d}"
        requests.append(
            DataRequest(
                rid, party, str(role), Channel(channel), item, subject, start, end, at, purpose
            )
        )
        labels.append(label)

    while len(requests) < n:
        kind = rng.choices(names, weights)[0]
        if kind == "supplier series":
            a = rng.choice(supplier_appts)
            at = at_after(a.period.start)
            item = rng.choices(("hh_consumption", "daily_consumption", "alerts"), (70, 20, 10))[0]
            channel = "BULK" if rng.random() < 0.2 else "API"
            supply_end = min(a.period.end, at)
            shape = rng.random()
            if shape < 0.55:  # inside the supply period
                end = supply_end - rng.randrange(0, 30) * DAY
                start = max(a.period.start, end - rng.randrange(1, 60) * DAY)
                if start >= end:
                    start, end = a.period.start, supply_end
                label = "supplier: inside own supply"
            elif shape < 0.7:
                start, end = recent(at, 14)
                label = "supplier: recent data"
            elif shape < 0.85:  # straddles the supply start
                start = a.period.start - rng.randrange(1, 60) * DAY
                end = a.period.start + rng.randrange(1, 60) * DAY
                label = "supplier: straddles supply start"
            elif shape < 0.95 and a.period.end < at:  # former supplier, after a change of supplier
                start = a.period.end - rng.randrange(1, 30) * DAY
                end = a.period.end + rng.randrange(1, 30) * DAY
                label = "former supplier: straddles loss"
            else:
                start = a.period.start - rng.randrange(30, 400) * DAY
                end = start + rng.randrange(1, 29) * DAY
                label = "supplier: before supply"
            add(label, a.party_id, a.role, channel, item, a.mpxn, start, end, at)
        elif kind == "supplier reference":
            a = rng.choice(supplier_appts)
            at = at_after(a.period.start)
            item = rng.choice(
                ("registration", "supply_address", "meter_point_details", "annual_quantity")
            )
            if rng.random() < 0.6:
                add(
                    "supplier: current value",
                    a.party_id,
                    a.role,
                    "API",
                    item,
                    a.mpxn,
                    None,
                    None,
                    at,
                )
            else:
                start = max(a.period.start, at - rng.randrange(1, 700) * DAY)
                add(
                    "supplier: historic reference",
                    a.party_id,
                    a.role,
                    rng.choice(("API", "BULK")),
                    item,
                    a.mpxn,
                    start,
                    at,
                    at,
                )
        elif kind == "other user":
            c = rng.choice(world.consents)
            at = at_after(c.granted_at - 30 * DAY)
            purpose = c.purpose if rng.random() < 0.9 else rng.choice(PURPOSES)
            groups = sorted(c.data_groups)
            group = rng.choice(groups)
            if group is Group.CONSUMPTION:
                item = rng.choice(("hh_consumption", "daily_consumption", "hh_consumption"))
                start, end = recent(at, 60)
                if rng.random() < 0.25:  # asks from before the consent's window or the move-in
                    start = c.data_period.start - rng.randrange(1, 90) * DAY
                add(
                    "other user: consumption",
                    c.party_id,
                    "OU",
                    "API",
                    item,
                    c.mpxn,
                    start,
                    end,
                    at,
                    purpose,
                )
            elif group is Group.INVENTORY:
                subject = rng.choice(world.devices_at[c.mpxn]).guid
                add(
                    "other user: device",
                    c.party_id,
                    "OU",
                    "API",
                    "device_inventory",
                    subject,
                    None,
                    None,
                    at,
                    purpose,
                )
            else:
                item = {
                    Group.METER_POINT: "meter_point_details",
                    Group.ADDRESS: "supply_address",
                    Group.REGISTRATION: "registration",
                    Group.ALERTS: "alerts",
                }[group]
                if rng.random() < 0.7 and item != "alerts":
                    add(
                        "other user: current value",
                        c.party_id,
                        "OU",
                        "API",
                        item,
                        c.mpxn,
                        None,
                        None,
                        at,
                        purpose,
                    )
                else:
                    start, end = recent(at, 90)
                    add(
                        "other user: historic",
                        c.party_id,
                        "OU",
                        "API",
                        item,
                        c.mpxn,
                        start,
                        end,
                        at,
                        purpose,
                    )
        elif kind == "network or shipper":
            role = rng.choice((Role.ED, Role.GT, Role.SH))
            a = rng.choice(by_role[role])
            at = at_after(a.period.start)
            item = rng.choice(
                {
                    Role.ED: (
                        "alerts",
                        "meter_point_details",
                        "annual_quantity",
                        "registration",
                        "hh_consumption",
                    ),
                    Role.GT: ("alerts", "meter_point_details", "annual_quantity", "supply_address"),
                    Role.SH: (
                        "hh_consumption",
                        "meter_point_details",
                        "annual_quantity",
                        "registration",
                    ),
                }[role]
            )
            series = CATALOGUE[item].is_series
            if series or rng.random() < 0.4:
                start, end = recent(at, 60)
            else:
                start, end = None, None
            subject = (
                a.mpxn
                if rng.random() < 0.85
                else rng.choice(world.gas if role is not Role.ED else world.electricity)
            )
            add(
                f"{role.value}: {item}",
                a.party_id,
                role.value,
                rng.choice(("API", "API", "BULK")),
                item,
                subject,
                start,
                end,
                at,
            )
        elif kind == "major energy user":
            o = rng.choice(meu_stays)
            at = at_after(o.period.start)
            shape = rng.random()
            if shape < 0.1:  # the consumer's own contact details: through the portal only
                item = rng.choice(("consumer_contact", "emergency_contact", "priority_services"))
                channel = rng.choice(("PORTAL", "PORTAL", "API"))
                add(
                    "MEU: contact details",
                    o.consumer_id,
                    "MEU",
                    channel,
                    item,
                    o.mpxn,
                    None,
                    None,
                    at,
                )
                continue
            if shape < 0.2:
                guid = rng.choice(world.devices_at[o.mpxn]).guid
                channel = rng.choice(("API", "PORTAL", "BULK"))
                add(
                    "MEU: device inventory",
                    o.consumer_id,
                    "MEU",
                    channel,
                    "device_inventory",
                    guid,
                    None,
                    None,
                    at,
                )
                continue
            item = rng.choice(
                ("hh_consumption", "daily_consumption", "supply_address", "annual_quantity")
            )
            subject = o.mpxn if rng.random() < 0.9 else rng.choice(world.electricity)
            if CATALOGUE[item].is_series or rng.random() < 0.3:
                start, end = recent(at, 90)
                if rng.random() < 0.15:
                    start = o.period.start - rng.randrange(1, 60) * DAY
            else:
                start, end = None, None
            add(
                "MEU: own site",
                o.consumer_id,
                "MEU",
                rng.choice(("API", "PORTAL")),
                item,
                subject,
                start,
                end,
                at,
            )
        elif kind == "device inventory":
            at = AT_FROM + rng.randrange(AS_OF - AT_FROM)
            who = rng.random()
            if who < 0.4:
                party = rng.choice(world.by_role[Role.MAP])
                pool = devices_by_owner[party] if rng.random() < 0.8 else world.devices
                role = "MAP"
            elif who < 0.75:
                party = rng.choice(world.by_role[Role.DM])
                pool = (
                    devices_by_maker[manufacturer_of[party]]
                    if rng.random() < 0.8
                    else world.devices
                )
                role = "DM"
            else:
                a = rng.choice(supplier_appts)
                party, role = a.party_id, a.role.value
                at = at_after(a.period.start)
                pool = world.devices_at[a.mpxn]
            d = rng.choice(pool)
            channel = rng.choice(("API", "API", "BULK", "PORTAL"))
            if rng.random() < 0.85:
                add(
                    f"{role}: device inventory",
                    party,
                    role,
                    channel,
                    "device_inventory",
                    d.guid,
                    None,
                    None,
                    at,
                )
            else:
                add(
                    f"{role}: device history",
                    party,
                    role,
                    channel,
                    "device_inventory",
                    d.guid,
                    at - 90 * DAY,
                    None,
                    at,
                )
        elif kind == "agent":
            role = rng.choice((Role.RSA, Role.MAM))
            a = rng.choice(by_role[role])
            at = at_after(a.period.start)
            item = rng.choice(("alerts", "meter_point_details", "registration", "supply_address"))
            if item == "alerts" or rng.random() < 0.3:
                start, end = recent(at, 20)
            else:
                start, end = None, None
            add(
                f"{role.value}: {item}", a.party_id, role.value, "API", item, a.mpxn, start, end, at
            )
        elif kind == "export":
            a = rng.choice(by_role[Role.ES])
            at = at_after(a.period.start)
            start, end = recent(at, 30)
            add(
                "ES: export",
                a.party_id,
                "ES",
                rng.choice(("API", "BULK")),
                "hh_export",
                a.mpxn,
                start,
                end,
                at,
            )
        elif kind == "no relationship":
            party = rng.choice(
                world.by_role[Role.IS] + world.by_role[Role.OU] + world.by_role[Role.MEU]
            )
            role = {"S": "IS", "A": "OU", "M": "MEU"}[party[0]]
            subject = rng.choice(world.electricity + world.gas)
            at = AT_FROM + rng.randrange(AS_OF - AT_FROM)
            start, end = recent(at, 30)
            add(
                "no relationship",
                party,
                role,
                "API",
                "hh_consumption",
                subject,
                start,
                end,
                at,
                rng.choice(PURPOSES),
            )
        else:
            a = rng.choice(supplier_appts)
            at = at_after(a.period.start)
            start, end = recent(at, 30)
            case = rng.randrange(8)
            if case == 0:
                add(
                    "invalid: unknown meter point",
                    a.party_id,
                    a.role,
                    "API",
                    "hh_consumption",
                    str(rng.randrange(10**12, 10**13)),
                    start,
                    end,
                    at,
                )
            elif case == 1:
                add(
                    "invalid: device for a meter item",
                    a.party_id,
                    a.role,
                    "API",
                    "hh_consumption",
                    rng.choice(world.devices).guid,
                    start,
                    end,
                    at,
                )
            elif case == 2:
                add(
                    "invalid: from not before to",
                    a.party_id,
                    a.role,
                    "API",
                    "hh_consumption",
                    a.mpxn,
                    start,
                    start,
                    at,
                )
            elif case == 3:
                add(
                    "invalid: from in the future",
                    a.party_id,
                    a.role,
                    "API",
                    "hh_consumption",
                    a.mpxn,
                    at + DAY,
                    None,
                    at,
                )
            elif case == 4:
                add(
                    "invalid: series without from",
                    a.party_id,
                    a.role,
                    "API",
                    "daily_consumption",
                    a.mpxn,
                    None,
                    None,
                    at,
                )
            elif case == 5:
                item = rng.choice(("consumer_contact", "emergency_contact", "priority_services"))
                add(
                    "invalid: excluded group",
                    a.party_id,
                    a.role,
                    rng.choice(("API", "BULK")),
                    item,
                    a.mpxn,
                    None,
                    None,
                    at,
                )
            elif case == 6:
                add(
                    "invalid: unknown party",
                    "NOBODY",
                    a.role,
                    "API",
                    "hh_consumption",
                    a.mpxn,
                    start,
                    end,
                    at,
                )
            else:
                add(
                    "invalid: role not held",
                    a.party_id,
                    "MAP",
                    "API",
                    "device_inventory",
                    world.devices_at[a.mpxn][0].guid,
                    None,
                    None,
                    at,
                )
    return requests, labels


# ---------------------------------------------------------------------------------------------
# Converters shared by the anchors: the same records, indexed independently of MeterGuard
# ---------------------------------------------------------------------------------------------

SLOTS = 3  # stretches per relationship, consents per (party, meter point): Cedar has no loops


def merged(periods: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint, non-adjacent stretches (a party's own adjacent periods join)."""
    out: list[list[int]] = []
    for start, end in sorted(periods):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


@dataclass
class Facts:
    """The world as the anchors' integrations see it, keyed the way they look things up."""

    roles: dict[str, frozenset[str]]
    manufacturer: dict[str, str]
    known_meter_points: set[str]
    devices: dict[str, Device]
    # (party, role, mpxn) -> merged stretches; appointments, and MEU's own occupancy
    stretches: dict[tuple[str, str, str], list[tuple[int, int]]]
    # (consumer, mpxn) -> merged occupancy stretches
    occupancy: dict[tuple[str, str], list[tuple[int, int]]]
    consents: dict[tuple[str, str], list[Consent]]  # (party, mpxn) -> consents
    cells: dict[tuple[str, str, str], str]  # (item, role, channel) -> access letter
    effective_from: int
    version: int


def index_facts(world: World) -> Facts:
    roles = {p.party_id: frozenset(r.value for r in p.roles) for p in world.parties}
    raw: dict[tuple[str, str, str], list[tuple[int, int]]] = defaultdict(list)
    for a in world.appointments:
        raw[(a.party_id, a.role.value, a.mpxn)].append((a.period.start, a.period.end))
    occupancy_raw: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for o in world.occupancies:
        occupancy_raw[(o.consumer_id, o.mpxn)].append((o.period.start, o.period.end))
        if "MEU" in roles.get(o.consumer_id, ()):
            raw[(o.consumer_id, "MEU", o.mpxn)].append((o.period.start, o.period.end))
    consents: dict[tuple[str, str], list[Consent]] = defaultdict(list)
    for c in world.consents:
        consents[(c.party_id, c.mpxn)].append(c)
    facts = Facts(
        roles=roles,
        manufacturer={p.party_id: p.manufacturer for p in world.parties},
        known_meter_points={m.mpxn for m in world.meter_points},
        devices={d.guid: d for d in world.devices},
        stretches={k: merged(v) for k, v in raw.items()},
        occupancy={k: merged(v) for k, v in occupancy_raw.items()},
        consents=dict(consents),
        cells={
            (k.item, k.role.value, k.channel.value): a.value for k, a in world.matrix.cells.items()
        },
        effective_from=world.matrix.effective_from,
        version=world.matrix.version,
    )
    worst = max((len(v) for v in facts.stretches.values()), default=0)
    worst_occ = max((len(v) for v in facts.occupancy.values()), default=0)
    worst_consents = max((len(v) for v in facts.consents.values()), default=0)
    if max(worst, worst_occ, worst_consents) > SLOTS:
        raise SystemExit(
            f"the world needs more than {SLOTS} slots: {worst}, {worst_occ}, {worst_consents}"
        )
    return facts


# ---------------------------------------------------------------------------------------------
# Cedar: policies (benchmarks/cedar/policies.cedar), entities, requests
# ---------------------------------------------------------------------------------------------


def _any(parts: Iterable[str]) -> str:
    return "(" + " || ".join(parts) + ")"


def _inside(s: str, e: str) -> str:
    return f"({s} <= context.at && context.at < {e})"


def _covers(s: str, e: str) -> str:
    # asked = [from, min(to, at)): covered when from >= s and min(to, at) <= e
    return f"({s} <= context.from && (context.to <= {e} || context.at <= {e}))"


def _slots(record: str) -> list[tuple[str, str]]:
    return [(f"{record}.s{i}", f"{record}.e{i}") for i in range(SLOTS)]


def _window_h(record: str) -> str:
    inside = _any(_inside(s, e) for s, e in _slots(record))
    covers = _any(_covers(s, e) for s, e in _slots(record))
    return f"((context.cur && {inside}) || (!context.cur && {covers}))"


def _window_c(record: str) -> str:
    inside = _any(_inside(s, e) for s, e in _slots(record))
    both = _any(f"({_inside(s, e)} && {_covers(s, e)})" for s, e in _slots(record))
    return f"((context.cur && {inside}) || (!context.cur && context.item.series && {both}))"


def _consent(c: str, access: str) -> str:
    occupied_now = _any(_inside(s, e) for s, e in _slots(f"{c}.o"))
    match = f"{c}.purpose == context.purpose && {c}.groups.contains(context.item.group)"
    active = (
        f"{c}.granted <= context.at && context.at < {c}.expires && "
        f"context.at < {c}.withdrawn && {c}.notice <= context.at && {occupied_now}"
    )
    data_now, data_covers = _inside(f"{c}.ds", f"{c}.de"), _covers(f"{c}.ds", f"{c}.de")
    if access == "H":
        occ_covers = _any(_covers(s, e) for s, e in _slots(f"{c}.o"))
        window = f"((context.cur && {data_now}) || (!context.cur && {data_covers} && {occ_covers}))"
    else:
        occ_both = _any(f"({_inside(s, e)} && {_covers(s, e)})" for s, e in _slots(f"{c}.o"))
        window = (
            f"({data_now} && (context.cur || (context.item.series && {data_covers} && {occ_both})))"
        )
    return f"({match} && {active} && {window})"


def cedar_policies() -> str:
    """The Cedar policy set for ACCESS-RULES 3 to 7 (whole-period answers only).

    Entities (built by ``cedar_entities`` from the same records MeterGuard gets):
    - ``PartyRole::"P/R"`` exists only when party P holds role R (unknown party or role: no
      entity, every policy errors, deny); attrs party, role, key "P/R", rel (period | consent |
      owner | maker).
    - ``Item::"item@CHANNEL"``: group, series, device, channel, effective_from of the matrix
      version; one tag per configured matrix cell, keyed by role, valued with the access letter
      (absent tag: not configured).
    - ``MeterPoint::"mpxn"``: known; one tag per relationship keyed "P/R": for appointment roles
      and MEU the party's merged stretches in slots s0/e0..s2/e2 (empty slots are [0, 0)); for OU
      up to three consents c0..c2, each with its window, lifecycle instants and its consumer's own
      occupancy stretches at the meter point (o.s0/o.e0..).
    - ``Device::"guid"``: known, mp (its meter point), owner (Party or Party::"-"), manufacturer.
    Request: principal PartyRole "P/R", action read, resource MeterPoint or Device (by the
    subject's syntax), context item, cur (no from: current value), from, to (FOREVER when open),
    at, purpose. ``to`` is clipped to ``at`` inside the policies.
    """
    cell = "context.item.getTag(principal.role)"
    guard = (
        "context.at >= context.item.effective_from && context.item.hasTag(principal.role) && "
        "resource.known && ((context.cur && !context.item.series) || "
        "(!context.cur && context.from < context.to && context.from < context.at))"
    )
    excluded = ", ".join(f'"{g.value}"' for g in sorted(EXCLUDED_GROUPS))
    policies = [
        "// ACCESS-RULES 3 and step 6: excluded groups never leave through API or BULK, whatever the matrix says.",
        '@id("excluded-group-floor")',
        "forbid (principal, action, resource)",
        f'when {{ [{excluded}].contains(context.item.group) && ["API", "BULK"].contains(context.item.channel) }};',
        "",
        "// Step 8: cell A, community view: any existing subject of the right kind, current value only.",
        '@id("community-view")',
        'permit (principal is PartyRole, action == Action::"read", resource)',
        f'when {{ ((context.item.device && resource is Device) || (!context.item.device && resource is MeterPoint)) && {guard} && {cell} == "A" && context.cur }};',
    ]
    subjects = (
        ("MeterPoint", "resource", "!context.item.device"),
        ("Device", "resource.mp", "context.item.device"),
    )
    for type_name, meter, kind in subjects:
        tag = f"{meter}.getTag(principal.key)"
        for access, window in (("H", _window_h(tag)), ("C", _window_c(tag))):
            policies += [
                "",
                f"// Steps 10-13, appointment roles and MEU, cell {access}, {type_name} subject.",
                f'@id("stretches-{access}-{type_name}")',
                f'permit (principal is PartyRole, action == Action::"read", resource is {type_name})',
                f'when {{ {kind} && {guard} && principal.rel == "period" && {cell} == "{access}" && {meter}.hasTag(principal.key) && {window} }};',
            ]
        for access in ("H", "C"):
            any_consent = _any(_consent(f"{tag}.c{i}", access) for i in range(SLOTS))
            policies += [
                "",
                f"// Steps 9-13, Other User under an active matching consent, cell {access}, {type_name} subject.",
                f'@id("consent-{access}-{type_name}")',
                f'permit (principal is PartyRole, action == Action::"read", resource is {type_name})',
                f'when {{ {kind} && {guard} && principal.rel == "consent" && {cell} == "{access}" && {meter}.hasTag(principal.key) && {any_consent} }};',
            ]
    all_time = f'({cell} == "H" || ({cell} == "C" && (context.cur || context.item.series)))'
    policies += [
        "",
        "// MAP: all time, for the device's owner; a meter point subject gives nothing.",
        '@id("device-owner")',
        'permit (principal is PartyRole, action == Action::"read", resource is Device)',
        f'when {{ context.item.device && {guard} && principal.rel == "owner" && resource.owner == principal.party && {all_time} }};',
        "",
        "// DM: all time, when the device's manufacturer is the party's manufacturer name.",
        '@id("device-manufacturer")',
        'permit (principal is PartyRole, action == Action::"read", resource is Device)',
        f'when {{ context.item.device && {guard} && principal.rel == "maker" && principal.party.manufacturer != "" && resource.manufacturer == principal.party.manufacturer && {all_time} }};',
    ]
    header = (
        "// MeterGuard access rules (ACCESS-RULES 3-7) for Cedar: GENERATED by\n"
        "// `uv run --group bench python benchmarks/decisions.py --write-cedar`; do not edit by hand.\n"
        "// Cedar has no loops over sets, so relationships are fixed slots (see cedar_policies()).\n\n"
    )
    return header + "\n".join(policies) + "\n"


_REL_KIND = {"OU": "consent", "MAP": "owner", "DM": "maker"}
_EMPTY_SLOTS = {f"{p}{i}": 0 for i in range(SLOTS) for p in ("s", "e")}
_NO_CONSENT = {
    "purpose": "",
    "groups": [],
    "ds": 0,
    "de": 0,
    "granted": FOREVER,
    "expires": 0,
    "withdrawn": 0,
    "notice": FOREVER,
    "o": _EMPTY_SLOTS,
}


def _uid(kind: str, ident: str) -> dict[str, str]:
    return {"type": kind, "id": ident}


def _ref(kind: str, ident: str) -> dict[str, dict[str, str]]:
    return {"__entity": _uid(kind, ident)}


def _slot_record(stretches: Sequence[tuple[int, int]]) -> dict[str, int]:
    record = dict(_EMPTY_SLOTS)
    for i, (s, e) in enumerate(stretches):
        record[f"s{i}"], record[f"e{i}"] = s, e
    return record


def _consent_record(c: Consent, facts: Facts) -> dict[str, object]:
    return {
        "purpose": c.purpose,
        "groups": sorted(g.value for g in c.data_groups),
        "ds": c.data_period.start,
        "de": c.data_period.end,
        "granted": c.granted_at,
        "expires": c.expires_at,
        "withdrawn": FOREVER if c.withdrawn_at is None else c.withdrawn_at,
        "notice": FOREVER if c.notice_sent_at is None else c.notice_sent_at,
        "o": _slot_record(facts.occupancy.get((c.consumer_id, c.mpxn), ())),
    }


class CedarStore:
    """What an integration holds: one entity dict per uid, re-derived per meter point on change."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.tags: dict[str, dict[str, object]] = defaultdict(dict)
        for (party, role, mpxn), stretches in facts.stretches.items():
            self.tags[mpxn][f"{party}/{role}"] = _slot_record(stretches)
        for party, mpxn in facts.consents:
            self._consent_tag(party, mpxn)
        self.entities: dict[tuple[str, str], dict[str, object]] = {}
        for party, roles in facts.roles.items():
            self._put("Party", party, {"manufacturer": facts.manufacturer[party]})
            for role in roles:
                attrs = {
                    "party": _ref("Party", party),
                    "role": role,
                    "key": f"{party}/{role}",
                    "rel": _REL_KIND.get(role, "period"),
                }
                self._put("PartyRole", f"{party}/{role}", attrs, parents=[_uid("Party", party)])
        by_item: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        for (item, role, channel), access in facts.cells.items():
            by_item[(item, channel)][role] = access
        for item in CATALOGUE.values():
            for channel in Channel:
                attrs = {
                    "group": item.group.value,
                    "series": item.is_series,
                    "device": item.subject is SubjectKind.DEVICE,
                    "channel": channel.value,
                    "effective_from": facts.effective_from,
                }
                self._put(
                    "Item",
                    f"{item.name}@{channel.value}",
                    attrs,
                    tags=by_item[(item.name, channel.value)],
                )
        for mpxn in facts.known_meter_points:
            self.put_meter_point(mpxn)
        for d in facts.devices.values():
            attrs = {
                "known": True,
                "mp": _ref("MeterPoint", d.mpxn),
                "owner": _ref("Party", d.owner_party_id or "-"),
                "manufacturer": d.manufacturer,
            }
            self._put("Device", d.guid, attrs)

    def _consent_tag(self, party: str, mpxn: str) -> None:
        if "OU" not in self.facts.roles.get(party, ()):
            return
        records = [
            _consent_record(c, self.facts) for c in self.facts.consents.get((party, mpxn), ())
        ]
        slots = {f"c{i}": records[i] if i < len(records) else _NO_CONSENT for i in range(SLOTS)}
        self.tags[mpxn][f"{party}/OU"] = slots

    def _put(
        self,
        kind: str,
        ident: str,
        attrs: dict[str, object],
        parents: list[dict[str, str]] | None = None,
        tags: dict[str, object] | None = None,
    ) -> None:
        entity: dict[str, object] = {
            "uid": _uid(kind, ident),
            "attrs": attrs,
            "parents": parents or [],
        }
        if tags:
            entity["tags"] = tags
        self.entities[(kind, ident)] = entity

    def put_meter_point(self, mpxn: str) -> None:
        self._put("MeterPoint", mpxn, {"known": True}, tags=self.tags.get(mpxn))

    def put_consent(self, consent: Consent) -> None:
        """A consent changed: re-derive its meter point's entity, as an integration would."""
        per = self.facts.consents[(consent.party_id, consent.mpxn)]
        per[:] = [consent if c.consent_id == consent.consent_id else c for c in per]
        self._consent_tag(consent.party_id, consent.mpxn)
        self.put_meter_point(consent.mpxn)

    def store_json(self) -> str:
        return json.dumps(list(self.entities.values()))

    def slice_json(self, request: DataRequest) -> str:
        """Only the entities one request can reach: its principal, party, item, subject(s)."""
        wanted = [
            ("PartyRole", f"{request.party_id}/{request.role}"),
            ("Party", request.party_id),
            ("Item", f"{request.item}@{request.channel.value}"),
        ]
        if GUID.match(request.subject):
            wanted.append(("Device", request.subject))
            device = self.facts.devices.get(request.subject)
            if device is not None:
                wanted.append(("MeterPoint", device.mpxn))
        else:
            wanted.append(("MeterPoint", request.subject))
        return json.dumps([self.entities[k] for k in wanted if k in self.entities])


def cedar_request(request: DataRequest) -> dict[str, object]:
    """The request in Cedar's form; a pure function of the request, no facts looked up."""
    resource = "Device" if GUID.match(request.subject) else "MeterPoint"
    context = {
        "item": _ref("Item", f"{request.item}@{request.channel.value}"),
        "cur": request.start is None,
        "from": 0 if request.start is None else request.start,
        "to": FOREVER if request.end is None else request.end,
        "at": request.at,
        "purpose": request.purpose,
    }
    return {
        "principal": _uid("PartyRole", f"{request.party_id}/{request.role}"),
        "action": _uid("Action", "read"),
        "resource": _uid(resource, request.subject),
        "context": json.dumps(context),  # pre-serialised: cedarpy's best case
    }


# ---------------------------------------------------------------------------------------------
# Casbin: model (benchmarks/casbin/model.conf), policy rows and grouping links, requests
# ---------------------------------------------------------------------------------------------

_NO_DEVICE = SimpleNamespace(guid="", owner="", manufacturer="")


def _occ_text(stretches: Sequence[tuple[int, int]]) -> str:
    return ";".join(f"{s}:{e}" for s, e in stretches)


def _occ(text: str) -> list[tuple[int, int]]:
    if not text:
        return []
    return [(int(s), int(e)) for s, e in (part.split(":") for part in text.split(";"))]


def _inside_fn(at: int, s: str, e: str) -> bool:
    return int(s) <= at < int(e)


def _covers_fn(s: str, e: str, start: int, end: int) -> bool:
    return int(s) <= start and end <= int(e)


def _occ_inside_fn(text: str, at: int) -> bool:
    return any(s <= at < e for s, e in _occ(text))


def _occ_covers_fn(text: str, start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in _occ(text))


def _occ_covers_at_fn(text: str, at: int, start: int, end: int) -> bool:
    return any(s <= at < e and s <= start and end <= e for s, e in _occ(text))


CASBIN_FUNCTIONS: dict[str, Callable[..., object]] = {
    "num": int,
    "min": min,
    "inside": _inside_fn,
    "covers": _covers_fn,
    "occ_inside": _occ_inside_fn,
    "occ_covers": _occ_covers_fn,
    "occ_covers_at": _occ_covers_at_fn,
}


def casbin_consent_row(c: Consent, facts: Facts) -> list[str]:
    items = " ".join(i.name for i in CATALOGUE.values() if i.group in c.data_groups)
    return [
        c.party_id,
        c.mpxn,
        "OU",
        "consent",
        str(c.data_period.start),
        str(c.data_period.end),
        c.purpose,
        f" {items} ",
        str(c.granted_at),
        str(c.expires_at),
        str(FOREVER if c.withdrawn_at is None else c.withdrawn_at),
        str(FOREVER if c.notice_sent_at is None else c.notice_sent_at),
        _occ_text(facts.occupancy.get((c.consumer_id, c.mpxn), ())),
    ]


def casbin_rows(facts: Facts) -> tuple[list[list[str]], list[list[str]]]:
    """Policy rows keyed (party, meter point) and grouping links, from the same records."""
    rows = [
        [party, mpxn, role, "period", str(s), str(e), "", "", "", "", "", "", ""]
        for (party, role, mpxn), stretches in facts.stretches.items()
        for s, e in stretches
    ]
    rows += [
        casbin_consent_row(c, facts)
        for per in facts.consents.values()
        for c in per
        if "OU" in facts.roles.get(c.party_id, ())
    ]
    links = [[party, role] for party, roles in facts.roles.items() for role in sorted(roles)]
    links += [
        [party, f"mfr:{name}"]
        for party, name in facts.manufacturer.items()
        if name and "DM" in facts.roles[party]
    ]
    links += [
        [f"cell:v{facts.version}:{item}/{role}/{channel}", f"access:{access}"]
        for (item, role, channel), access in facts.cells.items()
    ]
    for item in CATALOGUE.values():
        if item.is_series:
            links.append([f"item:{item.name}", "trait:series"])
        if item.subject is SubjectKind.DEVICE:
            links.append([f"item:{item.name}", "trait:device"])
        if item.group in EXCLUDED_GROUPS:
            links.append([f"item:{item.name}", "trait:excluded"])
    links += [[mpxn, "kind:meter_point"] for mpxn in facts.known_meter_points]
    return rows, links


class RowsAdapter(casbin.persist.Adapter):
    """Loads the rows the way casbin's own file and database adapters do (one append per line).

    Loading them through ``add_policies`` instead takes minutes: with FastEnforcer, every
    ``Model.add_policy`` calls ``len()`` on the FastPolicy, which walks every row.
    """

    def __init__(self, rows: list[list[str]], links: list[list[str]]) -> None:
        self.rows, self.links = rows, links

    def load_policy(self, model: casbin.model.Model) -> None:
        for row in self.rows:
            model.model["p"]["p"].policy.append(row)
        for link in self.links:
            model.model["g"]["g"].policy.append(link)


def build_casbin(facts: Facts) -> casbin.FastEnforcer:
    # FastEnforcer indexes the policy rows by (party, meter point): request fields 0 and 1.
    rows, links = casbin_rows(facts)
    enforcer = casbin.FastEnforcer(
        str(CASBIN_MODEL), RowsAdapter(rows, links), cache_key_order=[0, 1]
    )
    for name, function in CASBIN_FUNCTIONS.items():
        enforcer.add_function(name, function)
    versions = [(facts.effective_from, f"v{facts.version}")]

    def version_at(at: int) -> str:
        """The matrix version in force at ``at`` (the latest effective_from <= at), or none."""
        in_force = [name for start, name in versions if start <= at]
        return in_force[-1] if in_force else "none"

    enforcer.add_function("version_at", version_at)
    return enforcer


def casbin_args(request: DataRequest, facts: Facts) -> tuple[object, ...]:
    """The PEP's part: resolve a device subject to its record (ABAC) and its meter point."""
    device = facts.devices.get(request.subject)
    dev = _NO_DEVICE
    obj = request.subject
    if device is not None:
        dev = SimpleNamespace(
            guid=device.guid, owner=device.owner_party_id or "", manufacturer=device.manufacturer
        )
        obj = device.mpxn
    current = request.start is None
    return (
        request.party_id,
        obj,
        request.role,
        request.channel.value,
        request.item,
        current,
        0 if current else request.start,
        FOREVER if request.end is None else request.end,
        request.at,
        request.purpose,
        dev,
    )


# ---------------------------------------------------------------------------------------------
# MeterGuard's batch engine: the marked place for it
# ---------------------------------------------------------------------------------------------


_BATCH_ENGINES: dict[int, BatchEngine] = {}


def meterguard_batch(requests: Sequence[DataRequest], snapshot: Snapshot) -> BatchDecisions:
    """MeterGuard's batch engine from Python request objects: encode them into columns, decide.
    Its answers stay columnar (codes and allowed periods as arrays), as a bulk caller uses them;
    making a ``Decision`` object per request would cost more than deciding."""
    engine = _BATCH_ENGINES.get(id(snapshot))
    if engine is None:
        engine = _BATCH_ENGINES[id(snapshot)] = BatchEngine(snapshot)
    return engine.decide(engine.encode(requests), requests)


def measure_change_batch(snapshot: Snapshot, cases: list[ChangeCase]) -> tuple[list[int], int]:
    """As ``measure_change_meterguard``, with the next answer from the batch engine."""
    clock, spans, changed = time.perf_counter_ns, [], 0
    for case in cases:
        withdrawn = _withdrawn(case)
        t0 = clock()
        snapshot.put_consent(withdrawn)
        answer = meterguard_batch([case.request], snapshot)
        spans.append(clock() - t0)
        changed += answer.code(0) is not Code.OK
        snapshot.put_consent(case.consent)  # restore, outside the timing
    return spans, changed


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    engine: str
    p50_us: float | None = None
    p99_us: float | None = None
    throughput: float | None = None
    change_us: tuple[float, float] | None = None  # p50, max
    change_note: str = ""
    agreement: tuple[int, int] | None = None  # agreeing, compared
    note: str = ""


def percentile(values: Sequence[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000.0


def latencies(call: Callable[[object], object], inputs: Sequence[object], warm: int) -> list[int]:
    for x in inputs[:warm]:
        call(x)
    clock = time.perf_counter_ns
    out = [0] * len(inputs)
    for i, x in enumerate(inputs):
        t0 = clock()
        call(x)
        out[i] = clock() - t0
    return out


def throughput(run: Callable[[], object], n: int) -> float:
    started = time.perf_counter()
    run()
    return n / (time.perf_counter() - started)


@dataclass
class ChangeCase:
    consent: Consent
    request: DataRequest


def boundary_probes(world: World, facts: Facts, seed: int) -> tuple[list[DataRequest], list[str]]:
    """Requests whose decision time or period sits exactly on a boundary, or one second off it.

    Random requests almost never hit an appointment's first second or a consent's withdrawal
    instant; these do, for supply periods (start, end, clipping of ``to`` to ``at``) and for every
    lifecycle instant of a consent (granted, notice, expiry, withdrawal, data window, move-in and
    move-out of its consumer).
    """
    rng = random.Random(seed)
    probes: list[DataRequest] = []
    labels: list[str] = []

    def add(
        label: str,
        party: str,
        role: str,
        item: str,
        subject: str,
        start: int | None,
        end: int | None,
        at: int,
        purpose: str = "",
    ) -> None:
        if 0 < at < 2 * AS_OF:
            probes.append(
                DataRequest(
                    f"B{len(probes):06d}",
                    party,
                    role,
                    Channel.API,
                    item,
                    subject,
                    start,
                    end,
                    at,
                    purpose,
                )
            )
            labels.append(label)

    supplier_appts = [a for a in world.appointments if a.role in (Role.IS, Role.GS)]
    for a in rng.sample(supplier_appts, 1000):
        s, e = a.period.start, a.period.end
        for at in (s, s + 1, e - 1, e) if e != FOREVER else (s, s + 1):
            for start, end in ((s, e), (s, None), (s - 1, e), (at - 1, None), (s, at)):
                add(
                    "boundary: supply period",
                    a.party_id,
                    a.role.value,
                    "hh_consumption",
                    a.mpxn,
                    start,
                    None if end == FOREVER else end,
                    at,
                )
            add(
                "boundary: supply, current value",
                a.party_id,
                a.role.value,
                "registration",
                a.mpxn,
                None,
                None,
                at,
            )
    for c in rng.sample(world.consents, 600):
        occupancy = facts.occupancy[(c.consumer_id, c.mpxn)]
        instants = {c.granted_at, c.expires_at, c.data_period.start, c.data_period.end}
        instants |= {c.notice_sent_at or c.granted_at, c.withdrawn_at or c.granted_at}
        instants |= {x for stretch in occupancy for x in stretch}
        for instant in sorted(instants):
            for at in (instant - 1, instant):
                start = max(c.data_period.start, occupancy[0][0])
                add(
                    "boundary: consent, series",
                    c.party_id,
                    "OU",
                    "hh_consumption",
                    c.mpxn,
                    start,
                    None,
                    at,
                    c.purpose,
                )
                add(
                    "boundary: consent, current value",
                    c.party_id,
                    "OU",
                    "supply_address",
                    c.mpxn,
                    None,
                    None,
                    at,
                    c.purpose,
                )
    return probes, labels


def known_limits() -> list[str]:
    """Cases the anchors' encodings cannot express, run through all three engines to show it."""
    matrix = load_matrix()
    mpxn, at = "3938424403", parse_instant("2026-06-01")
    party = Party("APP00", "APP00", frozenset({Role.OU}), Category.OTHER_SEC_PARTY)
    consent = Consent(
        "K1",
        "C1",
        mpxn,
        "APP00",
        "energy_advice",
        frozenset({Group.CONSUMPTION}),
        Period(parse_instant("2024-01-01"), parse_instant("2025-01-01")),
        parse_instant("2024-01-01"),
        "ihd_guid",
        FOREVER,
        None,
        parse_instant("2024-01-01"),
    )
    renewed = dataclasses.replace(
        consent, consent_id="K2", data_period=Period(parse_instant("2025-01-01"))
    )
    world = World(
        parties=[party],
        meter_points=[MeterPoint(mpxn, Sector.DOMESTIC, "NW")],
        appointments=[],
        occupancies=[Occupancy(mpxn, "C1", Period(parse_instant("2020-01-01")))],
        devices=[],
        consents=[consent, renewed],
        matrix=matrix,
    )
    request = DataRequest(
        "L1",
        "APP00",
        "OU",
        Channel.API,
        "hh_consumption",
        mpxn,
        parse_instant("2024-12-01"),
        parse_instant("2025-02-01"),
        at,
        "energy_advice",
    )
    ours = decide(request, build_snapshot(world)).code
    facts = index_facts(world)
    store = CedarStore(facts)
    cedar = cedarpy.is_authorized(
        cedar_request(request),
        cedarpy.PolicySet.from_str(CEDAR_POLICIES.read_text()),
        store.store_json(),
    ).allowed
    casbin_answer = build_casbin(facts).enforce(*casbin_args(request, facts))
    return [
        "Known limit, shown on a two-consent world: one consumer's two active consents for the same purpose with abutting data windows "
        f"([2024-01-01, 2025-01-01) and [2025-01-01, ...)); a request for [2024-12-01, 2025-02-01): MeterGuard {ours.value}, "
        f"Cedar {'allow' if cedar else 'deny'}, Casbin {'allow' if casbin_answer else 'deny'}. Both encodings test each consent "
        "on its own (no union across consents); the benchmark world never holds two such consents at once.",
        f"Known limit: a relationship with more than {SLOTS} separate stretches at one meter point, or more than {SLOTS} consents of one "
        "party at one meter point, does not fit Cedar's fixed slots; index_facts refuses such a world rather than answer wrongly.",
    ]


def change_cases(world: World, snapshot: Snapshot, count: int, seed: int) -> list[ChangeCase]:
    """Requests allowed as asked through exactly one active consent, each on its own consent."""
    rng = random.Random(seed)
    consents = list(world.consents)
    rng.shuffle(consents)
    cases: list[ChangeCase] = []
    seen: set[tuple[str, str]] = set()
    for c in consents:
        if Group.CONSUMPTION not in c.data_groups or (c.party_id, c.mpxn) in seen:
            continue
        seen.add((c.party_id, c.mpxn))
        at = max(AT_FROM, (c.notice_sent_at or FOREVER) + DAY)
        if at >= AS_OF:
            continue
        start = max(at - 7 * DAY, c.data_period.start)
        start -= start % HALF_HOUR
        request = DataRequest(
            f"X{len(cases):05d}",
            c.party_id,
            "OU",
            Channel.API,
            "hh_consumption",
            c.mpxn,
            start,
            None,
            at,
            c.purpose,
        )
        if start < at and decide(request, snapshot).code is Code.OK:
            cases.append(ChangeCase(c, request))
            if len(cases) == count:
                break
    return cases


def _withdrawn(case: ChangeCase) -> Consent:
    return dataclasses.replace(case.consent, withdrawn_at=case.request.at)


def measure_change_meterguard(snapshot: Snapshot, cases: list[ChangeCase]) -> tuple[list[int], int]:
    clock, spans, changed = time.perf_counter_ns, [], 0
    for case in cases:
        withdrawn = _withdrawn(case)
        t0 = clock()
        snapshot.put_consent(withdrawn)
        decision = decide(case.request, snapshot)
        spans.append(clock() - t0)
        changed += decision.code is not Code.OK
        snapshot.put_consent(case.consent)  # restore, outside the timing
    return spans, changed


_OTHERS = re.compile(r"benchmarks/|import_readings|meterguard import|pytest")


def busy_elsewhere() -> str:
    """Pids of other benchmarks, imports or test runs now (they would share the two cores)."""
    mine = {os.getpid(), os.getppid()}
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            command = (
                (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            )
        except OSError:
            continue
        if _OTHERS.search(command) and "decisions.py" not in command:
            pids.append(entry.name)
    return " ".join(pids)


class Watch(threading.Thread):
    """Looks for other benchmarks or test runs every few seconds while this one times."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.seen: set[str] = set()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(3.0):
            self.seen.update(busy_elsewhere().split())


def source_state() -> str:
    """The commit measured, and whether src/ differs from it (read-only git commands)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "source: unknown"
    return f"commit {head}" + (" with uncommitted changes in src/" if dirty else "")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def disagreements(
    requests: Sequence[DataRequest],
    labels: Sequence[str],
    codes: Sequence[Code],
    answers: Sequence[bool],
    indexes: Sequence[int],
) -> tuple[int, Counter[tuple[str, str, str]], dict[tuple[str, str, str], str]]:
    agree = 0
    kinds: Counter[tuple[str, str, str]] = Counter()
    example: dict[tuple[str, str, str], str] = {}
    for i, allowed in zip(indexes, answers, strict=True):
        ours = codes[i] is Code.OK
        if ours == allowed:
            agree += 1
            continue
        key = (labels[i], codes[i].value, "allow" if allowed else "deny")
        kinds[key] += 1
        example.setdefault(key, requests[i].request_id)
    return agree, kinds, example


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def fmt_change(row: Row) -> str:
    if row.change_us is None:
        return "n/a"
    p50, worst = row.change_us

    def unit(us: float) -> str:
        if us >= 1e6:
            return f"{us / 1e6:.2f} s"
        if us >= 1e3:
            return f"{us / 1e3:.1f} ms"
        return f"{us:.1f} µs"

    return f"{unit(p50)} / {unit(worst)}" + (f" ({row.change_note})" if row.change_note else "")


def ratio(anchor: float | None, ours: float | None, invert: bool = False) -> str:
    if anchor is None or ours is None or anchor == 0 or ours == 0:
        return "n/a"
    value = ours / anchor if invert else anchor / ours
    return f"{value:,.0f}x" if value >= 10 else f"{value:.1f}x"


def print_table(rows: list[Row], header: str) -> None:
    ours = rows[0]
    print(header)
    print()
    print(
        "| engine | p50 µs | p99 µs | throughput decisions/s | change visible p50 / max | agreement with MeterGuard (whole period) | MeterGuard p50 faster by | MeterGuard throughput higher by | MeterGuard change visible faster by |"
    )
    print("|---|---:|---:|---:|---|---|---:|---:|---:|")
    for row in rows:
        if row.agreement is None:
            agreement = "reference"
        else:
            ok, n = row.agreement
            agreement = f"{100 * ok / n:.3f}% ({ok:,}/{n:,})"
        first = row is ours or row.engine.startswith("MeterGuard")  # ratios are against anchors
        p50r = "-" if first else ratio(row.p50_us, ours.p50_us)
        thr = "-" if first else ratio(row.throughput, ours.throughput, invert=True)
        chg = (
            "-"
            if first
            else ratio(
                row.change_us[0] if row.change_us else None,
                ours.change_us[0] if ours.change_us else None,
            )
        )
        throughput_text = fmt(row.throughput, 0)
        name = row.engine + (f" ({row.note})" if row.note else "")
        print(
            f"| {name} | {fmt(row.p50_us)} | {fmt(row.p99_us)} | {throughput_text} | {fmt_change(row)} | {agreement} | {p50r} | {thr} | {chg} |"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument(
        "--casbin-requests",
        type=int,
        default=20_000,
        help="an evenly spread subset; pycasbin is slow",
    )
    parser.add_argument(
        "--slice-requests", type=int, default=20_000, help="subset for Cedar's per-request slice"
    )
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument(
        "--store-rebuilds", type=int, default=5, help="Cedar whole-store rebuilds timed"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--write-cedar",
        action="store_true",
        help="regenerate benchmarks/cedar/policies.cedar and exit",
    )
    parser.add_argument(
        "--force", action="store_true", help="time even while other benchmarks or tests run"
    )
    parser.add_argument(
        "--wait", type=int, default=0, help="seconds to wait for the machine to be quiet first"
    )
    args = parser.parse_args(argv)

    if args.write_cedar:
        CEDAR_POLICIES.write_text(cedar_policies())
        print(f"wrote {CEDAR_POLICIES.relative_to(ROOT)}")
        return 0
    if CEDAR_POLICIES.read_text() != cedar_policies():
        print("benchmarks/cedar/policies.cedar is stale: run with --write-cedar", file=sys.stderr)
        return 2
    deadline = time.monotonic() + args.wait
    while (other := busy_elsewhere()) and time.monotonic() < deadline:
        time.sleep(5)
    if other and not args.force:
        print(
            f"another benchmark, import or test run is on the machine (pids {other}); not timing beside it",
            file=sys.stderr,
        )
        return 3

    watch = Watch()
    watch.start()

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    world = build_world(args.seed)
    requests, labels = build_requests(world, args.requests, args.seed + 1)
    snapshot = build_snapshot(world)
    facts = index_facts(world)
    log(f"world and {len(requests):,} requests built")

    # ---- MeterGuard: decide() one at a time --------------------------------------------------
    cedar_store = CedarStore(facts)
    policy_text = CEDAR_POLICIES.read_text()
    policy_set = cedarpy.PolicySet.from_str(policy_text)
    t0 = time.perf_counter()
    store_text = cedar_store.store_json()
    entities = cedarpy.Entities.from_json_str(store_text)
    cedar_parse_s = time.perf_counter() - t0
    cedar_requests = [cedar_request(r) for r in requests]
    enforcer = build_casbin(facts)
    casbin_rows_count = len(list(enforcer.get_policy()))
    casbin_links_count = len(enforcer.get_grouping_policy())
    step = max(1, len(requests) // args.casbin_requests)
    casbin_index = list(range(0, len(requests), step))[: args.casbin_requests]
    casbin_inputs = [casbin_args(requests[i], facts) for i in casbin_index]
    slice_step = max(1, len(requests) // args.slice_requests)
    slice_index = list(range(0, len(requests), slice_step))[: args.slice_requests]
    cases = change_cases(world, snapshot, args.changes, args.seed + 2)
    log(
        f"anchors built: {len(cedar_store.entities):,} Cedar entities ({len(store_text) / 1e6:.1f} MB, parsed in {cedar_parse_s:.2f} s), {casbin_rows_count:,} Casbin rows, {casbin_links_count:,} links"
    )
    gc.collect()
    gc.freeze()

    rows: list[Row] = []
    ours = Row("MeterGuard decide()")
    # three passes (they are cheap); the pass with the median p50 is reported, the spread printed
    passes = sorted(
        (percentile(lat, 0.5), percentile(lat, 0.99))
        for lat in (
            latencies(lambda r: decide(r, snapshot), requests, warm=10_000) for _ in range(3)
        )
    )
    ours.p50_us, ours.p99_us = passes[1]

    def decide_all() -> None:  # a server answering one request after another
        for r in requests:
            decide(r, snapshot)

    ours.throughput = throughput(decide_all, len(requests))
    # the same loop keeping every Decision alive in one list, as a batch caller would
    kept = throughput(lambda: [decide(r, snapshot) for r in requests], len(requests))
    codes = [decide(r, snapshot).code for r in requests]
    spans, changed = measure_change_meterguard(snapshot, cases)
    ours.change_us = (statistics.median(spans) / 1000, max(spans) / 1000)
    ours.change_note = f"{changed}/{len(cases)} changed to deny"
    rows.append(ours)
    log(f"MeterGuard: p50 {ours.p50_us:.1f} µs, p99 {ours.p99_us:.1f} µs, {ours.throughput:,.0f}/s")

    started = time.perf_counter()
    engine = _BATCH_ENGINES[id(snapshot)] = BatchEngine(snapshot)
    compile_s = time.perf_counter() - started
    answers = meterguard_batch(requests, snapshot)  # warm-up
    columns = engine.encode(requests)
    batch = Row("MeterGuard batch")
    batch.throughput = throughput(lambda: meterguard_batch(requests, snapshot), len(requests))
    columns_only = throughput(lambda: engine.decide(columns), len(requests))
    same = sum(
        answers.code(i) is expected.code and answers.allowed(i) == expected.allowed
        for i, expected in enumerate(decide(r, snapshot) for r in requests)
    )
    batch.agreement = (same, len(requests))
    spans, changed = measure_change_batch(snapshot, cases)
    batch.change_us = (statistics.median(spans) / 1000, max(spans) / 1000)
    batch.change_note = f"{changed}/{len(cases)} changed to deny, no recompile"
    batch.note = (
        f"DataRequests encoded then decided, {len(requests):,} per call; columns in and out: "
        f"{columns_only:,.0f}/s; compile {compile_s:.2f} s; agreement = code and allowed periods"
    )
    rows.append(batch)
    log(f"MeterGuard batch: {batch.throughput:,.0f}/s, columns only {columns_only:,.0f}/s")

    # ---- Cedar: the whole store as one parsed Entities handle --------------------------------
    cedar = Row("Cedar via cedarpy", note="store handle; batch for throughput")
    lat = latencies(
        lambda q: cedarpy.is_authorized(q, policy_set, entities), cedar_requests, warm=2_000
    )
    cedar.p50_us, cedar.p99_us = percentile(lat, 0.5), percentile(lat, 0.99)
    chunk = 10_000
    cedar_answers: list[bool] = []

    def cedar_batches() -> None:
        cedar_answers.clear()
        for k in range(0, len(cedar_requests), chunk):
            results = cedarpy.is_authorized_batch(
                cedar_requests[k : k + chunk], policy_set, entities
            )
            cedar_answers.extend(r.allowed for r in results)

    cedarpy.is_authorized_batch(cedar_requests[:chunk], policy_set, entities)
    cedar.throughput = throughput(cedar_batches, len(cedar_requests))
    agree, cedar_kinds, cedar_examples = disagreements(
        requests, labels, codes, cedar_answers, range(len(requests))
    )
    cedar.agreement = (agree, len(requests))
    # change: re-derive the meter point's entity, re-serialise and re-parse the whole store
    spans, changed = [], 0
    for case in cases[: args.store_rebuilds]:
        t0 = time.perf_counter_ns()
        cedar_store.put_consent(_withdrawn(case))
        fresh = cedarpy.Entities.from_json_str(cedar_store.store_json())
        answer = cedarpy.is_authorized(cedar_request(case.request), policy_set, fresh)
        spans.append(time.perf_counter_ns() - t0)
        changed += not answer.allowed
        cedar_store.put_consent(case.consent)
        del fresh
    cedar.change_us = (statistics.median(spans) / 1000, max(spans) / 1000)
    cedar.change_note = (
        f"whole store re-serialised and re-parsed, {changed}/{len(spans)} changed to deny"
    )
    rows.append(cedar)
    log(
        f"Cedar: p50 {cedar.p50_us:.1f} µs, {cedar.throughput:,.0f}/s batch, agreement {agree:,}/{len(requests):,}"
    )

    # ---- Cedar: per-request slice of entities (change visible at once, paid on every call) ---
    sliced = Row(
        "Cedar via cedarpy", note=f"per-request entity slice, {len(slice_index):,} requests"
    )
    slice_requests = [(requests[i], cedar_requests[i]) for i in slice_index]

    def slice_call(pair: tuple[DataRequest, dict[str, object]]) -> bool:
        return cedarpy.is_authorized(pair[1], policy_set, cedar_store.slice_json(pair[0])).allowed

    lat = latencies(slice_call, slice_requests, warm=1_000)
    sliced.p50_us, sliced.p99_us = percentile(lat, 0.5), percentile(lat, 0.99)
    slice_answers: list[bool] = []
    sliced.throughput = throughput(
        lambda: slice_answers.extend(slice_call(p) for p in slice_requests), len(slice_requests)
    )
    agree, slice_kinds, slice_examples = disagreements(
        requests, labels, codes, slice_answers, slice_index
    )
    sliced.agreement = (agree, len(slice_index))
    spans, changed = [], 0
    for case in cases:
        t0 = time.perf_counter_ns()
        cedar_store.put_consent(_withdrawn(case))
        allowed = cedarpy.is_authorized(
            cedar_request(case.request), policy_set, cedar_store.slice_json(case.request)
        ).allowed
        spans.append(time.perf_counter_ns() - t0)
        changed += not allowed
        cedar_store.put_consent(case.consent)
    sliced.change_us = (statistics.median(spans) / 1000, max(spans) / 1000)
    sliced.change_note = f"meter point entity re-derived, {changed}/{len(spans)} changed to deny"
    rows.append(sliced)
    log(f"Cedar slice: p50 {sliced.p50_us:.1f} µs")

    # ---- pycasbin ------------------------------------------------------------------------------
    cas = Row("pycasbin FastEnforcer", note=f"{len(casbin_index):,}-request subset")
    lat = latencies(lambda a: enforcer.enforce(*a), casbin_inputs, warm=1_000)
    cas.p50_us, cas.p99_us = percentile(lat, 0.5), percentile(lat, 0.99)
    casbin_answers: list[bool] = []
    cas.throughput = throughput(
        lambda: casbin_answers.extend(enforcer.enforce(*a) for a in casbin_inputs),
        len(casbin_inputs),
    )
    agree, casbin_kinds, casbin_examples = disagreements(
        requests, labels, codes, casbin_answers, casbin_index
    )
    cas.agreement = (agree, len(casbin_index))
    spans, changed = [], 0
    for case in cases:
        old, new = (
            casbin_consent_row(case.consent, facts),
            casbin_consent_row(_withdrawn(case), facts),
        )
        request_args = casbin_args(case.request, facts)
        t0 = time.perf_counter_ns()
        enforcer.remove_policy(*old)
        enforcer.add_policy(*new)
        allowed = enforcer.enforce(*request_args)
        spans.append(time.perf_counter_ns() - t0)
        changed += not allowed
        enforcer.remove_policy(*new)
        enforcer.add_policy(*old)
    cas.change_us = (statistics.median(spans) / 1000, max(spans) / 1000)
    cas.change_note = f"remove_policy + add_policy, {changed}/{len(spans)} changed to deny"
    rows.append(cas)
    log(f"Casbin: p50 {cas.p50_us:.1f} µs")

    # ---- boundary probes: agreement only ---------------------------------------------------------
    probes, probe_labels = boundary_probes(world, facts, args.seed + 3)
    probe_codes = [decide(r, snapshot).code for r in probes]
    probe_cedar: list[bool] = []
    for k in range(0, len(probes), chunk):
        batch_in = [cedar_request(r) for r in probes[k : k + chunk]]
        probe_cedar.extend(
            x.allowed for x in cedarpy.is_authorized_batch(batch_in, policy_set, entities)
        )
    probe_index = list(range(0, len(probes), 5))
    probe_casbin = [enforcer.enforce(*casbin_args(probes[i], facts)) for i in probe_index]
    probe_agree_cedar, probe_kinds_cedar, _ = disagreements(
        probes, probe_labels, probe_codes, probe_cedar, range(len(probes))
    )
    probe_agree_casbin, probe_kinds_casbin, _ = disagreements(
        probes, probe_labels, probe_codes, probe_casbin, probe_index
    )
    limits = known_limits()
    log("boundary probes and known limits done")

    # ---- report ----------------------------------------------------------------------------------
    gc.unfreeze()
    counts = Counter(codes)
    header = (
        f"Decisions benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores ({cpu_name()}); "
        f"{source_state()}; Python {platform.python_version()}, cedarpy {_version('cedarpy')}, pycasbin {_version('pycasbin')}. "
        f"Data (seed {args.seed}): {len(world.meter_points):,} meter points ({len(world.electricity):,} MPAN, {len(world.gas):,} MPRN), "
        f"{len(world.parties)} parties, {len(world.appointments):,} appointment periods, {len(world.occupancies):,} occupancies, "
        f"{len(world.consents):,} consents, {len(world.devices):,} devices, matrix v{world.matrix.version} ({len(world.matrix.cells)} cells); "
        f"{len(requests):,} data requests. Cedar store: {len(cedar_store.entities):,} entities, {len(store_text) / 1e6:.1f} MB JSON; "
        f"Casbin: {casbin_rows_count:,} policy rows, {casbin_links_count:,} grouping links."
    )
    print_table(rows, header)
    print()
    batch_row = next(r for r in rows if r.engine == "MeterGuard batch")
    cedar_row = next(r for r in rows if r.engine == "Cedar via cedarpy")
    if batch_row.throughput and cedar_row.throughput:
        print(
            f"MeterGuard batch beside Cedar's batch API: {batch_row.throughput / cedar_row.throughput:,.0f}x "
            f"the throughput from request objects ({batch_row.throughput:,.0f}/s against {cedar_row.throughput:,.0f}/s)."
        )
    ok = counts[Code.OK]
    print(
        f"MeterGuard's answers on the request mix: OK {100 * ok / len(codes):.1f}%, "
        + ", ".join(
            f"{c.value} {100 * n / len(codes):.1f}%"
            for c, n in counts.most_common()
            if c is not Code.OK
        )
    )
    print(
        f"Change protocol: {len(cases):,} consents, each the only basis of an OK request, withdrawn (withdrawn_at = at); time from the start of the change to the end of the next decision, which must now deny."
    )
    for name, kinds, examples in (
        ("Cedar (store)", cedar_kinds, cedar_examples),
        ("Cedar (slice)", slice_kinds, slice_examples),
        ("pycasbin", casbin_kinds, casbin_examples),
    ):
        if not kinds:
            print(f"{name}: no disagreement on the whole-period question.")
            continue
        print(f"{name}: disagreements by (request kind, MeterGuard code, anchor answer):")
        for key, n in kinds.most_common(12):
            print(f"  - {key[0]} / {key[1]} / anchor {key[2]}: {n} (e.g. {examples[key]})")
    print(
        "MeterGuard decide() p50 / p99 in each of its three passes: "
        + ", ".join(f"{p50:.1f} / {p99:.1f} µs" for p50, p99 in passes)
        + " (the anchors are timed in one pass each; on this virtual machine p50 moves by up to ±25% from run to run)."
    )
    print(
        f"MeterGuard throughput keeping all {len(requests):,} Decision objects in one list: {kept:,.0f}/s "
        "(the table's figure discards each decision once made; the difference is the cyclic garbage collector "
        "walking the kept decisions' tuples)."
    )
    probe_ok = sum(c is Code.OK for c in probe_codes)
    print(
        f"Boundary probes ({len(probes):,} requests with the decision time or the period on a supply or consent boundary, or one second off it; "
        f"MeterGuard OK on {probe_ok:,}): Cedar agrees on {probe_agree_cedar:,}/{len(probes):,}, "
        f"pycasbin on {probe_agree_casbin:,}/{len(probe_index):,} (every fifth)."
    )
    for name, kinds in (("Cedar", probe_kinds_cedar), ("pycasbin", probe_kinds_casbin)):
        for key, n in kinds.most_common(8):
            print(f"  - {name}: {key[0]} / {key[1]} / anchor {key[2]}: {n}")
    for line in limits:
        print(line)
    watch.stop.set()
    if watch.seen:
        print(
            f"WARNING: other benchmarks or test runs shared the machine during this run (pids {' '.join(sorted(watch.seen))}); the timings are disturbed."
        )
    else:
        print("No other benchmark, import or test run was seen on the machine during this run.")
    log(f"done in {time.perf_counter() - started:.0f} s")
    return 0


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    raise SystemExit(main())
