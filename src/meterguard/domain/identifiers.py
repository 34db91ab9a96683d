"""Meter point and device identifiers (ACCESS-RULES section 2, INTERCHANGE values).

An MPAN core carries a check digit, verified by the ``mpan`` package. An MPRN is checked for its
length and digits only: ACCESS-RULES relies on no public MPRN check-digit rule.
"""

from __future__ import annotations

import re
from enum import StrEnum

from mpan import MPAN
from mpan.exceptions import InvalidMPANError


class Fuel(StrEnum):
    ELECTRICITY = "electricity"
    GAS = "gas"


class InvalidIdentifier(ValueError):
    """Text that is not a valid MPAN core, MPRN or device GUID."""


_MPRN = re.compile(r"^\d{6,10}$")
_MPAN_CORE = re.compile(r"^\d{13}$")
_GUID = re.compile(r"^[0-9A-F]{2}(-[0-9A-F]{2}){7}$")


def mpan_check_digit(first_twelve_digits: str) -> int:
    """The check digit of an MPAN core, from the weights the ``mpan`` package uses."""
    weights: list[int] = MPAN.PRIMES
    pairs = zip(weights, first_twelve_digits, strict=True)
    return sum(prime * int(digit) for prime, digit in pairs) % 11 % 10


def validate_mpan_core(text: str) -> str:
    if not _MPAN_CORE.match(text):
        raise InvalidIdentifier(f"MPAN core {text!r} must be exactly 13 digits")
    try:
        parsed = MPAN(text)
    except InvalidMPANError as exc:  # pragma: no cover - the pattern above already guarantees shape
        raise InvalidIdentifier(str(exc)) from exc
    if not parsed.distributor.is_valid:
        raise InvalidIdentifier(
            f"MPAN core {text!r} has distributor id {text[:2]}, outside 01-38 "
            "(DNOs 01-23, IDNOs 24-38, as the mpan package knows them)"
        )
    if not parsed.is_valid:
        raise InvalidIdentifier(
            f"MPAN core {text!r} fails its check digit (expected {mpan_check_digit(text[:12])})"
        )
    return text


def validate_mprn(text: str) -> str:
    if not _MPRN.match(text):
        raise InvalidIdentifier(f"MPRN {text!r} must be 6 to 10 digits")
    return text


def fuel_of(mpxn: str) -> Fuel:
    """The fuel an MPxN names: a 13-digit MPAN core is electricity, 6 to 10 digits is gas.

    Raises ``InvalidIdentifier`` for anything else, including an MPAN with a wrong check digit.
    """
    if len(mpxn) == 13:
        validate_mpan_core(mpxn)
        return Fuel.ELECTRICITY
    if _MPRN.match(mpxn):
        return Fuel.GAS
    raise InvalidIdentifier(
        f"{mpxn!r} is neither an MPAN core (13 digits) nor an MPRN (6 to 10 digits)"
    )


def validate_guid(text: str) -> str:
    """A device GUID in EUI-64 form: eight hyphen-separated pairs of upper-case hex digits."""
    if not _GUID.match(text):
        raise InvalidIdentifier(
            f"device GUID {text!r} must be eight hyphen-separated pairs of upper-case hex digits, "
            "such as 00-DB-12-34-56-78-90-A0"
        )
    return text
