"""Parity: for every engine, a bulk extract equals decide()'s allowed periods applied to the readings.

Hypothesis generates small worlds (three meter points, changes of supplier, occupancies, consents,
random matrices) and bulk requests over them. The oracle asks ``decide`` about each meter point in
turn, through BULK, and keeps the readings inside its allowed periods, in plain Python; each engine
runs the windows compiled from the residual over the same readings. Tag-all is checked against the
Responsible Supplier at each reading's data time. SQLite and PostgreSQL read the ``readings``
table; DuckDB and Spark the Parquet dataset.
"""

from __future__ import annotations

import shutil
import uuid
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert

from meterguard.adapters.bulk import numpy_kernel
from meterguard.adapters.bulk.duckdb_engine import DuckDbReadingsEngine
from meterguard.adapters.bulk.sql_engine import SqlReadingsEngine
from meterguard.adapters.readings_parquet import ParquetReadings
from meterguard.adapters.storage import schema
from meterguard.domain.catalogue import Channel
from meterguard.domain.identifiers import fuel_of
from meterguard.domain.roles import responsible_supplier_role
from meterguard.domain.time import DAY, HALF_HOUR
from meterguard.policy.bulk import (
    READINGS_ITEM,
    BulkRequest,
    Window,
    plan_extract,
    supplier_windows,
)
from meterguard.policy.decision import Outcome
from meterguard.policy.engine import decide
from meterguard.policy.requests import DataRequest
from meterguard.services.exporting import ReadingsEngine
from unit.policy.generated import GRID, METER_POINTS, PARTIES, PURPOSES, ROLES_OF, World, worlds

Reading = tuple[str, int, float]

