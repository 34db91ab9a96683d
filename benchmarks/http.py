"""Load on loopback against the HTTP API: decisions and audited readings, two server workers,
SQLite and PostgreSQL; throughput, p50 and p99, beside the framework's own floor.

Run: uv run python benchmarks/http.py [--meters 300] [--days 7] [--seconds 10] [--connections 16]

For each database: a demo registry is imported, keys are issued for the suppliers, and
`meterguard serve --workers 2` runs on a free loopback port. The load generator is wrk (apt's
`wrk`; a Lua script picks a different request each time) with a bounded number of connections
and a fixed duration. Three loads, one after the other, against the same server:

- anchor: `GET /health`, the same server answering without authentication, a database or the
  engine: the most this FastAPI + uvicorn stack gives on this machine;
- decisions: `POST /v1/decisions`, each by the current supplier of a different meter point
  (authenticated, change feed read, decided; allowed decisions are not audited, see docs);
- readings: `GET /v1/meter-points/{mpxn}/consumption` for the last two days, each allowed and
  therefore audited: readings fetched and the audit entry appended in one transaction (a group
  commit shared with the releases waiting beside it).

Then, in process, the two waits the hot routes share among concurrent requests, side by side
with doing them once per request as the hub did before (docs/http-api.md, "Throughput"): the
change-feed read before each decision, and the audited release. The machine has 2 cores and is
shared: `uptime` is printed before and after.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named http.py, as the issue asks: keep its folder off the import path so that it
# does not shadow the standard library's http package (httpx imports it).
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime

import httpx
import psycopg
from psycopg import sql

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PG_ADMIN = os.environ.get("MG_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
TARGETS = {"decisions": (2000, 50.0), "readings": (500, 50.0)}  # PostgreSQL: req/s, p99 ms

LUA = """
local requests = {}
init = function(args)
  for line in io.lines(args[1]) do
    local item = {}
    for field in string.gmatch(line, "[^\\t]+") do item[#item + 1] = field end
    requests[#requests + 1] = item
  end
  counter = math.random(#requests)
end
request = function()
  counter = counter % #requests + 1
  local r = requests[counter]
  local headers = {["Authorization"] = "Bearer " .. r[3], ["Content-Type"] = "application/json"}
  return wrk.format(r[1], r[2], headers, r[4])
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def postgres_database() -> tuple[str, str]:
    name = f"mg_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = PG_ADMIN.rsplit("/", 1)[0]
    return name, f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://")


def drop_postgres_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def demo_folder(meters: int, days: int) -> Path:
    from meterguard.adapters.demo_data import write_demo_folder

    folder = OUT / f"http-demo-{meters}m-{days}d-{datetime.now(UTC):%Y%m%d}"
    if not (folder / "readings.csv").exists():
        folder.mkdir(parents=True, exist_ok=True)
        write_demo_folder(
            folder,
            meters=meters,
            seed=1,
            as_of=datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0),
            days=days,
        )
    return folder


def prepare(url: str, folder: Path, workdir: Path) -> dict[str, Path]:
    """Import, issue keys, and write the request files wrk reads (one request a line)."""
    from meterguard import bootstrap
    from meterguard.domain.catalogue import Channel
    from meterguard.domain.roles import responsible_supplier_role
    from meterguard.domain.time import DAY, format_instant
    from meterguard.policy.decision import Outcome
    from meterguard.policy.engine import decide
    from meterguard.policy.requests import DataRequest

    engine = bootstrap.database(url)
    bootstrap.import_directory(engine, folder)
    facts = bootstrap.facts(engine, lazy=False)
    keys = bootstrap.api_keys(engine)
    now = bootstrap.system_clock()
    since = now - 2 * DAY
    issued: dict[str, str] = {}
    decisions, readings = [], []
    for mpxn in sorted(facts.fuels):
        role = responsible_supplier_role(facts.fuels[mpxn])
        holder = facts.holder_at(mpxn, role, now)
        if holder is None:
            continue
        asked = DataRequest(
            "b", holder, role.value, Channel.API, "hh_consumption", mpxn, since, None, now
        )
        if decide(asked, facts).outcome is Outcome.DENY:
            continue
        key = issued.setdefault(holder, keys.issue(party_id=holder))
        body = {
            "role": role.value,
            "item": "hh_consumption",
            "subject": mpxn,
            "from": format_instant(since),
        }
        decisions.append(("POST", "/v1/decisions", key, json.dumps(body, separators=(",", ":"))))
        readings.append(
            (
                "GET",
                f"/v1/meter-points/{mpxn}/consumption?role={role.value}&from={format_instant(since)}",
                key,
                "",
            )
        )
    engine.dispose()
    files = {}
    for name, rows in (
        ("health", [("GET", "/health", "none", "")]),
        ("decisions", decisions),
        ("readings", readings),
    ):
        path = workdir / f"{name}.tsv"
        path.write_text("".join("\t".join(r).rstrip("\t") + "\n" for r in rows))
        files[name] = path
    print(
        f"  {len(decisions)} allowed (supplier, meter point) pairs, {len(issued)} keys",
        file=sys.stderr,
    )
    return files


def in_process(url: str, readings_file: Path, requests: int = 2000) -> list[tuple[str, str]]:
    """The two shared waits, in process and side by side with doing them one request at a time:
    the change-feed read before each decision, and the audited release of readings."""
    import asyncio

    from meterguard import bootstrap
    from meterguard.domain.period import Period
    from meterguard.domain.time import DAY
    from meterguard.services.audit import AuditRecord

    engine = bootstrap.database(url)
    follower = bootstrap.snapshot_follower(engine)
    now = bootstrap.system_clock()
    window = (Period(now - 2 * DAY, now),)
    mpxns = [line.split("\t")[1].split("/")[3] for line in readings_file.read_text().splitlines()]

    def entry(rows: list[tuple[int, float]]) -> AuditRecord:
        return AuditRecord(
            party_id="BENCH",
            role="IS",
            channel="API",
            action="hh_consumption",
            subject="bench",
            decision="allow",
            code="OK",
            mpxn="bench",
            allowed=window,
            request_id="bench",
            detail={"readings": len(rows)},
        )

    out: list[tuple[str, str]] = []
    follower.catch_up()
    started = time.perf_counter()
    for _ in range(requests):
        follower.catch_up()
    alone = (time.perf_counter() - started) / requests * 1e6
    out.append(("feed read, one per request (blocking)", f"{alone:,.0f} µs a request"))

    store = bootstrap.release_store(engine)
    started = time.perf_counter()
    for i in range(requests // 4):
        store.readings(mpxns[i % len(mpxns)], window, entry, now)
    alone_rate = requests // 4 / (time.perf_counter() - started)
    out.append(("release, one transaction each (blocking)", f"{alone_rate:,.0f}/s"))

    async def shared(concurrent: int) -> list[tuple[str, str]]:
        feed, releases = bootstrap.request_rounds(engine, follower, lambda changes: None)
        began = time.perf_counter()
        for _ in range(0, requests, concurrent):
            await asyncio.gather(*(feed.catch_up() for _ in range(concurrent)))
        per_request = (time.perf_counter() - began) / requests * 1e6
        began = time.perf_counter()
        for start in range(0, requests, concurrent):
            await asyncio.gather(
                *(
                    releases.readings(mpxns[(start + j) % len(mpxns)], window, entry, now)
                    for j in range(concurrent)
                )
            )
        rate = requests / (time.perf_counter() - began)
        await releases.aclose()
        f, r = feed.rounds, releases.rounds
        return [
            (
                f"feed read, shared, {concurrent} waiting",
                f"{per_request:,.0f} µs a request ({f.jobs / f.rounds:.1f} requests a read; "
                f"{alone / per_request:.1f}× one each)",
            ),
            (
                f"release, group commit, {concurrent} waiting",
                f"{rate:,.0f}/s ({r.jobs / r.rounds:.1f} releases a commit; "
                f"{rate / alone_rate:.1f}× one each)",
            ),
        ]

    for concurrent in (1, 8):
        out.extend(asyncio.run(shared(concurrent)))
    follower.close()
    engine.dispose()
    return out


_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def run_wrk(
    base: str, requests: Path, script: Path, seconds: int, connections: int
) -> dict[str, float]:
    result = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--latency",
            "-s",
            str(script),
            base,
            "--",
            str(requests),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    text = result.stdout
    throughput = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    percentiles = {
        int(p): float(v) * _UNIT[u]
        for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    total = re.search(r"(\d+) requests in", text)
    return {
        "rps": throughput,
        "p50": percentiles.get(50, float("nan")),
        "p99": percentiles.get(99, float("nan")),
        "requests": float(total.group(1)) if total else 0.0,
        "non_2xx": float(non_2xx.group(1)) if non_2xx else 0.0,
    }


def serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "meterguard",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env={**os.environ, "MG_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the server did not start")


def warm_up(base: str, files: dict[str, Path], passes: int = 10) -> None:
    """Every meter point in every worker, very likely (lazy snapshots load a meter point on first
    use): a new connection for each request, since the kernel hands each new connection to one
    worker or the other, and a kept-alive connection would stay with one."""
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(passes):
            for line in files["decisions"].read_text().splitlines():
                method, path, key, body = line.split("\t")
                client.request(
                    method,
                    path,
                    content=body,
                    headers={
                        "Authorization": f"Bearer {key}",
                        "Content-Type": "application/json",
                        "Connection": "close",
                    },
                )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--meters", type=int, default=300)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    folder = demo_folder(args.meters, args.days)
    print(f"before: {uptime()}")
    rows = []
    shared_rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        script = workdir / "requests.lua"
        script.write_text(LUA)
        for database in args.databases.split(","):
            pg_name = None
            if database == "sqlite":
                url = f"sqlite:///{workdir / 'bench.db'}"
            else:
                pg_name, url = postgres_database()
            try:
                print(f"{database}: importing {folder.name}", file=sys.stderr)
                files = prepare(url, folder, workdir)
                measured = in_process(url, files["readings"])
                process, base = serve(url)
                try:
                    warm_up(base, files)
                    for load in ("health", "decisions", "readings"):
                        figures = run_wrk(base, files[load], script, args.seconds, args.connections)
                        rows.append((database, load, figures))
                        print(f"  {load}: {figures}", file=sys.stderr)
                finally:
                    os.killpg(process.pid, 15)
                    process.wait(timeout=60)
                shared_rows.extend((database, what, figure) for what, figure in measured)
            finally:
                if pg_name:
                    drop_postgres_database(pg_name)
    print(f"after:  {uptime()}")
    print()
    print(
        f"{args.meters} meter points, {args.days} days of readings; wrk -t2 -c{args.connections} -d{args.seconds}s; 2 server workers"
    )
    print()
    print("| database | load | requests/s | p50 ms | p99 ms | non-2xx | target (PostgreSQL) |")
    print("|---|---|---:|---:|---:|---:|---|")
    for database, load, f in rows:
        target = TARGETS.get(load)
        aim = f"≥ {target[0]:,}/s, p99 < {target[1]:.0f} ms" if target else "anchor"
        print(
            f"| {database} | {load} | {f['rps']:,.0f} | {f['p50']:.1f} | {f['p99']:.1f} | {f['non_2xx']:.0f} | {aim} |"
        )
    print()
    print(f"In process, {args.meters} meter points, the two waits every request shares:")
    print()
    print("| database | what | figure |")
    print("|---|---|---|")
    for database, what, figure in shared_rows:
        print(f"| {database} | {what} | {figure} |")


if __name__ == "__main__":
    main()
