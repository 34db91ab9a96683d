"""The compiled windows run over readings held as NumPy columns: the in-memory fast path.

Readings are columns sorted by (meter code, ts), with a meter index: the readings of meter code
``m`` are rows ``offsets[m]:offsets[m + 1]``, stamped from ``first[m]`` to ``last[m]`` (built once
per dataset by ``meter_index``). A
window then becomes a row range by a search inside its own meter's rows, so the work is
proportional to the number of windows plus the rows written, never to the rows skipped:

- tag-all: windows are disjoint and sorted, so their row ranges are too; the party column is one
  ``np.repeat`` of (gap, window, gap, ...) values by their lengths;
- one party's extract: the row numbers of its ranges, then one gather per column.

The windows come from ``policy.bulk`` (the residual or the supplier timelines), exactly as for
the SQL, DuckDB and Spark engines; tests check this kernel against ``decide`` the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from meterguard.policy.bulk import Window

NO_PARTY = -1
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class WindowArrays:
    """Windows as columns, sorted by (meter code, start); windows of unknown meters dropped."""

    code: Ints
    start: Ints
    end: Ints
    party: npt.NDArray[np.int32]


def encode_windows(
    windows: Sequence[Window], code_of: Mapping[str, int], party_code: Mapping[str, int]
) -> WindowArrays:
    known = [w for w in windows if w.mpxn in code_of]
    code = np.fromiter((code_of[w.mpxn] for w in known), np.int64, len(known))
    start = np.fromiter((w.start for w in known), np.int64, len(known))
    end = np.fromiter((w.end for w in known), np.int64, len(known))
    party = np.fromiter((party_code[w.party_id] for w in known), np.int32, len(known))
    order = np.lexsort((start, code))
    return WindowArrays(code[order], start[order], end[order], party[order])


@dataclass(frozen=True, slots=True)
class MeterIndex:
    """Meter ``m``'s readings are rows ``offsets[m]:offsets[m + 1]``, stamped from ``first[m]``
    to ``last[m]``. Built once per dataset; small (three numbers per meter point), so a window
    is placed without touching the readings at all unless it cuts a meter's readings."""

    offsets: Ints
    first: Ints
    last: Ints


def meter_offsets(codes: npt.NDArray[np.integer], meters: int) -> Ints:
    """``offsets[m]:offsets[m + 1]`` are meter ``m``'s rows (``codes`` sorted ascending)."""
    # Queries of the column's own dtype: a mismatch would make NumPy convert the whole column.
    return np.searchsorted(codes, np.arange(meters + 1, dtype=codes.dtype)).astype(np.int64)


def meter_index(codes: npt.NDArray[np.integer], ts: Ints, meters: int) -> MeterIndex:
    offsets = meter_offsets(codes, meters)
    lo, hi = offsets[:-1], offsets[1:]
    empty = lo == hi
    if len(ts) == 0:
        return MeterIndex(offsets, np.full(meters, _NEVER), np.full(meters, _NEVER))
    # An empty meter gets first = last = the far future: every window of it is rows [lo, lo).
    first = np.where(empty, _NEVER, ts[np.minimum(lo, len(ts) - 1)])
    last = np.where(empty, _NEVER, ts[np.maximum(hi - 1, 0)])
    return MeterIndex(offsets, first, last)


_NEVER = np.iinfo(np.int64).max


def first_at_or_after(ts: Ints, lo: Ints, hi: Ints, first: Ints, last: Ints, value: Ints) -> Ints:
    """For each i, the first row r in ``[lo[i], hi[i])`` with ``ts[r] >= value[i]`` (else hi[i]),
    where ``first[i]`` and ``last[i]`` are ``ts[lo[i]]`` and ``ts[hi[i] - 1]``.

    Most windows cover their meter's rows from the first or to the last: those are answered by
    the index alone; only the rest are bisected, all at once."""
    result = np.where(value > last, hi, lo)
    inside = np.flatnonzero((value > first) & (value <= last))
    if inside.size:
        low, high, target = lo[inside] + 1, hi[inside] - 1, value[inside]
        # invariant: ts[low - 1] < target <= ts[high]
        while True:
            open_ = low < high
            if not open_.any():
                break
            mid = (low + high) // 2
            below = ts[mid] < target
            low = np.where(open_ & below, mid + 1, low)
            high = np.where(open_ & ~below, mid, high)
        result[inside] = low
    return result


def window_rows(index: MeterIndex, ts: Ints, windows: WindowArrays) -> tuple[Ints, Ints]:
    """Each window's rows ``[first, stop)``."""
    code = windows.code
    lo, hi = index.offsets[code], index.offsets[code + 1]
    first, last = index.first[code], index.last[code]
    return (
        first_at_or_after(ts, lo, hi, first, last, windows.start),
        first_at_or_after(ts, lo, hi, first, last, windows.end),
    )


def tag_all(index: MeterIndex, ts: Ints, windows: WindowArrays) -> npt.NDArray[np.signedinteger]:
    """The party code of the window holding each reading, or ``NO_PARTY`` (int16 while the
    party codes fit: the column written is the cost)."""
    first, stop = window_rows(index, ts, windows)
    rows = len(ts)
    # Segments: gap, window 0, gap, window 1, ..., window k-1, gap.
    edges = np.empty(2 * len(first) + 2, np.int64)
    edges[0], edges[-1] = 0, rows
    edges[1:-1:2], edges[2:-1:2] = first, stop
    small = len(windows.party) == 0 or int(windows.party.max()) < np.iinfo(np.int16).max
    values = np.full(2 * len(first) + 1, NO_PARTY, np.int16 if small else np.int32)
    values[1::2] = windows.party
    return np.repeat(values, np.diff(edges))


def extract_rows(index: MeterIndex, ts: Ints, windows: WindowArrays) -> Ints:
    """The row numbers, in order, of the readings some window holds."""
    first, stop = window_rows(index, ts, windows)
    lengths = stop - first
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, np.int64)
    # Row k of the output is first[w] + (k - where window w's rows begin in the output).
    starts = np.cumsum(lengths) - lengths
    return np.repeat(first - starts, lengths) + np.arange(total, dtype=np.int64)
