"""What the portal shows, without a database: the access log's limit to one's own occupancy, the
chart's window, and the chart itself."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.time import DAY
from meterguard.domain.time import parse_instant as t
from meterguard.entrypoints.web.chart import consumption_svg
from meterguard.services.access_log import basis_for, visible_lines
from meterguard.services.audit import AuditEntry, AuditRecord, chain
from meterguard.services.portal import Consumption, DailyUse, chart_window

M = "1012345678903"
MOVE = t("2024-10-01")  # ALICE until here, BOB from here
ALICE = {M: PeriodSet.of(t("2019-05-01"), MOVE)}
BOB = {M: PeriodSet.of(MOVE)}


def entry_about(start: int, end: int, mpxn: str = M, allowed: bool = True) -> AuditEntry:
    period = (Period(start, end),)
    record = AuditRecord(
        "APP1", "OU", "API", "hh_consumption", mpxn, "allow", "OK", mpxn=mpxn,
        asked=period, allowed=period if allowed else (),
    )  # fmt: skip
    return chain([record], t("2025-01-01"), 0, "0" * 64)[0]


@given(
    st.integers(t("2019-06-01"), t("2025-06-01")),
    st.integers(1, 400 * DAY),
    st.booleans(),
)
def test_an_entry_shows_to_each_occupant_only_within_their_own_occupancy(
    start: int, length: int, allowed: bool
) -> None:
    entry = entry_about(start, start + length, allowed=allowed)
    for own in (ALICE, BOB):
        lines = visible_lines({M: [entry]}, own)
        overlaps = any(p.overlaps(Period(start, start + length)) for p in own[M])
        assert len(lines) == (1 if overlaps else 0)
        for line in lines:
            assert line.periods
            assert PeriodSet(line.periods).difference(own[M]) == PeriodSet.empty()


def test_an_entry_about_another_meter_point_never_shows() -> None:
    stray = entry_about(t("2024-01-01"), t("2024-02-01"), mpxn="1200000000011")
    assert visible_lines({M: [stray]}, ALICE) == []


def test_the_chart_window_ends_with_the_last_day_of_occupancy() -> None:
    now = t("2025-01-20T12:00:00Z")
    assert chart_window(BOB[M], now) == Period(t("2024-12-22"), t("2025-01-21"))
    assert chart_window(ALICE[M], now) == Period(t("2024-09-01"), MOVE)
    assert chart_window(PeriodSet.of(t("2026-01-01")), now) is None  # not moved in yet


def test_the_chart_draws_one_bar_per_day_with_readings_scaled_to_the_largest() -> None:
    window = Period(t("2025-01-01"), t("2025-01-08"))
    days = (DailyUse(t("2025-01-02"), 10.0, 48), DailyUse(t("2025-01-05"), 5.0, 48))
    svg = str(consumption_svg(Consumption(M, window, PeriodSet((window,)), days), "c1"))
    heights = [float(h) for h in re.findall(r'class="bar"[^>]*height="([\d.]+)"', svg)]
    assert len(heights) == 2 and heights[0] == 2 * heights[1]
    assert "02 Jan: 10.00 kWh" in svg and "<script" not in svg
    assert 'aria-labelledby="c1"' in svg


def test_the_basis_shown_names_the_matrix_cell_and_relationship_not_other_peoples_consents() -> (
    None
):
    explanation = (
        "matrix v1 cell hh_consumption/OU/API = H; no matching consent is active at "
        "2025-01-01T00:00:00Z: K-ALICE ended_by_move_out, K-BOB withdrawn"
    )
    refused = AuditRecord("APP1", "OU", "API", "hh_consumption", M, "deny", "X", basis=explanation)
    assert basis_for(refused, "C-BOB") == "matrix v1 cell hh_consumption/OU/API = H"
    granted = AuditRecord(
        "APP1", "OU", "API", "hh_consumption", M, "allow", "OK",
        basis="matrix v1 cell hh_consumption/OU/API = H; consent K-BOB (occupancy [2024-10-01..))",
    )  # fmt: skip
    assert basis_for(granted, "C-BOB") == (
        "matrix v1 cell hh_consumption/OU/API = H; a consent you gave"
    )
    supplier = AuditRecord("OCTO", "IS", "API", "hh_consumption", M, "partial", "PARTIAL")
    assert basis_for(supplier, "C-BOB") == "appointed Import Supplier"
    own = AuditRecord("C-BOB", "consumer", "PORTAL", "hh_consumption", M, "allow", "OK", basis="b")
    assert basis_for(own, "C-BOB") == "b"
