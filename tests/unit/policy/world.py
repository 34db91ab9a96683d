"""A small, hand-made world for hand-worked decisions; every date is chosen to make a case."""

from __future__ import annotations

from meterguard.domain.appointments import Appointment
from meterguard.domain.catalogue import Channel, Group
from meterguard.domain.consents import Consent
from meterguard.domain.devices import CspRegion, Device, DeviceStatus, DeviceType
from meterguard.domain.meter_points import MeterPoint, Sector
from meterguard.domain.occupancy import Occupancy
from meterguard.domain.parties import Category, Party
from meterguard.domain.period import Period
from meterguard.domain.roles import Role
from meterguard.domain.time import FOREVER
from meterguard.domain.time import parse_instant as t
from meterguard.policy.matrix import Access, CellKey, MatrixVersion
from meterguard.policy.snapshot import Snapshot

E1 = "1012345678903"  # electricity: CoS OCTO -> BRIT on 2025-01-15; ALICE moved out, BOB moved in
E2 = "1200000000011"  # electricity: BIGCO's own site
G1 = "3938424403"  # gas: CoS BRIT -> OCTO on 2024-06-01
SSD = t("2025-01-15")
D1 = "00-DB-12-34-56-78-90-A0"  # ESME at E1, owned by MAPCO, made by Acme, credentials still OCTO's
D2 = "00-DB-12-34-56-78-90-B0"  # GSME at G1, made by Other Co
D3 = "00-DB-12-34-56-78-90-A2"  # IHD at E1, owned by nobody
D4 = "00-DB-12-34-56-78-90-C0"  # ESME at E2, credentials already OCTO's
AT = t("2025-03-01T12:00:00Z")


def _party(pid: str, roles: str, category: Category, manufacturer: str = "") -> Party:
    return Party(
        pid, pid.title(), frozenset(Role(r) for r in roles.split()), category, manufacturer
    )


def _cells(spec: str) -> dict[CellKey, Access]:
    cells = {}
    for entry in spec.split():
        item, role, channel, access = entry.split("/")
        cells[CellKey(item, Role(role), Channel(channel))] = Access(access)
    return cells


V1 = MatrixVersion(
    1,
    t("2019-01-01"),
    _cells(
        "hh_consumption/IS/API/H hh_consumption/GS/API/H hh_consumption/ED/API/- hh_consumption/OU/API/H "
        "hh_consumption/MEU/API/H hh_consumption/RSA/API/C hh_consumption/IS/BULK/H hh_export/ES/API/H "
        "alerts/IS/API/C meter_point_details/SH/API/A meter_point_details/GT/API/A "
        "meter_point_details/MAM/API/C registration/IS/API/C supply_address/IS/API/H "
        "device_inventory/MAP/API/C device_inventory/DM/API/H device_inventory/IS/API/C "
        "priority_services/MEU/PORTAL/C"
    ),
)
V2 = MatrixVersion(2, t("2026-01-01"), {**V1.cells, **_cells("hh_consumption/IS/API/C")})


def consent(
    cid: str,
    consumer: str,
    mpxn: str,
    purpose: str,
    groups: set[Group],
    data: Period,
    granted: str,
    notice: str | None,
    **extra: int,
) -> Consent:
    return Consent(
        cid,
        consumer,
        mpxn,
        "APP",
        purpose,
        frozenset(groups),
        data,
        t(granted),
        "ihd_guid",
        extra.get("expires_at", FOREVER),
        extra.get("withdrawn_at"),
        t(notice) if notice else None,
    )


