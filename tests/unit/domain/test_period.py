"""The period algebra: exact cases, and Hypothesis properties checked against a point model."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterguard.domain.period import EmptyPeriod, Period, PeriodSet
from meterguard.domain.time import BEGINNING, FOREVER

# Boundaries come from a small grid plus the open ends, so a handful of sample points decides
# membership everywhere: one point inside each elementary interval between boundaries.
GRID = range(0, 21)
SAMPLES = [BEGINNING, *range(-1, 22), FOREVER - 1]
bounds = st.sampled_from([BEGINNING, *GRID, FOREVER])


@st.composite
def periods(draw: st.DrawFn) -> Period:
    start, end = sorted(draw(st.lists(bounds, min_size=2, max_size=2, unique=True)))
    return Period(start, end)


period_sets = st.lists(periods(), max_size=5).map(PeriodSet)


def points(s: PeriodSet) -> set[int]:
    return {t for t in SAMPLES if s.contains(t)}


def test_period_is_half_open() -> None:
    p = Period(10, 20)
    assert p.contains(10) and p.contains(19) and not p.contains(20) and not p.contains(9)


def test_period_must_start_before_it_ends() -> None:
    with pytest.raises(EmptyPeriod):
        Period(5, 5)
    with pytest.raises(EmptyPeriod):
        Period(6, 5)


def test_open_ended_period_has_no_end() -> None:
    p = Period(10)
    assert p.is_open_ended and p.contains(10**12)


def test_adjacent_and_overlapping_periods_merge_in_sorted_order() -> None:
    s = PeriodSet([Period(30, 40), Period(0, 10), Period(10, 15), Period(12, 20)])
    assert s.periods == (Period(0, 20), Period(30, 40))


def test_intersection_keeps_only_the_common_time() -> None:
    a = PeriodSet([Period(0, 10), Period(20, 30)])
    b = PeriodSet([Period(5, 25)])
    assert (a & b).periods == (Period(5, 10), Period(20, 25))


def test_difference_cuts_holes() -> None:
    assert (PeriodSet.of(0, 30) - PeriodSet.of(10, 20)).periods == (Period(0, 10), Period(20, 30))


def test_clip_bounds_an_open_ended_set() -> None:
    assert PeriodSet.of(5).clip(0, 10).periods == (Period(5, 10),)
    assert PeriodSet.of(5).clip(10, 10) == PeriodSet.empty()


def test_stretch_containing_finds_the_maximal_period() -> None:
    s = PeriodSet([Period(0, 10), Period(20, 30)])
    assert s.stretch_containing(25) == Period(20, 30)
    assert s.stretch_containing(10) is None
    assert s.stretch_containing(-5) is None


@given(period_sets)
def test_sets_are_sorted_disjoint_and_merged(s: PeriodSet) -> None:
    for earlier, later in zip(s.periods, s.periods[1:], strict=False):
        assert earlier.end < later.start


@given(st.lists(periods(), max_size=5))
def test_a_set_holds_exactly_the_points_of_its_periods(ps: list[Period]) -> None:
    assert points(PeriodSet(ps)) == {t for t in SAMPLES if any(p.contains(t) for p in ps)}


@given(period_sets, period_sets)
def test_operations_match_the_point_model(a: PeriodSet, b: PeriodSet) -> None:
    assert points(a | b) == points(a) | points(b)
    assert points(a & b) == points(a) & points(b)
    assert points(a - b) == points(a) - points(b)
    assert points(a.complement()) == set(SAMPLES) - points(a)


@given(period_sets, period_sets)
def test_union_and_intersection_commute(a: PeriodSet, b: PeriodSet) -> None:
    assert a | b == b | a
    assert a & b == b & a


@given(period_sets, period_sets, period_sets)
def test_union_and_intersection_associate(a: PeriodSet, b: PeriodSet, c: PeriodSet) -> None:
    assert (a | b) | c == a | (b | c)
    assert (a & b) & c == a & (b & c)


@given(period_sets, period_sets, period_sets)
def test_each_distributes_over_the_other(a: PeriodSet, b: PeriodSet, c: PeriodSet) -> None:
    assert a & (b | c) == (a & b) | (a & c)
    assert a | (b & c) == (a | b) & (a | c)


@given(period_sets)
def test_union_and_intersection_are_idempotent(a: PeriodSet) -> None:
    assert a | a == a
    assert a & a == a


@given(period_sets)
def test_empty_and_full_sets_are_identities_and_absorbers(a: PeriodSet) -> None:
    empty, full = PeriodSet.empty(), PeriodSet.full()
    assert a | empty == a
    assert a & full == a
    assert a & empty == empty
    assert a | full == full
    assert a - empty == a
    assert a - a == empty


@given(period_sets, period_sets)
def test_complement_is_an_involution_and_obeys_de_morgan(a: PeriodSet, b: PeriodSet) -> None:
    assert a.complement().complement() == a
    assert (a | b).complement() == a.complement() & b.complement()


@given(period_sets, bounds, bounds)
def test_clip_is_intersection_with_one_period(a: PeriodSet, start: int, end: int) -> None:
    expected = a & PeriodSet.of(start, end) if start < end else PeriodSet.empty()
    assert a.clip(start, end) == expected


@given(period_sets, st.sampled_from(SAMPLES))
def test_stretch_containing_agrees_with_contains(a: PeriodSet, t: int) -> None:
    stretch = a.stretch_containing(t)
    assert (stretch is not None) == a.contains(t)
    if stretch is not None:
        assert stretch in a.periods and stretch.contains(t)
