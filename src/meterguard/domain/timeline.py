"""Who held something over time: the shared shape of appointments and occupancies.

A timeline holds, for one meter point and one slot (a role, or "occupant"), holders with half-open
periods that never overlap. It answers the two questions every rule asks: who held the slot at
instant t, and in which periods did holder H hold it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from itertools import pairwise
from typing import NamedTuple

from meterguard.domain.period import Period, PeriodSet


class Tenure(NamedTuple):
    holder: str
    period: Period


class OverlappingTenures(ValueError):
    def __init__(self, earlier: Tenure, later: Tenure) -> None:
        super().__init__(
            f"{later.holder} {later.period} overlaps {earlier.holder} {earlier.period}"
        )
        self.earlier = earlier
        self.later = later


class Timeline:
    __slots__ = ("_starts", "_tenures")

    def __init__(self, tenures: Iterable[Tenure] = ()) -> None:
        ordered = sorted(tenures, key=lambda t: (t.period.start, t.period.end))
        for earlier, later in pairwise(ordered):
            if later.period.start < earlier.period.end:
                raise OverlappingTenures(earlier, later)
        self._tenures = tuple(ordered)
        self._starts = [t.period.start for t in ordered]

    @property
    def tenures(self) -> tuple[Tenure, ...]:
        return self._tenures

    def tenure_at(self, instant: int) -> Tenure | None:
        index = bisect_right(self._starts, instant) - 1
        if index >= 0 and instant < self._tenures[index].period.end:
            return self._tenures[index]
        return None

    def holder_at(self, instant: int) -> str | None:
        tenure = self.tenure_at(instant)
        return tenure.holder if tenure else None

    def periods_of(self, holder: str) -> PeriodSet:
        return PeriodSet(t.period for t in self._tenures if t.holder == holder)

    def periods_by_holder(self) -> dict[str, PeriodSet]:
        """Every holder's periods, in one pass (tenures are sorted and never overlap)."""
        spans: dict[str, list[Period]] = {}
        for holder, period in self._tenures:
            mine = spans.setdefault(holder, [])
            if mine and mine[-1].end == period.start:  # back to back: one stretch
                mine[-1] = Period(mine[-1].start, period.end)
            else:
                mine.append(period)
        return {holder: PeriodSet._from_merged(tuple(periods)) for holder, periods in spans.items()}

    def holders(self) -> frozenset[str]:
        return frozenset(t.holder for t in self._tenures)
