"""The matrix change workflow (the Disclosure Request Report) over HTTP, on SQLite and
PostgreSQL: operator-only, every step through ``services.matrix_changes``, the operator's name
from the key recorded as the actor, and the two refusals (an excluded group; personal data newly
exposed without a screening)."""

from __future__ import annotations

from typing import Any

from meterguard import bootstrap
from meterguard.domain.dpia import QUESTIONS
from meterguard.domain.time import parse_instant

from .support import Api

ADDRESSES = {"item": "supply_address", "role": "MAM", "channel": "BULK", "access": "C"}
NO_MORE_HH = {"item": "hh_consumption", "role": "IS", "channel": "API", "access": "-"}
EXCLUDED = {"item": "emergency_contact", "role": "IS", "channel": "API", "access": "-"}
LATER = "2025-06-01T00:00:00Z"


def all_no() -> dict[str, Any]:
    return {"answers": {q.ref: "no" for q in QUESTIONS}, "risks": []}


def propose(api: Api, *cells: dict[str, str], title: str = "DRR 1") -> Any:
    return api.post("operator", "/v1/matrix/changes", {"title": title, "cells": list(cells)})


def submitted(api: Api, *cells: dict[str, str]) -> int:
    answer = propose(api, *cells)
    assert answer.status_code == 201, answer.text
    change_id: int = answer.json()["change_id"]
    assert api.post("operator", f"/v1/matrix/changes/{change_id}/submit", {}).status_code == 200
    return change_id


def test_every_matrix_route_is_for_operators_only(api: Api) -> None:
    change_id = submitted(api, NO_MORE_HH)
    gets = ["/v1/matrix/versions", "/v1/matrix/diff?before=1&after=1", "/v1/matrix/changes",
            f"/v1/matrix/changes/{change_id}", f"/v1/matrix/changes/{change_id}/impact"]  # fmt: skip
    posts = [("/v1/matrix/changes", {"title": "x", "cells": [NO_MORE_HH]}),
             (f"/v1/matrix/changes/{change_id}/screening", all_no()),
             (f"/v1/matrix/changes/{change_id}/submit", {}),
             (f"/v1/matrix/changes/{change_id}/approve", {"effective_from": LATER}),
             (f"/v1/matrix/changes/{change_id}/reject", {"reason": "no"})]  # fmt: skip
    for path in gets:
        assert api.client.get(path).status_code == 401
        answer = api.client.get(path, headers=api.as_("BRIT"))
        assert answer.status_code == 403 and answer.json()["code"] == "OPERATOR_ONLY", path
    for path, body in posts:
        assert api.client.post(path, json=body).status_code == 401
        answer = api.client.post(path, json=body, headers=api.as_("APP1"))
        assert answer.status_code == 403 and answer.json()["code"] == "OPERATOR_ONLY", path
    assert api.get("operator", f"/v1/matrix/changes/{change_id}").json()["status"] == "submitted"


def test_the_versions_are_listed_and_diffed(api: Api) -> None:
    versions = api.get("operator", "/v1/matrix/versions").json()["versions"]
    assert versions == [{"version": 1, "effective_from": "2019-01-01T00:00:00Z", "cells": 7}]
    change_id = submitted(api, NO_MORE_HH)
    api.post("operator", f"/v1/matrix/changes/{change_id}/approve", {"effective_from": LATER})
    assert [
        v["version"] for v in api.get("operator", "/v1/matrix/versions").json()["versions"]
    ] == [1, 2]
    diff = api.get("operator", "/v1/matrix/diff", before=1, after=2).json()
    assert diff["before_version"] == 1 and diff["after_version"] == 2
    (group,) = diff["by_role_and_channel"]
    assert (group["role"], group["channel"]) == ("IS", "API")
    assert group["lost"] == [
        {
            "item": "hh_consumption",
            "before": "H",
            "after": "-",
            "change": group["lost"][0]["change"],
        }
    ]
    missing = api.get("operator", "/v1/matrix/diff", before=1, after=9)
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    assert api.get("operator", "/v1/matrix/diff", before=0, after=1).status_code == 422


def test_a_proposal_is_drafted_with_its_impact_and_the_operator_as_actor(api: Api) -> None:
    answer = propose(api, ADDRESSES, title="MAM addresses")
    assert answer.status_code == 201, answer.text
    change = answer.json()
    assert change["status"] == "draft" and change["drafted_by"] == "ops"
    assert change["cells"] == [ADDRESSES] and change["base_version"] == 1
    impact = api.get("operator", f"/v1/matrix/changes/{change['change_id']}/impact").json()
    (group,) = impact["by_role_and_channel"]
    assert group["gained"][0]["item"] == "supply_address"
    assert group["personal_data_newly_exposed"] == ["supply_address"]
    assert "MAM" in impact["parties_affected"]
    listed = api.get("operator", "/v1/matrix/changes").json()["changes"]
    assert [c["change_id"] for c in listed] == [change["change_id"]]
    entry = bootstrap.audit_log(api.engine).entries(newest_first=True, limit=1)[0]
    assert entry.record.action == "matrix_change.drafted" and entry.record.party_id == "ops"


