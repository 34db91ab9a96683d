"""Bulk extracts at scale: tag-all and one party's extract, MeterGuard beside DuckDB and Polars.

One run generates (NumPy, seeded) N readings over M meter points, a fifth of them with a change of
supplier inside the readings' span, and a registry of the same meter points with their supplier
appointments. Then, in the same process and on the same in-memory columns:

- MeterGuard: the windows are compiled from the rules (``policy.bulk.supplier_windows`` and
  ``plan_extract`` over a ``Snapshot`` of the registry, encoded once into integer columns), and run
  by the NumPy range kernel of ``adapters/bulk/numpy_kernel.py`` over readings sorted by
  (meter, ts) with a meter index. Compiling and indexing are timed on their own rows;
- DuckDB: a hand-written range join of the readings against the same windows (as DuckDB tables
  over the same Arrow columns), materialised as an Arrow table;
- Polars: tag-all as an as-of join by meter, one party's extract as a join on the meter and a
  filter on the range;
- the floor: NumPy summing the same bytes (meter code, ts and kWh columns), memory bandwidth.

Every path's output is checked against MeterGuard's (row counts, and rows per party). Rates are
readings scanned per second (N / seconds), the best of ``--repeat`` runs.

    uv run --group bench python benchmarks/bulk.py                      # 50M readings, 1M meters
    uv run --group bench python benchmarks/bulk.py --readings 2000000 --meters 40000   # quick
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from meterguard.adapters.bulk import numpy_kernel
from meterguard.domain.appointments import Appointment
from meterguard.domain.catalogue import Channel
from meterguard.domain.identifiers import Fuel
from meterguard.domain.meter_points import MeterPoint, Sector
from meterguard.domain.parties import Category, Party
from meterguard.domain.period import Period
from meterguard.domain.roles import Role
from meterguard.domain.time import DAY, FOREVER, HALF_HOUR, parse_instant
from meterguard.policy.bulk import READINGS_ITEM, BulkRequest, plan_extract, supplier_windows
from meterguard.policy.matrix import Access, CellKey, MatrixVersion
from meterguard.policy.snapshot import Snapshot

T0 = parse_instant("2026-01-01")


def best(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def generate(readings: int, meters: int, suppliers: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    per_meter = readings // meters
    code = np.repeat(np.arange(meters, dtype=np.int32), per_meter)
    ts = np.tile(T0 + np.arange(per_meter, dtype=np.int64) * HALF_HOUR, meters)
    kwh = rng.gamma(2.0, 0.15, meters * per_meter)
    first = rng.integers(0, suppliers, meters)
    changes = rng.random(meters) < 0.2
    second = (first + rng.integers(1, suppliers, meters)) % suppliers
    change_at = T0 + rng.integers(1, per_meter, meters) * HALF_HOUR
    return {
        "code": code,
        "ts": ts,
        "kwh": kwh,
        "first": first,
        "second": second,
        "changes": changes,
        "change_at": change_at,
        "per_meter": per_meter,
    }


def registry(data: dict[str, Any], meters: int, suppliers: int) -> tuple[Snapshot, list[str]]:
    names = [f"S{i:02d}" for i in range(suppliers)]
    mpxns = [f"{1_000_000_000_000 + i}" for i in range(meters)]  # sorted as their codes
    since = T0 - 365 * DAY
    appointments = []
    first, second, changes, change_at = (
        data["first"].tolist(),
        data["second"].tolist(),
        data["changes"].tolist(),
        data["change_at"].tolist(),
    )
    for i, mpxn in enumerate(mpxns):
        if changes[i]:
            appointments.append(
                Appointment(mpxn, Role.IS, names[first[i]], Period(since, change_at[i]))
            )
            appointments.append(
                Appointment(mpxn, Role.IS, names[second[i]], Period(change_at[i], FOREVER))
            )
        else:
            appointments.append(Appointment(mpxn, Role.IS, names[first[i]], Period(since, FOREVER)))
    matrix = MatrixVersion(
        1, since, {CellKey(READINGS_ITEM, Role.IS, Channel.BULK): Access.HISTORIC}
    )
    snapshot = Snapshot.build(
        [Party(n, n, frozenset({Role.IS}), Category.LARGE_SUPPLIER) for n in names],
        [MeterPoint(m, Sector.DOMESTIC, "r") for m in mpxns],
        appointments,
        matrix_versions=[matrix],
        fuels=dict.fromkeys(mpxns, Fuel.ELECTRICITY),
    )
    return snapshot, mpxns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=50_000_000)
    parser.add_argument("--meters", type=int, default=1_000_000)
    parser.add_argument("--suppliers", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="DuckDB and Polars threads")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("POLARS_MAX_THREADS", str(args.threads))
    load_before = os.getloadavg()
    n, meters = args.readings, args.meters

    started = time.perf_counter()
    data = generate(n, meters, args.suppliers, args.seed)
    n = len(data["ts"])
    print(
        f"generated {n:,} readings over {meters:,} meter points in {time.perf_counter() - started:.1f} s"
    )
    code, ts, kwh = data["code"], data["ts"], data["kwh"]

    # -- MeterGuard: compile the rules into windows, once -------------------------------------
    started = time.perf_counter()
    snapshot, mpxns = registry(data, meters, args.suppliers)
    t_snapshot = time.perf_counter() - started
    code_of = {m: i for i, m in enumerate(mpxns)}
    names = sorted(snapshot.parties)
    party_code = {p: i for i, p in enumerate(names)}
    started = time.perf_counter()
    tag_windows = numpy_kernel.encode_windows(supplier_windows(snapshot), code_of, party_code)
    t_compile_tag = time.perf_counter() - started
    at = int(ts.max()) + DAY
    request = BulkRequest("S00", "IS", READINGS_ITEM, T0 - DAY, None, at)
    started = time.perf_counter()
    plan = plan_extract(snapshot, request)
    party_windows = numpy_kernel.encode_windows(plan.windows, code_of, party_code)
    t_compile_extract = time.perf_counter() - started
    started = time.perf_counter()
    index = numpy_kernel.meter_index(code, ts, meters)
    t_index = time.perf_counter() - started
    print(
        f"registry snapshot {t_snapshot:.1f} s; windows: tag-all {len(tag_windows.code):,} "
        f"({t_compile_tag:.2f} s), party S00 {len(party_windows.code):,} ({t_compile_extract:.2f} s); "
        f"meter index {t_index:.2f} s"
    )

    def mg_tag() -> Any:
        return numpy_kernel.tag_all(index, ts, tag_windows)

    def mg_extract() -> Any:
        rows = numpy_kernel.extract_rows(index, ts, party_windows)
        return code[rows], ts[rows], kwh[rows]

    # -- the anchors, over the same columns ------------------------------------------------
    readings_arrow = pa.table({"code": code, "ts": ts, "kwh": kwh})

    def windows_arrow(w: numpy_kernel.WindowArrays) -> pa.Table:
        return pa.table(
            {"code": w.code.astype(np.int32), "s": w.start, "e": w.end, "party": w.party}
        )

    duck = duckdb.connect()
    duck.execute("SET threads = ?", [args.threads])
    duck.register("readings", readings_arrow)
    duck.register("tag_windows", windows_arrow(tag_windows))
    duck.register("party_windows", windows_arrow(party_windows))

    def duck_tag() -> Any:
        return duck.sql(
            "SELECT r.code, r.ts, r.kwh, w.party FROM readings r LEFT JOIN tag_windows w "
            "ON r.code = w.code AND r.ts >= w.s AND r.ts < w.e"
        ).to_arrow_table()

    def duck_extract() -> Any:
        return duck.sql(
            "SELECT r.code, r.ts, r.kwh FROM readings r JOIN party_windows w "
            "ON r.code = w.code AND r.ts >= w.s AND r.ts < w.e"
        ).to_arrow_table()

    readings_pl = pl.from_arrow(readings_arrow)
    assert isinstance(readings_pl, pl.DataFrame)
    tag_pl = pl.from_arrow(windows_arrow(tag_windows))
    party_pl = pl.from_arrow(windows_arrow(party_windows))

    def polars_tag() -> Any:
        joined = readings_pl.join_asof(
            tag_pl,
            left_on="ts",
            right_on="s",
            by="code",
            strategy="backward",
            check_sortedness=False,
        )
        return joined.with_columns(
            pl.when(pl.col("ts") < pl.col("e")).then(pl.col("party")).otherwise(None).alias("party")
        ).select("code", "ts", "kwh", "party")

    def polars_extract() -> Any:
        return (
            readings_pl.join(party_pl, on="code", how="inner")
            .filter((pl.col("ts") >= pl.col("s")) & (pl.col("ts") < pl.col("e")))
            .select("code", "ts", "kwh")
        )

    def floor() -> Any:
        return code.sum(dtype=np.int64) + ts.sum() + kwh.sum()

    results: dict[str, tuple[float, Any]] = {}
    for name, work in (
        ("floor", floor),
        ("mg_tag", mg_tag),
        ("mg_extract", mg_extract),
        ("duck_tag", duck_tag),
        ("duck_extract", duck_extract),
        ("polars_tag", polars_tag),
        ("polars_extract", polars_extract),
    ):
        results[name] = best(args.repeat, work)
        print(f"  {name}: {results[name][0]:.3f} s")

    # -- every path gives the same answer --------------------------------------------------
    tags = results["mg_tag"][1]
    per_party = np.bincount(tags[tags >= 0], minlength=len(names))
    duck_tags = results["duck_tag"][1]
    assert duck_tags.num_rows == n
    duck_party = duck_tags.column("party").fill_null(-1).to_numpy()
    assert np.array_equal(np.bincount(duck_party[duck_party >= 0], minlength=len(names)), per_party)
    polars_counts = results["polars_tag"][1].group_by("party").len().drop_nulls()
    assert {p: c for p, c in polars_counts.iter_rows()} == {
        p: int(c) for p, c in enumerate(per_party) if c
    }
    extracted = len(results["mg_extract"][1][0])
    assert results["duck_extract"][1].num_rows == extracted
    assert results["polars_extract"][1].height == extracted
    assert extracted == per_party[party_code["S00"]]  # S00's windows cover all it ever held

    load_after = os.getloadavg()
    floor_s = results["floor"][0]
    targets = {"tag": 90e6, "extract": 180e6}
    print()
    print(
        f"{n:,} readings, {meters:,} meter points ({int(data['changes'].sum()):,} with a change of "
        f"supplier), {args.suppliers} suppliers; party S00's extract releases {extracted:,} readings. "
        f"Best of {args.repeat}; DuckDB and Polars on {args.threads} threads."
    )
    print(
        f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}; after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}"
    )
    print()
    print("| work | path | seconds | M readings/s | × floor time | target |")
    print("|---|---|---:|---:|---:|---|")
    rows = [
        ("memory floor", "NumPy sum over code, ts, kWh", "floor", ""),
        ("tag-all", "MeterGuard (compiled windows, NumPy kernel)", "mg_tag", "tag"),
        ("tag-all", "DuckDB hand-written range join", "duck_tag", ""),
        ("tag-all", "Polars as-of join", "polars_tag", ""),
        (
            "one party's extract",
            "MeterGuard (compiled windows, NumPy kernel)",
            "mg_extract",
            "extract",
        ),
        ("one party's extract", "DuckDB hand-written range join", "duck_extract", ""),
        ("one party's extract", "Polars join + filter", "polars_extract", ""),
    ]
    for work, path, key, target in rows:
        seconds = results[key][0]
        rate = n / seconds
        verdict = ""
        if target:
            goal = targets[target]
            verdict = f"≥ {goal / 1e6:.0f}M: {'met' if rate >= goal else 'NOT met'}"
        print(
            f"| {work} | {path} | {seconds:.3f} | {rate / 1e6:,.0f} | {seconds / floor_s:.2f} | {verdict} |"
        )
    print()
    print(
        f"Once per registry or dataset, not in the rates above: registry snapshot {t_snapshot:.1f} s; "
        f"compiling the tag-all windows {t_compile_tag:.2f} s and party S00's {t_compile_extract:.2f} s; "
        f"the meter index {t_index:.2f} s."
    )


if __name__ == "__main__":
    main()
