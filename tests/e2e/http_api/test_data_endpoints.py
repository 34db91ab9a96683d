"""Reference data, the device inventory, consents, audit verification and keys over HTTP."""

from __future__ import annotations

import csv
import io
from typing import Any

from meterguard.bootstrap import audit_log

from .support import E1, Api


def body(response: Any, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()


# -- reference data ---------------------------------------------------------------------------


def test_community_reference_data_is_released_and_audited(api: Api) -> None:
    result = body(
        api.get("SHIP1", f"/v1/meter-points/{E1}/reference/meter_point_details", role="SH"), 200
    )
    assert result["value"] == {
        "mpxn": E1,
        "fuel": "electricity",
        "sector": "domestic",
        "region": "_A",
    }
    (entry,) = audit_log(api.engine).entries()
    assert (entry.record.party_id, entry.record.action, entry.record.decision) == (
        "SHIP1",
        "meter_point_details",
        "allow",
    )


def test_excluded_reference_data_is_refused_whatever_the_role(api: Api) -> None:
    error = body(
        api.get("BRIT", f"/v1/meter-points/{E1}/reference/consumer_contact", role="IS"), 403
    )
    assert error["code"] == "EXCLUDED_GROUP"


def test_an_unknown_reference_item_is_404(api: Api) -> None:
    assert body(api.get("BRIT", f"/v1/meter-points/{E1}/reference/nope", role="IS"), 404)[
        "code"
    ] == ("UNKNOWN_ITEM")


# -- device inventory -------------------------------------------------------------------------


def test_a_meter_asset_provider_lists_only_its_own_devices_without_supplier_identity(
    api: Api,
) -> None:
    listing = body(api.get("MAPCO", "/v1/devices", role="MAP"), 200)
    assert [d["guid"] for d in listing["devices"]] == [
        "00-DB-12-34-56-78-90-A0",
        "00-DB-12-34-56-78-90-B0",
    ]
    assert all(
        "credentials_party_id" not in d and "owner_party_id" not in d for d in listing["devices"]
    )
    assert "OCTO" not in str(listing)


def test_the_csv_lists_all_own_devices_and_never_a_supplier(api: Api) -> None:
    response = api.client.get("/v1/devices.csv", params={"role": "MAP"}, headers=api.as_("MAPCO"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["guid"] for r in rows] == ["00-DB-12-34-56-78-90-A0", "00-DB-12-34-56-78-90-B0"]
    assert "OCTO" not in response.text and "credentials" not in response.text
    (entry,) = audit_log(api.engine).entries()
    assert entry.record.detail == {"devices": 2, "format": "csv"}


def test_a_role_without_a_matrix_cell_may_not_list_devices(api: Api) -> None:
    error = body(api.get("ACME", "/v1/devices", role="DM"), 403)
    assert error["code"] == "NOT_IN_MATRIX"
    assert audit_log(api.engine).entries()[0].record.decision == "deny"


def test_listing_devices_needs_a_role_the_party_holds(api: Api) -> None:
    assert body(api.get("OCTO", "/v1/devices", role="MAP"), 403)["code"] == "ROLE_NOT_HELD"


def test_one_device_of_another_owner_is_refused_and_an_unknown_one_is_404(api: Api) -> None:
    own = body(api.get("MAPCO", "/v1/devices/00-DB-12-34-56-78-90-A0", role="MAP"), 200)
    assert own["mpxn"] == E1 and "credentials_party_id" not in own
    assert body(api.get("MAPCO", "/v1/devices/00-DB-12-34-56-78-90-A1", role="MAP"), 403)[
        "code"
    ] == ("NO_RELATIONSHIP")
    assert body(api.get("MAPCO", "/v1/devices/00-00-00-00-00-00-00-00", role="MAP"), 404)[
        "code"
    ] == ("UNKNOWN_SUBJECT")


# -- consents ---------------------------------------------------------------------------------

GRANT = {
    "consumer_id": "C-BOB",
    "mpxn": E1,
    "purpose": "tariff_advice",
    "data_groups": ["CONSUMPTION"],
    "data_from": "2024-10-01",
    "verification": "ihd_guid",
    "notice": {"time_periods": "from 2024-10-01", "right_to_withdraw": "reply STOP"},
}


def readings_as_app1(api: Api, purpose: str) -> Any:
    return api.get(
        "APP1",
        f"/v1/meter-points/{E1}/consumption",
        role="OU",
        purpose=purpose,
        **{"from": "2025-01-14"},
    )


def test_an_other_user_records_a_consent_and_its_next_call_is_allowed(api: Api) -> None:
    assert readings_as_app1(api, "tariff_advice").status_code == 403
    consent = body(api.post("APP1", "/v1/consents", GRANT), 201)
    assert consent["state"] == "active" and consent["party_id"] == "APP1"
    readings = body(readings_as_app1(api, "tariff_advice"), 200)
    assert len(readings["readings"]) == 4
    actions = [e.record.action for e in audit_log(api.engine).entries()]
    assert actions == ["hh_consumption", "consent.granted", "consent.notice_sent", "hh_consumption"]


def test_a_consent_without_a_notice_grants_nothing_yet(api: Api) -> None:
    consent = body(api.post("APP1", "/v1/consents", {**GRANT, "notice": None}), 201)
    assert consent["state"] == "pending_notice"
    assert body(readings_as_app1(api, "tariff_advice"), 403)["code"] == "CONSENT_NOT_ACTIVE"


def test_a_consent_from_someone_who_does_not_occupy_the_meter_point_is_refused(api: Api) -> None:
    error = body(api.post("APP1", "/v1/consents", {**GRANT, "consumer_id": "C-ALICE"}), 422)
    assert error["code"] == "CONSENT_REFUSED" and "occupy" in error["message"]


def test_withdrawing_takes_effect_for_the_very_next_call(api: Api) -> None:
    assert body(readings_as_app1(api, "energy_advice"), 200)["decision"]["decision"] == "allow"
    withdrawn = body(api.post("APP1", "/v1/consents/K1/withdraw", {"reason": "asked by BOB"}), 200)
    assert withdrawn["state"] == "withdrawn"
    assert body(readings_as_app1(api, "energy_advice"), 403)["code"] == "CONSENT_NOT_ACTIVE"


def test_an_other_user_lists_only_the_consents_given_to_it(api: Api) -> None:
    listed = body(api.get("APP1", "/v1/consents"), 200)["consents"]
    assert {c["consent_id"] for c in listed} == {"K1", "K2", "K3"}
    assert body(api.get("BRIT", "/v1/consents"), 200) == {"consents": []}
    assert len(body(api.get("operator", "/v1/consents"), 200)["consents"]) == 3


def test_a_party_that_is_not_an_other_user_cannot_record_consents(api: Api) -> None:
    assert body(api.post("BRIT", "/v1/consents", GRANT), 403)["code"] == "ROLE_NOT_HELD"


# -- audit and keys ---------------------------------------------------------------------------


def test_an_operator_verifies_the_audit_chain_and_a_party_may_not(api: Api) -> None:
    readings_as_app1(api, "energy_advice")
    report = body(api.get("operator", "/v1/audit/verify"), 200)
    assert report["ok"] and report["checked"] == 1
    assert body(api.get("BRIT", "/v1/audit/verify"), 403)["code"] == "OPERATOR_ONLY"
    entries = body(api.get("operator", "/v1/audit/entries", mpxn=E1), 200)["entries"]
    assert entries[0]["party_id"] == "APP1"


def test_an_operator_is_not_a_party_and_asks_for_no_data(api: Api) -> None:
    error = body(
        api.get(
            "operator", f"/v1/meter-points/{E1}/consumption", role="IS", **{"from": "2025-01-01"}
        ),
        403,
    )
    assert error["code"] == "OPERATOR_IS_NOT_A_PARTY"


def test_a_revoked_key_is_refused_at_once(api: Api) -> None:
    issued = body(api.post("operator", "/v1/keys", {"party_id": "BRIT"}), 201)
    headers = {"Authorization": f"Bearer {issued['key']}"}
    assert api.client.get("/v1/consents", headers=headers).status_code == 200
    body(api.post("operator", f"/v1/keys/{issued['prefix']}/revoke", {}), 200)
    assert api.client.get("/v1/consents", headers=headers).status_code == 401
    listed = body(api.get("operator", "/v1/keys"), 200)["keys"]
    assert issued["key"] not in str(listed)


def test_a_key_for_an_unknown_party_is_refused(api: Api) -> None:
    assert (
        body(api.post("operator", "/v1/keys", {"party_id": "NOPE"}), 422)["code"] == "KEY_REFUSED"
    )
