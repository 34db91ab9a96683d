"""The compiled windows as columns: the one relation every bulk engine joins readings against."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from meterguard.policy.bulk import Window

WINDOW_SCHEMA = pa.schema(
    [
        ("mpxn", pa.string()),
        ("w_start", pa.int64()),
        ("w_end", pa.int64()),
        ("party_id", pa.string()),
    ]
)

# What every engine yields: readings as the database holds them (instants as integer seconds).
READING_SCHEMA = pa.schema([("mpxn", pa.string()), ("ts", pa.int64()), ("kwh", pa.float64())])
TAGGED_SCHEMA = READING_SCHEMA.append(pa.field("party_id", pa.string()))


def windows_table(windows: Sequence[Window]) -> pa.Table:
    return pa.table(
        [
            pa.array([w.mpxn for w in windows], pa.string()),
            pa.array([w.start for w in windows], pa.int64()),
            pa.array([w.end for w in windows], pa.int64()),
            pa.array([w.party_id for w in windows], pa.string()),
        ],
        schema=WINDOW_SCHEMA,
    )
