"""A consumer's access log when their meter point has many audit entries; time per view.

Run: uv run python benchmarks/portal_access_log.py [--sizes 10000,100000] [--repeats 5] [--no-postgres]

The meter point 1012345678903 of the test fixture had ALICE until 2024-09-30 and BOB since
2024-10-01. The log holds 100 entries about ALICE's time (the oldest) and N about BOB's (newer).
ALICE's view is the hard case: her entries are behind all of BOB's in the (mpxn, seq) index.

Beside MeterGuard's view (``ConsumerAccessLog.lines``: an indexed query on the meter point and the
data envelope, newest first, then the exact overlap check), in the same run, the anchor: the
plain way with what the audit log already offers, every entry about the meter point read back
(``SqlAuditLog.entries(mpxn=...)``) and filtered with ``overlaps_any`` in Python.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from meterguard import bootstrap
from meterguard.adapters.storage.portal_store import SqlPortalStore
from meterguard.domain.period import Period
from meterguard.domain.time import DAY
from meterguard.domain.time import parse_instant as t
from meterguard.services.access_log import ConsumerAccessLog
from meterguard.services.audit import AuditRecord, overlaps_any

SMALL = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "small"
E1 = "1012345678903"
PG_ADMIN = os.environ.get("MG_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def record(start: int) -> AuditRecord:
    period = (Period(start, start + DAY),)
    return AuditRecord(
        "APP1", "OU", "API", "hh_consumption", E1, "allow", "OK", mpxn=E1,
        asked=period, allowed=period, basis="matrix v1 cell hh_consumption/OU/API = H",
    )  # fmt: skip


def fill(engine: Engine, later: int) -> None:
    bootstrap.import_directory(engine, SMALL)
    log = bootstrap.audit_log(engine)
    alice = [record(t("2024-01-01") + (i % 200) * DAY) for i in range(100)]
    log.append(alice, t("2024-12-01"))
    for first in range(0, later, 10_000):
        bob = [
            record(t("2024-10-01") + (i % 700) * DAY)
            for i in range(first, min(later, first + 10_000))
        ]
        log.append(bob, t("2026-11-01"))


def naive(engine: Engine, consumer: str) -> int:
    occupied = SqlPortalStore(engine).occupancies_of(consumer)
    entries = bootstrap.audit_log(engine).entries(mpxn=E1, newest_first=True)
    return len([e for e in entries if overlaps_any(e, occupied[E1])][:200])


def timed(work: Callable[[], int], repeats: int) -> tuple[float, int]:
    found = work()  # warm the caches once
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, found


@contextmanager
def database(kind: str) -> Iterator[Engine]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            engine = bootstrap.database(f"sqlite:///{folder}/bench.db")
            yield engine
            engine.dispose()
        return
    name = f"mg_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        engine = bootstrap.database(make_url(PG_ADMIN).set(database=name).render_as_string(False))
        yield engine
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    kinds = ["sqlite"] if args.no_postgres else ["sqlite", "postgresql"]
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    print(
        "| database | entries about BOB's time | viewer | lines shown | MeterGuard ms (p50) | anchor: read all + filter ms (p50) | anchor / MeterGuard |"
    )
    print("|---|---:|---|---:|---:|---:|---:|")
    for kind in kinds:
        for size in (int(s) for s in args.sizes.split(",")):
            with database(kind) as engine:
                fill(engine, size)
                view = ConsumerAccessLog(SqlPortalStore(engine))
                for consumer in ("C-ALICE", "C-BOB"):
                    ours, shown = timed(lambda c=consumer, v=view: len(v.lines(c)), args.repeats)
                    anchor, same = timed(lambda c=consumer, e=engine: naive(e, c), args.repeats)
                    assert shown == same, (shown, same)
                    print(
                        f"| {kind} | {size:,} | {consumer} | {shown} | {ours:.1f} | {anchor:.1f} | {anchor / ours:.1f} |"
                    )
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
