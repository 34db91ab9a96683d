"""Occupancies: which consumer occupied a meter point's premises, and when."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.timeline import Tenure, Timeline


@dataclass(frozen=True, slots=True)
class Occupancy:
    mpxn: str
    consumer_id: str
    period: Period


class OccupancyBook:
    def __init__(self, occupancies: Iterable[Occupancy] = ()) -> None:
        grouped: dict[str, list[Tenure]] = defaultdict(list)
        for occupancy in occupancies:
            grouped[occupancy.mpxn].append(Tenure(occupancy.consumer_id, occupancy.period))
        self._timelines = {mpxn: Timeline(tenures) for mpxn, tenures in grouped.items()}

    def timeline(self, mpxn: str) -> Timeline:
        return self._timelines.get(mpxn, _NO_TIMELINE)

    def occupant_at(self, mpxn: str, instant: int) -> str | None:
        return self.timeline(mpxn).holder_at(instant)

    def periods_occupied(self, consumer_id: str, mpxn: str) -> PeriodSet:
        return self.timeline(mpxn).periods_of(consumer_id)


_NO_TIMELINE = Timeline()
