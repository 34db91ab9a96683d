"""Meter points: an MPAN core (electricity) or an MPRN (gas)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from meterguard.domain.identifiers import Fuel, fuel_of


class Sector(StrEnum):
    DOMESTIC = "domestic"
    NON_DOMESTIC = "non_domestic"


@dataclass(frozen=True, slots=True)
class MeterPoint:
    mpxn: str
    sector: Sector
    region: str

    @property
    def fuel(self) -> Fuel:
        """Derived from the identifier, never stored apart from it."""
        return fuel_of(self.mpxn)
