"""Routing device messages (ACCESS-RULES 9): one at a time, in batches, and ingest end to end.

Run: uv run python benchmarks/routing.py [--meters 1000000] [--messages 1000000]
                                         [--ingest-meters 10000] [--ingest-messages 200000]

One run, one seeded world, every figure side by side:

1. Routing decisions, in process. The world has ``--meters`` meter points (80 % electricity, 20 %
   gas), each with its Responsible Supplier history (about 30 % changed supplier in the year, 1 %
   with a month of no supplier) and one smart meter whose credentials are the former supplier's in
   2 % of the switched meter points (a credentials gap). ``--messages`` messages: one read in five,
   the rest alerts, a third of them critical; data times across the year, so some fall into a
   supplier-less month (quarantine).
   - ``Router.route``, one message at a time (the first pass compiles each device's answers, the
     second is the steady state);
   - the anchor: a plain dict-and-bisect router written for this rule alone (meter point ->
     sorted starts, ends and holders; device -> meter point and credentials holder);
   - ``BatchRouter`` on batches of 100,000: the vectorised routing of encoded columns, and the
     encoding of text identifiers into those columns, timed apart.
   Every message's answer is compared between the three.
2. Ingest end to end: ``meterguard ingest FILE`` as a child process, from a CSV file to committed
   deliveries, on SQLite and PostgreSQL, into a registry of ``--ingest-meters`` demo meter points
   (imported beforehand, not timed). Beside it, the same messages and deliveries inserted with no
   checks and no routing (one executemany per table, in batches of 5,000) as the floor.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psycopg
from psycopg import sql

from meterguard.domain.appointments import Appointment
from meterguard.domain.devices import CspRegion, Device, DeviceStatus, DeviceType
from meterguard.domain.identifiers import Fuel
from meterguard.domain.period import Period
from meterguard.domain.roles import Role
from meterguard.domain.time import DAY, format_instant
from meterguard.policy.batch_routing import BatchRouter
from meterguard.policy.routing import Router
from meterguard.policy.snapshot import Snapshot

YEAR_START = 1_735_689_600  # 2025-01-01T00:00:00Z
YEAR = 365 * DAY
SUPPLIERS = [f"SUP{i:02d}" for i in range(40)]
CRITICAL = ["8F0A", "8F0C", "8F0F", "8F1C", "8F69", "8F70", "8F74", "8F75", "8F76", "8F78"]
NON_CRITICAL = ["8183", "8006", "8007"]
BATCH = 100_000
PG_ADMIN = os.environ.get("MG_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
OUT = Path(__file__).resolve().parent / "out"

Message = tuple[str, str, int, str, str]


def world(meters: int, rng: random.Random) -> tuple[Snapshot, list[str], list[str]]:
    appointments: list[Appointment] = []
    devices: list[Device] = []
    fuels: dict[str, Fuel] = {}
    mpxns: list[str] = []
    guids: list[str] = []
    for i in range(meters):
        gas = i % 5 == 4
        mpxn = f"{i:010d}" if gas else f"1{i:012d}"
        fuel = Fuel.GAS if gas else Fuel.ELECTRICITY
        role = Role.GS if gas else Role.IS
        fuels[mpxn] = fuel
        first, second = rng.sample(SUPPLIERS, 2)
        holder = first
        draw = rng.random()
        if draw < 0.01:  # a month with no supplier, then one
            gap_start = YEAR_START + rng.randrange(30, 300) * DAY
            appointments.append(
                Appointment(mpxn, role, first, Period(YEAR_START - YEAR, gap_start))
            )
            appointments.append(Appointment(mpxn, role, second, Period(gap_start + 30 * DAY)))
            holder = second
        elif draw < 0.31:  # a Change of Supplier during the year
            ssd = YEAR_START + rng.randrange(1, 364) * DAY
            appointments.append(Appointment(mpxn, role, first, Period(YEAR_START - YEAR, ssd)))
            appointments.append(Appointment(mpxn, role, second, Period(ssd)))
            holder = first if rng.random() < 0.02 else second  # 2 %: SR 6.23 not sent
        else:
            appointments.append(Appointment(mpxn, role, first, Period(YEAR_START - YEAR)))
        guid = f"{i >> 24 & 0xFF:02X}-{i >> 16 & 0xFF:02X}-{i >> 8 & 0xFF:02X}-{i & 0xFF:02X}-00-00-00-01"
        devices.append(
            Device(
                guid,
                DeviceType.GSME if gas else DeviceType.ESME,
                mpxn,
                "Acme",
                "M1",
                "1.0",
                DeviceStatus.COMMISSIONED,
                CspRegion.NORTH,
                None,
                holder,
            )
        )
        mpxns.append(mpxn)
        guids.append(guid)
    snapshot = Snapshot.build(appointments=appointments, devices=devices, fuels=fuels)
    return snapshot, mpxns, guids


def messages(count: int, mpxns: list[str], guids: list[str], rng: random.Random) -> list[Message]:
    out: list[Message] = []
    n = len(mpxns)
    for _ in range(count):
        i = rng.randrange(n)
        ts = YEAR_START + rng.randrange(YEAR // 1800) * 1800
        if rng.random() < 0.2:
            out.append((mpxns[i], guids[i], ts, "read", ""))
        else:
            code = rng.choice(CRITICAL) if rng.random() < 1 / 3 else rng.choice(NON_CRITICAL)
            out.append((mpxns[i], guids[i], ts, "alert", code))
    return out


class DictBisectRouter:
    """The anchor: the same rule with plain dicts and ``bisect``, written for speed alone."""

    def __init__(self, facts: Snapshot, critical: list[str]) -> None:
        self.critical = frozenset(critical)
        self.meters: dict[str, tuple[list[int], list[int], list[str]]] = {}
        for (mpxn, _role), timeline in facts.timelines.items():
            tenures = timeline.tenures
            self.meters[mpxn] = (
                [t.period.start for t in tenures],
                [t.period.end for t in tenures],
                [t.holder for t in tenures],
            )
        self.devices = {g: (d.mpxn, d.credentials_party_id) for g, d in facts.devices.items()}

    def route(self, mpxn: str, guid: str, ts: int, kind: str, code: str) -> tuple[str, ...]:
        device = self.devices.get(guid)
        if device is None or device[0] != mpxn:
            return ("reject",)
        starts, ends, holders = self.meters[mpxn]
        i = bisect_right(starts, ts) - 1
        if i < 0 or ts >= ends[i]:
            return ("quarantine",)
        supplier = holders[i]
        holder = device[1]
        if kind == "alert" and code in self.critical and holder and holder != supplier:
            return (supplier, holder)
        return (supplier,)


CPU: dict[str, float] = {}  # label -> CPU seconds of the last timed work of that label


def timed(work: Callable[[], object], label: str = "") -> float:
    """Wall seconds; the process's CPU seconds go to ``CPU[label]``. On a shared machine the
    two differ by the time the process waited for a core."""
    started, cpu = time.perf_counter(), time.process_time()
    work()
    CPU[label] = time.process_time() - cpu
    return time.perf_counter() - started


def route_all(route: Callable[[str, str, int, str, str], object], batch: list[Message]) -> None:
    for mpxn, guid, ts, kind, code in batch:
        route(mpxn, guid, ts, kind, code)


def decisions(meters: int, count: int) -> list[tuple[str, ...]]:
    rng = random.Random(7)
    started = time.perf_counter()
    facts, mpxns, guids = world(meters, rng)
    sample = messages(count, mpxns, guids, rng)
    gc.collect()
    gc.freeze()
    print(f"world of {meters:,} meter points and {count:,} messages built in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)  # fmt: skip

    router = Router(facts, CRITICAL)
    cold = timed(lambda: route_all(router.route, sample), "cold")
    warm = timed(lambda: route_all(router.route, sample), "warm")
    anchor = DictBisectRouter(facts, CRITICAL)
    anchor_time = timed(lambda: route_all(anchor.route, sample), "anchor")

    compile_started = time.perf_counter()
    batch_router = BatchRouter(facts, CRITICAL)
    compile_time = time.perf_counter() - compile_started
    encode_time = route_time = encode_cpu = route_cpu = 0.0
    agree = 0
    for start in range(0, count, BATCH):
        chunk = sample[start : start + BATCH]
        began, began_cpu = time.perf_counter(), time.process_time()
        columns = batch_router.encode(*(list(c) for c in zip(*chunk, strict=True)))
        encoded, encoded_cpu = time.perf_counter(), time.process_time()
        routes = batch_router.route(columns)
        routed, routed_cpu = time.perf_counter(), time.process_time()
        encode_time += encoded - began
        route_time += routed - encoded
        encode_cpu += encoded_cpu - began_cpu
        route_cpu += routed_cpu - encoded_cpu
        for i, message in enumerate(chunk):  # every answer, checked three ways (not timed)
            scalar = router.route(*message)
            if batch_router.route_of(routes, i) != scalar:
                raise AssertionError(f"batch and scalar routers disagree on {message}")
            plain = anchor.route(*message)
            expected = scalar.parties() if scalar.recipients else {scalar.outcome.value}
            if set(plain) != expected:
                raise AssertionError(f"anchor and router disagree on {message}")
            agree += 1
    outcomes = np.bincount(batch_router.route(batch_router.encode(
        *(list(c) for c in zip(*sample, strict=True)))).outcome, minlength=5)  # fmt: skip
    print(f"outcomes: delivered {outcomes[0]:,}, quarantined {outcomes[1]:,}; "
          f"{agree:,} answers agree", file=sys.stderr)  # fmt: skip

    def row(label: str, wall: float, cpu: float) -> tuple[str, ...]:
        return (
            label,
            f"{wall:.3f}",
            f"{count / wall:,.0f}",
            f"{cpu:.3f}",
            f"{count / cpu:,.0f}" if cpu else "",
            f"{cpu / count * 1e9:,.0f} ns",
        )

    return [
        row("Router.route, one at a time, first pass (compiles each device)", cold, CPU["cold"]),
        row("Router.route, one at a time, steady state", warm, CPU["warm"]),
        row("anchor: dict + bisect, one at a time", anchor_time, CPU["anchor"]),
        row(f"BatchRouter.route, batches of {BATCH:,} (encoded columns)", route_time, route_cpu),
        row(f"BatchRouter.encode, batches of {BATCH:,} (text ids to columns)", encode_time,
            encode_cpu),
        row("BatchRouter encode + route", encode_time + route_time, encode_cpu + route_cpu),
        ("BatchRouter compile (once per snapshot revision)", f"{compile_time:.2f}", "", "", "",
         ""),
    ]  # fmt: skip


# -- ingest end to end -----------------------------------------------------------------------


def demo_registry(meters: int) -> Path:
    from meterguard.adapters.demo_data import write_demo_folder

    folder = OUT / f"routing-demo-{meters}m"
    if not (folder / "parties.csv").exists():
        folder.mkdir(parents=True, exist_ok=True)
        write_demo_folder(
            folder, meters=meters, seed=1, as_of=datetime(2026, 11, 1, tzinfo=UTC), days=1
        )
        (folder / "readings.csv").unlink()
    return folder


def message_file(folder: Path, count: int) -> tuple[Path, int]:
    """``count`` messages from the demo's commissioned meters, over the last 60 days."""
    path = folder / f"messages-{count}.csv"
    with (folder / "devices.csv").open(encoding="utf-8", newline="") as handle:
        meters = [
            (d["mpxn"], d["guid"])
            for d in csv.DictReader(handle)
            if d["device_type"] in ("ESME", "GSME") and d["status"] == "commissioned"
        ]
    if not path.exists():
        rng = random.Random(11)
        end = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["message_id", "mpxn", "device_guid", "ts", "kind", "alert_code", "payload"]
            )
            for n in range(count):
                mpxn, guid = meters[rng.randrange(len(meters))]
                ts = end - rng.randrange(1, 60 * 48) * 1800
                if rng.random() < 0.2:
                    writer.writerow(
                        [f"m{n}", mpxn, guid, format_instant(ts), "read", "", '{"kwh": 0.4}']
                    )
                else:
                    code = (
                        rng.choice(CRITICAL) if rng.random() < 1 / 3 else rng.choice(NON_CRITICAL)
                    )
                    writer.writerow([f"m{n}", mpxn, guid, format_instant(ts), "alert", code, ""])
    return path, len(meters)


