"""Parties: the companies that use the hub, each holding one or more roles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from meterguard.domain.roles import Role

PARTY_ID = re.compile(r"^[A-Z0-9_]{2,32}$")


class Category(StrEnum):
    LARGE_SUPPLIER = "large_supplier"
    SMALL_SUPPLIER = "small_supplier"
    ELECTRICITY_NETWORK = "electricity_network"
    GAS_NETWORK = "gas_network"
    OTHER_SEC_PARTY = "other_sec_party"
    NON_SEC_PARTY = "non_sec_party"


@dataclass(frozen=True, slots=True)
class Party:
    party_id: str
    name: str
    roles: frozenset[Role]
    category: Category
    manufacturer: str = ""
    domestic_premises: int | None = None
    non_domestic_premises: int | None = None
    # Premises counts and shared resources feed the security-assessment schedule, not access.
    shared_resources: bool = False

    def holds(self, role: Role) -> bool:
        return role in self.roles
