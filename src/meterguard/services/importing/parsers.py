"""One parser per INTERCHANGE file: a row in, a domain record (or problems) out.

Parsers check what one row can tell on its own. Checks that need other rows or the database
(unknown references, overlaps, duplicates) are in ``crosscheck.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from meterguard.domain.appointments import Appointment
from meterguard.domain.catalogue import CATALOGUE, Channel, Group
from meterguard.domain.consents import PURPOSE, Consent
from meterguard.domain.devices import CspRegion, Device, DeviceStatus, DeviceType
from meterguard.domain.identifiers import fuel_of, validate_guid
from meterguard.domain.meter_points import MeterPoint, Sector
from meterguard.domain.occupancy import Occupancy
from meterguard.domain.parties import PARTY_ID, Category, Party
from meterguard.domain.roles import Role, parse_role
from meterguard.domain.time import FOREVER
from meterguard.policy.matrix import Access, Cell, CellKey, InvalidCell, check_cell
from meterguard.services.importing.fields import RowReader

CONSUMER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CONSUMER_ID_WHAT = "a consumer id (1 to 64 of A-Z, a-z, 0-9, _, -)"
CONSENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ALERT_CODE = re.compile(r"^[A-Z0-9]{1,16}$")


@dataclass(frozen=True, slots=True)
class CriticalAlert:
    alert_code: str
    description: str


def parse_roles(text: str) -> frozenset[Role]:
    codes = text.split()
    if not codes:
        raise ValueError("is required")
    return frozenset(parse_role(code) for code in codes)


def parse_groups(text: str) -> frozenset[Group]:
    names = text.split()
    if not names:
        raise ValueError("is required")
    groups = set()
    for name in names:
        try:
            groups.add(Group(name))
        except ValueError:
            raise ValueError(f"unknown group {name!r}") from None
    return frozenset(groups)


def parse_party(r: RowReader) -> Party | None:
    party_id = r.text("party_id", PARTY_ID, "a party id (2 to 32 of A-Z, 0-9, _)")
    name = r.text("name")
    roles = r.checked("roles", parse_roles)
    category = r.choice("category", Category)
    manufacturer = r.raw("manufacturer")
    if roles and Role.DM in roles and not manufacturer:
        r.fail("manufacturer", "is required for a party holding DM")
    domestic = r.count("domestic_premises")
    non_domestic = r.count("non_domestic_premises")
    shared = r.boolean("shared_resources")
    if not r.ok or roles is None or category is None:
        return None
    return Party(party_id, name, roles, category, manufacturer, domestic, non_domestic, shared)


def parse_meter_point(r: RowReader) -> MeterPoint | None:
    mpxn = r.checked("mpxn", lambda v: (fuel_of(v), v)[1])
    sector = r.choice("sector", Sector)
    region = r.text("region")
    if not r.ok or mpxn is None or sector is None:
        return None
    return MeterPoint(mpxn, sector, region)


def parse_appointment(r: RowReader) -> Appointment | None:
    mpxn = r.text("mpxn")
    role = r.checked("role", parse_role)
    party_id = r.text("party_id")
    period = r.period("valid_from", "valid_to")
    if not r.ok or role is None or period is None:
        return None
    return Appointment(mpxn, role, party_id, period)


def parse_occupancy(r: RowReader) -> Occupancy | None:
    mpxn = r.text("mpxn")
    consumer_id = r.text(
        "consumer_id", CONSUMER_ID, "a consumer id (1 to 64 of A-Z, a-z, 0-9, _, -)"
    )
    period = r.period("valid_from", "valid_to")
    if not r.ok or period is None:
        return None
    return Occupancy(mpxn, consumer_id, period)


def parse_device(r: RowReader) -> Device | None:
    guid = r.checked("guid", validate_guid)
    device_type = r.choice("device_type", DeviceType)
    mpxn = r.text("mpxn")
    manufacturer = r.text("manufacturer")
    model = r.text("model")
    firmware = r.text("firmware_version")
    status = r.optional_choice("status", DeviceStatus)
    csp_region = r.choice("csp_region", CspRegion)
    owner = r.optional("owner_party_id")
    credentials = r.optional("credentials_party_id")
    if not r.ok or guid is None or device_type is None or csp_region is None:
        return None
    return Device(
        guid,
        device_type,
        mpxn,
        manufacturer,
        model,
        firmware,
        status,
        csp_region,
        owner,
        credentials,
    )


def parse_consent(r: RowReader) -> Consent | None:
    consent_id = r.text("consent_id", CONSENT_ID, "a consent id (1 to 64 of A-Z, a-z, 0-9, _, -)")
    consumer_id = r.text("consumer_id", CONSUMER_ID, CONSUMER_ID_WHAT)
    mpxn = r.text("mpxn")
    party_id = r.text("party_id")
    purpose = r.text("purpose", PURPOSE, "a lower-case purpose token such as energy_advice")
    groups = r.checked("data_groups", parse_groups)
    data_period = r.period("data_from", "data_to")
    granted_at = r.instant("granted_at")
    expires_at = r.optional_instant("expires_at")
    withdrawn_at = r.optional_instant("withdrawn_at")
    notice_sent_at = r.optional_instant("notice_sent_at")
    verification = r.raw("verification")
    if not verification:
        r.fail("verification", "is required: how the consumer was verified to be the consumer")
    if granted_at is not None:
        if expires_at is not None and expires_at <= granted_at:
            r.fail("expires_at", "is not after granted_at")
        if withdrawn_at is not None and withdrawn_at < granted_at:
            r.fail("withdrawn_at", "is before granted_at")
        if notice_sent_at is not None and notice_sent_at < granted_at:
            r.fail("notice_sent_at", "is before granted_at")
    if not r.ok or groups is None or data_period is None or granted_at is None:
        return None
    return Consent(
        consent_id,
        consumer_id,
        mpxn,
        party_id,
        purpose,
        groups,
        data_period,
        granted_at,
        verification,
        FOREVER if expires_at is None else expires_at,
        withdrawn_at,
        notice_sent_at,
    )


@dataclass(frozen=True, slots=True)
class MatrixRow:
    cell: Cell
    effective_from: int


def parse_matrix_row(r: RowReader) -> MatrixRow | None:
    version = r.checked("version", _positive_int)
    effective_from = r.instant("effective_from")
    item = r.text("item")
    if item and item not in CATALOGUE:
        r.fail("item", f"unknown item {item!r}")
    role = r.checked("role", parse_role)
    channel = r.choice("channel", Channel)
    access = r.choice("access", Access)
    if not r.ok or version is None or effective_from is None:
        return None
    assert role is not None and channel is not None and access is not None
    key = CellKey(item, role, channel)
    try:
        check_cell(key, access)
    except InvalidCell as exc:
        r.fail("access", str(exc))
        return None
    return MatrixRow(Cell(version, key, access), effective_from)


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{text!r} is not a positive whole number")
    return int(text)


def parse_critical_alert(r: RowReader) -> CriticalAlert | None:
    code = r.text("alert_code", ALERT_CODE, "an alert code such as 8F0A or N26")
    description = r.text("description")
    if not r.ok:
        return None
    return CriticalAlert(code.upper(), description)


@dataclass(frozen=True, slots=True)
class FileSpec:
    """One registry file: its columns, how to parse a row and the key that makes a row unique.

    ``history_slot``, for files of histories (appointments, occupancies), names the timeline a row
    belongs to: a folder that mentions a slot states that slot's whole history, so stored rows of
    the slot that the folder no longer lists are removed. That is how a correction (an erroneous
    transfer, a moved Supply Start Date) is imported.
    """

    name: str
    columns: tuple[str, ...]
    parse: Callable[[RowReader], Any]
    key: Callable[[Any], tuple[object, ...]]
    history_slot: Callable[[Any], tuple[object, ...]] | None = None


REGISTRY_FILES: tuple[FileSpec, ...] = (
    FileSpec(
        "parties.csv",
        (
            "party_id",
            "name",
            "roles",
            "category",
            "manufacturer",
            "domestic_premises",
            "non_domestic_premises",
            "shared_resources",
        ),
        parse_party,
        lambda p: (p.party_id,),
    ),
    FileSpec(
        "meter_points.csv", ("mpxn", "sector", "region"), parse_meter_point, lambda m: (m.mpxn,)
    ),
    FileSpec(
        "appointments.csv",
        ("mpxn", "role", "party_id", "valid_from", "valid_to"),
        parse_appointment,
        lambda a: (a.mpxn, a.role, a.period.start),
        lambda a: (a.mpxn, a.role),
    ),
    FileSpec(
        "occupancies.csv",
        ("mpxn", "consumer_id", "valid_from", "valid_to"),
        parse_occupancy,
        lambda o: (o.mpxn, o.period.start),
        lambda o: (o.mpxn,),
    ),
    FileSpec(
        "devices.csv",
        (
            "guid",
            "device_type",
            "mpxn",
            "manufacturer",
            "model",
            "firmware_version",
            "status",
            "csp_region",
            "owner_party_id",
            "credentials_party_id",
        ),
        parse_device,
        lambda d: (d.guid,),
    ),
    FileSpec(
        "consents.csv",
        (
            "consent_id",
            "consumer_id",
            "mpxn",
            "party_id",
            "purpose",
            "data_groups",
            "data_from",
            "data_to",
            "granted_at",
            "expires_at",
            "withdrawn_at",
            "notice_sent_at",
            "verification",
        ),
        parse_consent,
        lambda c: (c.consent_id,),
    ),
    FileSpec(
        "matrix.csv",
        ("version", "effective_from", "item", "role", "channel", "access"),
        parse_matrix_row,
        lambda m: (m.cell.version, m.cell.key.item, m.cell.key.role, m.cell.key.channel),
    ),
    FileSpec(
        "critical_alerts.csv",
        ("alert_code", "description"),
        parse_critical_alert,
        lambda a: (a.alert_code,),
    ),
)

READINGS_COLUMNS = ("mpxn", "ts", "kwh")
