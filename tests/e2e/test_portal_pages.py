"""The consumer portal over HTTP, on SQLite and PostgreSQL: sessions, CSRF, one-time codes,
withdrawing consents (one's own only), the consumption chart and the access log."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from meterguard.domain.catalogue import Channel
from meterguard.domain.period import Period
from meterguard.domain.time import parse_instant as t
from meterguard.policy.decision import Code
from meterguard.policy.engine import decide
from meterguard.policy.requests import DataRequest
from meterguard.services.audit import AuditRecord
from meterguard.services.sign_in import CODE_ATTEMPTS, CODE_LIFETIME, CODES_PER_HOUR
from portal_world import E1, E2, World, add_readings, csrf_of, make_world, sign_in


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


def bob_asks_through_app1(world: World) -> Code:
    """APP1 (an Other User) asks for BOB's consumption under consent K1, now."""
    request = DataRequest(
        request_id="r1",
        party_id="APP1",
        role="OU",
        channel=Channel.API,
        item="hh_consumption",
        subject=E1,
        start=t("2024-12-01"),
        end=t("2025-01-01"),
        at=world.clock(),
        purpose="energy_advice",
    )
    world.facts.catch_up()
    return decide(request, world.facts.snapshot).code


def k1_withdrawn_at(world: World) -> int | None:
    world.facts.catch_up()
    return world.facts.snapshot.consents["K1"].withdrawn_at


def test_every_portal_page_sends_a_visitor_without_a_session_to_sign_in(world: World) -> None:
    client = world.client()
    for path in ("/portal", "/portal/consents", "/portal/access-log"):
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/portal/sign-in"


def test_withdrawing_without_a_session_is_refused(world: World) -> None:
    answer = world.client().post("/portal/consents/K1/withdraw", data={"csrf_token": "x"})
    assert answer.status_code == 403
    assert k1_withdrawn_at(world) is None


def test_a_code_signs_the_consumer_in_with_a_secure_httponly_lax_cookie(world: World) -> None:
    client = world.client()
    sign_in(world, client, "C-BOB")
    cookie = next(h for h in client.cookies.jar if h.name == "mg_portal")
    assert cookie.secure and cookie.path == "/portal"
    page = client.get("/portal")
    assert page.status_code == 200
    assert E1 in page.text and "C-BOB" in page.text
    headers = page.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"


def test_the_session_cookie_is_httponly_samesite_lax_and_secure(world: World) -> None:
    client = world.client()
    page = client.get("/portal/sign-in")
    client.post("/portal/code", data={"consumer_id": "C-BOB", "csrf_token": csrf_of(page.text)})
    answer = client.post(
        "/portal/sign-in",
        data={
            "consumer_id": "C-BOB",
            "code": world.outbox.sent[-1].code,
            "csrf_token": csrf_of(page.text),
        },
    )
    set_cookie = answer.headers["set-cookie"].lower()
    assert set_cookie.startswith("mg_portal=")
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "secure" in set_cookie


def test_the_insecure_cookie_setting_drops_only_the_secure_flag(engine: Engine) -> None:
    world = make_world(engine, secure_cookies=False)
    client = world.client()
    set_cookie = client.get("/portal/sign-in").headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie
    assert "secure" not in set_cookie


def test_a_code_works_only_once(world: World) -> None:
    client = world.client()
    sign_in(world, client, "C-BOB")
    other = world.client()
    page = other.get("/portal/sign-in")
    reused = other.post(
        "/portal/sign-in",
        data={
            "consumer_id": "C-BOB",
            "code": world.outbox.sent[-1].code,
            "csrf_token": csrf_of(page.text),
        },
    )
    assert reused.status_code == 400
    assert "mg_portal" not in reused.headers.get("set-cookie", "")


def test_a_code_is_burned_after_too_many_wrong_guesses(world: World) -> None:
    client = world.client()
    token = csrf_of(client.get("/portal/sign-in").text)
    client.post("/portal/code", data={"consumer_id": "C-BOB", "csrf_token": token})
    code = world.outbox.sent[-1].code
    wrong = "0000-0000" if code != "0000-0000" else "1111-1111"
    for _ in range(CODE_ATTEMPTS):
        guess = {"consumer_id": "C-BOB", "code": wrong, "csrf_token": token}
        assert client.post("/portal/sign-in", data=guess).status_code == 400
    right = {"consumer_id": "C-BOB", "code": code, "csrf_token": token}
    assert client.post("/portal/sign-in", data=right).status_code == 400


