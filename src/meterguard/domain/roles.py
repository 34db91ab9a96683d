"""Roles of ACCESS-RULES section 2 and how each relates a party to a meter point."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from meterguard.domain.identifiers import Fuel


class Role(StrEnum):
    IS = "IS"
    ES = "ES"
    GS = "GS"
    ED = "ED"
    GT = "GT"
    SH = "SH"
    RSA = "RSA"
    MAM = "MAM"
    OU = "OU"
    MEU = "MEU"
    MAP = "MAP"
    DM = "DM"


class Relationship(StrEnum):
    """What ties a role holder to a subject."""

    APPOINTMENT = "appointment"
    CONSENT = "consent"
    OCCUPANCY = "occupancy"
    DEVICE_OWNERSHIP = "device_ownership"
    DEVICE_MANUFACTURER = "device_manufacturer"


@dataclass(frozen=True, slots=True)
class RoleInfo:
    role: Role
    name: str
    fuels: frozenset[Fuel]
    relationship: Relationship


_BOTH = frozenset(Fuel)
_ELECTRICITY = frozenset({Fuel.ELECTRICITY})
_GAS = frozenset({Fuel.GAS})

ROLES: dict[Role, RoleInfo] = {
    info.role: info
    for info in (
        RoleInfo(Role.IS, "Import Supplier", _ELECTRICITY, Relationship.APPOINTMENT),
        RoleInfo(Role.ES, "Export Supplier", _ELECTRICITY, Relationship.APPOINTMENT),
        RoleInfo(Role.GS, "Gas Supplier", _GAS, Relationship.APPOINTMENT),
        RoleInfo(Role.ED, "Electricity Distributor", _ELECTRICITY, Relationship.APPOINTMENT),
        RoleInfo(Role.GT, "Gas Transporter", _GAS, Relationship.APPOINTMENT),
        RoleInfo(Role.SH, "Gas Shipper", _GAS, Relationship.APPOINTMENT),
        RoleInfo(Role.RSA, "Registered Supplier Agent", _BOTH, Relationship.APPOINTMENT),
        RoleInfo(Role.MAM, "Meter Asset Manager", _BOTH, Relationship.APPOINTMENT),
        RoleInfo(Role.OU, "Other User", _BOTH, Relationship.CONSENT),
        RoleInfo(Role.MEU, "Major Energy User", _BOTH, Relationship.OCCUPANCY),
        RoleInfo(Role.MAP, "Meter Asset Provider", _BOTH, Relationship.DEVICE_OWNERSHIP),
        RoleInfo(Role.DM, "Device Manufacturer", _BOTH, Relationship.DEVICE_MANUFACTURER),
    )
}

APPOINTMENT_ROLES = frozenset(
    r for r, i in ROLES.items() if i.relationship is Relationship.APPOINTMENT
)


def responsible_supplier_role(fuel: Fuel) -> Role:
    """The role whose holder is the Responsible Supplier: IS for electricity, GS for gas."""
    return Role.IS if fuel is Fuel.ELECTRICITY else Role.GS


ROLE_BY_CODE: dict[str, Role] = {role.value: role for role in Role}


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise ValueError(
            f"unknown role {text!r}; expected one of {' '.join(r.value for r in Role)}"
        ) from None
