"""The Other Users' daily limit of distinct meter points (429 with Retry-After, across processes
since it is counted in the database), and audit verification naming an altered entry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from meterguard.bootstrap import audit_log
from meterguard.domain.time import parse_instant

from .support import E1, G1, Api, make_api

E2 = "1200000000011"


@pytest.fixture
def limited(engine: Engine) -> Iterator[Api]:
    yield from make_api(engine, limit=2)


def ask(api: Api, mpxn: str) -> Any:
    return api.get(
        "APP1",
        f"/v1/meter-points/{mpxn}/consumption",
        role="OU",
        purpose="energy_advice",
        **{"from": "2025-01-14"},
    )


def test_an_other_user_past_its_daily_meter_points_gets_429_with_retry_after(limited: Api) -> None:
    assert ask(limited, E1).status_code == 200
    assert ask(limited, E2).status_code == 403  # refused (consent withdrawn), but counted
    assert ask(limited, E1).status_code == 200  # the same meter point again costs nothing
    response = ask(limited, G1)
    assert response.status_code == 429
    assert response.json()["code"] == "DAILY_LIMIT"
    assert (
        int(response.headers["retry-after"])
        == 86400 - parse_instant("2025-03-01T09:00:00Z") % 86400
    )
    last = audit_log(limited.engine).entries()[-1].record
    assert (last.party_id, last.subject, last.code) == ("APP1", G1, "DAILY_LIMIT")


def test_the_limit_counts_decisions_too_and_resets_at_midnight_utc(limited: Api) -> None:
    asked = {
        "role": "OU",
        "item": "hh_consumption",
        "subject": E1,
        "from": "2025-01-01",
        "purpose": "x",
    }
    for mpxn in (E1, E2):
        assert limited.post("APP1", "/v1/decisions", {**asked, "subject": mpxn}).status_code == 200
    assert limited.post("APP1", "/v1/decisions", {**asked, "subject": G1}).status_code == 429
    limited.clock.now = parse_instant("2025-03-02T00:00:00Z")
    assert limited.post("APP1", "/v1/decisions", {**asked, "subject": G1}).status_code == 200


def test_the_limit_is_for_other_users_only(limited: Api) -> None:
    for mpxn in (E1, E2, G1, "1500000000024"):
        response = limited.get(
            "BRIT", f"/v1/meter-points/{mpxn}/consumption", role="IS", **{"from": "2025-01-14"}
        )
        assert response.status_code != 429


def test_audit_verify_over_http_names_the_altered_entry(api: Api) -> None:
    for _ in range(3):
        api.get("BRIT", f"/v1/meter-points/{E1}/consumption", role="IS", **{"from": "2025-01-14"})
    assert api.get("operator", "/v1/audit/verify").json()["ok"] is True  # type: ignore[attr-defined]
    with api.engine.begin() as connection:
        if api.engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        connection.execute(text("UPDATE audit_log SET allowed = '[]' WHERE seq = 2"))
        if api.engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    report = api.get("operator", "/v1/audit/verify").json()  # type: ignore[attr-defined]
    assert report["ok"] is False and report["first_broken"] == 2
    assert "altered" in report["reason"]