def test_a_code_expires(world: World) -> None:
    client = world.client()
    token = csrf_of(client.get("/portal/sign-in").text)
    client.post("/portal/code", data={"consumer_id": "C-BOB", "csrf_token": token})
    world.clock.now += CODE_LIFETIME
    right = {"consumer_id": "C-BOB", "code": world.outbox.sent[-1].code, "csrf_token": token}
    assert client.post("/portal/sign-in", data=right).status_code == 400


def test_a_code_is_for_its_own_consumer_only(world: World) -> None:
    client = world.client()
    token = csrf_of(client.get("/portal/sign-in").text)
    client.post("/portal/code", data={"consumer_id": "C-CAROL", "csrf_token": token})
    as_bob = {"consumer_id": "C-BOB", "code": world.outbox.sent[-1].code, "csrf_token": token}
    assert client.post("/portal/sign-in", data=as_bob).status_code == 400


def test_asking_a_code_for_an_unknown_consumer_sends_nothing_and_says_the_same(
    world: World,
) -> None:
    client = world.client()
    token = csrf_of(client.get("/portal/sign-in").text)
    known = client.post("/portal/code", data={"consumer_id": "C-BOB", "csrf_token": token})
    unknown = client.post("/portal/code", data={"consumer_id": "C-NOBODY", "csrf_token": token})
    assert [c.consumer_id for c in world.outbox.sent] == ["C-BOB"]
    assert known.status_code == unknown.status_code == 200
    assert "a sign-in code is on its way" in unknown.text


def test_the_sign_in_form_without_its_csrf_token_is_refused(world: World) -> None:
    client = world.client()
    client.get("/portal/sign-in")
    client.post("/portal/code", data={"consumer_id": "C-BOB", "csrf_token": "forged"})
    assert world.outbox.sent == []
    # Even the right code is refused when the form does not carry the token.
    token = csrf_of(client.get("/portal/sign-in").text)
    client.post("/portal/code", data={"consumer_id": "C-BOB", "csrf_token": token})
    answer = client.post(
        "/portal/sign-in", data={"consumer_id": "C-BOB", "code": world.outbox.sent[-1].code}
    )
    assert answer.status_code == 403


def test_withdrawing_without_the_csrf_token_is_refused_and_changes_nothing(world: World) -> None:
    client = world.client()
    sign_in(world, client, "C-BOB")
    for data in ({}, {"csrf_token": "0" * 64}):
        answer = client.post("/portal/consents/K1/withdraw", data=data)
        assert answer.status_code == 403
    assert k1_withdrawn_at(world) is None
    assert bob_asks_through_app1(world) is Code.OK


def test_a_token_from_another_session_does_not_pass(world: World) -> None:
    carol = world.client()
    sign_in(world, carol, "C-CAROL")
    carols_token = csrf_of(carol.get("/portal/consents").text)
    bob = world.client()
    sign_in(world, bob, "C-BOB")
    answer = bob.post("/portal/consents/K1/withdraw", data={"csrf_token": carols_token})
    assert answer.status_code == 403
    assert k1_withdrawn_at(world) is None


def test_withdrawing_takes_effect_at_once_and_is_audited(world: World) -> None:
    client = world.client()
    sign_in(world, client, "C-BOB")
    assert bob_asks_through_app1(world) is Code.OK
    page = client.get("/portal/consents")
    assert "Watt Watcher App" in page.text and "energy advice" in page.text
    answer = client.post("/portal/consents/K1/withdraw", data={"csrf_token": csrf_of(page.text)})
    assert answer.status_code == 303
    assert k1_withdrawn_at(world) == world.clock()
    assert bob_asks_through_app1(world) is Code.CONSENT_NOT_ACTIVE
    shown = client.get(answer.headers["location"]).text
    assert "is withdrawn" in shown and "Withdraw</button>" not in shown
    (entry,) = world.web.audit.entries(mpxn=E1)
    assert entry.record.action == "consent.withdrawn" and entry.record.party_id == "C-BOB"
    assert entry.record.channel == "PORTAL" and entry.record.subject == "K1"


def test_another_consumers_consent_cannot_be_withdrawn(world: World) -> None:
    carol = world.client()
    sign_in(world, carol, "C-CAROL")
    token = csrf_of(carol.get("/portal/consents").text)
    answer = carol.post("/portal/consents/K1/withdraw", data={"csrf_token": token})
    assert answer.status_code == 404
    assert k1_withdrawn_at(world) is None
    assert bob_asks_through_app1(world) is Code.OK
    assert "K1" not in carol.get("/portal/consents").text


