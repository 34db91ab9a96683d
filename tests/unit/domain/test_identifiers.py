from __future__ import annotations

import pytest

from meterguard.domain.identifiers import (
    Fuel,
    InvalidIdentifier,
    fuel_of,
    mpan_check_digit,
    validate_guid,
    validate_mpan_core,
    validate_mprn,
)


@pytest.mark.parametrize("core", ["1470116845051", "1030006718997", "1012345678903"])
def test_valid_mpan_cores_pass(core: str) -> None:
    assert validate_mpan_core(core) == core


def test_a_wrong_check_digit_is_named_with_the_expected_one() -> None:
    with pytest.raises(InvalidIdentifier, match=r"check digit \(expected 1\)"):
        validate_mpan_core("1470116845052")


def test_dcc_test_mpans_fail_their_check_digit() -> None:
    # Domain brief 5.1: the DCC's test MPANs do not honour the check digit.
    for core in ("1312345678111", "1312345678333"):
        with pytest.raises(InvalidIdentifier):
            validate_mpan_core(core)


def test_an_mpan_outside_the_distributor_ranges_is_refused() -> None:
    core = "86999999999" + "9"
    core += str(mpan_check_digit(core))
    with pytest.raises(InvalidIdentifier, match="distributor"):
        validate_mpan_core(core[:13])


@pytest.mark.parametrize("mprn", ["123456", "3938424403", "12345678"])
def test_mprns_of_six_to_ten_digits_pass(mprn: str) -> None:
    assert validate_mprn(mprn) == mprn


@pytest.mark.parametrize("mprn", ["12345", "12345678901", "39384244A3", ""])
def test_other_mprns_are_refused(mprn: str) -> None:
    with pytest.raises(InvalidIdentifier):
        validate_mprn(mprn)


def test_fuel_follows_from_the_identifier() -> None:
    assert fuel_of("1470116845051") is Fuel.ELECTRICITY
    assert fuel_of("3938424403") is Fuel.GAS
    with pytest.raises(InvalidIdentifier):
        fuel_of("12345678901")  # 11 digits: neither
    with pytest.raises(InvalidIdentifier):
        fuel_of("1470116845052")  # an MPAN with a wrong check digit is invalid, never gas


@pytest.mark.parametrize("guid", ["00-DB-12-34-56-78-90-A0", "FF-FF-FF-FF-FF-FF-FF-FF"])
def test_eui64_guids_pass(guid: str) -> None:
    assert validate_guid(guid) == guid


@pytest.mark.parametrize(
    "guid",
    [
        "00-db-12-34-56-78-90-a0",
        "00DB1234567890A0",
        "00-DB-12-34-56-78-90",
        "00:DB:12:34:56:78:90:A0",
    ],
)
def test_other_guids_are_refused(guid: str) -> None:
    with pytest.raises(InvalidIdentifier):
        validate_guid(guid)
