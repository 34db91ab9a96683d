"""A deterministic, realistic demo world written as an import folder (INTERCHANGE.md formats).

The world is small enough to read and big enough to benchmark: parties in every role, meter
points with years of appointment and occupancy history, changes of supplier (including SR 6.23
credentials gaps and a future-dated switch), devices in every SMI status, consents in every
lifecycle state, and half-hourly readings with daily and seasonal shapes.

Same arguments give byte-identical files: the world comes from `random.Random(seed)` and the
readings from `numpy.random.default_rng((seed, 1))`; nothing reads the clock.
"""

from __future__ import annotations

import csv
import itertools
import random
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from mpan import MPAN

from meterguard.domain.devices import DeviceStatus
from meterguard.services.importing.parsers import REGISTRY_FILES

ReadingsFormat = Literal["csv", "parquet"]
ProgressCallback = Callable[[int], None]

MIN_METERS = 20
HALF_HOURS_PER_DAY = 48
_DAY = timedelta(days=1)
_HALF_HOUR_SECONDS = 1800
_READING_ROWS_PER_BLOCK = 1_000_000
_METERS_PER_BLOCK = 500
_READINGS_STREAM = 1  # numpy stream id, so readings never share draws with the world

_PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_MATRIX_PATH = _PACKAGE_DIR / "default_matrix.csv"
DEFAULT_CRITICAL_ALERTS_PATH = _PACKAGE_DIR / "default_critical_alerts.csv"

CONSENT_STATES = (
    "active",
    "pending_notice",
    "withdrawn",
    "expired",
    "ended_by_move_out",
    "not_yet_granted",
)

# --------------------------------------------------------------------------------------------
# The summary handed back to callers (CLI, tests, benchmarks)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSummary:
    """Rows written per file, scenario counts and identifiers worth showing in a demo."""

    out_dir: Path
    readings_file: str
    parties: int
    meter_points: int
    electricity_meter_points: int
    gas_meter_points: int
    appointments: int
    occupancies: int
    devices: int
    consents: int
    matrix: int
    critical_alerts: int
    readings: int
    # Meter points with at least one Change of Supplier (past or future-dated).
    changes_of_supplier: int
    future_changes_of_supplier: int
    # Meter points whose meter still holds the former supplier's credentials (SR 6.23 not sent).
    credentials_gaps: int
    # Consent rows by lifecycle state at as_of (keys: CONSENT_STATES).
    consent_states: Mapping[str, int]
    # Consents whose data window starts before the consumer moved in (the engine must clip).
    consents_reaching_before_move_in: int
    credentials_gap_mpxn: str
    credentials_gap_device_guid: str
    credentials_gap_former_supplier: str
    credentials_gap_current_supplier: str
    credentials_gap_supply_start: datetime
    future_cos_mpxn: str
    future_cos_supply_start: datetime
    active_consent_id: str
    active_consent_party_id: str
    active_consent_mpxn: str
    active_consent_purpose: str
    consumer_id: str  # the consumer who gave active_consent_id and occupies its meter point
    meu_party_id: str
    meu_mpxn: str
    map_party_id: str
    dm_party_id: str


# --------------------------------------------------------------------------------------------
# Parties: fixed reference cast. Names are fictional except the DNOs and gas networks, whose
# identities and areas are public; premises counts are illustrative, chosen to straddle the
# security-assessment thresholds (250,000 domestic, 50,000 non-domestic: domain-brief §4.2).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Party:
    party_id: str
    name: str
    roles: tuple[str, ...]
    category: str
    manufacturer: str = ""
    domestic_premises: int | None = None
    non_domestic_premises: int | None = None
    shared_resources: bool | None = None


_SUPPLIERS = (
    _Party("LUMEN_ENERGY", "Lumen Energy Supply Ltd", ("IS", "ES", "GS"), "large_supplier",
           domestic_premises=4_150_000, non_domestic_premises=212_000, shared_resources=False),
    _Party("NORTHWIND_POWER", "Northwind Power & Gas Ltd", ("IS", "ES", "GS"), "large_supplier",
           domestic_premises=1_830_000, non_domestic_premises=64_000, shared_resources=False),
    # Exactly on both thresholds, for boundary tests of the security-assessment cycle.
    _Party("HEARTHSTONE_ENERGY", "Hearthstone Energy plc", ("IS", "GS"), "large_supplier",
           domestic_premises=250_000, non_domestic_premises=50_000, shared_resources=False),
    _Party("SPARROW_ENERGY", "Sparrow Energy Ltd", ("IS", "ES", "GS"), "small_supplier",
           domestic_premises=138_000, non_domestic_premises=2_600, shared_resources=True),
    _Party("VOLTA_DIRECT", "Volta Direct Electricity Ltd", ("IS", "ES"), "small_supplier",
           domestic_premises=92_000, non_domestic_premises=0, shared_resources=False),
    _Party("KESTREL_POWER", "Kestrel Power Ltd", ("IS",), "small_supplier",
           domestic_premises=41_500, non_domestic_premises=7_300, shared_resources=False),
    _Party("CITADEL_BUSINESS", "Citadel Business Energy Ltd", ("IS", "GS"), "small_supplier",
           domestic_premises=0, non_domestic_premises=73_500, shared_resources=False),
    _Party("SOLSTICE_EXPORT", "Solstice Export Ltd", ("ES",), "small_supplier",
           domestic_premises=16_800, non_domestic_premises=900, shared_resources=False),
)  # fmt: skip

# Distributor id -> (market participant id, operator, GSP group, domestic, non-domestic).
# Ids and GSP groups as in limejump/mpan `mpan/data.py` (domain-brief §5.1).
_DNOS: Mapping[int, tuple[str, str, str, int, int]] = {
    10: ("EELC", "UK Power Networks (Eastern)", "_A", 3_450_000, 290_000),
    11: ("EMEB", "National Grid Electricity Distribution (East Midlands)", "_B",
         2_520_000, 205_000),
    12: ("LOND", "UK Power Networks (London)", "_C", 2_210_000, 330_000),
    13: ("MANW", "SP Energy Networks (Manweb)", "_D", 1_430_000, 110_000),
    14: ("MIDE", "National Grid Electricity Distribution (West Midlands)", "_E",
         2_390_000, 190_000),
    15: ("NEEB", "Northern Powergrid (Northeast)", "_F", 1_560_000, 105_000),
    16: ("NORW", "Electricity North West", "_G", 2_300_000, 170_000),
    17: ("HYDE", "SSEN Distribution (North Scotland)", "_P", 790_000, 75_000),
    18: ("SPOW", "SP Energy Networks (Distribution)", "_N", 1_930_000, 140_000),
    19: ("SEEB", "UK Power Networks (South Eastern)", "_J", 2_180_000, 160_000),
    20: ("SOUT", "SSEN Distribution (Southern)", "_H", 2_950_000, 230_000),
    21: ("SWAE", "National Grid Electricity Distribution (South Wales)", "_K",
         1_050_000, 80_000),
    22: ("SWEB", "National Grid Electricity Distribution (South West)", "_L",
         1_490_000, 125_000),
    23: ("YELG", "Northern Powergrid (Yorkshire)", "_M", 2_230_000, 150_000),
}  # fmt: skip

_GAS_NETWORKS = (
    _Party("CADENT_GAS", "Cadent Gas Ltd", ("GT",), "gas_network",
           domestic_premises=10_600_000, non_domestic_premises=420_000),
    _Party("NORTHERN_GAS_NETWORKS", "Northern Gas Networks Ltd", ("GT",), "gas_network",
           domestic_premises=2_600_000, non_domestic_premises=95_000),
    _Party("SGN", "SGN (Scotland Gas Networks and Southern Gas Networks)", ("GT",),
           "gas_network", domestic_premises=5_700_000, non_domestic_premises=210_000),
    _Party("WALES_WEST_UTILITIES", "Wales & West Utilities Ltd", ("GT",), "gas_network",
           domestic_premises=2_450_000, non_domestic_premises=85_000),
    # An independent gas transporter (IGT): the network party below 250,000 domestic premises.
    _Party("BRIDGEWAY_PIPELINES", "Bridgeway Pipelines Ltd", ("GT",), "gas_network",
           domestic_premises=185_000, non_domestic_premises=1_200),
)  # fmt: skip
_IGT_ID = "BRIDGEWAY_PIPELINES"
_IGT_SHARE = 0.05

