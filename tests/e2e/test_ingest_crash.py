"""Crash safety: ``meterguard ingest`` killed with SIGKILL part-way through a file, then run again,
delivers every message exactly once and loses none. The real CLI in a real process, on SQLite and
on PostgreSQL."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.database import open_database

SMALL = Path(__file__).parents[1] / "fixtures" / "small"
E1, ESME = "1012345678903", "00-DB-12-34-56-78-90-A0"  # OCTO until 2025-01-15, BRIT from then
SSD = 1736899200  # 2025-01-15T00:00:00Z
MESSAGES = 20_000
BATCH = 100


def write_messages(path: Path) -> dict[str, int]:
    """A file of reads and alerts around the Supply Start Date; returns the expected number of
    deliveries of each message (a critical alert after the SSD goes to two parties)."""
    expected = {}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["message_id", "mpxn", "device_guid", "ts", "kind", "alert_code", "payload"]
        )
        for i in range(MESSAGES):
            ts = SSD + (i - MESSAGES // 2) * 60
            kind, code = ("alert", "8F0A") if i % 3 == 0 else ("read", "")
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
            writer.writerow([f"msg-{i:06d}", E1, ESME, stamp, kind, code, f'{{"n": {i}}}'])
            expected[f"msg-{i:06d}"] = 2 if kind == "alert" and ts >= SSD else 1
    return expected


def meterguard(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "meterguard", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_an_ingest_killed_part_way_and_run_again_delivers_each_message_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    engine = open_database(database_url)
    imported = meterguard("import", str(SMALL), "--db", database_url, cwd=tmp_path)
    assert imported.wait(timeout=120) == 0, imported.communicate()[1]
    expected = write_messages(tmp_path / "messages.csv")
    ingest = ("ingest", "messages.csv", "--db", database_url, "--batch-size", str(BATCH))
    ingest_args = (*ingest, "--at", "2025-03-01T00:00:00Z")

    def stored() -> int:
        with engine.connect() as connection:
            return int(
                connection.execute(select(func.count()).select_from(schema.messages)).scalar_one()
            )

    process = meterguard(*ingest_args, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while stored() < 5 * BATCH:
        assert process.poll() is None, "the ingest ended before it could be killed"
        assert time.monotonic() < deadline, "the ingest committed nothing in two minutes"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    committed = stored()
    assert 0 < committed < MESSAGES, "the kill must land part-way through the file"
    assert committed % BATCH == 0  # whole batches only

    rerun = meterguard(*ingest_args, cwd=tmp_path)
    out, errors = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, errors
    assert "duplicates dropped" in out

    with engine.connect() as connection:
        assert stored() == MESSAGES
        deliveries = schema.deliveries
        per_message = dict(
            connection.execute(
                select(deliveries.c.message_id, func.count()).group_by(deliveries.c.message_id)
            ).all()
        )
        pairs = connection.execute(
            select(func.count()).select_from(
                select(deliveries.c.message_id, deliveries.c.party_id).distinct().subquery()
            )
        ).scalar_one()
    assert per_message == expected
    assert pairs == sum(expected.values())  # never the same message twice to one party
    engine.dispose()