def test_signing_out_ends_the_session_on_the_server(world: World) -> None:
    client = world.client()
    sign_in(world, client, "C-BOB")
    stolen = client.cookies.get("mg_portal")
    token = csrf_of(client.get("/portal").text)
    assert client.post("/portal/sign-out", data={"csrf_token": token}).status_code == 303
    replay = world.client()
    replay.cookies.set("mg_portal", stolen, domain="testserver", path="/portal")
    assert replay.get("/portal").status_code == 303


def test_a_session_expires(world: World) -> None:
    client = world.client()
    sign_in(world, client, "C-BOB")
    world.clock.now += 3600
    assert client.get("/portal").status_code == 303


def test_the_chart_shows_only_the_consumers_own_occupancy_and_is_audited(engine: Engine) -> None:
    # ALICE moved out on 2024-09-30 and BOB moved in on 2024-10-01.
    world = make_world(engine, now="2024-10-11T00:00:00Z")
    add_readings(engine, E1, "2024-09-21", "2024-10-11", kwh=0.25)  # 12 kWh a day
    bob = world.client()
    sign_in(world, bob, "C-BOB")
    page = bob.get("/portal").text
    assert page.count('<rect class="bar"') == 10  # 1 to 10 October
    assert "01 Oct: 12.00 kWh" in page and "29 Sep:" not in page
    (entry,) = world.web.audit.entries(mpxn=E1)
    assert entry.record.channel == "PORTAL" and entry.record.party_id == "C-BOB"
    assert [(p.start, p.end) for p in entry.record.allowed] == [(t("2024-10-01"), t("2024-10-11"))]
    alice = world.client()
    sign_in(world, alice, "C-ALICE")
    page = alice.get("/portal").text
    assert page.count('<rect class="bar"') == 9  # 21 to 29 September: she left on the 30th
    assert "29 Sep: 12.00 kWh" in page and "30 Sep:" not in page and "01 Oct:" not in page


def test_the_access_log_shows_each_occupant_only_their_own_time(world: World) -> None:
    def read(start: str, end: str, mpxn: str = E1, code: str = "OK") -> AuditRecord:
        return AuditRecord(
            party_id="APP1",
            role="OU",
            channel="API",
            action="hh_consumption",
            subject=mpxn,
            decision="allow" if code == "OK" else "deny",
            code=code,
            mpxn=mpxn,
            asked=(Period(t(start), t(end)),),
            allowed=(Period(t(start), t(end)),) if code == "OK" else (),
            basis="consent K1",
            request_id=f"{mpxn}-{start}",
        )

    world.web.audit.append(
        [
            read("2024-01-01", "2024-02-01"),  # ALICE's time
            read("2024-11-01", "2024-12-01"),  # BOB's time
            read("2024-09-01", "2024-11-01", code="CONSENT_NOT_ACTIVE"),  # both: a refusal
            read("2024-01-01", "2024-02-01", mpxn=E2),  # CAROL's meter point
        ],
        world.clock(),
    )
    seen = {}
    for consumer in ("C-ALICE", "C-BOB", "C-CAROL"):
        client = world.client()
        sign_in(world, client, consumer)
        seen[consumer] = client.get("/portal/access-log").text
    assert "01 Jan 2024 to 01 Feb 2024" in seen["C-ALICE"]
    assert "01 Nov 2024 to 01 Dec 2024" not in seen["C-ALICE"]
    assert "01 Sep 2024 to 30 Sep 2024" in seen["C-ALICE"]  # the refusal, clipped to her time
    assert "01 Nov 2024 to 01 Dec 2024" in seen["C-BOB"]
    assert "01 Jan 2024 to 01 Feb 2024" not in seen["C-BOB"]
    assert "01 Oct 2024 to 01 Nov 2024" in seen["C-BOB"]  # the same refusal, clipped to his
    assert "CONSENT_NOT_ACTIVE" in seen["C-BOB"]
    assert E1 not in seen["C-CAROL"] and "01 Jan 2024 to 01 Feb 2024" in seen["C-CAROL"]


def test_codes_are_rationed_per_consumer_and_hour(world: World) -> None:
    client = world.client()
    token = csrf_of(client.get("/portal/sign-in").text)
    for _ in range(CODES_PER_HOUR + 2):
        client.post("/portal/code", data={"consumer_id": "C-BOB", "csrf_token": token})
    assert len(world.outbox.sent) == CODES_PER_HOUR
    world.clock.now += 3600
    client.post("/portal/code", data={"consumer_id": "C-BOB", "csrf_token": token})
    assert len(world.outbox.sent) == CODES_PER_HOUR + 1
