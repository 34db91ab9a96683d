"""The matrix change requests page, on SQLite and PostgreSQL: each request with its status and
impact, and the approve and reject forms (operator session and CSRF token required) driving
``services.matrix_changes``."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine

from meterguard import bootstrap
from meterguard.domain.catalogue import Channel
from meterguard.domain.dpia import QUESTIONS, screening_from_mapping
from meterguard.domain.roles import Role
from meterguard.policy.matrix import Access, CellKey
from portal_world import World, csrf_of, make_world, sign_in, sign_in_operator

PAGE = "/operator/matrix/changes"
ADDRESSES = {CellKey("supply_address", Role.MAM, Channel.BULK): Access.CURRENT}


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


def submitted_change(world: World) -> int:
    service = bootstrap.matrix_changes(world.engine, world.clock)
    change = service.draft("MAM addresses", ADDRESSES, "drafter")
    service.submit(change.change_id, "drafter")
    return change.change_id


def test_the_page_lists_each_request_with_its_status_and_impact(world: World) -> None:
    change_id = submitted_change(world)
    client = world.client()
    sign_in_operator(client)
    assert f'href="{PAGE}"' in client.get("/operator").text  # linked from the home page
    page = client.get(PAGE).text
    assert f"Change {change_id}: MAM addresses" in page
    assert "state-submitted" in page
    assert re.search(r"<td>MAM</td><td>BULK</td>\s*<td>supply_address not configured → C", page)
    assert '<td class="personal-data">supply_address</td>' in page
    assert "Parties affected: MAM:" in page
    assert f'action="{PAGE}/{change_id}/approve"' in page
    assert f'action="{PAGE}/{change_id}/reject"' in page


def test_the_page_and_its_forms_need_an_operator_session(world: World) -> None:
    change_id = submitted_change(world)
    client = world.client()
    assert client.get(PAGE).status_code == 303
    sign_in(world, client, "C-BOB")  # a consumer's session is not an operator's
    answer = client.post(f"{PAGE}/{change_id}/reject", data={"reason": "x", "csrf_token": "0"})
    assert answer.status_code == 403
    assert bootstrap.matrix_changes(world.engine).get(change_id).status == "submitted"


def test_a_decision_without_the_csrf_token_is_refused(world: World) -> None:
    change_id = submitted_change(world)
    client = world.client()
    sign_in_operator(client)
    for step, field in (("approve", {"effective_from": "2025-06-01"}), ("reject", {"reason": "x"})):
        answer = client.post(f"{PAGE}/{change_id}/{step}", data=field)
        assert answer.status_code == 403, step
        wrong = client.post(f"{PAGE}/{change_id}/{step}", data={**field, "csrf_token": "00"})
        assert wrong.status_code == 403, step
    assert bootstrap.matrix_changes(world.engine).get(change_id).status == "submitted"
    assert [v.version for v in bootstrap.matrix_versions(world.engine)] == [1]


def test_approving_through_the_page_creates_the_new_matrix_version(world: World) -> None:
    change_id = submitted_change(world)
    service = bootstrap.matrix_changes(world.engine, world.clock)
    client = world.client()
    sign_in_operator(client)
    token = csrf_of(client.get(PAGE).text)
    form = {"effective_from": "2025-06-01T00:00:00Z", "csrf_token": token}
    refused = client.post(f"{PAGE}/{change_id}/approve", data=form)
    assert refused.status_code == 409 and "DPIA screening" in refused.text  # personal data
    answers = screening_from_mapping({"answers": {q.ref: "no" for q in QUESTIONS}})
    service.screen(change_id, answers, "dpo")
    answer = client.post(f"{PAGE}/{change_id}/approve", data=form)
    assert answer.status_code == 303 and answer.headers["location"] == f"{PAGE}?done={change_id}"
    approved = service.get(change_id)
    assert (approved.status, approved.new_version, approved.decided_by) == ("approved", 2, "OPS")
    newest = bootstrap.matrix_versions(world.engine)[-1]
    assert newest.version == 2 and newest.cells[next(iter(ADDRESSES))] is Access.CURRENT
    page = client.get(f"{PAGE}?done={change_id}").text
    assert "became v2" in page and "Approve change" not in page


def test_rejecting_through_the_page_records_the_reason(world: World) -> None:
    change_id = submitted_change(world)
    client = world.client()
    sign_in_operator(client)
    token = csrf_of(client.get(PAGE).text)
    answer = client.post(f"{PAGE}/{change_id}/reject", data={"reason": "", "csrf_token": token})
    assert answer.status_code == 409  # a rejection states its reason
    answer = client.post(
        f"{PAGE}/{change_id}/reject", data={"reason": "not needed", "csrf_token": token}
    )
    assert answer.status_code == 303
    rejected = bootstrap.matrix_changes(world.engine).get(change_id)
    assert (rejected.status, rejected.reason, rejected.decided_by) == (
        "rejected",
        "not needed",
        "OPS",
    )
    missing = client.post(f"{PAGE}/999/reject", data={"reason": "x", "csrf_token": token})
    assert missing.status_code == 404
