"""One truth across workers: two real server processes over one database; a change made through
one (a consent withdrawn, an appointment imported) is honoured by the very next decision in the
other. On SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from meterguard.bootstrap import api_keys, import_directory

from .servers import serving
from .support import E1, SMALL

pytestmark = pytest.mark.slow


GRANT = {
    "consumer_id": "C-BOB",
    "mpxn": E1,
    "purpose": "tariff_advice",
    "data_groups": ["CONSUMPTION"],
    "data_from": "2024-10-01",
    "verification": "ihd_guid",
    "notice": {"time_periods": "from 2024-10-01", "right_to_withdraw": "reply STOP"},
}


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def consumption(base: str, key: str, role: str, purpose: str = "") -> httpx.Response:
    return httpx.get(
        f"{base}/v1/meter-points/{E1}/consumption",
        params={"role": role, "from": "2025-01-14", "purpose": purpose},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )


def test_a_change_through_one_process_is_honoured_by_the_next_decision_in_the_other(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    import_directory(engine, SMALL)
    issuer = api_keys(engine)
    app1, brit = issuer.issue(party_id="APP1"), issuer.issue(party_id="BRIT")
    with serving(database_url) as first, serving(database_url) as second:
        # both processes have decided on E1 already: each holds it in its snapshot
        assert consumption(first, app1, "OU", "tariff_advice").status_code == 403
        assert consumption(second, app1, "OU", "tariff_advice").status_code == 403
        granted = httpx.post(f"{first}/v1/consents", json=GRANT, headers=auth(app1))
        assert granted.status_code == 201, granted.text
        assert consumption(second, app1, "OU", "tariff_advice").status_code == 200
        withdrawn = httpx.post(
            f"{first}/v1/consents/{granted.json()['consent_id']}/withdraw",
            json={"reason": "BOB asked"},
            headers=auth(app1),
        )
        assert withdrawn.status_code == 200, withdrawn.text
        refused = consumption(second, app1, "OU", "tariff_advice")
        assert refused.status_code == 403 and refused.json()["code"] == "CONSENT_NOT_ACTIVE"

        assert consumption(second, brit, "IS").status_code == 200
        folder = tmp_path / "changed"
        shutil.copytree(SMALL, folder)
        appointments = folder / "appointments.csv"
        appointments.write_text(
            appointments.read_text().replace(
                "IS,BRIT,2025-01-15T00:00:00Z,", "IS,OCTO,2025-01-15T00:00:00Z,"
            )
        )
        subprocess.run(
            [sys.executable, "-m", "meterguard", "import", str(folder), "--db", database_url],
            check=True,
            capture_output=True,
        )
        for base in (first, second):
            answer = consumption(base, brit, "IS")
            assert answer.status_code == 403 and answer.json()["code"] == "NO_RELATIONSHIP"
