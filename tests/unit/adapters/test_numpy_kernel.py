"""The NumPy range kernel at the edges: windows that start or end exactly on a meter's readings."""

from __future__ import annotations

import numpy as np

from meterguard.adapters.bulk import numpy_kernel
from meterguard.policy.bulk import Window

# Meter 0: readings at 10, 20, 30; meter 1: none; meter 2: at 10, 40; meter 3: only at 50.
CODES = np.array([0, 0, 0, 2, 2, 3], np.int32)
TS = np.array([10, 20, 30, 10, 40, 50], np.int64)
INDEX = numpy_kernel.meter_index(CODES, TS, 4)
CODE_OF = {"m0": 0, "m1": 1, "m2": 2, "m3": 3}


def rows(*windows: tuple[str, int, int]) -> list[int]:
    compiled = numpy_kernel.encode_windows(
        [Window(m, s, e, "P") for m, s, e in windows], CODE_OF, {"P": 0}
    )
    return numpy_kernel.extract_rows(INDEX, TS, compiled).tolist()


def test_a_window_holds_its_start_and_not_its_end() -> None:
    assert rows(("m0", 10, 30)) == [0, 1]
    assert rows(("m0", 30, 31)) == [2]  # starting on the last reading
    assert rows(("m0", 11, 30)) == [1]
    assert rows(("m0", 31, 99)) == []  # after the last reading
    assert rows(("m0", 0, 10)) == []  # ending on the first reading


def test_a_meter_with_one_reading() -> None:
    assert rows(("m3", 50, 51)) == [5]
    assert rows(("m3", 0, 50)) == []
    assert rows(("m3", 51, 99)) == []


def test_windows_of_a_meter_without_readings_hold_nothing() -> None:
    assert rows(("m1", 0, 99)) == []
    assert rows(("m1", 0, 99), ("m2", 40, 41)) == [4]


def test_tag_all_fills_the_gaps_with_nobody() -> None:
    compiled = numpy_kernel.encode_windows(
        [Window("m0", 20, 30, "A"), Window("m2", 0, 40, "B"), Window("m2", 40, 50, "A")],
        CODE_OF,
        {"A": 0, "B": 1},
    )
    tags = numpy_kernel.tag_all(INDEX, TS, compiled).tolist()
    assert tags == [numpy_kernel.NO_PARTY, 0, numpy_kernel.NO_PARTY, 1, 0, numpy_kernel.NO_PARTY]
