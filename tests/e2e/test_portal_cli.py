"""``meterguard portal code``: the demo's one-time codes, printed by a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from meterguard import bootstrap
from portal_world import SMALL


def meterguard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "meterguard", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_printed_code_signs_its_consumer_in_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mg.db'}"
    assert meterguard("import", str(SMALL), "--db", url, cwd=tmp_path).returncode == 0
    result = meterguard("portal", "code", "C-BOB", "--db", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    code = result.stdout.strip()
    assert re.fullmatch(r"\d{4}-\d{4}", code)
    assert "valid 10 minutes" in result.stderr
    sign_in = bootstrap.sign_in_codes(bootstrap.database(url))
    assert not sign_in.redeem("C-CAROL", code)
    assert sign_in.redeem("C-BOB", code)
    assert not sign_in.redeem("C-BOB", code)


def test_a_code_for_an_unknown_consumer_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mg.db'}"
    assert meterguard("import", str(SMALL), "--db", url, cwd=tmp_path).returncode == 0
    result = meterguard("portal", "code", "C-NOBODY", "--db", url, cwd=tmp_path)
    assert result.returncode == 1
    assert "no occupancy names consumer C-NOBODY" in result.stderr
    assert result.stdout == ""
