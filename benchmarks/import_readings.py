"""Import a demo folder of N meter points x D days of half-hourly readings; time and peak memory.

Run: uv run python benchmarks/import_readings.py [--meters 10000] [--days 30] [--sizes 2000,10000]

Each import runs as its own `meterguard import` process so that its peak resident memory
(ru_maxrss from wait4) is the import's alone. Beside it, in the same run, the anchors: the raw
floor of each database for the same rows, loaded with no validation at all (SQLite executemany
into the same WITHOUT ROWID table from Python's csv module; PostgreSQL COPY of the file). Importing
two sizes shows whether memory grows with the file (it should not: readings are streamed).
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
PG_ADMIN = os.environ.get("MG_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def demo_folder(meters: int, days: int) -> Path:
    from meterguard.adapters.demo_data import write_demo_folder

    folder = OUT / f"demo-{meters}m-{days}d"
    if not (folder / "readings.csv").exists():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        write_demo_folder(folder, meters=meters, seed=1, as_of=AS_OF, days=days)
        print(f"generated {folder.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return folder


def timed_process(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"{args} failed: {child.stderr.read().decode() if child.stderr else ''}")
    return elapsed, usage.ru_maxrss / 1024


def postgres_database() -> str:
    name = f"mg_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_postgres_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def meterguard_import(folder: Path, url: str) -> tuple[float, float]:
    return timed_process([sys.executable, "-m", "meterguard", "import", str(folder), "--db", url])


def sqlite_floor(folder: Path, path: Path) -> float:
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(
        "CREATE TABLE readings (mpxn TEXT NOT NULL, ts INTEGER NOT NULL, kwh REAL NOT NULL, "
        "PRIMARY KEY (mpxn, ts)) WITHOUT ROWID"
    )
    stamps: dict[str, int] = {}

    def rows():
        with (folder / "readings.csv").open(newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            for mpxn, ts, kwh in reader:
                stamp = stamps.get(ts)
                if stamp is None:
                    stamp = stamps[ts] = int(
                        datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
                    )
                yield mpxn, stamp, float(kwh)

    with connection:
        connection.executemany("INSERT INTO readings VALUES (?, ?, ?)", rows())
    connection.close()
    return time.perf_counter() - started


def postgres_floor(folder: Path, database: str) -> float:
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"
    started = time.perf_counter()
    with psycopg.connect(url) as connection:
        connection.execute("CREATE TABLE readings_text (mpxn text, ts text, kwh double precision)")
        with (
            connection.cursor() as cursor,
            cursor.copy("COPY readings_text FROM STDIN (FORMAT csv, HEADER true)") as copy,
            (folder / "readings.csv").open("rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        connection.execute(
            "CREATE TABLE readings AS SELECT mpxn, extract(epoch FROM ts::timestamptz)::bigint AS ts, kwh FROM readings_text"
        )
        connection.execute("ALTER TABLE readings ADD PRIMARY KEY (mpxn, ts)")
    return time.perf_counter() - started


def postgres_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="2000,10000", help="meter counts to import, comma-separated"
    )
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    have_postgres = postgres_available()

    results: list[tuple[str, int, int, str, float, float | None, float, str]] = []
    for meters in sizes:
        folder = demo_folder(meters, args.days)
        rows = meters * args.days * 48
        with tempfile.TemporaryDirectory() as scratch:
            db = Path(scratch) / "mg.db"
            first, peak = meterguard_import(folder, f"sqlite:///{db}")
            again, peak_again = meterguard_import(folder, f"sqlite:///{db}")
            floor = sqlite_floor(folder, Path(scratch) / "floor.db")
        results.append(
            ("sqlite", meters, rows, "first import", first, peak, floor, "executemany, no checks")
        )
        results.append(("sqlite", meters, rows, "same folder again", again, peak_again, floor, ""))
        if have_postgres:
            name = postgres_database()
            try:
                url = (
                    PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
                    + f"/{name}"
                )
                first, peak = meterguard_import(folder, url)
                again, peak_again = meterguard_import(folder, url)
            finally:
                drop_postgres_database(name)
            floor_db = postgres_database()
            try:
                floor = postgres_floor(folder, floor_db)
            finally:
                drop_postgres_database(floor_db)
            results.append(
                (
                    "postgresql",
                    meters,
                    rows,
                    "first import",
                    first,
                    peak,
                    floor,
                    "COPY + index, no checks",
                )
            )
            results.append(
                ("postgresql", meters, rows, "same folder again", again, peak_again, floor, "")
            )

    print(
        f"\nimport of demo folders, {args.days} days of half-hourly readings, {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}"
    )
    print(
        "| database | meters | readings | run | seconds | rows/s | peak RSS MiB | raw floor s | ratio to floor |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for database, meters, rows, run, seconds, peak, floor, _note in results:
        print(
            f"| {database} | {meters:,} | {rows:,} | {run} | {seconds:.1f} | {rows / seconds:,.0f} | "
            f"{peak:.0f} | {floor:.1f} | {seconds / floor:.2f} |"
        )
    if not have_postgres:
        print("PostgreSQL was not reachable: its rows are missing.")


if __name__ == "__main__":
    main()