_OTHER_PARTIES = (
    _Party("LUMEN_GAS_SHIPPING", "Lumen Gas Shipping Ltd", ("SH",), "non_sec_party"),
    _Party("NORTHWIND_GAS_TRADING", "Northwind Gas Trading Ltd", ("SH",), "non_sec_party"),
    _Party("MERIDIAN_SHIPPING", "Meridian Gas Shipping Ltd", ("SH",), "non_sec_party"),
    _Party("TIDEWAY_SHIPPING", "Tideway Energy Shipping Ltd", ("SH",), "non_sec_party"),
    _Party("METERLINK_AGENCY", "Meterlink Agency Services Ltd", ("RSA",), "other_sec_party"),
    _Party("SIGNALPOINT_SERVICES", "Signalpoint Metering Services Ltd", ("RSA",),
           "other_sec_party"),
    _Party("GASWORKS_METERING", "Gasworks Metering Services Ltd", ("MAM",), "non_sec_party"),
    _Party("PIPELINE_ASSET_MGMT", "Pipeline Asset Management Ltd", ("MAM",), "non_sec_party"),
    _Party("WATTWISE_APP", "WattWise Home Energy App Ltd", ("OU",), "other_sec_party"),
    _Party("TARIFFSCOUT", "TariffScout Price Comparison Ltd", ("OU",), "other_sec_party"),
    _Party("NORTHERN_UNI_ENERGY_LAB", "Northern University Energy Research Lab", ("OU",),
           "other_sec_party"),
    _Party("HANLINK_SERVICES", "HANLink Device Services Ltd", ("OU",), "other_sec_party"),
    _Party("FIRSTMETER_ASSETS", "FirstMeter Asset Finance Ltd", ("MAP",), "other_sec_party"),
    _Party("KEYSTONE_METER_CAPITAL", "Keystone Meter Capital Ltd", ("MAP",), "non_sec_party"),
    _Party("FERROLUX", "Ferrolux Metering Ltd", ("DM",), "other_sec_party",
           manufacturer="Ferrolux Metering"),
    _Party("HALCYON_DEVICES", "Halcyon Devices Ltd", ("DM",), "other_sec_party",
           manufacturer="Halcyon Devices"),
    _Party("CORVID_INSTRUMENTS", "Corvid Instruments Ltd", ("DM",), "other_sec_party",
           manufacturer="Corvid Instruments"),
    _Party("NORTHGATE_RETAIL", "Northgate Retail Group plc", ("MEU",), "non_sec_party"),
    _Party("PENNINE_FOODS", "Pennine Foods Ltd", ("MEU",), "non_sec_party"),
    _Party("SEVERN_HEALTH_TRUST", "Severn Community Health Trust", ("MEU",), "non_sec_party"),
)  # fmt: skip

# The gas supplier's shipper is the Registered User at Xoserve (seed 000): it follows the supplier.
_SHIPPER_OF_SUPPLIER: Mapping[str, str] = {
    "LUMEN_ENERGY": "LUMEN_GAS_SHIPPING",
    "NORTHWIND_POWER": "NORTHWIND_GAS_TRADING",
    "HEARTHSTONE_ENERGY": "MERIDIAN_SHIPPING",
    "SPARROW_ENERGY": "TIDEWAY_SHIPPING",
    "CITADEL_BUSINESS": "TIDEWAY_SHIPPING",
}

_MAPS = ("FIRSTMETER_ASSETS", "KEYSTONE_METER_CAPITAL")
_RSAS = ("METERLINK_AGENCY", "SIGNALPOINT_SERVICES")
_MAMS = ("GASWORKS_METERING", "PIPELINE_ASSET_MGMT")
_MEUS = ("NORTHGATE_RETAIL", "PENNINE_FOODS", "SEVERN_HEALTH_TRUST")

# --------------------------------------------------------------------------------------------
# Geography: GSP group -> gas LDZ -> gas network, and the CSP region. The CSP split (North for
# Scotland and northern England; Central for the Midlands, East Anglia and Wales; South for the
# rest) is the well-known one, unconfirmed in a source (domain-brief §2.4).
# --------------------------------------------------------------------------------------------

_LDZ_OF_GSP: Mapping[str, tuple[str, ...]] = {
    "_A": ("EA", "NT"), "_B": ("EM",), "_C": ("NT",), "_D": ("NW", "WN"), "_E": ("WM",),
    "_F": ("NO",), "_G": ("NW",), "_H": ("SO",), "_J": ("SE",), "_K": ("WS",), "_L": ("SW",),
    "_M": ("NE",), "_N": ("SC",), "_P": ("SC",),
}  # fmt: skip
_GAS_NETWORK_OF_LDZ: Mapping[str, str] = {
    "EA": "CADENT_GAS", "EM": "CADENT_GAS", "NT": "CADENT_GAS", "NW": "CADENT_GAS",
    "WM": "CADENT_GAS", "NE": "NORTHERN_GAS_NETWORKS", "NO": "NORTHERN_GAS_NETWORKS",
    "SC": "SGN", "SE": "SGN", "SO": "SGN", "WN": "WALES_WEST_UTILITIES",
    "WS": "WALES_WEST_UTILITIES", "SW": "WALES_WEST_UTILITIES",
}  # fmt: skip
_CSP_OF_GSP: Mapping[str, str] = {
    "_P": "North", "_N": "North", "_F": "North", "_G": "North", "_M": "North", "_D": "North",
    "_A": "Central", "_B": "Central", "_E": "Central", "_K": "Central",
    "_C": "South", "_H": "South", "_J": "South", "_L": "South",
}  # fmt: skip

# --------------------------------------------------------------------------------------------
# Devices: manufacturers (three with a DM party, two without), models and firmware.
# --------------------------------------------------------------------------------------------

_OUI = {  # first three bytes of the EUI-64, one per manufacturer (fictional)
    "Ferrolux Metering": "F8-1A-3C",
    "Halcyon Devices": "D0-5E-92",
    "Corvid Instruments": "A4-C1-38",
    "Brightlane Comms": "B2-00-7E",
    "Ambit Displays": "C6-4D-11",
}
# device type -> ((manufacturer, model, firmware versions oldest first, weight), ...)
_CATALOGUE: Mapping[str, tuple[tuple[str, str, tuple[str, ...], int], ...]] = {
    "ESME": (
        ("Ferrolux Metering", "FX-E470-S2", ("2.28.1", "2.31.0", "2.33.2"), 5),
        ("Halcyon Devices", "HD-SP100", ("1.4.0", "1.6.3"), 3),
        ("Corvid Instruments", "CV-1PH-E2", ("3.0.9", "3.2.1"), 2),
    ),
    "GSME": (
        ("Ferrolux Metering", "FX-G4-S2", ("1.12.0", "1.14.5"), 4),
        ("Corvid Instruments", "CV-G25", ("2.2.0", "2.5.1"), 3),
        ("Halcyon Devices", "HD-GS4", ("1.1.8",), 2),
    ),
    "CHF": (
        ("Brightlane Comms", "BL-CH-DUALBAND", ("4.1.0", "4.3.2"), 6),
        ("Corvid Instruments", "CV-CH2", ("5.0.4", "5.1.0"), 3),
    ),
    "GPF": (
        ("Brightlane Comms", "BL-CH-DUALBAND", ("4.1.0", "4.3.2"), 6),
        ("Corvid Instruments", "CV-CH2", ("5.0.4", "5.1.0"), 3),
    ),
    "IHD": (
        ("Ambit Displays", "AD-IHD6", ("6.0.2", "6.1.0"), 6),
        ("Halcyon Devices", "HD-VIEW3", ("3.3.1",), 3),
    ),
    "CAD": (
        ("Ambit Displays", "AD-CAD2", ("2.0.7",), 2),
        ("Halcyon Devices", "HD-LINK", ("1.2.0", "1.3.4"), 3),
    ),
    "PPMID": (
        ("Ambit Displays", "AD-PPM1", ("1.5.0", "1.5.2"), 3),
        ("Ferrolux Metering", "FX-PPMID", ("0.9.7", "1.0.1"), 2),
    ),
    "HCALCS": (("Corvid Instruments", "CV-ALCS1", ("1.0.3",), 1),),
}
_TYPE2_DEVICES = frozenset({"IHD", "CAD"})
_STATUS_WEIGHTS = (
    ("commissioned", 880),
    ("installed_not_commissioned", 35),
    ("pending", 10),
    ("whitelisted", 10),
    ("suspended", 20),
    ("withdrawn", 10),
    ("recovery", 5),
    ("recovered", 30),
)
_ALL_STATUSES = tuple(status.value for status in DeviceStatus)