# Every meter point has a reading on both sides of each day boundary and in the middle of the day;
# the first meter's readings stop, and the last one's start, on a day of the grid, so that windows
# also begin and end exactly at a meter's first or last reading.
_OFFSETS = (0, HALF_HOUR, 12 * 3600, DAY - HALF_HOUR)
_SPANS = {METER_POINTS[0]: (-DAY, 20 * DAY), METER_POINTS[-1]: (5 * DAY, 50 * DAY)}
READINGS: list[Reading] = sorted(
    (mpxn, day + offset, float((i * 7 + offset // HALF_HOUR) % 13) / 4)
    for i, mpxn in enumerate(METER_POINTS)
    for day in range(-DAY, 42 * DAY, DAY)
    for offset in _OFFSETS
    if _SPANS.get(mpxn, (-DAY, 50 * DAY))[0]
    <= day + offset
    <= _SPANS.get(mpxn, (-DAY, 50 * DAY))[1]
)


@st.composite
def bulk_requests(draw: st.DrawFn) -> BulkRequest:
    party = draw(st.sampled_from(PARTIES))
    at = draw(st.sampled_from(GRID[1:]))
    start = draw(st.sampled_from([*GRID, at + DAY]))  # now and then from the future: BAD_PERIOD
    later = [g for g in GRID if g > start]
    end = draw(st.sampled_from([None, *later, start]))  # start: an empty period
    return BulkRequest(
        party.party_id,
        draw(st.sampled_from([*ROLES_OF[party.party_id], "XX"])),
        READINGS_ITEM,
        start,
        end,
        at,
        draw(st.sampled_from(PURPOSES)),
    )


def expected_extract(world: World, request: BulkRequest) -> set[Reading]:
    """decide() about each meter point, through BULK; the readings its allowed periods hold."""
    released: set[Reading] = set()
    for mpxn in METER_POINTS:
        decision = decide(
            DataRequest(
                "parity",
                request.party_id,
                request.role,
                Channel.BULK,
                request.item,
                mpxn,
                request.start,
                request.end,
                request.at,
                request.purpose,
            ),
            world.snapshot,
        )
        if decision.outcome is Outcome.DENY:
            continue
        released |= {
            r for r in READINGS if r[0] == mpxn and any(p.contains(r[1]) for p in decision.allowed)
        }
    return released


def expected_tags(world: World) -> set[tuple[str, int, float, str | None]]:
    return {
        (
            mpxn,
            ts,
            kwh,
            world.snapshot.holder_at(mpxn, responsible_supplier_role(fuel_of(mpxn)), ts),
        )
        for mpxn, ts, kwh in READINGS
    }


def rows_of(engine: ReadingsEngine, world: World, request: BulkRequest) -> set[Reading]:
    plan = plan_extract(world.snapshot, request)
    if not plan.allowed:
        return set()
    rows = [
        tuple(row.values()) for b in engine.select(plan.windows, False) for row in b.to_pylist()
    ]
    assert len(rows) == len(set(rows)), "a reading left twice"
    assert rows == sorted(rows), "an extract is ordered by (mpxn, ts)"
    return set(rows)  # type: ignore[arg-type]


def tags_of(engine: ReadingsEngine, world: World) -> set[tuple[Any, ...]]:
    windows = supplier_windows(world.snapshot)
    rows = [tuple(r.values()) for b in engine.select(windows, True) for r in b.to_pylist()]
    assert len(rows) == len(READINGS)
    return set(rows)


def check_parity(engine: ReadingsEngine, world: World, requests: list[BulkRequest]) -> None:
    for request in requests:
        assert rows_of(engine, world, request) == expected_extract(world, request), request
    assert tags_of(engine, world) == expected_tags(world)


_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def sql_readings(engine: Engine) -> Engine:
    with engine.begin() as connection:
        connection.execute(delete(schema.readings))
        connection.execute(
            insert(schema.readings), [{"mpxn": m, "ts": t, "kwh": k} for m, t, k in READINGS]
        )
    return engine


def readings_table() -> pa.Table:
    mpxns, stamps, kwhs = zip(*READINGS, strict=True)
    return pa.table({"mpxn": list(mpxns), "ts": list(stamps), "kwh": list(kwhs)})


@pytest.fixture(scope="module")
def parquet_readings(tmp_path_factory: pytest.TempPathFactory) -> ParquetReadings:
    dataset = ParquetReadings(tmp_path_factory.mktemp("bulk") / "readings")
    dataset.replace(readings_table())
    return dataset


@_SETTINGS
@given(worlds(), st.lists(bulk_requests(), min_size=1, max_size=6))
def test_sql_extracts_equal_decide_applied_to_the_readings(
    sql_readings: Engine, world: World, requests: list[BulkRequest]
) -> None:
    check_parity(SqlReadingsEngine(sql_readings), world, requests)


@_SETTINGS
@given(worlds(), st.lists(bulk_requests(), min_size=1, max_size=6))
def test_duckdb_extracts_over_parquet_equal_decide_applied_to_the_readings(
    parquet_readings: ParquetReadings, world: World, requests: list[BulkRequest]
) -> None:
    check_parity(DuckDbReadingsEngine(parquet_readings), world, requests)


class NumpyKernel:
    """The in-memory kernel of the benchmark, wrapped as an engine over ``READINGS``."""

    name = "numpy"

    def __init__(self) -> None:
        self.meters = sorted({m for m, _, _ in READINGS})
        self.code_of = {m: i for i, m in enumerate(self.meters)}
        codes = np.array([self.code_of[m] for m, _, _ in READINGS], np.int64)
        self.ts = np.array([t for _, t, _ in READINGS], np.int64)
        self.index = numpy_kernel.meter_index(codes, self.ts, len(self.meters))

    def select(self, windows: Sequence[Window], tag: bool) -> Iterator[pa.RecordBatch]:
        parties = sorted({w.party_id for w in windows})
        compiled = numpy_kernel.encode_windows(
            windows, self.code_of, {p: i for i, p in enumerate(parties)}
        )
        if tag:
            tags = numpy_kernel.tag_all(self.index, self.ts, compiled)
            rows = [
                (*r, None if t < 0 else parties[t]) for r, t in zip(READINGS, tags, strict=True)
            ]
            yield pa.RecordBatch.from_pylist(
                [dict(zip(("mpxn", "ts", "kwh", "party_id"), r, strict=True)) for r in rows]
            )
            return
        picked = numpy_kernel.extract_rows(self.index, self.ts, compiled)
        yield pa.RecordBatch.from_pylist(
            [dict(zip(("mpxn", "ts", "kwh"), READINGS[i], strict=True)) for i in picked]
        )


@settings(max_examples=60, deadline=None)
@given(worlds(), st.lists(bulk_requests(), min_size=1, max_size=6))
def test_the_numpy_kernel_of_the_benchmark_equals_decide_applied_to_the_readings(
    world: World, requests: list[BulkRequest]
) -> None:
    check_parity(NumpyKernel(), world, requests)


def test_the_parquet_dataset_is_partitioned_by_date_and_holds_every_reading(
    parquet_readings: ParquetReadings,
) -> None:
    folders = sorted(p.name for p in parquet_readings.root.iterdir())
    assert folders[0] == "date=1969-12-31" and folders[-1] == "date=1970-02-11"
    assert len(folders) == 43  # every day from -1 to 41
    assert tags_of_count(parquet_readings) == len(READINGS)


def tags_of_count(dataset: ParquetReadings) -> int:
    import duckdb

    with duckdb.connect() as duck:
        return int(dataset.relation(duck).aggregate("count(*)").fetchall()[0][0])


# -- Spark: local mode, one session for the run; skipped loudly without Java or PySpark ---------


def _spark_unavailable() -> str | None:
    if shutil.which("java") is None:
        return "no Java on PATH: the Spark parity tests need Java 17 (pyspark 4)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (the optional extra meterguard[spark])"
    return None


@dataclass
class SparkRun:
    engine: Any
    dataset: ParquetReadings


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkRun]:
    reason = _spark_unavailable()
    if reason:
        warnings.warn(f"SPARK PARITY TESTS SKIPPED: {reason}", stacklevel=1)
        pytest.skip(f"SPARK TESTS SKIPPED: {reason}")
    from meterguard.adapters.bulk.spark_engine import spark_session

    dataset = ParquetReadings(tmp_path_factory.mktemp(f"spark-{uuid.uuid4().hex[:6]}") / "r")
    dataset.replace(readings_table())
    from meterguard.adapters.bulk.spark_engine import SparkReadingsEngine

    yield SparkRun(SparkReadingsEngine(dataset, spark_session()), dataset)


@pytest.mark.spark
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(worlds(), st.lists(bulk_requests(), min_size=1, max_size=2))
def test_spark_extracts_over_parquet_equal_decide_applied_to_the_readings(
    spark: SparkRun, world: World, requests: list[BulkRequest]
) -> None:
    check_parity(spark.engine, world, requests)


def test_every_engine_is_checked_here() -> None:
    """A new engine must be added to the parity tests above."""
    from meterguard.bootstrap import READINGS_ENGINES

    assert set(READINGS_ENGINES) == {"sqlite", "postgres", "duckdb", "spark"}


def test_the_readings_cover_every_day_of_the_grid() -> None:
    days = {ts // DAY for _, ts, _ in READINGS}
    assert min(days) <= 0 and max(days) >= GRID[-1] // DAY
