"""`meterguard check` answers request files as the spec says, on a database filled by import."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from meterguard.bootstrap import facts, import_directory
from meterguard.policy.requests import parse_request
from meterguard.services.checking import check_lines, explain

SMALL = Path(__file__).parents[1] / "fixtures" / "small"


def line(**fields: str) -> str:
    base = {
        "request_id": "r",
        "party_id": "OCTO",
        "role": "IS",
        "channel": "API",
        "item": "hh_consumption",
        "subject": "1012345678903",
        "from": "",
        "to": "",
        "at": "2025-03-01T12:00:00Z",
        "purpose": "",
    }
    return json.dumps(base | fields)


def test_check_answers_one_line_per_request_in_order(engine: Engine) -> None:
    import_directory(engine, SMALL)
    lines = [
        line(request_id="former", **{"from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z"}),
        "{not json",
        line(request_id="gaining", party_id="BRIT", **{"from": "2025-02-01T00:00:00Z"}),
        line(request_id="bad-channel", channel="FAX", **{"from": "2025-01-01"}),
        "",
        line(
            request_id="app",
            party_id="APP1",
            role="OU",
            purpose="energy_advice",
            **{"from": "2024-06-01"},
        ),
        json.dumps(
            {
                "request_id": "sr",
                "party_id": "BRIT",
                "role": "IS",
                "action": "update_credentials_cos",
                "subject": "00-DB-12-34-56-78-90-A0",
                "at": "2025-03-01T12:00:00Z",
            }
        ),
    ]
    decisions = [json.loads(d) for d in check_lines(lines, facts(engine))]
    assert [d["request_id"] for d in decisions] == [
        "former",
        "",
        "gaining",
        "bad-channel",
        "app",
        "sr",
    ]
    former, not_json, gaining, bad_channel, app, service = decisions
    assert former == {
        "request_id": "former",
        "decision": "partial",
        "code": "PARTIAL",
        "allowed": [["2025-01-01T00:00:00Z", "2025-01-15T00:00:00Z"]],
        "explanation": former["explanation"],
    }
    assert "matrix v1 cell hh_consumption/IS/API = H" in former["explanation"]
    assert (
        not_json["code"] == "BAD_REQUEST"
        and not_json["decision"] == "deny"
        and not_json["allowed"] == []
    )
    assert gaining["code"] == "OK" and gaining["allowed"] == [
        ["2025-02-01T00:00:00Z", "2025-03-01T12:00:00Z"]
    ]
    assert bad_channel["code"] == "BAD_REQUEST"
    # Consent K1 (fixtures): BOB moved in on 2024-10-01; the consent's data window is clipped to it.
    assert app["code"] == "PARTIAL" and app["allowed"] == [
        ["2024-10-01T00:00:00Z", "2025-03-01T12:00:00Z"]
    ]
    assert service["code"] == "OK"


def test_check_has_no_side_effect(engine: Engine) -> None:
    from meterguard.adapters.storage.import_store import table_counts

    import_directory(engine, SMALL)
    before = table_counts(engine)
    list(check_lines([line(**{"from": "2025-01-01"})] * 3, facts(engine)))
    assert table_counts(engine) == before


def test_explain_walks_every_check_to_the_decisive_one(engine: Engine) -> None:
    import_directory(engine, SMALL)
    chain = explain(
        parse_request(json.loads(line(**{"from": "2025-02-01", "to": "2025-03-01"}))), facts(engine)
    )
    text = "\n".join(chain)
    assert "1. party OCTO (Octo Energy) holds role IS" in text
    assert "matrix v1 cell hh_consumption/IS/API = H" in text
    assert "appointment IS [2020-01-01T00:00:00Z..2025-01-15T00:00:00Z)" in text
    assert chain[-1] == "Decision: deny (OUTSIDE_ENTITLED_PERIOD)"
