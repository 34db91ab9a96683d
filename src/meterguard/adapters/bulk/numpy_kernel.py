"""The compiled windows run over readings held as NumPy columns: the in-memory fast path.

Readings are columns sorted by (meter code, ts), with a meter index: the readings of meter code
``m`` are rows ``offsets[m]:offsets[m + 1]`` (built once per dataset by ``meter_offsets``). A
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


def meter_offsets(codes: npt.NDArray[np.integer], meters: int) -> Ints:
    """``offsets[m]:offsets[m + 1]`` are meter ``m``'s rows (``codes`` sorted ascending)."""
    # Queries of the column's own dtype: a mismatch would make NumPy convert the whole column.
    return np.searchsorted(codes, np.arange(meters + 1, dtype=codes.dtype)).astype(np.int64)


def first_at_or_after(ts: Ints, lo: Ints, hi: Ints, value: Ints) -> Ints:
    """For each i, the first row r in ``[lo[i], hi[i])`` with ``ts[r] >= value[i]`` (else hi[i]).

    Most windows cover their meter's rows from the first or to the last: those are answered by
    comparing with the first and last reading; only the rest are bisected, all at once."""
    result = lo.copy()
    if len(ts) == 0:
        return result
    nonempty = lo < hi
    first = ts[np.minimum(lo, len(ts) - 1)]
    last = ts[np.maximum(hi - 1, 0)]
    result[nonempty & (value > last)] = hi[nonempty & (value > last)]
    inside = np.flatnonzero(nonempty & (value > first) & (value <= last))
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


def window_rows(offsets: Ints, ts: Ints, windows: WindowArrays) -> tuple[Ints, Ints]:
    """Each window's rows ``[first, stop)``."""
    lo, hi = offsets[windows.code], offsets[windows.code + 1]
    return first_at_or_after(ts, lo, hi, windows.start), first_at_or_after(ts, lo, hi, windows.end)


def tag_all(offsets: Ints, ts: Ints, windows: WindowArrays) -> npt.NDArray[np.int32]:
    """The party code of the window holding each reading, or ``NO_PARTY``."""
    first, stop = window_rows(offsets, ts, windows)
    rows = len(ts)
    # Segments: gap, window 0, gap, window 1, ..., window k-1, gap.
    edges = np.empty(2 * len(first) + 2, np.int64)
    edges[0], edges[-1] = 0, rows
    edges[1:-1:2], edges[2:-1:2] = first, stop
    values = np.full(2 * len(first) + 1, NO_PARTY, np.int32)
    values[1::2] = windows.party
    return np.repeat(values, np.diff(edges))


def extract_rows(offsets: Ints, ts: Ints, windows: WindowArrays) -> Ints:
    """The row numbers, in order, of the readings some window holds."""
    first, stop = window_rows(offsets, ts, windows)
    lengths = stop - first
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, np.int64)
    # Row k of the output is first[w] + (k - where window w's rows begin in the output).
    starts = np.cumsum(lengths) - lengths
    return np.repeat(first - starts, lengths) + np.arange(total, dtype=np.int64)
