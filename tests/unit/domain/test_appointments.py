from __future__ import annotations

import pytest

from meterguard.domain.appointments import Appointment, AppointmentBook
from meterguard.domain.occupancy import Occupancy, OccupancyBook
from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.roles import Role
from meterguard.domain.time import parse_instant as t
from meterguard.domain.timeline import OverlappingTenures

MPAN = "1012345678903"
SSD = t("2025-01-15")


def book() -> AppointmentBook:
    return AppointmentBook(
        [
            Appointment(MPAN, Role.IS, "OCTO", Period(t("2020-01-01"), SSD)),
            Appointment(MPAN, Role.IS, "BRIT", Period(SSD)),
            Appointment(MPAN, Role.ED, "UKPN", Period(t("2015-01-01"))),
        ]
    )


def test_the_losing_supplier_holds_the_role_until_the_instant_before_the_supply_start_date() -> (
    None
):
    assert book().holder_at(MPAN, Role.IS, SSD - 1) == "OCTO"
    assert book().holder_at(MPAN, Role.IS, SSD) == "BRIT"


def test_nobody_holds_a_role_before_the_first_appointment() -> None:
    assert book().holder_at(MPAN, Role.IS, t("2019-12-31")) is None
    assert book().holder_at("1200000000011", Role.IS, SSD) is None


def test_periods_held_by_a_party_are_its_own_appointments_only() -> None:
    assert book().periods_held("OCTO", Role.IS, MPAN) == PeriodSet.of(t("2020-01-01"), SSD)
    assert book().periods_held("BRIT", Role.IS, MPAN) == PeriodSet.of(SSD)
    assert book().periods_held("UKPN", Role.IS, MPAN) == PeriodSet.empty()


def test_a_returning_supplier_holds_two_separate_periods() -> None:
    returning = AppointmentBook(
        [
            Appointment(MPAN, Role.IS, "OCTO", Period(0, 100)),
            Appointment(MPAN, Role.IS, "BRIT", Period(100, 200)),
            Appointment(MPAN, Role.IS, "OCTO", Period(200)),
        ]
    )
    assert returning.periods_held("OCTO", Role.IS, MPAN).periods == (Period(0, 100), Period(200))


def test_overlapping_appointments_of_one_role_are_refused() -> None:
    with pytest.raises(OverlappingTenures):
        AppointmentBook(
            [
                Appointment(MPAN, Role.IS, "OCTO", Period(0, 100)),
                Appointment(MPAN, Role.IS, "BRIT", Period(99)),
            ]
        )


def test_occupants_follow_one_another() -> None:
    occupancies = OccupancyBook(
        [Occupancy(MPAN, "C-ALICE", Period(0, 100)), Occupancy(MPAN, "C-BOB", Period(100))]
    )
    assert occupancies.occupant_at(MPAN, 99) == "C-ALICE"
    assert occupancies.occupant_at(MPAN, 100) == "C-BOB"
    assert occupancies.periods_occupied("C-BOB", MPAN) == PeriodSet.of(100)
