"""``meterguard export`` as a user runs it: a real process, a real database and Parquet dataset."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

SMALL = Path(__file__).parents[1] / "fixtures" / "small"


def meterguard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "meterguard", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", "MG_DATABASE_URL": f"sqlite:///{cwd / 'mg.db'}"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_to_parquet_then_export_a_suppliers_readings_and_refuse_another_role(
    tmp_path: Path,
) -> None:
    folder = Path(shutil.copytree(SMALL, tmp_path / "small"))
    with (folder / "matrix.csv").open("a") as matrix:
        matrix.write("1,2019-01-01,hh_consumption,IS,BULK,H\n")
    imported = meterguard(
        "import", str(folder), "--readings-store", f"parquet:{tmp_path / 'readings'}", cwd=tmp_path
    )
    assert imported.returncode == 0, imported.stderr
    assert (tmp_path / "readings" / "date=2025-01-15").is_dir()

    common = ["--role", "IS", "--from", "2025-01-01", "--at", "2025-03-01T12:00:00Z"]
    exported = meterguard(
        "export", "--party", "BRIT", *common, "--format", "csv", "--out", "brit.csv",
        "--readings", str(tmp_path / "readings"), cwd=tmp_path,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert "wrote 2 readings" in exported.stdout and "via duckdb" in exported.stdout
    assert (tmp_path / "brit.csv").read_text().splitlines() == [
        "mpxn,ts,kwh",
        "1012345678903,2025-01-15T00:00:00Z,0.15",
        "1012345678903,2025-01-15T00:30:00Z,0.14",
    ]

    refused = meterguard(
        "export", "--party", "BRIT", "--role", "GS", "--from", "2025-01-01", "--out", "no.csv",
        "--format", "csv", cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "export refused: NOT_IN_MATRIX" in refused.stderr
    assert not (tmp_path / "no.csv").exists()

    log = meterguard("audit", "list", "--party", "BRIT", cwd=tmp_path)
    entries = [json.loads(line) for line in log.stdout.splitlines()]
    assert [(e["action"], e["decision"], e["code"]) for e in entries] == [
        ("export", "deny", "NOT_IN_MATRIX"),
        ("export", "allow", "OK"),
    ]
    assert entries[1]["detail"]["rows"] == 2


def test_tag_all_from_the_database_and_a_clear_error_for_a_wrong_engine(tmp_path: Path) -> None:
    assert meterguard("import", str(SMALL), cwd=tmp_path).returncode == 0
    tagged = meterguard(
        "export", "--tag-entitled", "--format", "csv", "--out", "tags.csv", cwd=tmp_path
    )
    assert tagged.returncode == 0, tagged.stderr
    lines = (tmp_path / "tags.csv").read_text().splitlines()
    assert lines[0] == "mpxn,ts,kwh,party_id"
    assert [line.rsplit(",", 1)[1] for line in lines[1:]] == [
        "OCTO",
        "OCTO",
        "BRIT",
        "BRIT",
        "OCTO",
    ]

    wrong = meterguard(
        "export", "--tag-entitled", "--engine", "postgres", "--out", "x.csv", cwd=tmp_path
    )
    assert wrong.returncode == 2
    assert "needs a postgresql database" in wrong.stderr
