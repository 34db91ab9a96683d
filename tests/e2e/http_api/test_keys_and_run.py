"""``meterguard keys`` as a user runs it, and what ``make run`` does: a demo imported, demo keys
printed with a curl each, served by two workers; every printed call answers 200."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from meterguard.adapters.storage import schema
from meterguard.bootstrap import api_keys

from .servers import serving
from .support import SMALL


def meterguard(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "meterguard", *args],
        env={**os.environ, "MG_DATABASE_URL": db, "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_key_is_shown_once_and_only_its_hash_is_stored(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'keys.db'}"
    assert meterguard("import", str(SMALL), db=db).returncode == 0
    issued = meterguard("keys", "issue", "--party", "BRIT", db=db)
    assert issued.returncode == 0, issued.stderr
    key = issued.stdout.strip()
    assert re.fullmatch(r"mg_[A-Za-z0-9_-]{43}", key)
    engine = create_engine(db)
    with engine.connect() as connection:
        rows = connection.execute(select(schema.api_keys)).mappings().all()
    assert [r["key_hash"] for r in rows] == [hashlib.sha256(key.encode()).hexdigest()]
    assert key not in str([dict(r) for r in rows])
    listed = meterguard("keys", "list", db=db)
    assert key[:11] in listed.stdout and key not in listed.stdout
    assert api_keys(engine).authenticate(key) is not None
    assert meterguard("keys", "revoke", key[:11], db=db).returncode == 0
    assert api_keys(engine).authenticate(key) is None
    refused = meterguard("keys", "issue", "--party", "NOPE", db=db)
    assert refused.returncode == 1 and "no party NOPE" in refused.stderr


@pytest.mark.slow
def test_the_demo_keys_make_run_prints_work_against_two_workers(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    demo = tmp_path / "demo"
    made = meterguard("demo-data", str(demo), "--meters", "40", "--days", "2", "--seed", "1", db=db)
    assert made.returncode == 0, made.stderr
    assert meterguard("import", str(demo), db=db).returncode == 0
    with serving(db, workers=2) as base:
        printed = meterguard("keys", "demo", "--url", base, db=db)
        assert printed.returncode == 0, printed.stderr
        calls = [
            line.strip() for line in printed.stdout.splitlines() if line.strip().startswith("curl")
        ]
        assert len(calls) == 4  # a supplier, an Other User, a meter asset provider, an operator
        for call in calls:
            words = shlex.split(call)
            header, url = words[2], words[3]
            name, value = header.split(": ", 1)
            response = httpx.get(url, headers={name: value}, timeout=60)
            assert response.status_code == 200, (call, response.text)
