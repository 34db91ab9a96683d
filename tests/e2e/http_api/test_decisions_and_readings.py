"""Decisions and consumption readings over HTTP: the allowed periods only, every release and
refusal audited, and errors as JSON with a code and a message."""

from __future__ import annotations

from typing import Any

from meterguard.bootstrap import audit_log

from .support import E1, Api


def body(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()
    return data


def test_health_needs_no_key(api: Api) -> None:
    assert body(api.client.get("/health"), 200) == {"status": "ok"}


def test_a_route_without_a_key_is_401_with_a_json_code(api: Api) -> None:
    response = api.client.post("/v1/decisions", json={})
    error = body(response, 401)
    assert error["code"] == "UNAUTHENTICATED" and error["message"]
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_unknown_key_is_401(api: Api) -> None:
    response = api.client.get(
        f"/v1/meter-points/{E1}/consumption",
        params={"role": "IS", "from": "2025-01-01"},
        headers={"Authorization": "Bearer mg_not-a-key"},
    )
    assert body(response, 401)["code"] == "UNAUTHENTICATED"


def test_a_decision_is_made_for_the_key_s_party_now(api: Api) -> None:
    asked = {"role": "IS", "item": "hh_consumption", "subject": E1, "from": "2025-01-01"}
    decision = body(api.post("BRIT", "/v1/decisions", asked), 200)
    assert decision["decision"] == "partial"
    assert decision["allowed"] == [["2025-01-15T00:00:00Z", "2025-03-01T09:00:00Z"]]
    assert decision["at"] == "2025-03-01T09:00:00Z"


def test_a_refused_decision_is_audited_and_an_allowed_one_is_not(api: Api) -> None:
    asked = {"role": "ED", "item": "hh_consumption", "subject": E1, "from": "2025-01-01"}
    assert body(api.post("UKPN", "/v1/decisions", asked), 200)["code"] == "NOT_PERMITTED"
    allowed = {"role": "IS", "item": "hh_consumption", "subject": E1, "from": "2025-02-01"}
    assert body(api.post("BRIT", "/v1/decisions", allowed), 200)["decision"] == "allow"
    entries = audit_log(api.engine).entries()
    assert [(e.record.party_id, e.record.code, e.record.mpxn) for e in entries] == [
        ("UKPN", "NOT_PERMITTED", E1)
    ]


def test_a_batch_is_decided_request_by_request(api: Api) -> None:
    requests = [
        {"role": "IS", "item": "hh_consumption", "subject": E1, "from": "2025-02-01"},
        {"role": "GS", "item": "hh_consumption", "subject": E1, "from": "2025-02-01"},
        {"role": "IS", "item": "no_such_item", "subject": E1, "from": "2025-02-01"},
    ]
    decisions = body(api.post("BRIT", "/v1/decisions/batch", {"requests": requests}), 200)
    assert [d["code"] for d in decisions["decisions"]] == ["OK", "NO_RELATIONSHIP", "UNKNOWN_ITEM"]
    assert len(audit_log(api.engine).entries()) == 2  # the two refusals


def test_readings_are_only_those_of_the_allowed_periods(api: Api) -> None:
    result = body(
        api.get("BRIT", f"/v1/meter-points/{E1}/consumption", role="IS", **{"from": "2025-01-14"}),
        200,
    )
    assert result["decision"]["decision"] == "partial"
    assert [r["start"] for r in result["readings"]] == [
        "2025-01-15T00:00:00Z",
        "2025-01-15T00:30:00Z",
    ]
    old = body(
        api.get(
            "OCTO",
            f"/v1/meter-points/{E1}/consumption",
            role="IS",
            **{"from": "2025-01-14", "to": "2025-02-01"},
        ),
        200,
    )
    assert [r["kwh"] for r in old["readings"]] == [0.21, 0.18]


def test_a_release_is_audited_with_what_left_and_its_basis(api: Api) -> None:
    api.get("BRIT", f"/v1/meter-points/{E1}/consumption", role="IS", **{"from": "2025-01-14"})
    (entry,) = audit_log(api.engine).entries()
    record = entry.record
    assert (record.party_id, record.role, record.channel, record.action) == (
        "BRIT",
        "IS",
        "API",
        "hh_consumption",
    )
    assert record.decision == "partial" and record.detail == {"readings": 2}
    assert "appointment IS" in record.basis and "matrix v1" in record.basis
    assert record.asked and record.allowed and record.allowed != record.asked


def test_an_item_the_matrix_does_not_configure_is_refused_as_not_configured(api: Api) -> None:
    error = body(
        api.get(
            "BRIT",
            f"/v1/meter-points/{E1}/consumption",
            role="IS",
            item="daily_consumption",
            **{"from": "2025-01-14"},
        ),
        403,
    )
    assert error["code"] == "NOT_IN_MATRIX" and "not configured" in error["message"]


def test_a_refusal_is_403_audited_with_the_decision_in_the_body(api: Api) -> None:
    error = body(
        api.get("UKPN", f"/v1/meter-points/{E1}/consumption", role="ED", **{"from": "2025-01-14"}),
        403,
    )
    assert error["code"] == "NOT_PERMITTED" and error["decision"]["decision"] == "deny"
    (entry,) = audit_log(api.engine).entries()
    assert (entry.record.party_id, entry.record.code, entry.record.allowed) == (
        "UKPN",
        "NOT_PERMITTED",
        (),
    )


def test_a_role_the_party_does_not_hold_is_403(api: Api) -> None:
    error = body(
        api.get("UKPN", f"/v1/meter-points/{E1}/consumption", role="IS", **{"from": "2025-01-14"}),
        403,
    )
    assert error["code"] == "ROLE_NOT_HELD"


def test_an_unknown_meter_point_is_404(api: Api) -> None:
    error = body(
        api.get(
            "BRIT",
            "/v1/meter-points/1999999999999/consumption",
            role="IS",
            **{"from": "2025-01-14"},
        ),
        404,
    )
    assert error["code"] == "UNKNOWN_SUBJECT"


def test_a_malformed_request_is_422_in_the_same_json_shape(api: Api) -> None:
    error = body(
        api.get("BRIT", f"/v1/meter-points/{E1}/consumption", role="IS", **{"from": "yesterday"}),
        422,
    )
    assert error["code"] == "BAD_REQUEST" and "from" in error["message"]
    missing = body(api.get("BRIT", f"/v1/meter-points/{E1}/consumption", role="IS"), 422)
    assert missing["code"] == "BAD_REQUEST" and "from" in missing["message"]
