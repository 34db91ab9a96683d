"""Service requests, the mailbox, the credentials-gap report and quarantine over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meterguard.adapters.storage.snapshot_loader import load_snapshot
from meterguard.bootstrap import audit_log, ingest_service, message_file

from .support import E1, Api

A0 = "00-DB-12-34-56-78-90-A0"  # ESME at E1; credentials still OCTO's after BRIT gained E1


def body(response: Any, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def sr623(api: Api, who: str, role: str = "IS") -> Any:
    asked = {"role": role, "action": "update_credentials_cos", "subject": A0}
    return api.post(who, "/v1/service-requests", asked)


def test_the_credentials_gap_shows_a_device_still_held_by_the_former_supplier(api: Api) -> None:
    rows = body(api.get("operator", "/v1/reports/credentials-gap"), 200)["rows"]
    gap = next(r for r in rows if r["device_guid"] == A0)
    assert (gap["gaining_supplier"], gap["former_supplier"]) == ("BRIT", "OCTO")
    assert any(
        r["device_guid"] == A0
        for r in body(api.get("BRIT", "/v1/reports/credentials-gap"), 200)["rows"]
    )
    assert body(api.get("UKPN", "/v1/reports/credentials-gap"), 200)["rows"] == []


def test_sr_6_23_makes_the_responsible_supplier_the_credentials_holder(api: Api) -> None:
    decision = body(sr623(api, "BRIT"), 200)
    assert decision["decision"] == "allow"
    rows = body(api.get("operator", "/v1/reports/credentials-gap"), 200)["rows"]
    assert all(r["device_guid"] != A0 for r in rows)
    again = body(sr623(api, "BRIT"), 403)
    assert again["code"] == "ALREADY_HOLDS_CREDENTIALS"
    actions = [
        (e.record.party_id, e.record.action, e.record.code) for e in audit_log(api.engine).entries()
    ]
    assert ("BRIT", "update_credentials_cos", "OK") in actions


def test_sr_6_23_from_the_former_supplier_is_refused(api: Api) -> None:
    assert body(sr623(api, "OCTO"), 403)["code"] == "NOT_ELIGIBLE"
    assert body(sr623(api, "UKPN", "ED"), 403)["code"] in {"NOT_ELIGIBLE", "ROLE_NOT_HELD"}


def test_joining_a_type2_device_needs_a_consent_for_it(api: Api) -> None:
    asked = {"role": "OU", "action": "join_type2", "subject": E1}
    assert body(api.post("APP1", "/v1/service-requests", asked), 403)["code"] == "NOT_ELIGIBLE"
    assert (
        body(api.post("BRIT", "/v1/service-requests", {**asked, "role": "IS"}), 200)["code"] == "OK"
    )


def test_an_unknown_action_is_422(api: Api) -> None:
    asked = {"role": "IS", "action": "reboot", "subject": E1}
    assert body(api.post("BRIT", "/v1/service-requests", asked), 422)["code"] == "BAD_REQUEST"


def test_the_mailbox_is_pulled_audited_and_acknowledged(api: Api, tmp_path: Path) -> None:
    messages = tmp_path / "messages.csv"
    messages.write_text(
        "message_id,mpxn,device_guid,ts,kind,alert_code,payload\n"
        f"m1,{E1},{A0},2025-02-01T00:00:00Z,read,,0.5\n"
    )
    ingest_service(api.engine, load_snapshot(api.engine)).ingest(
        message_file(messages), at=api.clock.now
    )
    assert body(api.get("OCTO", "/v1/mailbox"), 200) == {"items": []}
    items = body(api.get("BRIT", "/v1/mailbox"), 200)["items"]
    assert [(i["message_id"], i["payload"]) for i in items] == [("m1", "0.5")]
    assert audit_log(api.engine).entries()[-1].record.action == "deliveries.pull"
    ids = [i["delivery_id"] for i in items]
    assert body(api.post("OCTO", "/v1/mailbox/acknowledge", {"delivery_ids": ids}), 200) == {
        "acknowledged": 0
    }
    assert body(api.post("BRIT", "/v1/mailbox/acknowledge", {"delivery_ids": ids}), 200) == {
        "acknowledged": 1
    }
    assert body(api.get("BRIT", "/v1/mailbox"), 200) == {"items": []}


def test_quarantine_is_for_operators(api: Api) -> None:
    assert body(api.get("operator", "/v1/quarantine"), 200) == {"messages": []}
    assert body(api.get("BRIT", "/v1/quarantine"), 403)["code"] == "OPERATOR_ONLY"
