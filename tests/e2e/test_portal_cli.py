"""``meterguard portal code``: the demo's one-time codes, printed by a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from meterguard import bootstrap
from meterguard.domain.catalogue import Group
from meterguard.domain.time import parse_instant as t
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


def test_the_demo_signs_in_a_consumer_with_an_active_consent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mg.db'}"
    assert meterguard("import", str(SMALL), "--db", url, cwd=tmp_path).returncode == 0
    # Today none of the fixture's consents grants anything (expired, withdrawn, no notice).
    nothing = meterguard("portal", "demo", "--db", url, cwd=tmp_path)
    assert nothing.returncode == 1 and "no consumer has an active consent" in nothing.stderr
    engine = bootstrap.database(url)
    consents = bootstrap.consent_service(engine, bootstrap.facts(engine))
    given = consents.grant(
        consumer_id="C-CAROL",
        mpxn="1200000000011",
        party_id="APP1",
        purpose="energy_advice",
        data_groups={Group.CONSUMPTION},
        data_from=t("2024-01-01"),
        data_to=None,
        expires_at=None,
        verification="bill_reference",
        actor="test",
    )
    consents.record_notice(
        given.consent_id,
        time_periods="from 2024",
        purpose="energy_advice",
        right_to_withdraw="in the portal",
        actor="test",
    )
    result = meterguard("portal", "demo", "--url", "http://h:1/", "--db", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "http://h:1/portal" in result.stdout
    code = re.search(r"sign in as C-CAROL with code (\d{4}-\d{4})", result.stdout)
    assert code and bootstrap.sign_in_codes(engine).redeem("C-CAROL", code.group(1))
