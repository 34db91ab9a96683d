"""The routing commands as an operator runs them on the demo data: ingest, report cos, SR 6.23,
deliveries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def meterguard(*args: str, cwd: Path, db: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "meterguard", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", "MG_DATABASE_URL": db},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_report_cos_lists_the_demo_gaps_and_drops_a_device_once_sr_6_23_is_done(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'mg.db'}"
    demo = tmp_path / "demo"
    steps = [
        ("demo-data", str(demo), "--meters", "300", "--days", "1", "--as-of", "2026-06-01"),
        ("import", str(demo)),
        ("demo-messages", str(demo), "--days", "5", "--as-of", "2026-06-01"),
        ("ingest", str(demo / "messages.csv"), "--at", "2026-06-01T00:00:00Z"),
    ]
    for step in steps:
        result = meterguard(*step, cwd=tmp_path, db=db)
        assert result.returncode == 0, (step, result.stderr)
    assert "quarantined" in result.stdout

    def gaps() -> list[dict[str, object]]:
        result = meterguard(
            "report", "cos", "--at", "2026-06-01T00:00:00Z", "--format", "json", cwd=tmp_path, db=db
        )
        assert result.returncode == 0, result.stderr
        rows: list[dict[str, object]] = json.loads(result.stdout)
        return rows

    before = gaps()
    meters = [r for r in before if r["device_type"] in ("ESME", "GSME")]
    assert meters, "the demo data holds credentials gaps"
    gap = meters[0]
    assert gap["gaining_supplier"] != gap["former_supplier"]
    assert int(str(gap["days_since_supply_start"])) >= 0
    assert int(str(gap["withheld_from_former"])) > 0  # its reads went to the gaining supplier

    # The former supplier pulled: no read stamped on or after the Supply Start Date.
    pulled = meterguard(
        "deliveries", "--party", str(gap["former_supplier"]), "--format", "json", "--limit",
        "100000", cwd=tmp_path, db=db,
    )  # fmt: skip
    assert pulled.returncode == 0, pulled.stderr
    items = [json.loads(line) for line in pulled.stdout.splitlines()]
    from_gap = [i for i in items if i["device_guid"] == gap["device_guid"]]
    assert from_gap and all(i["kind"] == "alert" for i in from_gap)
    assert all(i["ts"] >= gap["supply_start"] for i in from_gap)

    role = "IS" if gap["device_type"] == "ESME" else "GS"
    refused = meterguard(
        "service-request", "--party", str(gap["former_supplier"]), "--role", role,
        "--action", "update_credentials_cos", "--subject", str(gap["device_guid"]),
        cwd=tmp_path, db=db,
    )  # fmt: skip
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["code"] == "NOT_ELIGIBLE"
    done = meterguard(
        "service-request", "--party", str(gap["gaining_supplier"]), "--role", role,
        "--action", "update_credentials_cos", "--subject", str(gap["device_guid"]),
        cwd=tmp_path, db=db,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    after = gaps()
    assert gap["device_guid"] not in {r["device_guid"] for r in after}
    assert len(after) == len(before) - 1