def test_a_malformed_proposal_is_a_422_with_every_problem(api: Api) -> None:
    bad = {"item": "no_such_item", "role": "ZZ", "channel": "API", "access": "H"}
    answer = propose(api, bad, NO_MORE_HH, {**NO_MORE_HH, "access": "Q"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "BAD_PROPOSAL"
    assert (
        body["problems"][0].startswith("cells:1: item:") and "cells:3: access:" in body["message"]
    )
    assert propose(api, NO_MORE_HH, title="").status_code == 422
    assert (
        api.post("operator", "/v1/matrix/changes", {"title": "x", "cells": []}).status_code == 422
    )
    assert api.get("operator", "/v1/matrix/changes").json()["changes"] == []


def test_a_change_touching_an_excluded_group_is_refused(api: Api) -> None:
    answer = propose(api, EXCLUDED)
    assert answer.status_code == 422
    assert answer.json()["code"] == "EXCLUDED_GROUP"
    assert "EMERGENCY_CONTACT" in answer.json()["message"]
    assert api.get("operator", "/v1/matrix/changes").json()["changes"] == []


def test_unknown_changes_are_404(api: Api) -> None:
    assert api.get("operator", "/v1/matrix/changes/999").status_code == 404
    assert api.get("operator", "/v1/matrix/changes/999/impact").status_code == 404
    for step, body in (("screening", all_no()), ("submit", {}), ("reject", {"reason": "r"}),
                       ("approve", {"effective_from": LATER})):  # fmt: skip
        answer = api.post("operator", f"/v1/matrix/changes/999/{step}", body)
        assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND", step


def test_approving_newly_exposed_personal_data_needs_a_completed_screening(api: Api) -> None:
    change_id = submitted(api, ADDRESSES)
    path = f"/v1/matrix/changes/{change_id}"
    refused = api.post("operator", f"{path}/approve", {"effective_from": LATER})
    assert refused.status_code == 409 and refused.json()["code"] == "SCREENING_REQUIRED"
    incomplete = api.post("operator", f"{path}/screening", {"answers": {"DPIA-S1-1": "no"}})
    assert incomplete.status_code == 422 and incomplete.json()["code"] == "INCOMPLETE_SCREENING"
    screened = api.post("operator", f"{path}/screening", all_no())
    assert screened.status_code == 201, screened.text
    assert screened.json()["requires_stage2"] is False and screened.json()["screened_by"] == "ops"
    approved = api.post("operator", f"{path}/approve", {"effective_from": LATER})
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["status"], body["new_version"], body["decided_by"]) == ("approved", 2, "ops")
    assert body["effective_from"] == LATER
    versions = bootstrap.matrix_versions(api.engine)
    assert versions[-1].version == 2 and versions[-1].effective_from == parse_instant(LATER)


def test_a_screening_requiring_stage2_needs_the_stage2_reference(api: Api) -> None:
    change_id = submitted(api, ADDRESSES)
    path = f"/v1/matrix/changes/{change_id}"
    answers = all_no()
    answers["answers"][QUESTIONS[0].ref] = "yes"
    assert api.post("operator", f"{path}/screening", answers).status_code == 201
    refused = api.post("operator", f"{path}/approve", {"effective_from": LATER})
    assert refused.status_code == 409 and refused.json()["code"] == "SCREENING_REQUIRED"
    answers["stage2_reference"] = "DPIA-2025-07"
    assert api.post("operator", f"{path}/screening", answers).status_code == 201
    assert api.post("operator", f"{path}/approve", {"effective_from": LATER}).status_code == 200


def test_approval_is_validated_and_follows_the_workflow(api: Api) -> None:
    draft = propose(api, NO_MORE_HH).json()["change_id"]
    early = api.post("operator", f"/v1/matrix/changes/{draft}/approve", {"effective_from": LATER})
    assert early.status_code == 409 and early.json()["code"] == "CHANGE_REFUSED"
    api.post("operator", f"/v1/matrix/changes/{draft}/submit", {})
    for when in ("tomorrow", "2025-02-30"):
        bad = api.post("operator", f"/v1/matrix/changes/{draft}/approve", {"effective_from": when})
        assert bad.status_code == 422 and bad.json()["code"] == "BAD_REQUEST", when
    past = api.post(
        "operator", f"/v1/matrix/changes/{draft}/approve", {"effective_from": "2025-01-01"}
    )
    assert past.status_code == 409 and "in the past" in past.json()["message"]
    assert api.post("operator", f"/v1/matrix/changes/{draft}/approve", {}).status_code == 422
    assert bootstrap.matrix_versions(api.engine)[-1].version == 1


def test_a_submitted_change_is_rejected_with_its_reason(api: Api) -> None:
    change_id = submitted(api, NO_MORE_HH)
    path = f"/v1/matrix/changes/{change_id}/reject"
    assert api.post("operator", path, {"reason": ""}).status_code == 422
    rejected = api.post("operator", path, {"reason": "suppliers need it"})
    assert rejected.status_code == 200
    body = rejected.json()
    assert (body["status"], body["reason"], body["decided_by"]) == (
        "rejected",
        "suppliers need it",
        "ops",
    )
    again = api.post("operator", path, {"reason": "twice"})
    assert again.status_code == 409 and again.json()["code"] == "CHANGE_REFUSED"