def run(args: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{args} failed: {result.stderr}")
    return time.perf_counter() - started


def meterguard(*args: str) -> list[str]:
    return [sys.executable, "-m", "meterguard", *args]


def floor(url: str, path: Path) -> float:
    """The same messages and one delivery each, inserted with no check and no routing."""
    from sqlalchemy import insert

    from meterguard.adapters.storage import schema
    from meterguard.adapters.storage.database import open_database

    engine = open_database(url)
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        batch: list[dict[str, object]] = []

        def flush() -> None:
            with engine.begin() as connection:
                connection.execute(insert(schema.messages), batch)
                connection.execute(
                    insert(schema.deliveries),
                    [
                        {"party_id": "X", "message_id": m["message_id"], "notice": "message",
                         "basis": "floor", "created_at": 0}
                        for m in batch
                    ],
                )  # fmt: skip
            batch.clear()

        for row in rows:
            batch.append({**row, "ts": 0, "received_at": 0, "state": "routed", "reason": ""})
            if len(batch) == 5000:
                flush()
        if batch:
            flush()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def postgres_url() -> tuple[str, str]:
    name = f"mg_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}", name


def drop_postgres(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def ingest(meters: int, count: int) -> list[tuple[str, ...]]:
    folder = demo_registry(meters)
    path, devices = message_file(folder, count)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for database in ("sqlite", "postgresql"):
            names = []
            urls = []
            for _ in range(2):
                if database == "sqlite":
                    urls.append(f"sqlite:///{Path(tmp) / f'{uuid.uuid4().hex}.db'}")
                else:
                    url, name = postgres_url()
                    urls.append(url)
                    names.append(name)
            try:
                run(meterguard("import", str(folder), "--db", urls[0]))
                seconds = run(meterguard("ingest", str(path), "--db", urls[0],
                                         "--at", "2026-11-01T00:00:00Z"))  # fmt: skip
                again = run(meterguard("ingest", str(path), "--db", urls[0],
                                       "--at", "2026-11-01T00:00:00Z"))  # fmt: skip
                floor_seconds = floor(urls[1], path)
            finally:
                for name in names:
                    drop_postgres(name)
            label = f"{database}: {meters:,} meter points ({devices:,} meters), {count:,} messages"
            rows.append((f"{label}, meterguard ingest", f"{seconds:.1f}",
                         f"{count / seconds:,.0f}"))  # fmt: skip
            rows.append((f"{label}, same file again (all duplicates)", f"{again:.1f}",
                         f"{count / again:,.0f}"))  # fmt: skip
            rows.append((f"{label}, floor: plain inserts, no routing", f"{floor_seconds:.1f}",
                         f"{count / floor_seconds:,.0f}"))  # fmt: skip
    return rows


def table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    print(f"\n{title}\n")
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--ingest-meters", type=int, default=10_000)
    parser.add_argument("--ingest-messages", type=int, default=200_000)
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    table(
        f"Routing decisions, {args.meters:,} meter points, {args.messages:,} messages",
        ("work", "wall s", "messages/s (wall)", "CPU s", "messages/s (CPU)", "CPU per message"),
        decisions(args.meters, args.messages),
    )
    if not args.skip_ingest:
        table(
            "Ingest end to end (file to committed deliveries), `meterguard ingest` as a process",
            ("work", "wall s", "messages/s"),
            ingest(args.ingest_meters, args.ingest_messages),
        )
    load_after = os.getloadavg()
    print(f"\nload average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