def world() -> Snapshot:
    device = Device
    return Snapshot.build(
        parties=[
            _party("OCTO", "IS ES GS", Category.LARGE_SUPPLIER),
            _party("BRIT", "IS GS", Category.LARGE_SUPPLIER),
            _party("UKPN", "ED", Category.ELECTRICITY_NETWORK),
            _party("CADENT", "GT", Category.GAS_NETWORK),
            _party("SHIP", "SH", Category.OTHER_SEC_PARTY),
            _party("AGENT", "RSA MAM", Category.OTHER_SEC_PARTY),
            _party("APP", "OU", Category.OTHER_SEC_PARTY),
            _party("BIGCO", "MEU", Category.NON_SEC_PARTY),
            _party("MAPCO", "MAP", Category.NON_SEC_PARTY),
            _party("ACME", "DM", Category.NON_SEC_PARTY, "Acme Meters Ltd"),
        ],
        meter_points=[
            MeterPoint(E1, Sector.DOMESTIC, "_A"),
            MeterPoint(E2, Sector.NON_DOMESTIC, "_C"),
            MeterPoint(G1, Sector.DOMESTIC, "NW"),
        ],
        appointments=[
            Appointment(E1, Role.IS, "OCTO", Period(t("2020-01-01"), SSD)),
            Appointment(E1, Role.IS, "BRIT", Period(SSD)),
            Appointment(E1, Role.ED, "UKPN", Period(t("2015-01-01"))),
            Appointment(E1, Role.ES, "OCTO", Period(t("2022-01-01"))),
            Appointment(E1, Role.RSA, "AGENT", Period(t("2023-01-01"), t("2024-01-01"))),
            Appointment(E2, Role.IS, "OCTO", Period(t("2019-01-01"))),
            Appointment(G1, Role.GS, "BRIT", Period(t("2018-01-01"), t("2024-06-01"))),
            Appointment(G1, Role.GS, "OCTO", Period(t("2024-06-01"))),
            Appointment(G1, Role.GT, "CADENT", Period(t("2010-01-01"))),
            Appointment(G1, Role.SH, "SHIP", Period(t("2018-01-01"))),
            Appointment(G1, Role.MAM, "AGENT", Period(t("2018-01-01"))),
        ],
        occupancies=[
            Occupancy(E1, "ALICE", Period(t("2019-05-01"), t("2024-10-01"))),
            Occupancy(E1, "BOB", Period(t("2024-10-01"))),
            Occupancy(E2, "BIGCO", Period(t("2019-03-01"))),
            Occupancy(G1, "DAVE", Period(t("2017-01-01"))),
        ],
        devices=[
            device(
                D1,
                DeviceType.ESME,
                E1,
                "Acme Meters Ltd",
                "AX",
                "1",
                DeviceStatus.COMMISSIONED,
                CspRegion.SOUTH,
                "MAPCO",
                "OCTO",
            ),
            device(
                D2,
                DeviceType.GSME,
                G1,
                "Other Co",
                "GX",
                "1",
                DeviceStatus.COMMISSIONED,
                CspRegion.NORTH,
                "MAPCO",
                "OCTO",
            ),
            device(
                D3,
                DeviceType.IHD,
                E1,
                "Acme Meters Ltd",
                "IHD",
                "1",
                None,
                CspRegion.SOUTH,
                None,
                None,
            ),
            device(
                D4,
                DeviceType.ESME,
                E2,
                "Acme Meters Ltd",
                "AX",
                "1",
                DeviceStatus.COMMISSIONED,
                CspRegion.CENTRAL,
                "MAPCO",
                "OCTO",
            ),
        ],
        consents=[
            # BOB's consent reaches back before he moved in: the engine must clip it to 2024-10-01.
            consent(
                "K1",
                "BOB",
                E1,
                "energy_advice",
                {Group.CONSUMPTION},
                Period(t("2024-01-01")),
                "2024-11-01",
                "2024-11-01T01:00:00Z",
            ),
            consent(
                "K2",
                "ALICE",
                E1,
                "energy_advice",
                {Group.CONSUMPTION},
                Period(t("2023-01-01")),
                "2023-01-01",
                "2023-01-01",
            ),
            consent(
                "K3",
                "DAVE",
                G1,
                "research",
                {Group.CONSUMPTION},
                Period(t("2023-01-01"), t("2024-01-01")),
                "2023-06-01",
                None,
            ),
            consent(
                "K4",
                "BOB",
                E1,
                "device_join",
                {Group.INVENTORY},
                Period(t("2024-10-01")),
                "2024-11-01",
                "2024-11-01",
            ),
            consent(
                "K5",
                "BOB",
                E1,
                "price_comparison",
                {Group.CONSUMPTION},
                Period(t("2024-10-01")),
                "2024-11-01",
                "2024-11-01",
                withdrawn_at=t("2025-03-01"),
            ),
        ],
        matrix_versions=[V1, V2],
    )
