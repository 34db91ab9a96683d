"""The operator pages over HTTP, on SQLite and PostgreSQL: sign-in with an operator API key,
the audit chain's status, the matrix grid with the changed cells marked, the credentials gap and
quarantine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text

from meterguard import bootstrap
from meterguard.adapters.storage import schema
from meterguard.domain.time import parse_instant as t
from meterguard.services.audit import AuditRecord
from portal_world import (
    E1,
    OPERATOR_KEY,
    World,
    csrf_of,
    make_world,
    sign_in,
    sign_in_operator,
)

PAGES = (
    "/operator",
    "/operator/matrix",
    "/operator/matrix/changes",
    "/operator/credentials-gap",
    "/operator/quarantine",
)


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


def changed_cells(html: str) -> list[str]:
    return re.findall(r'<td class="changed[^"]*"\s+title="([^":]+)', html)


def test_every_operator_page_sends_a_visitor_without_a_session_to_sign_in(world: World) -> None:
    client = world.client()
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/operator/sign-in"


def test_a_consumer_session_does_not_open_the_operator_pages(world: World) -> None:
    client = world.client()
    sign_in(world, client, "C-BOB")
    session = client.cookies.get("mg_portal")
    client.cookies.set("mg_operator", session, domain="testserver", path="/operator")
    assert client.get("/operator").status_code == 303


def test_only_an_operators_key_signs_in(engine: Engine) -> None:
    world = make_world(engine)
    keys = bootstrap.api_keys(engine)
    portal = bootstrap.web_portal(
        engine, world.facts, authenticate_operator=bootstrap.operator_authenticator(keys)
    )
    world.app.state.web_portal = portal
    client = world.client()
    token = csrf_of(client.get("/operator/sign-in").text)
    for key in ("", "mg_not-a-key", keys.issue(party_id="APP1")):
        answer = client.post("/operator/sign-in", data={"api_key": key, "csrf_token": token})
        assert answer.status_code == 400
        assert "mg_operator" not in answer.headers.get("set-cookie", "")
    operator_key = keys.issue(operator="ops-alice")
    answer = client.post("/operator/sign-in", data={"api_key": operator_key, "csrf_token": token})
    assert answer.status_code == 303
    assert "operator ops-alice" in client.get("/operator").text


def test_the_operator_sign_in_form_without_its_csrf_token_is_refused(world: World) -> None:
    client = world.client()
    client.get("/operator/sign-in")
    answer = client.post("/operator/sign-in", data={"api_key": OPERATOR_KEY})
    assert answer.status_code == 403
    assert client.get("/operator").status_code == 303


def test_the_audit_page_verifies_the_whole_chain(world: World) -> None:
    record = AuditRecord("APP1", "OU", "API", "hh_consumption", E1, "deny", "NO_CONSENT", mpxn=E1)
    world.web.audit.append([record, record, record], world.clock())
    client = world.client()
    sign_in_operator(client)
    page = client.get("/operator").text
    assert "Intact" in page and "<dd>3</dd>" in page
    if world.engine.dialect.name == "sqlite":  # PostgreSQL refuses the UPDATE (migration 0004)
        with world.engine.begin() as connection:
            connection.execute(text("UPDATE audit_log SET code = 'OK' WHERE seq = 2"))
        page = client.get("/operator").text
        assert "BROKEN at entry 2" in page and "altered" in page


def add_matrix_version(
    engine: Engine, version: int, effective_from: str, changes: dict[tuple[str, str, str], str]
) -> None:
    cells = schema.matrix_cells
    with engine.begin() as connection:
        rows = [
            dict(r._mapping) for r in connection.execute(select(cells).where(cells.c.version == 1))
        ]
        connection.execute(
            insert(schema.matrix_versions).values(version=version, effective_from=t(effective_from))
        )
        for row in rows:
            row["version"] = version
            row["access"] = changes.pop((row["item"], row["role"], row["channel"]), row["access"])
        rows += [
            {"version": version, "item": i, "role": r, "channel": c, "access": a}
            for (i, r, c), a in changes.items()
        ]
        connection.execute(insert(cells), rows)


def test_the_matrix_grid_marks_the_cells_that_differ_from_the_version_before(world: World) -> None:
    add_matrix_version(
        world.engine,
        2,
        "2024-06-01",
        {("hh_consumption", "ED", "API"): "C", ("alerts", "RSA", "BULK"): "H"},
    )
    client = world.client()
    sign_in_operator(client)
    newest = client.get("/operator/matrix").text
    assert "Version 2, in force from 2024-06-01" in newest
    assert sorted(changed_cells(newest)) == [
        "alerts / RSA / BULK",
        "hh_consumption / ED / API",
    ]
    assert "was -" in newest and "was not configured" in newest
    assert "<td>widened</td><td>yes</td>" in newest.replace("\n", "")  # ED newly sees personal data
    first = client.get("/operator/matrix", params={"version": 1}).text
    assert changed_cells(first) == [] and "This is the first version" in first
    assert client.get("/operator/matrix", params={"version": 9}).status_code == 404


def test_the_credentials_gap_page_lists_devices_still_trusting_the_former_supplier(
    world: World,
) -> None:
    # BRIT has supplied E1 since 2025-01-15; its meter and hub still trust OCTO.
    client = world.client()
    sign_in_operator(client)
    page = client.get("/operator/credentials-gap").text
    rows = re.findall(r"<tr><td class=\"id\">([0-9A-F-]+)</td>", page)
    assert sorted(rows) == ["00-DB-12-34-56-78-90-A0", "00-DB-12-34-56-78-90-A1"]
    assert "<td>BRIT</td><td>OCTO</td><td>15 Jan 2025</td>" in page.replace("\n", "")


def test_the_quarantine_page_lists_held_messages_without_their_payloads(
    world: World, tmp_path: Path
) -> None:
    client = world.client()
    sign_in_operator(client)
    assert "Nothing is in quarantine" in client.get("/operator/quarantine").text
    messages = tmp_path / "messages.csv"
    messages.write_text(
        "message_id,mpxn,device_guid,ts,kind,alert_code,payload\n"
        # E1 had no supplier before 2020-01-01: nobody may receive this read
        f"M-1,{E1},00-DB-12-34-56-78-90-A0,2019-06-01T00:00:00Z,read,,secret-reading-42\n"
    )
    ingest = bootstrap.ingest_service(world.engine, bootstrap.facts(world.engine))
    ingest.ingest(bootstrap.message_file(messages), at=world.clock())
    page = client.get("/operator/quarantine").text
    assert "M-1" in page and "2019-06-01 00:00 UTC" in page
    assert "secret-reading-42" not in page
    assert "M-1" not in client.get("/operator/quarantine", params={"mpxn": "1200000000011"}).text
