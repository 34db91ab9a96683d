"""Devices of the Smart Metering Inventory."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from meterguard.domain.identifiers import Fuel


class DeviceType(StrEnum):
    ESME = "ESME"
    GSME = "GSME"
    CHF = "CHF"
    GPF = "GPF"
    PPMID = "PPMID"
    IHD = "IHD"
    CAD = "CAD"
    HCALCS = "HCALCS"


class DeviceStatus(StrEnum):
    """SMI statuses (DUIS DeviceStatus), written in snake case as INTERCHANGE does."""

    PENDING = "pending"
    WHITELISTED = "whitelisted"
    INSTALLED_NOT_COMMISSIONED = "installed_not_commissioned"
    COMMISSIONED = "commissioned"
    DECOMMISSIONED = "decommissioned"
    WITHDRAWN = "withdrawn"
    SUSPENDED = "suspended"
    RECOVERY = "recovery"
    RECOVERED = "recovered"


class CspRegion(StrEnum):
    NORTH = "North"
    CENTRAL = "Central"
    SOUTH = "South"


# Type 2 devices hold no other device's credentials and carry no SMI status (domain brief 2.3).
TYPE_2_DEVICES = frozenset({DeviceType.IHD, DeviceType.CAD})

# Devices that exist on one fuel's smart metering system only.
FUEL_OF_DEVICE: dict[DeviceType, Fuel] = {
    DeviceType.ESME: Fuel.ELECTRICITY,
    DeviceType.HCALCS: Fuel.ELECTRICITY,
    DeviceType.GSME: Fuel.GAS,
    DeviceType.GPF: Fuel.GAS,
}


class Device(NamedTuple):
    """One device of the inventory. A tuple underneath: a registry holds millions of them."""

    guid: str
    device_type: DeviceType
    mpxn: str
    manufacturer: str
    model: str
    firmware_version: str
    status: DeviceStatus | None
    csp_region: CspRegion
    owner_party_id: str | None
    credentials_party_id: str | None

    @property
    def is_type_2(self) -> bool:
        return self.device_type in TYPE_2_DEVICES
