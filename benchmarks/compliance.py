"""Compliance steps beside their floors, in one run; prints a table.

- the assessment schedule of many parties over ten years, beside a bare loop that only picks a
  kind from a three-year pattern (the floor of any schedule);
- the Random Sample draw among many Other Users, beside ``random.Random(seed).sample`` (the
  stdlib draw: reproducible too, but not explainable per party nor independent of list order);
- a consumer's subject access export (one meter point, a year of half-hours, audited, rendered
  to HTML), beside a bare SELECT of the same readings.

    uv run python benchmarks/compliance.py [--parties 10000] [--population 10000] [--days 365]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert, select

from meterguard.adapters.html_reports import render_subject_access
from meterguard.adapters.storage import schema
from meterguard.adapters.storage.compliance_store import SqlSubjectAccessStore
from meterguard.adapters.storage.database import open_database
from meterguard.domain.assessments import schedule
from meterguard.domain.parties import Category, Party
from meterguard.domain.privacy import draw_sample
from meterguard.domain.roles import Role
from meterguard.domain.time import HALF_HOUR, parse_instant
from meterguard.services.subject_access import SubjectAccess


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def parties(n: int) -> list[Party]:
    rng = random.Random(1)
    kinds = [
        (frozenset({Role.IS, Role.GS}), Category.SMALL_SUPPLIER),
        (frozenset({Role.GT}), Category.GAS_NETWORK),
        (frozenset({Role.OU}), Category.OTHER_SEC_PARTY),
    ]
    result = []
    for i in range(n):
        roles, category = kinds[i % 3]
        result.append(
            Party(f"P{i}", "p", roles, category, "", rng.randint(0, 500_000),
                  rng.randint(0, 100_000), rng.random() < 0.2)
        )  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parties", type=int, default=10_000)
    parser.add_argument("--population", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    rows: list[tuple[str, str, float, str, float]] = []

    cast = parties(args.parties)
    ours = best_of(3, lambda: [schedule(p, 2016, 2025) for p in cast])
    pattern = ("full", "verification", "self")
    floor = best_of(3, lambda: [[pattern[(y - 2016) % 3] for y in range(2016, 2026)] for _ in cast])
    rows.append((f"schedule, {args.parties:,} parties x 10 years", "domain/assessments", ours,
                 "bare pattern loop", floor))  # fmt: skip

    population = [f"OU_{i:06d}" for i in range(args.population)]
    ours = best_of(5, lambda: draw_sample(population, 50, "bench-seed"))
    floor = best_of(5, lambda: random.Random("bench-seed").sample(population, 50))
    rows.append((f"sample draw, 50 of {args.population:,}", "seeded tickets", ours,
                 "random.sample", floor))  # fmt: skip

    with tempfile.TemporaryDirectory() as folder:
        engine = open_database(f"sqlite:///{Path(folder) / 'bench.db'}")
        mpxn, start = "1012345678903", parse_instant("2025-01-01")
        with engine.begin() as connection:
            connection.execute(
                insert(schema.meter_points),
                {"mpxn": mpxn, "fuel": "electricity", "sector": "domestic", "region": "_A"},
            )
            connection.execute(
                insert(schema.occupancies),
                {"mpxn": mpxn, "consumer_id": "C-1", "valid_from": start, "valid_to": None},
            )
            connection.execute(
                insert(schema.readings),
                [{"mpxn": mpxn, "ts": start + i * HALF_HOUR, "kwh": 0.2}
                 for i in range(args.days * 48)],
            )  # fmt: skip
        now = start + args.days * 86400
        access = SubjectAccess(SqlSubjectAccessStore(engine), lambda: now)
        ours = best_of(3, lambda: render_subject_access(access.export("C-1", "bench")))

        def bare() -> object:
            with engine.connect() as connection:
                table = schema.readings
                return connection.execute(
                    select(table.c.ts, table.c.kwh).where(table.c.mpxn == mpxn)
                ).all()

        floor = best_of(3, bare)
        rows.append((f"subject access export, {args.days * 48:,} readings (SQLite)",
                     "export + audit + HTML", ours, "bare SELECT", floor))  # fmt: skip
        engine.dispose()

    print("| work | MeterGuard | seconds | floor | floor seconds | ratio |")
    print("|---|---|---:|---|---:|---:|")
    for work, name, seconds, floor_name, floor_seconds in rows:
        ratio = seconds / floor_seconds if floor_seconds else float("nan")
        print(
            f"| {work} | {name} | {seconds:.4f} | {floor_name} | {floor_seconds:.4f} | {ratio:.1f} |"
        )
    print(f"(best of 3-5 runs; median ratio {statistics.median(r[2] / r[4] for r in rows):.1f})")


if __name__ == "__main__":
    main()
