"""Build the decision engine's snapshot from a database of N meter points; compare with the floor.

Run: uv run python benchmarks/snapshot_load.py [--sizes 10000,100000] [--repeats 3]

The registry is a demo folder (seed 5, as of 2026-11-01) imported without readings into SQLite.
The floor, in the same run, is fetching the same rows with Python's sqlite3 and nothing else: no
objects, no indexes. Anything a full build does is on top of that. A lazy build loads the
registry-wide facts only (parties, fuels, consents, matrix); each meter point then costs one
load, measured as "first decision" (a decision on a meter point not yet loaded) beside a warm one.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from meterguard.adapters.demo_data import write_demo_folder
from meterguard.adapters.storage.database import open_database
from meterguard.adapters.storage.snapshot_loader import load_snapshot
from meterguard.bootstrap import import_directory
from meterguard.domain.catalogue import Channel
from meterguard.domain.roles import Role
from meterguard.policy.engine import decide
from meterguard.policy.requests import DataRequest
from meterguard.policy.snapshot import Snapshot

OUT = Path(__file__).resolve().parent / "out"
FLOOR_QUERIES = (
    "SELECT party_id, name, roles, category, manufacturer FROM parties",
    "SELECT mpxn, fuel FROM meter_points",
    "SELECT mpxn, role, party_id, valid_from, valid_to FROM appointments",
    "SELECT mpxn, consumer_id, valid_from, valid_to FROM occupancies",
    "SELECT guid, device_type, mpxn, manufacturer, model, firmware_version, status, csp_region, owner_party_id, credentials_party_id FROM devices",
    "SELECT * FROM consents",
    "SELECT * FROM matrix_cells",
)


def registry_database(meters: int) -> Path:
    db = OUT / f"registry-{meters}.db"
    if not db.exists():
        folder = OUT / f"registry-{meters}"
        write_demo_folder(
            folder, meters=meters, seed=5, as_of=datetime(2026, 11, 1, tzinfo=UTC), days=1
        )
        (folder / "readings.csv").unlink()
        import_directory(open_database(f"sqlite:///{db}"), folder)
    return db


def floor(db: Path) -> float:
    started = time.perf_counter()
    connection = sqlite3.connect(db)
    for query in FLOOR_QUERIES:
        connection.execute(query).fetchall()
    connection.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    print(
        f"\nsnapshot build from SQLite, {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}, median of {args.repeats}"
    )
    print(
        "| meter points | appointment periods | devices | full build s | fetch floor s | full / floor | lazy build s | first decision on a meter point µs (p50) | warm decision µs (p50) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for meters in (int(s) for s in args.sizes.split(",")):
        db = registry_database(meters)
        engine = open_database(f"sqlite:///{db}")
        builds, floors, lazies = [], [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            snapshot = load_snapshot(engine)
            builds.append(time.perf_counter() - started)
            floors.append(floor(db))
            started = time.perf_counter()
            lazy = load_snapshot(engine, lazy=True)
            lazies.append(time.perf_counter() - started)
        periods = sum(len(t.tenures) for t in snapshot.timelines.values())
        cold, warm = first_and_warm(lazy, snapshot)
        build, fetch = statistics.median(builds), statistics.median(floors)
        lazy_build = statistics.median(lazies)
        print(
            f"| {meters:,} | {periods:,} | {len(snapshot.devices):,} | {build:.2f} | {fetch:.2f} | "
            f"{build / fetch:.1f} | {lazy_build:.2f} | {cold:.0f} | {warm:.1f} |"
        )


def first_and_warm(lazy: Snapshot, full: Snapshot) -> tuple[float, float]:
    """p50 µs of suppliers' decisions on meter points the lazy snapshot has not loaded, then of
    the same decisions again (now loaded)."""
    at = full.matrix.versions[-1].effective_from + 10 * 365 * 86400
    requests = []
    for (party_id, role), by_meter in sorted(full.held.items()):
        if role is Role.IS:
            for mpxn in list(by_meter)[:50]:
                requests.append(
                    DataRequest(
                        "b",
                        party_id,
                        role.value,
                        Channel.API,
                        "hh_consumption",
                        mpxn,
                        at - 86400 * 30,
                        None,
                        at,
                        "",
                    )
                )
    requests = requests[:500]
    timings: list[list[float]] = [[], []]
    for run in (0, 1):
        for request in requests:
            started = time.perf_counter_ns()
            decide(request, lazy)
            timings[run].append((time.perf_counter_ns() - started) / 1000)
    return statistics.median(timings[0]), statistics.median(timings[1])


if __name__ == "__main__":
    main()
