"""The command line as a user runs it: a real process, a real database file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from meterguard.adapters.storage.database import head_revision

SMALL = Path(__file__).parents[1] / "fixtures" / "small"


def meterguard(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "meterguard", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_into_the_default_database_then_again_changes_nothing(tmp_path: Path) -> None:
    env = {"MG_DATABASE_URL": ""}
    first = meterguard("import", str(SMALL), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "meterguard.db").exists()
    second = meterguard("import", str(SMALL), cwd=tmp_path, env=env)
    assert second.returncode == 0
    # inserted, updated, deleted, unchanged
    assert re.search(r"parties\.csv\s*│\s*0\s*│\s*0\s*│\s*0\s*│\s*9\s*│", second.stdout)


def test_a_bad_folder_exits_1_and_prints_file_line_column(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(SMALL, tmp_path / "bad"))
    lines = (folder / "meter_points.csv").read_text().splitlines()
    lines[6] = "1400000000058,domestic,_E"
    (folder / "meter_points.csv").write_text("\n".join(lines) + "\n")
    url = f"sqlite:///{tmp_path / 'mg.db'}"
    result = meterguard("import", str(folder), "--db", url, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "meter_points.csv:7: mpxn: MPAN core '1400000000058' fails its check digit (expected 7)"
    )
    assert "the database is unchanged" in result.stderr
    status = meterguard("status", cwd=tmp_path, env={"MG_DATABASE_URL": url})
    assert re.search(r"│ parties\s*│ 0\s*│", status.stdout)


def test_init_creates_the_schema_at_the_url_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = meterguard("init", cwd=tmp_path, env={"MG_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert f"schema revision {head_revision()}" in result.stdout


def test_check_writes_one_decision_line_per_request_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mg.db'}"
    assert meterguard("import", str(SMALL), "--db", url, cwd=tmp_path).returncode == 0
    requests = tmp_path / "requests.jsonl"
    requests.write_text(
        '{"request_id": "r1", "party_id": "OCTO", "role": "IS", "channel": "API", "item": "hh_consumption", '
        '"subject": "1012345678903", "from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z", '
        '"at": "2025-03-01T12:00:00Z", "purpose": ""}\n'
        "garbage\n"
    )
    result = meterguard(
        "check",
        str(requests),
        "--out",
        str(tmp_path / "decisions.jsonl"),
        "--db",
        url,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    decisions = (tmp_path / "decisions.jsonl").read_text().splitlines()
    assert len(decisions) == 2
    assert '"code": "PARTIAL"' in decisions[0] and '"code": "BAD_REQUEST"' in decisions[1]


def test_explain_prints_the_chain_from_options(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mg.db'}"
    assert meterguard("import", str(SMALL), "--db", url, cwd=tmp_path).returncode == 0
    result = meterguard(
        "explain",
        "--party",
        "APP1",
        "--role",
        "OU",
        "--item",
        "hh_consumption",
        "--subject",
        "3938424403",
        "--from",
        "2023-02-01",
        "--to",
        "2023-03-01",
        "--at",
        "2023-07-01T00:00:00Z",
        "--purpose",
        "price_comparison",
        "--db",
        url,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "K3 pending_notice" in result.stdout
    assert result.stdout.rstrip().endswith("Decision: deny (CONSENT_NOT_ACTIVE)")


def test_a_consent_through_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mg.db'}"
    assert meterguard("import", str(SMALL), "--db", url, cwd=tmp_path).returncode == 0
    granted = meterguard(
        "consent",
        "grant",
        "--consumer",
        "C-BOB",
        "--mpxn",
        "1012345678903",
        "--party",
        "APP1",
        "--purpose",
        "research",
        "--groups",
        "CONSUMPTION",
        "--data-from",
        "2024-10-01",
        "--verification",
        "ihd_guid",
        "--actor",
        "APP1",
        "--db",
        url,
        cwd=tmp_path,
    )
    assert granted.returncode == 0, granted.stderr
    consent_id = granted.stdout.split()[1].rstrip(";")
    noticed = meterguard(
        "consent",
        "notice",
        consent_id,
        "--time-periods",
        "daily",
        "--purpose",
        "research",
        "--right-to-withdraw",
        "the portal",
        "--actor",
        "APP1",
        "--db",
        url,
        cwd=tmp_path,
    )
    assert noticed.returncode == 0, noticed.stderr
    listed = meterguard("consent", "list", "--consumer", "C-BOB", "--db", url, cwd=tmp_path)
    assert re.search(consent_id + r".*active", listed.stdout)
    withdrawn = meterguard(
        "consent", "withdraw", consent_id, "--actor", "consumer:C-BOB", "--db", url, cwd=tmp_path
    )
    assert withdrawn.returncode == 0
    history = meterguard(
        "consent", "history", consent_id, "--db", url, cwd=tmp_path
    ).stdout.splitlines()
    assert [line.split()[1] for line in history] == ["granted", "notice_sent", "withdrawn"]
    refused = meterguard("consent", "withdraw", "NOPE", "--actor", "x", "--db", url, cwd=tmp_path)
    assert refused.returncode == 1 and "no consent NOPE" in refused.stderr


def test_audit_verify_names_the_first_altered_entry_and_exits_1(tmp_path: Path) -> None:
    from sqlalchemy import update

    from meterguard.adapters.storage import schema
    from meterguard.adapters.storage.audit_store import SqlAuditLog
    from meterguard.adapters.storage.database import open_database
    from meterguard.services.audit import AuditRecord

    url = f"sqlite:///{tmp_path / 'mg.db'}"
    engine = open_database(url)
    SqlAuditLog(engine).append(
        [
            AuditRecord("OCTO", "IS", "API", "hh_consumption", f"r{n}", "allow", "OK")
            for n in range(4)
        ],
        1_700_000_000,
    )
    intact = meterguard("audit", "verify", "--db", url, cwd=tmp_path)
    assert intact.returncode == 0 and "intact: 4 entries" in intact.stdout
    with engine.begin() as connection:
        connection.execute(
            update(schema.audit_log).where(schema.audit_log.c.seq == 2).values(code="NOT_OK")
        )
    engine.dispose()
    broken = meterguard("audit", "verify", "--db", url, cwd=tmp_path)
    assert broken.returncode == 1
    assert "BROKEN at seq 2" in broken.stderr
