"""The Supply Start Date the credentials-gap report counts its days from."""

from __future__ import annotations

from meterguard.domain.period import Period
from meterguard.domain.time import parse_instant as t
from meterguard.domain.timeline import Tenure, Timeline
from meterguard.services.cos_report import supply_start


def test_the_supply_start_is_the_start_of_the_current_suppliers_tenure() -> None:
    timeline = Timeline(
        [
            Tenure("OLD", Period(t("2020-01-01"), t("2025-01-15"))),
            Tenure("NEW", Period(t("2025-01-15"))),
        ]
    )
    assert supply_start(timeline, t("2025-03-01")) == t("2025-01-15")
    assert supply_start(timeline, t("2024-03-01")) == t("2020-01-01")


def test_back_to_back_tenures_of_one_supplier_are_one_stretch() -> None:
    timeline = Timeline(
        [
            Tenure("OLD", Period(t("2020-01-01"), t("2025-01-15"))),
            Tenure("NEW", Period(t("2025-01-15"), t("2025-02-01"))),
            Tenure("NEW", Period(t("2025-02-01"))),
        ]
    )
    assert supply_start(timeline, t("2025-03-01")) == t("2025-01-15")


def test_a_gap_in_supply_starts_a_new_stretch_and_no_supplier_has_none() -> None:
    timeline = Timeline(
        [
            Tenure("NEW", Period(t("2025-01-15"), t("2025-02-01"))),
            Tenure("NEW", Period(t("2025-02-10"))),
        ]
    )
    assert supply_start(timeline, t("2025-03-01")) == t("2025-02-10")
    assert supply_start(timeline, t("2025-02-05")) is None