# --------------------------------------------------------------------------------------------
# Consents: which Other User asks for what, on what evidence (domain-brief §3.1).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ConsentKind:
    party_id: str
    purpose: str
    data_groups: str
    verifications: tuple[str, ...]
    look_back_days: int  # data_from = granted day - look_back_days
    term_days: int | None  # expires_at = granted_at + term_days; None = no expiry


_CONSENT_KINDS = (
    # 13 months of half-hours is what a SMETS2 meter keeps (domain-brief §2.5).
    _ConsentKind("WATTWISE_APP", "energy_advice", "CONSUMPTION METER_POINT",
                 ("ihd_guid", "qr_code"), 395, None),
    _ConsentKind("TARIFFSCOUT", "price_comparison", "CONSUMPTION METER_POINT REGISTRATION",
                 ("bill_reference", "card_check"), 365, 365),
    _ConsentKind("NORTHERN_UNI_ENERGY_LAB", "research", "CONSUMPTION",
                 ("card_check", "qr_code"), 730, 730),
    _ConsentKind("HANLINK_SERVICES", "device_join", "INVENTORY",
                 ("ihd_guid", "qr_code"), 0, None),
)  # fmt: skip
_CONSENT_KIND_WEIGHTS = (40, 25, 20, 15)
_CONSENT_STATE_WEIGHTS = (50, 8, 12, 10, 12, 8)

# --------------------------------------------------------------------------------------------
# World records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Segment:
    """One supplier tenure at a premises; a Change of Supplier starts the next one."""

    start: datetime
    end: datetime | None
    electricity: str | None
    gas: str | None


@dataclass(frozen=True)
class _Tenancy:
    consumer_id: str
    start: datetime
    end: datetime | None


@dataclass
class _Premises:
    sector: str
    distributor_id: int
    gsp_group: str
    ldz: str
    start: datetime
    mpan: str | None
    mprn: str | None
    scenario: str = "normal"  # normal | credentials_gap | future_cos
    prepayment: bool = False
    segments: list[_Segment] = field(default_factory=list)
    tenancies: list[_Tenancy] = field(default_factory=list)

    @property
    def mpxns(self) -> list[str]:
        return [m for m in (self.mpan, self.mprn) if m is not None]


@dataclass(frozen=True)
class _Appointment:
    mpxn: str
    role: str
    party_id: str
    valid_from: datetime
    valid_to: datetime | None


@dataclass
class _Device:
    guid: str
    device_type: str
    mpxn: str
    manufacturer: str
    model: str
    firmware_version: str
    status: str
    csp_region: str
    owner_party_id: str
    credentials_party_id: str
    premises_index: int


@dataclass(frozen=True)
class _Consent:
    consent_id: str
    consumer_id: str
    mpxn: str
    party_id: str
    purpose: str
    data_groups: str
    data_from: datetime
    data_to: datetime | None
    granted_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None
    notice_sent_at: datetime | None
    verification: str


