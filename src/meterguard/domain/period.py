"""Half-open periods of time and sets of them.

Every entitlement in MeterGuard is a set of half-open intervals ``[start, end)`` of data time, and a
decision is "asked ∩ entitled". ``PeriodSet`` keeps its periods sorted, disjoint and non-adjacent
(merged), so that equal sets compare equal and every operation is a linear sweep.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from meterguard.domain.time import BEGINNING, FOREVER, Instant, format_instant


class EmptyPeriod(ValueError):
    """A period whose start is not before its end."""


class _Bounds(NamedTuple):
    start: Instant
    end: Instant


class Period(_Bounds):
    """``[start, end)``; ``end == FOREVER`` is open-ended, ``start == BEGINNING`` has no start.

    A tuple underneath: periods are made and compared on every decision's hot path, and a tuple
    is several times cheaper to build than a frozen dataclass. Ordered by (start, end).
    """

    __slots__ = ()

    def __new__(cls, start: Instant, end: Instant = FOREVER) -> Period:
        if start >= end:
            raise EmptyPeriod(
                f"period starts at {format_instant(start) or 'the beginning'} "
                f"but ends at {format_instant(end) or 'forever'}"
            )
        return tuple.__new__(cls, (start, end))

    @property
    def is_open_ended(self) -> bool:
        return self.end == FOREVER

    def contains(self, instant: Instant) -> bool:
        return self.start <= instant < self.end

    def overlaps(self, other: Period) -> bool:
        return self.start < other.end and other.start < self.end

    def intersection(self, other: Period) -> Period | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Period(start, end) if start < end else None

    def clip(self, start: Instant = BEGINNING, end: Instant = FOREVER) -> Period | None:
        return self.intersection(Period(start, end)) if start < end else None

    def __str__(self) -> str:
        return f"[{format_instant(self.start)}..{format_instant(self.end)})"

    def __repr__(self) -> str:
        return f"Period({self.start}, {self.end})"

    @classmethod
    def known_valid(cls, start: Instant, end: Instant) -> Period:
        """For callers that have just established ``start < end``: skips the check."""
        return tuple.__new__(cls, (start, end))


class PeriodSet:
    """An immutable union of periods in sorted, disjoint, merged form."""

    __slots__ = ("_periods",)

    _periods: tuple[Period, ...]

    def __init__(self, periods: Iterable[Period] = ()) -> None:
        self._periods = _merge(sorted(periods))

    @classmethod
    def _from_merged(cls, periods: tuple[Period, ...]) -> PeriodSet:
        # Skips the sort and merge for results that are merged by construction.
        instance = cls.__new__(cls)
        instance._periods = periods
        return instance

    @classmethod
    def empty(cls) -> PeriodSet:
        return _EMPTY

    @classmethod
    def full(cls) -> PeriodSet:
        return _FULL

    @classmethod
    def of(cls, start: Instant, end: Instant = FOREVER) -> PeriodSet:
        return cls._from_merged((Period(start, end),))

    @property
    def periods(self) -> tuple[Period, ...]:
        return self._periods

    def __iter__(self) -> Iterator[Period]:
        return iter(self._periods)

    def __len__(self) -> int:
        return len(self._periods)

    def __bool__(self) -> bool:
        return bool(self._periods)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PeriodSet) and self._periods == other._periods

    def __hash__(self) -> int:
        return hash(self._periods)

    def __repr__(self) -> str:
        return f"PeriodSet({self})"

    def __str__(self) -> str:
        return ", ".join(str(p) for p in self._periods) or "none"

    def contains(self, instant: Instant) -> bool:
        return self.stretch_containing(instant) is not None

    def stretch_containing(self, instant: Instant) -> Period | None:
        """The one maximal period of the set that holds ``instant``, if any."""
        periods = self._periods
        if len(periods) == 1:  # most relationships are one stretch
            only = periods[0]
            return only if only[0] <= instant < only[1] else None
        low, high = 0, len(periods)
        while low < high:
            middle = (low + high) // 2
            if self._periods[middle].end <= instant:
                low = middle + 1
            else:
                high = middle
        if low < len(self._periods) and self._periods[low].start <= instant:
            return self._periods[low]
        return None

    def union(self, other: PeriodSet) -> PeriodSet:
        if not other:
            return self
        if not self:
            return other
        return PeriodSet((*self._periods, *other._periods))

    def intersection(self, other: PeriodSet) -> PeriodSet:
        result: list[Period] = []
        left, right = self._periods, other._periods
        i = j = 0
        while i < len(left) and j < len(right):
            start = max(left[i].start, right[j].start)
            end = min(left[i].end, right[j].end)
            if start < end:
                result.append(Period(start, end))
            if left[i].end < right[j].end:
                i += 1
            else:
                j += 1
        return PeriodSet._from_merged(tuple(result))

    def complement(self) -> PeriodSet:
        result: list[Period] = []
        cursor = BEGINNING
        for period in self._periods:
            if cursor < period.start:
                result.append(Period(cursor, period.start))
            cursor = period.end
        if cursor < FOREVER:
            result.append(Period(cursor, FOREVER))
        return PeriodSet._from_merged(tuple(result))

    def difference(self, other: PeriodSet) -> PeriodSet:
        return self.intersection(other.complement())

    def clip(self, start: Instant = BEGINNING, end: Instant = FOREVER) -> PeriodSet:
        if start >= end:
            return _EMPTY
        return self.intersection(PeriodSet.of(start, end))

    __or__ = union
    __and__ = intersection
    __sub__ = difference


def _merge(ordered: list[Period]) -> tuple[Period, ...]:
    merged: list[Period] = []
    for period in ordered:
        if merged and period.start <= merged[-1].end:
            if period.end > merged[-1].end:
                merged[-1] = Period(merged[-1].start, period.end)
        else:
            merged.append(period)
    return tuple(merged)


_EMPTY = PeriodSet._from_merged(())
_FULL = PeriodSet._from_merged((Period(BEGINNING, FOREVER),))
