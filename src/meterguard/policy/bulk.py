"""A bulk extract's filter, compiled once from the rules: a small relation of entitled windows.

A bulk request (party, role, item, data time ``[from, to)``, decided at ``at`` through BULK) is
answered per meter point exactly as ``decide`` would answer a request about that meter point: the
residual gives each meter point's entitled window W (ACCESS-RULES 7 step 13), and the extract
releases ``[from, min(to, at)) ∩ W``. That answer is written down as data, ``(mpxn, start, end)``
rows, and the adapters compile this one description into SQLAlchemy Core, DuckDB or Spark joins:
a reading ``(mpxn, ts)`` leaves when some window of its meter point holds ``ts``. Because the
windows come from the residual, a bulk extract and a single decision cannot disagree; the parity
tests check it over generated worlds.

Tag-all (``supplier_windows``) is the same shape with a party per window: who was the
Responsible Supplier of each meter point, when (ACCESS-RULES 9), so every reading can be routed
to the supplier entitled to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from meterguard.domain.catalogue import CATALOGUE, Channel, SubjectKind
from meterguard.domain.period import Period
from meterguard.domain.roles import responsible_supplier_role
from meterguard.policy.decision import Code
from meterguard.policy.residual import residual
from meterguard.policy.snapshot import Snapshot

# The data item the readings store holds (INTERCHANGE readings: half-hourly kWh per meter point).
READINGS_ITEM = "hh_consumption"

_WHO_AND_WHAT = frozenset({Code.UNKNOWN_PARTY, Code.ROLE_NOT_HELD, Code.UNKNOWN_ITEM})


class Window(NamedTuple):
    """Readings of ``mpxn`` stamped in ``[start, end)`` go to ``party_id``."""

    mpxn: str
    start: int
    end: int
    party_id: str


@dataclass(frozen=True, slots=True)
class BulkRequest:
    party_id: str
    role: str
    item: str
    start: int
    end: int | None  # None: open-ended, cut at ``at``
    at: int
    purpose: str = ""
    channel: Channel = Channel.BULK

    @property
    def asked(self) -> Period | None:
        """``[from, min(to, at))``, or None when that is empty (step 5: BAD_PERIOD)."""
        end = self.at if self.end is None else min(self.end, self.at)
        if self.end is not None and self.start >= self.end:
            return None
        if self.start >= self.at or self.start >= end:
            return None
        return Period(self.start, end)


@dataclass(frozen=True, slots=True)
class BulkPlan:
    """A refused extract (``denied`` set) or the windows it may release, sorted by (mpxn, start)."""

    request: BulkRequest
    denied: Code | None = None
    reason: str = ""
    version: int | None = None
    windows: tuple[Window, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.denied is None

    def periods_by_meter(self) -> dict[str, list[Period]]:
        return periods_by_meter(self.windows)


def periods_by_meter(windows: Sequence[Window]) -> dict[str, list[Period]]:
    """Each meter point's periods among ``windows``, in their order."""
    released: dict[str, list[Period]] = {}
    for window in windows:
        released.setdefault(window.mpxn, []).append(Period(window.start, window.end))
    return released


def plan_extract(facts: Snapshot, request: BulkRequest) -> BulkPlan:
    """Compile one bulk request into its entitled windows (or the code that refuses it).

    Checks in the order of ACCESS-RULES 7: party, role and item (through the residual), the
    period (step 5), then the excluded groups and the matrix (the residual again). A meter point
    whose window misses the asked period is simply absent: for a single request about it,
    ``decide`` would answer ``NO_RELATIONSHIP`` or ``OUTSIDE_ENTITLED_PERIOD``.
    """
    rest = residual(
        facts,
        request.party_id,
        request.role,
        request.channel,
        request.item,
        request.at,
        request.purpose,
    )
    if rest.denied in _WHO_AND_WHAT:
        return BulkPlan(request, rest.denied, rest.reason)
    item = CATALOGUE[request.item]
    if not item.is_series or item.subject is not SubjectKind.METER_POINT:
        return BulkPlan(
            request,
            Code.UNKNOWN_SUBJECT,
            f"{item.name} is not a series about meter points: a bulk extract releases series data",
        )
    asked = request.asked
    if asked is None:
        return BulkPlan(
            request,
            Code.BAD_PERIOD,
            "the data period is empty, or starts at or after the decision time",
        )
    if rest.denied is not None:
        return BulkPlan(request, rest.denied, rest.reason, rest.version)
    windows = [
        Window(mpxn, period.start, period.end, request.party_id)
        for mpxn, entitled in rest.entitled.items()
        for period in entitled.clip(asked.start, asked.end)
    ]
    windows.sort()
    return BulkPlan(request, None, "", rest.version, tuple(windows))


def supplier_windows(facts: Snapshot) -> tuple[Window, ...]:
    """For every meter point, who was its Responsible Supplier when (IS for electricity, GS for
    gas): the windows tag-all joins readings against. A reading outside every window (no
    supplier at its data time) is tagged with nobody, never with a guess."""
    facts.load_all()
    windows: list[Window] = []
    for mpxn, fuel in facts.fuels.items():
        timeline = facts.timelines.get((mpxn, responsible_supplier_role(fuel)))
        if timeline is None:
            continue
        for holder, period in timeline.tenures:
            windows.append(Window(mpxn, period.start, period.end, holder))
    windows.sort()
    return tuple(windows)