@dataclass
class _World:
    premises: list[_Premises]
    appointments: list[_Appointment]
    devices: list[_Device]
    consents: list[_Consent]


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def write_demo_folder(
    out_dir: Path,
    *,
    meters: int,
    seed: int,
    as_of: datetime,
    days: int = 30,
    readings_format: ReadingsFormat = "csv",
    progress: ProgressCallback | None = None,
) -> DemoSummary:
    """Write a complete import folder for `meters` meter points, as the world stands at `as_of`.

    `as_of` must be a timezone-aware UTC midnight; readings cover `[as_of - days, as_of)`.
    `progress` is called with the number of reading rows written so far.
    """
    as_of = _checked_as_of(as_of)
    if meters < MIN_METERS:
        raise ValueError(f"meters must be at least {MIN_METERS} to hold every scenario")
    if days < 1:
        raise ValueError("days must be at least 1")
    if readings_format not in ("csv", "parquet"):
        raise ValueError("readings_format must be 'csv' or 'parquet'")

    rng = random.Random(seed)
    world = _build_world(rng, meters, as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = _write_reference_files(out_dir, world)
    readings_file, reading_rows = _write_readings(
        out_dir, world.premises, as_of, days, seed, readings_format, progress
    )
    return _summarise(out_dir, world, as_of, counts, readings_file, reading_rows)


def _checked_as_of(as_of: datetime) -> datetime:
    offset = as_of.utcoffset()
    if offset is None or offset != timedelta(0):
        raise ValueError("as_of must be timezone-aware UTC")
    as_of = as_of.astimezone(UTC)
    if (as_of.hour, as_of.minute, as_of.second, as_of.microsecond) != (0, 0, 0, 0):
        raise ValueError("as_of must be a UTC midnight")
    return as_of


# --------------------------------------------------------------------------------------------
# Building the world
# --------------------------------------------------------------------------------------------


def _all_parties() -> list[_Party]:
    dnos = [
        _Party(pid, name, ("ED",), "electricity_network", "", dom, non_dom)
        for pid, name, _gsp, dom, non_dom in _DNOS.values()
    ]
    return [*_SUPPLIERS, *dnos, *_GAS_NETWORKS, *_OTHER_PARTIES]


def _build_world(rng: random.Random, meters: int, as_of: datetime) -> _World:
    premises = _build_premises(rng, meters, as_of)
    _assign_scenarios(rng, premises)
    for prem in premises:
        prem.segments = _supply_history(rng, prem, as_of)
    _assign_tenancies(rng, premises, as_of)
    appointments = [a for prem in premises for a in _appointments(rng, prem, as_of)]
    devices = _devices(rng, premises, as_of)
    consents = _consents(rng, premises, as_of)
    return _World(premises, appointments, devices, consents)


def _days(n: int) -> timedelta:
    return n * _DAY


def _build_premises(rng: random.Random, meters: int, as_of: datetime) -> list[_Premises]:
    """Premises until the meter point count reaches `meters` (about 60% MPANs, 40% MPRNs)."""
    used: set[str] = set()
    distributor_ids = list(_DNOS)
    dno_weights = [_DNOS[d][3] for d in distributor_ids]
    premises: list[_Premises] = []
    remaining = meters
    while remaining > 0:
        kind, sector = _premises_kind(rng, len(premises), remaining)
        distributor_id = rng.choices(distributor_ids, weights=dno_weights)[0]
        gsp_group = _DNOS[distributor_id][2]
        prem = _Premises(
            sector=sector,
            distributor_id=distributor_id,
            gsp_group=gsp_group,
            ldz=rng.choice(_LDZ_OF_GSP[gsp_group]),
            start=as_of - _days(rng.randint(3 * 365, 14 * 365)),
            mpan=_new_mpan(rng, distributor_id, used) if kind != "gas" else None,
            mprn=_new_mprn(rng, used) if kind != "electricity" else None,
        )
        prem.prepayment = prem.sector == "domestic" and rng.random() < 0.15
        premises.append(prem)
        remaining -= len(prem.mpxns)
    return premises


def _premises_kind(rng: random.Random, position: int, remaining: int) -> tuple[str, str]:
    """(fuel kind, sector): dual fuel 58%, electricity only 37%, gas only 5% of premises, which
    makes about 60% of meter points MPANs; about 10% of premises are non-domestic."""
    kind = rng.choices(("dual", "electricity", "gas"), weights=(58, 37, 5))[0]
    sector = "non_domestic" if rng.random() < 0.10 else "domestic"
    # The first two premises are fixed so that even the smallest world has a domestic home
    # (for consents) and a business site (for a Major Energy User).
    if position < 2:
        return "dual", ("domestic", "non_domestic")[position]
    if remaining == 1 and kind == "dual":
        kind = "electricity"
    return kind, sector


def _mpan_check_digit(first_twelve: str) -> int:
    """The MPAN core check digit (domain-brief §5.1)."""
    primes: list[int] = MPAN.PRIMES
    return sum(p * int(d) for p, d in zip(primes, first_twelve, strict=True)) % 11 % 10


def _mprn_check_digits(body: str) -> str:
    """The two trailing MPRN check digits (domain-brief §5.2; one secondary source)."""
    weights = range(len(body), 0, -1)
    return f"{sum(w * int(d) for w, d in zip(weights, body, strict=True)) % 11:02d}"


def _new_mpan(rng: random.Random, distributor_id: int, used: set[str]) -> str:
    while True:
        body = f"{distributor_id:02d}{rng.randrange(10**10):010d}"
        core = f"{body}{_mpan_check_digit(body)}"
        if core not in used:
            used.add(core)
            return core


def _new_mprn(rng: random.Random, used: set[str]) -> str:
    while True:
        body = str(rng.randrange(10**7, 10**8))
        mprn = f"{body}{_mprn_check_digits(body)}"
        if mprn not in used:
            used.add(mprn)
            return mprn


def _assign_scenarios(rng: random.Random, premises: list[_Premises]) -> None:
    """Pick the premises that carry a credentials gap or a future-dated Change of Supplier."""
    gaps = max(2, len(premises) // 250)
    futures = max(1, len(premises) // 300)
    chosen = rng.sample(range(len(premises)), gaps + futures)
    for i in chosen[:gaps]:
        premises[i].scenario = "credentials_gap"
    for i in chosen[gaps:]:
        premises[i].scenario = "future_cos"


# --- supply history -------------------------------------------------------------------------


def _supply_history(rng: random.Random, prem: _Premises, as_of: datetime) -> list[_Segment]:
    """Supplier tenures from the meter point's creation; about a fifth switch at least once."""
    latest_random = as_of - _days(120) if prem.scenario == "credentials_gap" else as_of - _DAY
    switch_count = rng.choices((0, 1, 2), weights=(80, 15, 5))[0]
    switches = _spaced_dates(rng, prem.start + _days(180), latest_random, switch_count)
    if prem.scenario == "credentials_gap":
        # SSD in the last 60 days and SR 6.23 not yet sent (seed 003: it took 50 days).
        switches.append(as_of - _days(rng.randint(3, 59)))
    elif prem.scenario == "future_cos":
        # CSS: a switch is effective D+1..D+28 after the request (domain-brief §6.5).
        switches.append(as_of + _days(rng.randint(2, 28)))
    starts = [prem.start, *switches]
    ends: list[datetime | None] = [*switches, None]
    segments: list[_Segment] = []
    previous: tuple[str | None, str | None] = (None, None)
    for start, end in zip(starts, ends, strict=True):
        electricity, gas = _pick_suppliers(rng, prem, previous)
        segments.append(_Segment(start, end, electricity, gas))
        previous = (electricity, gas)
    return segments


def _spaced_dates(rng: random.Random, first: datetime, last: datetime, n: int) -> list[datetime]:
    """Up to n midnights in [first, last], at least 90 days apart."""
    span = (last - first).days
    if n == 0 or span < 1:
        return []
    for _attempt in range(10):
        offsets = sorted(rng.sample(range(span + 1), min(n, span + 1)))
        if all(b - a >= 90 for a, b in itertools.pairwise(offsets)):
            return [first + _days(o) for o in offsets]
    return [first + _days(rng.randint(0, span))]


def _supplier_weight(party: _Party, sector: str) -> int:
    count = party.domestic_premises if sector == "domestic" else party.non_domestic_premises
    return count or 0


def _pick_suppliers(
    rng: random.Random, prem: _Premises, previous: tuple[str | None, str | None]
) -> tuple[str | None, str | None]:
    """Suppliers for a new tenure, each different from the one it replaces."""
    needs_electricity, needs_gas = prem.mpan is not None, prem.mprn is not None
    if needs_electricity and needs_gas and rng.random() < 0.7:
        dual = [p for p in _SUPPLIERS if {"IS", "GS"} <= set(p.roles)]
        party = _weighted_supplier(rng, dual, prem.sector, exclude=set(previous))
        return party, party
    electricity = gas = None
    if needs_electricity:
        importers = [p for p in _SUPPLIERS if "IS" in p.roles]
        electricity = _weighted_supplier(rng, importers, prem.sector, {previous[0]})
    if needs_gas:
        gas_suppliers = [p for p in _SUPPLIERS if "GS" in p.roles]
        gas = _weighted_supplier(rng, gas_suppliers, prem.sector, {previous[1]})
    return electricity, gas


def _weighted_supplier(
    rng: random.Random, candidates: Sequence[_Party], sector: str, exclude: set[str | None]
) -> str:
    pool = [p for p in candidates if p.party_id not in exclude and _supplier_weight(p, sector)]
    weights = [_supplier_weight(p, sector) for p in pool]
    return rng.choices(pool, weights=weights)[0].party_id


def _segment_at(segments: Sequence[_Segment], t: datetime) -> int:
    for i, seg in enumerate(segments):
        if seg.start <= t and (seg.end is None or t < seg.end):
            return i
    raise ValueError("no supplier segment covers the instant")


# --- occupancy ------------------------------------------------------------------------------


class _ConsumerIds:
    """Unique, non-sequential-looking consumer ids (a bijection of a counter)."""

    def __init__(self) -> None:
        self._domestic = 0
        self._business = 0

    def domestic(self) -> str:
        self._domestic += 1
        return f"CU-{(self._domestic * 7919 + 104_729) % 10**8:08d}"

    def business(self) -> str:
        self._business += 1
        return f"BZ-{(self._business * 7919 + 3_571) % 10**6:06d}"


def _assign_tenancies(rng: random.Random, premises: list[_Premises], as_of: datetime) -> None:
    ids = _ConsumerIds()
    meu_sites = _meu_sites(rng, premises)
    for index, prem in enumerate(premises):
        new_id = ids.domestic if prem.sector == "domestic" else ids.business
        meu = meu_sites.get(index)
        if meu is None:
            prem.tenancies = _tenancies(rng, prem, as_of, new_id)
            continue
        # A Major Energy User occupies the site now, after earlier business occupants.
        meu_start = as_of - _days(rng.randint(365, max(366, (as_of - prem.start).days - 30)))
        earlier = _tenancies(rng, prem, meu_start, new_id)
        prem.tenancies = [*_close_at(earlier, meu_start), _Tenancy(meu, meu_start, None)]
    _ensure_consentable_home(rng, premises[0], as_of, ids)


def _ensure_consentable_home(
    rng: random.Random, home: _Premises, as_of: datetime, ids: _ConsumerIds
) -> None:
    """Make the first home have a past occupant and a settled current one, whatever the dice.

    Consents need both: a consumer who moved out, and one who has lived there 60+ days.
    """
    move_in = as_of - _days(rng.randint(120, 400))
    past = _close_at(home.tenancies, move_in)
    if not past or (move_in - past[-1].start).days < 60:
        past = [_Tenancy(ids.domestic(), home.start, move_in)]
    home.tenancies = [*past, _Tenancy(ids.domestic(), move_in, None)]


def _meu_sites(rng: random.Random, premises: list[_Premises]) -> dict[int, str]:
    """About a third of non-domestic premises belong to the Major Energy Users."""
    non_domestic = [i for i, p in enumerate(premises) if p.sector == "non_domestic"]
    count = max(len(_MEUS), len(non_domestic) // 3)
    chosen = sorted(rng.sample(non_domestic, min(count, len(non_domestic))))
    return {site: _MEUS[n % len(_MEUS)] for n, site in enumerate(chosen)}


def _tenancies(
    rng: random.Random, prem: _Premises, until: datetime, new_id: Callable[[], str]
) -> list[_Tenancy]:
    """Move-ins and move-outs from the meter point's creation up to `until`.

    Most changes of tenancy are back to back (old end == new start); some leave a vacant gap.
    """
    out: list[_Tenancy] = []
    t = prem.start + _days(rng.randint(0, 45))
    while t < until:
        end = t + _days(_tenancy_days(rng, prem.sector))
        if end >= until:
            out.append(_Tenancy(new_id(), t, None))
            break
        out.append(_Tenancy(new_id(), t, end))
        t = end if rng.random() < 0.7 else end + _days(rng.randint(7, 150))
    return out


def _tenancy_days(rng: random.Random, sector: str) -> int:
    if sector == "non_domestic":
        return rng.randint(2 * 365, 12 * 365)
    if rng.random() < 0.45:  # renters move more often than owners
        return rng.randint(180, 4 * 365)
    return rng.randint(3 * 365, 20 * 365)


def _close_at(tenancies: list[_Tenancy], at: datetime) -> list[_Tenancy]:
    closed = []
    for t in tenancies:
        if t.start >= at:
            break
        end = at if t.end is None or t.end > at else t.end
        closed.append(_Tenancy(t.consumer_id, t.start, end))
    return closed


# --- appointments ---------------------------------------------------------------------------


def _appointments(rng: random.Random, prem: _Premises, as_of: datetime) -> list[_Appointment]:
    out: list[_Appointment] = []
    if prem.mpan is not None:
        out += _supplier_appointments(prem.mpan, "IS", [(s, s.electricity) for s in prem.segments])
        dno = _DNOS[prem.distributor_id][0]
        out.append(_Appointment(prem.mpan, "ED", dno, prem.start, None))
        if rng.random() < 0.10:
            out.append(_export_appointment(rng, prem, prem.mpan, as_of))
    if prem.mprn is not None:
        tenures = [(s, s.gas) for s in prem.segments]
        out += _supplier_appointments(prem.mprn, "GS", tenures)
        shippers = [(s, _SHIPPER_OF_SUPPLIER[g]) for s, g in tenures if g is not None]
        out += _supplier_appointments(prem.mprn, "SH", shippers)
        network = _IGT_ID if rng.random() < _IGT_SHARE else _GAS_NETWORK_OF_LDZ[prem.ldz]
        out.append(_Appointment(prem.mprn, "GT", network, prem.start, None))
    for mpxn in prem.mpxns:
        out += _agent_appointments(rng, prem, mpxn, as_of)
    return out


def _supplier_appointments(
    mpxn: str, role: str, tenures: Sequence[tuple[_Segment, str | None]]
) -> list[_Appointment]:
    """One appointment per tenure; consecutive tenures of the same party merge into one."""
    out: list[_Appointment] = []
    for seg, party in tenures:
        if party is None:
            continue
        if out and out[-1].party_id == party and out[-1].valid_to == seg.start:
            out[-1] = _Appointment(mpxn, role, party, out[-1].valid_from, seg.end)
        else:
            out.append(_Appointment(mpxn, role, party, seg.start, seg.end))
    return out


def _export_appointment(
    rng: random.Random, prem: _Premises, mpan: str, as_of: datetime
) -> _Appointment:
    """An export registration from when generation (e.g. rooftop solar) was fitted."""
    exporters = [p for p in _SUPPLIERS if "ES" in p.roles]
    party = rng.choices(exporters, weights=[_supplier_weight(p, "domestic") for p in exporters])
    fitted = max(prem.start + _DAY, as_of - _days(rng.randint(60, 8 * 365)))
    return _Appointment(mpan, "ES", party[0].party_id, fitted, None)


def _agent_appointments(
    rng: random.Random, prem: _Premises, mpxn: str, as_of: datetime
) -> list[_Appointment]:
    """RSA and MAM appointments made by the supplier, for the tenure current at as_of."""
    out: list[_Appointment] = []
    current = prem.segments[_segment_at(prem.segments, as_of)]
    is_gas = mpxn == prem.mprn
    if rng.random() < 0.12:
        start = min(current.start + _days(rng.randint(0, 30)), as_of - _DAY)
        out.append(_Appointment(mpxn, "RSA", rng.choice(_RSAS), start, current.end))
    if rng.random() < (0.6 if is_gas else 0.08):
        out.append(_Appointment(mpxn, "MAM", rng.choice(_MAMS), current.start, current.end))
    return out


# --- devices --------------------------------------------------------------------------------


class _Guids:
    """Unique EUI-64s: a manufacturer prefix and a bijective scramble of a global counter."""

    def __init__(self, rng: random.Random) -> None:
        self._counter = 0
        self._offset = rng.randrange(2**40)

    def issue(self, manufacturer: str) -> str:
        self._counter += 1
        serial = (self._counter * 0x9E3779B97F + self._offset) % 2**40  # odd multiplier
        tail = "-".join(f"{(serial >> shift) & 0xFF:02X}" for shift in (32, 24, 16, 8, 0))
        return f"{_OUI[manufacturer]}-{tail}"


def _credentials_supplier(prem: _Premises, fuel: str, as_of: datetime) -> str | None:
    """Whose certificates the meter trusts: the current supplier, or the former one in a gap."""
    index = _segment_at(prem.segments, as_of)
    if prem.scenario == "credentials_gap":
        index -= 1
    segment = prem.segments[index]
    return segment.electricity if fuel == "electricity" else segment.gas


def _devices(rng: random.Random, premises: list[_Premises], as_of: datetime) -> list[_Device]:
    guids = _Guids(rng)
    devices: list[_Device] = []
    for index, prem in enumerate(premises):
        for device_type, mpxn, fuel in _device_plan(rng, prem):
            credentials = _credentials_supplier(prem, fuel, as_of)
            devices.append(_new_device(rng, guids, index, prem, device_type, mpxn, credentials))
        devices += _replaced_meters(rng, guids, index, prem, as_of)
    _cover_every_status(rng, devices, premises)
    return devices


def _device_plan(rng: random.Random, prem: _Premises) -> list[tuple[str, str, str]]:
    """(device type, mpxn, fuel of its credentials) for each device at the premises."""
    plan: list[tuple[str, str, str]] = []
    # The hub, display and HAN extras hang off the electricity meter point when there is one.
    hub_mpxn, hub_fuel = (prem.mpan, "electricity") if prem.mpan else (prem.mprn, "gas")
    assert hub_mpxn is not None
    if prem.mpan is not None:
        plan.append(("ESME", prem.mpan, "electricity"))
    if prem.mprn is not None:
        plan += [("GSME", prem.mprn, "gas"), ("GPF", prem.mprn, "gas")]
    plan.append(("CHF", hub_mpxn, hub_fuel))
    if prem.sector == "domestic" or rng.random() < 0.5:
        plan.append(("IHD", hub_mpxn, hub_fuel))
    if prem.prepayment:
        plan.append(("PPMID", hub_mpxn, hub_fuel))
    if rng.random() < 0.08:
        plan.append(("CAD", hub_mpxn, hub_fuel))
    if prem.mpan is not None and rng.random() < 0.03:
        plan.append(("HCALCS", prem.mpan, "electricity"))
    return plan


def _new_device(
    rng: random.Random,
    guids: _Guids,
    index: int,
    prem: _Premises,
    device_type: str,
    mpxn: str,
    credentials: str | None,
    status: str | None = None,
) -> _Device:
    options = _CATALOGUE[device_type]
    manufacturer, model, firmwares, _w = rng.choices(options, weights=[o[3] for o in options])[0]
    type2 = device_type in _TYPE2_DEVICES
    if status is None:
        status = "" if type2 else _random_status(rng, prem)
    return _Device(
        guid=guids.issue(manufacturer),
        device_type=device_type,
        mpxn=mpxn,
        manufacturer=manufacturer,
        model=model,
        firmware_version=rng.choice(firmwares),
        status=status,
        csp_region=_CSP_OF_GSP[prem.gsp_group],
        owner_party_id=_owner(rng, device_type),
        # Type 2 devices hold no credentials; a pending device has not been given any yet.
        credentials_party_id="" if type2 or status == "pending" else credentials or "",
        premises_index=index,
    )


def _random_status(rng: random.Random, prem: _Premises) -> str:
    if prem.scenario == "credentials_gap":
        return "commissioned"  # the gap is about credentials on a working meter
    return rng.choices([s for s, _ in _STATUS_WEIGHTS], weights=[w for _, w in _STATUS_WEIGHTS])[0]


def _owner(rng: random.Random, device_type: str) -> str:
    """Meters are mostly financed by a MAP (seed 002); hubs are the DCC's, displays nobody's."""
    if device_type in ("ESME", "GSME") and rng.random() < 0.85:
        return rng.choices(_MAPS, weights=(3, 2))[0]
    if device_type == "PPMID" and rng.random() < 0.5:
        return rng.choice(_MAPS)
    return ""


def _replaced_meters(
    rng: random.Random, guids: _Guids, index: int, prem: _Premises, as_of: datetime
) -> list[_Device]:
    """Now and then an exchanged meter stays in the inventory as decommissioned."""
    out = []
    for mpxn, device_type, fuel in ((prem.mpan, "ESME", "electricity"), (prem.mprn, "GSME", "gas")):
        if mpxn is not None and prem.scenario == "normal" and rng.random() < 0.03:
            credentials = _credentials_supplier(prem, fuel, as_of)
            out.append(
                _new_device(rng, guids, index, prem, device_type, mpxn, credentials,
                            status="decommissioned")
            )  # fmt: skip
    return out


def _cover_every_status(
    rng: random.Random, devices: list[_Device], premises: list[_Premises]
) -> None:
    """Small worlds may miss a rare status by chance: give each one to some device."""
    present = {d.status for d in devices}
    candidates = [
        d
        for d in devices
        if d.device_type not in _TYPE2_DEVICES
        and d.status == "commissioned"
        and premises[d.premises_index].scenario == "normal"
    ]
    for status in _ALL_STATUSES:
        if status not in present:
            device = candidates.pop(rng.randrange(len(candidates)))
            device.status = status
            if status == "pending":
                device.credentials_party_id = ""


# --- consents -------------------------------------------------------------------------------


def _consents(rng: random.Random, premises: list[_Premises], as_of: datetime) -> list[_Consent]:
    """Other User consents in every lifecycle state at as_of (ACCESS-RULES §6)."""
    current, ended = _consentable_tenancies(premises, as_of)
    wanted = max(2 * len(CONSENT_STATES), round(len(premises) * 0.12))
    states = list(CONSENT_STATES) + rng.choices(
        CONSENT_STATES, weights=_CONSENT_STATE_WEIGHTS, k=wanted - len(CONSENT_STATES)
    )
    consents: list[_Consent] = []
    for n, state in enumerate(states):
        pool = ended if state == "ended_by_move_out" else current
        prem, tenancy = rng.choice(pool)
        kind = rng.choices(_CONSENT_KINDS, weights=_CONSENT_KIND_WEIGHTS)[0]
        # The very first active consent reaches back before the move-in, so it always exists.
        reach_back = n == 0
        # A consumer at a dual-fuel premises often consents for both meter points (n3rgy).
        mpxns = prem.mpxns if rng.random() < 0.4 else [rng.choice(prem.mpxns)]
        for suffix, mpxn in zip("AB", mpxns, strict=False):
            consent_id = f"CNS-{n + 1:06d}{suffix if len(mpxns) > 1 else ''}"
            consents.append(
                _consent_in_state(rng, state, kind, consent_id, mpxn, tenancy, as_of, reach_back)
            )
    return consents


def _consentable_tenancies(
    premises: list[_Premises], as_of: datetime
) -> tuple[list[tuple[_Premises, _Tenancy]], list[tuple[_Premises, _Tenancy]]]:
    """Domestic tenancies that run through as_of, and ones that ended before it."""
    current, ended = [], []
    for prem in premises:
        if prem.sector != "domestic":
            continue
        for t in prem.tenancies:
            if t.start <= as_of - _days(60) and t.end is None:
                current.append((prem, t))
            elif t.end is not None and t.end <= as_of and (t.end - t.start).days >= 60:
                ended.append((prem, t))
    return current, ended


def _consent_in_state(
    rng: random.Random,
    state: str,
    kind: _ConsentKind,
    consent_id: str,
    mpxn: str,
    tenancy: _Tenancy,
    as_of: datetime,
    reach_back: bool,
) -> _Consent:
    granted, expires, withdrawn, notice = _lifecycle(rng, state, kind, tenancy, as_of)
    granted_day = granted.replace(hour=0, minute=0, second=0)
    data_from = granted_day - _days(kind.look_back_days)
    if reach_back:
        data_from = min(data_from, tenancy.start - _days(rng.randint(30, 400)))
    data_to = None
    if kind.purpose == "research" and kind.term_days is not None:
        data_to = granted_day + _days(kind.term_days)  # the study's fixed window
    return _Consent(
        consent_id=consent_id,
        consumer_id=tenancy.consumer_id,
        mpxn=mpxn,
        party_id=kind.party_id,
        purpose=kind.purpose,
        data_groups=kind.data_groups,
        data_from=data_from,
        data_to=data_to,
        granted_at=granted,
        expires_at=expires,
        withdrawn_at=withdrawn,
        notice_sent_at=notice,
        verification=rng.choice(kind.verifications),
    )


def _lifecycle(
    rng: random.Random, state: str, kind: _ConsentKind, tenancy: _Tenancy, as_of: datetime
) -> tuple[datetime, datetime | None, datetime | None, datetime | None]:
    """(granted_at, expires_at, withdrawn_at, notice_sent_at) that put a consent in `state`."""
    occupied_until = tenancy.end or as_of
    if state == "not_yet_granted":
        granted = _moment(rng, as_of + _DAY, as_of + _days(10))
    elif state == "pending_notice":
        granted = _moment(rng, as_of - _days(3), as_of - timedelta(hours=1))
    elif state == "expired":
        granted = _moment(rng, max(tenancy.start + _DAY, as_of - _days(1000)), as_of - _days(40))
    else:
        latest = occupied_until - _days(2)
        earliest = max(tenancy.start + _DAY, latest - _days(900))
        granted = _moment(rng, earliest, latest)
    expires = granted + _days(kind.term_days) if kind.term_days is not None else None
    if state == "expired":
        expires = _moment(rng, granted + _DAY, as_of - timedelta(hours=1))
    elif expires is not None and expires <= as_of:
        expires = as_of + _days(rng.randint(30, 365))  # keep the consent in its intended state
    withdrawn = None
    if state == "withdrawn":
        withdrawn = _moment(rng, granted + timedelta(hours=2), as_of - timedelta(hours=1))
    notice = (
        None if state == "pending_notice" else granted + timedelta(minutes=rng.randint(5, 1440))
    )
    if notice is not None and state != "not_yet_granted" and notice > as_of:
        notice = as_of - timedelta(minutes=1)
    return granted, expires, withdrawn, notice


def _moment(rng: random.Random, earliest: datetime, latest: datetime) -> datetime:
    """A minute-aligned instant in [earliest, latest] (latest clamped up to earliest)."""
    minutes = max(0, int((latest - earliest).total_seconds() // 60))
    return earliest.replace(second=0) + timedelta(minutes=rng.randint(0, minutes))


def _consent_state(
    granted_at: datetime,
    expires_at: datetime | None,
    withdrawn_at: datetime | None,
    notice_sent_at: datetime | None,
    occupies_at_as_of: bool,
    as_of: datetime,
) -> str:
    """The lifecycle state of a consent at as_of; the first reason it is not active wins."""
    if granted_at > as_of:
        return "not_yet_granted"
    if withdrawn_at is not None and withdrawn_at <= as_of:
        return "withdrawn"
    if expires_at is not None and expires_at <= as_of:
        return "expired"
    if not occupies_at_as_of:
        return "ended_by_move_out"
    if notice_sent_at is None or notice_sent_at > as_of:
        return "pending_notice"
    return "active"


# --------------------------------------------------------------------------------------------
# Writing the reference files
# --------------------------------------------------------------------------------------------


def _iso(t: datetime | None) -> str:
    return "" if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _optional(value: int | bool | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _copy_with_count(source: Path, target: Path) -> int:
    shutil.copyfile(source, target)
    with target.open(encoding="utf-8") as f:
        return sum(1 for _ in f) - 1


# The import's own column lists: the generator writes exactly what the importer reads.
_COLUMNS = {spec.name: spec.columns for spec in REGISTRY_FILES}


def _write_reference_files(out_dir: Path, world: _World) -> dict[str, int]:
    counts = {
        "parties": _write_csv(out_dir / "parties.csv", _COLUMNS["parties.csv"], _party_rows()),
        "meter_points": _write_csv(
            out_dir / "meter_points.csv", _COLUMNS["meter_points.csv"],
            _meter_point_rows(world.premises),
        ),
        "appointments": _write_csv(
            out_dir / "appointments.csv", _COLUMNS["appointments.csv"],
            ((a.mpxn, a.role, a.party_id, _iso(a.valid_from), _iso(a.valid_to))
             for a in world.appointments),
        ),
        "occupancies": _write_csv(
            out_dir / "occupancies.csv", _COLUMNS["occupancies.csv"],
            _occupancy_rows(world.premises),
        ),
        "devices": _write_csv(out_dir / "devices.csv", _COLUMNS["devices.csv"],
                              (_device_row(d) for d in world.devices)),
        "consents": _write_csv(out_dir / "consents.csv", _COLUMNS["consents.csv"],
                               (_consent_row(c) for c in world.consents)),
        "matrix": _copy_with_count(DEFAULT_MATRIX_PATH, out_dir / "matrix.csv"),
        "critical_alerts": _copy_with_count(
            DEFAULT_CRITICAL_ALERTS_PATH, out_dir / "critical_alerts.csv"
        ),
    }  # fmt: skip
    return counts


def _party_rows() -> Iterator[tuple[str, ...]]:
    for p in _all_parties():
        yield (
            p.party_id,
            p.name,
            " ".join(p.roles),
            p.category,
            p.manufacturer,
            _optional(p.domestic_premises),
            _optional(p.non_domestic_premises),
            _optional(p.shared_resources),
        )


def _meter_point_rows(premises: list[_Premises]) -> Iterator[tuple[str, str, str]]:
    for prem in premises:
        if prem.mpan is not None:
            yield prem.mpan, prem.sector, prem.gsp_group
        if prem.mprn is not None:
            yield prem.mprn, prem.sector, prem.ldz


def _occupancy_rows(premises: list[_Premises]) -> Iterator[tuple[str, str, str, str]]:
    for prem in premises:
        for mpxn in prem.mpxns:
            for t in prem.tenancies:
                yield mpxn, t.consumer_id, _iso(t.start), _iso(t.end)


def _device_row(d: _Device) -> tuple[str, ...]:
    return (
        d.guid,
        d.device_type,
        d.mpxn,
        d.manufacturer,
        d.model,
        d.firmware_version,
        d.status,
        d.csp_region,
        d.owner_party_id,
        d.credentials_party_id,
    )


def _consent_row(c: _Consent) -> tuple[str, ...]:
    return (
        c.consent_id,
        c.consumer_id,
        c.mpxn,
        c.party_id,
        c.purpose,
        c.data_groups,
        _iso(c.data_from),
        _iso(c.data_to),
        _iso(c.granted_at),
        _iso(c.expires_at),
        _iso(c.withdrawn_at),
        _iso(c.notice_sent_at),
        c.verification,
    )


# --------------------------------------------------------------------------------------------
# Readings: numpy in blocks of meters, written by pyarrow (bounded memory, fast)
# --------------------------------------------------------------------------------------------

# Profile classes, indexing the shape, weekend and seasonal tables below.
_DOMESTIC_ELECTRICITY, _NON_DOMESTIC_ELECTRICITY, _DOMESTIC_GAS, _NON_DOMESTIC_GAS = range(4)

# Typical annual kWh (Ofgem TDCV medium: 2,700 electricity, 11,500 gas) and lognormal spread.
_ANNUAL_KWH_MEDIAN = np.array([2_700.0, 30_000.0, 11_500.0, 60_000.0])
_ANNUAL_KWH_SIGMA = np.array([0.45, 0.9, 0.40, 0.9])
# Smart metering's non-domestic scope: gas sites under 732 MWh a year (domain-brief §4.2).
_ANNUAL_KWH_CAP = np.array([np.inf, np.inf, np.inf, 731_000.0])
_WEEKEND_FACTOR = np.array([1.08, 0.45, 1.10, 0.50])
_HALF_HOUR_NOISE_SHAPE = np.array([4.0, 12.0, 3.0, 8.0])  # gamma k: smaller is spikier
_DAY_NOISE_SIGMA = 0.15

# Monthly seasonal factors, January first: winter high, gas far more seasonal than electricity.
_ELECTRICITY_SEASON = np.array(
    [1.22, 1.15, 1.05, 0.95, 0.88, 0.83, 0.83, 0.85, 0.90, 1.00, 1.12, 1.22]
)
_GAS_SEASON = np.array([1.85, 1.70, 1.40, 1.00, 0.62, 0.38, 0.32, 0.33, 0.48, 0.90, 1.37, 1.75])
_SEASON = np.stack(
    [
        _ELECTRICITY_SEASON / _ELECTRICITY_SEASON.mean(),
        _ELECTRICITY_SEASON / _ELECTRICITY_SEASON.mean(),
        _GAS_SEASON / _GAS_SEASON.mean(),
        _GAS_SEASON / _GAS_SEASON.mean(),
    ]
)


def _bump(hours: np.ndarray, centre: float, width: float) -> np.ndarray:
    distance = np.minimum(np.abs(hours - centre), 24 - np.abs(hours - centre))
    return np.asarray(np.exp(-0.5 * (distance / width) ** 2))


def _plateau(hours: np.ndarray, opens: float, closes: float) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-(hours - opens) * 3)) / (1 + np.exp((hours - closes) * 3)))


def _daily_shapes() -> np.ndarray:
    """Four 48-half-hour shapes in local time, each with mean 1."""
    h = np.arange(HALF_HOURS_PER_DAY) / 2 + 0.25  # centre of each half hour
    shapes = np.stack(
        [
            # domestic electricity: night trough, breakfast bump, big evening peak
            0.30 + 0.45 * _bump(h, 7.75, 1.0) + 0.20 * _bump(h, 12.75, 1.5)
            + 1.05 * _bump(h, 18.5, 1.7),
            # non-domestic electricity: business-hours plateau over a base load
            0.30 + 1.00 * _plateau(h, 7.5, 18.0) + 0.10 * _bump(h, 12.5, 1.0),
            # domestic gas: heating morning and evening, almost nothing at night
            0.06 + 1.20 * _bump(h, 7.0, 0.9) + 1.00 * _bump(h, 18.5, 1.8)
            + 0.25 * _bump(h, 21.5, 1.0),
            # non-domestic gas: heating through the working day, strongest at warm-up
            0.08 + 0.90 * _plateau(h, 6.0, 17.0) + 0.70 * _bump(h, 6.75, 0.8),
        ]
    )  # fmt: skip
    return np.asarray(shapes / shapes.mean(axis=1, keepdims=True))


_SHAPES = _daily_shapes()


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year, month + 1, 1, tzinfo=UTC) - _DAY
    return day - _days((day.weekday() + 1) % 7)


def _uk_local_offset_hours(t: datetime) -> int:
    """BST (UTC+1) from 01:00 UTC on the last Sunday of March to the last Sunday of October."""
    starts = _last_sunday(t.year, 3) + timedelta(hours=1)
    ends = _last_sunday(t.year, 10) + timedelta(hours=1)
    return 1 if starts <= t < ends else 0


@dataclass(frozen=True)
class _Grid:
    """The half-hour timeline shared by every meter."""

    epoch_seconds: np.ndarray  # int64, start of each half hour
    labels: pa.Array  # the same instants as "YYYY-MM-DDTHH:MM:SSZ"
    local_half_hour: np.ndarray  # 0..47 in UK local time
    weekend: np.ndarray  # bool, by local date
    month: np.ndarray  # 0..11


def _half_hour_grid(as_of: datetime, days: int) -> _Grid:
    instants = [as_of - _days(days) + timedelta(minutes=30 * i) for i in range(days * 48)]
    local = [t + timedelta(hours=_uk_local_offset_hours(t)) for t in instants]
    return _Grid(
        epoch_seconds=np.array([int(t.timestamp()) for t in instants], dtype=np.int64),
        labels=pa.array([_iso(t) for t in instants], type=pa.string()),
        local_half_hour=np.array([lt.hour * 2 + lt.minute // 30 for lt in local]),
        weekend=np.array([lt.weekday() >= 5 for lt in local]),
        month=np.array([lt.month - 1 for lt in local]),
    )


def _reading_meters(premises: list[_Premises]) -> tuple[list[str], np.ndarray]:
    """Meter points in meter_points.csv order, with their profile class."""
    mpxns: list[str] = []
    classes: list[int] = []
    for prem in premises:
        non_domestic = prem.sector == "non_domestic"
        if prem.mpan is not None:
            mpxns.append(prem.mpan)
            classes.append(_NON_DOMESTIC_ELECTRICITY if non_domestic else _DOMESTIC_ELECTRICITY)
        if prem.mprn is not None:
            mpxns.append(prem.mprn)
            classes.append(_NON_DOMESTIC_GAS if non_domestic else _DOMESTIC_GAS)
    return mpxns, np.array(classes, dtype=np.int64)


def _block_kwh(rng: np.random.Generator, classes: np.ndarray, grid: _Grid) -> np.ndarray:
    """Half-hourly kWh for a block of meters: scale x shape x season x weekend x noise."""
    meters, steps = len(classes), len(grid.epoch_seconds)
    annual = _ANNUAL_KWH_MEDIAN[classes] * rng.lognormal(0.0, _ANNUAL_KWH_SIGMA[classes])
    annual = np.minimum(annual, _ANNUAL_KWH_CAP[classes])
    mean_half_hour = annual / (365 * HALF_HOURS_PER_DAY)
    # Each household keeps its own clock: shift its shape by up to an hour either way.
    shift = rng.integers(-2, 3, size=meters)
    shape = _SHAPES[classes[:, None], (grid.local_half_hour[None, :] + shift[:, None]) % 48]
    season = _SEASON[classes[:, None], grid.month[None, :]]
    weekend = np.where(grid.weekend[None, :], _WEEKEND_FACTOR[classes][:, None], 1.0)
    day_noise = rng.lognormal(0.0, _DAY_NOISE_SIGMA, size=(meters, steps // 48))
    k = _HALF_HOUR_NOISE_SHAPE[classes][:, None]
    half_hour_noise = rng.standard_gamma(np.broadcast_to(k, (meters, steps))) / k
    kwh = mean_half_hour[:, None] * shape * season * weekend * half_hour_noise
    kwh *= np.repeat(day_noise, 48, axis=1)
    return np.asarray(np.round(kwh, 3).reshape(-1))


_READINGS_SCHEMA = pa.schema(
    [("mpxn", pa.string()), ("ts", pa.timestamp("s", tz="UTC")), ("kwh", pa.float64())]
)
_READINGS_CSV_SCHEMA = pa.schema(
    [("mpxn", pa.string()), ("ts", pa.string()), ("kwh", pa.float64())]
)


def _blocks(count: int, steps: int) -> Iterator[slice]:
    """Slices of meters small enough that a block stays near a million rows."""
    size = max(1, min(_METERS_PER_BLOCK, _READING_ROWS_PER_BLOCK // steps))
    for start in range(0, count, size):
        yield slice(start, min(count, start + size))


def _write_readings(
    out_dir: Path,
    premises: list[_Premises],
    as_of: datetime,
    days: int,
    seed: int,
    readings_format: ReadingsFormat,
    progress: ProgressCallback | None,
) -> tuple[str, int]:
    file_name = f"readings.{readings_format}"
    stale = out_dir / ("readings.parquet" if readings_format == "csv" else "readings.csv")
    stale.unlink(missing_ok=True)  # one folder holds exactly one readings file
    grid = _half_hour_grid(as_of, days)
    mpxns, classes = _reading_meters(premises)
    rng = np.random.default_rng((seed, _READINGS_STREAM))
    steps = len(grid.epoch_seconds)
    written = 0
    with _ReadingsSink(out_dir / file_name, readings_format) as sink:
        for block in _blocks(len(mpxns), steps):
            kwh = _block_kwh(rng, classes[block], grid)
            block_meters = pa.array(mpxns[block], type=pa.string())
            meter_index = pa.array(np.repeat(np.arange(len(block_meters)), steps))
            step_index = np.tile(np.arange(steps), len(block_meters))
            sink.write(block_meters.take(meter_index), grid, step_index, kwh)
            written += len(kwh)
            if progress is not None:
                progress(written)
    return file_name, written


class _ReadingsSink:
    """Streams reading blocks to CSV (unquoted) or Parquet (typed timestamps)."""

    def __init__(self, path: Path, readings_format: ReadingsFormat) -> None:
        self._path = path
        self._format = readings_format
        self._file: pa.NativeFile | None = None
        self._csv: pa_csv.CSVWriter | None = None
        self._parquet: pq.ParquetWriter | None = None

    def __enter__(self) -> _ReadingsSink:
        if self._format == "csv":
            self._file = pa.OSFile(str(self._path), "wb")
            # pyarrow quotes header names even with quoting off, so write the header ourselves.
            self._file.write(b"mpxn,ts,kwh\n")
            options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
            self._csv = pa_csv.CSVWriter(self._file, _READINGS_CSV_SCHEMA, write_options=options)
        else:
            self._parquet = pq.ParquetWriter(str(self._path), _READINGS_SCHEMA)
        return self

    def write(self, mpxn: pa.Array, grid: _Grid, step_index: np.ndarray, kwh: np.ndarray) -> None:
        if self._csv is not None:
            ts = grid.labels.take(pa.array(step_index))
            columns = [mpxn, ts, pa.array(kwh, type=pa.float64())]
            self._csv.write_batch(pa.record_batch(columns, schema=_READINGS_CSV_SCHEMA))
        elif self._parquet is not None:
            seconds = pa.array(grid.epoch_seconds[step_index], type=pa.timestamp("s", tz="UTC"))
            columns = [mpxn, seconds, pa.array(kwh, type=pa.float64())]
            self._parquet.write_table(pa.table(columns, schema=_READINGS_SCHEMA))

    def __exit__(self, *exc: object) -> None:
        if self._csv is not None:
            self._csv.close()
        if self._file is not None:
            self._file.close()
        if self._parquet is not None:
            self._parquet.close()


# --------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------


def _occupies(prem: _Premises, consumer_id: str, at: datetime) -> bool:
    return any(
        t.consumer_id == consumer_id and t.start <= at and (t.end is None or at < t.end)
        for t in prem.tenancies
    )


def _summarise(
    out_dir: Path,
    world: _World,
    as_of: datetime,
    counts: dict[str, int],
    readings_file: str,
    reading_rows: int,
) -> DemoSummary:
    premises_of = {m: p for p in world.premises for m in p.mpxns}
    states = dict.fromkeys(CONSENT_STATES, 0)
    reaching_back = 0
    first_active: _Consent | None = None
    for c in world.consents:
        prem = premises_of[c.mpxn]
        state = _consent_state(
            c.granted_at, c.expires_at, c.withdrawn_at, c.notice_sent_at,
            _occupies(prem, c.consumer_id, as_of), as_of,
        )  # fmt: skip
        states[state] += 1
        tenancy = next(t for t in prem.tenancies if t.consumer_id == c.consumer_id)
        reaching_back += c.data_from < tenancy.start
        if state == "active" and first_active is None:
            first_active = c
    assert first_active is not None, "the first planned consent is always active"

    gap = next(p for p in world.premises if p.scenario == "credentials_gap")
    gap_mpxn = gap.mpan or gap.mprn
    assert gap_mpxn is not None
    gap_segment = _segment_at(gap.segments, as_of)
    gap_meter = next(
        d for d in world.devices if d.mpxn == gap_mpxn and d.device_type in ("ESME", "GSME")
    )
    future = next(p for p in world.premises if p.scenario == "future_cos")
    meu_mpxn, meu_party = next(
        (p.mpxns[0], p.tenancies[-1].consumer_id)
        for p in world.premises
        if p.tenancies and p.tenancies[-1].consumer_id in _MEUS
    )
    electricity = sum(p.mpan is not None for p in world.premises)
    gas = sum(p.mprn is not None for p in world.premises)
    return DemoSummary(
        out_dir=out_dir,
        readings_file=readings_file,
        parties=counts["parties"],
        meter_points=counts["meter_points"],
        electricity_meter_points=electricity,
        gas_meter_points=gas,
        appointments=counts["appointments"],
        occupancies=counts["occupancies"],
        devices=counts["devices"],
        consents=counts["consents"],
        matrix=counts["matrix"],
        critical_alerts=counts["critical_alerts"],
        readings=reading_rows,
        changes_of_supplier=sum(len(p.mpxns) for p in world.premises if len(p.segments) > 1),
        future_changes_of_supplier=sum(
            len(p.mpxns) for p in world.premises if p.scenario == "future_cos"
        ),
        credentials_gaps=sum(
            len(p.mpxns) for p in world.premises if p.scenario == "credentials_gap"
        ),
        consent_states=MappingProxyType(states),
        consents_reaching_before_move_in=reaching_back,
        credentials_gap_mpxn=gap_mpxn,
        credentials_gap_device_guid=gap_meter.guid,
        credentials_gap_former_supplier=gap_meter.credentials_party_id,
        credentials_gap_current_supplier=_supplier_of(gap, gap_mpxn, gap_segment),
        credentials_gap_supply_start=gap.segments[gap_segment].start,
        future_cos_mpxn=future.mpxns[0],
        future_cos_supply_start=future.segments[-1].start,
        active_consent_id=first_active.consent_id,
        active_consent_party_id=first_active.party_id,
        active_consent_mpxn=first_active.mpxn,
        active_consent_purpose=first_active.purpose,
        consumer_id=first_active.consumer_id,
        meu_party_id=meu_party,
        meu_mpxn=meu_mpxn,
        map_party_id=_MAPS[0],
        dm_party_id="FERROLUX",
    )


def _supplier_of(prem: _Premises, mpxn: str, segment_index: int) -> str:
    segment = prem.segments[segment_index]
    party = segment.electricity if mpxn == prem.mpan else segment.gas
    assert party is not None
    return party
