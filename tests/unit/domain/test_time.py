from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterguard.domain.time import (
    BEGINNING,
    FOREVER,
    BadInstant,
    days_between,
    format_instant,
    parse_instant,
)


def test_a_bare_date_means_midnight_utc() -> None:
    assert parse_instant("2025-01-15") == parse_instant("2025-01-15T00:00:00Z")
    assert parse_instant("1970-01-02") == 86400


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-15T00:00:00",
        "2025-01-15 00:00:00Z",
        "2025-02-30",
        "15/01/2025",
        "",
        "2025-01-15T00:00:00+01:00",
    ],
)
def test_anything_but_utc_text_is_refused(text: str) -> None:
    with pytest.raises(BadInstant):
        parse_instant(text)


@given(st.integers(min_value=0, max_value=4_102_444_800))
def test_text_round_trips(instant: int) -> None:
    assert parse_instant(format_instant(instant)) == instant


@given(st.integers(min_value=-62_135_596_800, max_value=253_402_300_799))
def test_text_is_the_iso_form_datetime_writes_for_every_year_1_to_9999(instant: int) -> None:
    expected = datetime.fromtimestamp(instant, UTC).isoformat().replace("+00:00", "Z")
    assert format_instant(instant) == expected


def test_open_ends_are_written_empty() -> None:
    assert format_instant(FOREVER) == "" and format_instant(BEGINNING) == ""


def test_days_between_counts_whole_days() -> None:
    assert days_between(parse_instant("2025-01-15"), parse_instant("2025-03-06T12:00:00Z")) == 50
