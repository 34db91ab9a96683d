"""A small hub for the web tests: the fixture registry, a settable clock, readings, an app with
the web pages, and signing in as a consumer or an operator."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from meterguard import bootstrap
from meterguard.adapters.notifiers import OutboxNotifier
from meterguard.adapters.storage import schema
from meterguard.adapters.storage.snapshot_follower import SnapshotFollower
from meterguard.domain.time import HALF_HOUR
from meterguard.domain.time import parse_instant as t
from meterguard.entrypoints import web

SMALL = Path(__file__).parent / "fixtures" / "small"
E1 = "1012345678903"  # ALICE 2019-05-01 to 2024-09-30, BOB from 2024-10-01; BOB's K1 to APP1
E2 = "1200000000011"  # CAROL from 2021-06-01
OPERATOR_KEY = "op-key-for-tests"
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


class Clock:
    def __init__(self, now: str) -> None:
        self.now = t(now)

    def __call__(self) -> int:
        return self.now


@dataclass
class World:
    engine: Engine
    facts: SnapshotFollower
    clock: Clock
    outbox: OutboxNotifier
    web: bootstrap.WebPortal
    app: FastAPI

    def client(self) -> TestClient:
        # https, so that the browser-like cookie jar sends the Secure cookies back
        return TestClient(self.app, base_url="https://testserver", follow_redirects=False)


def operator_of(key: str) -> str | None:
    return "OPS" if key == OPERATOR_KEY else None


def make_world(engine: Engine, now: str = "2025-01-20T12:00:00Z", **options: object) -> World:
    bootstrap.import_directory(engine, SMALL)
    facts = bootstrap.snapshot_follower(engine)
    clock, outbox = Clock(now), OutboxNotifier()
    portal = bootstrap.web_portal(
        engine,
        facts,
        clock=clock,
        notifier=outbox,
        authenticate_operator=operator_of,
        **options,  # type: ignore[arg-type]
    )
    app = FastAPI()
    web.attach(app, portal)
    return World(engine, facts, clock, outbox, portal, app)


def add_readings(engine: Engine, mpxn: str, start: str, end: str, kwh: float = 0.5) -> None:
    rows = [{"mpxn": mpxn, "ts": ts, "kwh": kwh} for ts in range(t(start), t(end), HALF_HOUR)]
    with engine.begin() as connection:
        connection.execute(insert(schema.readings), rows)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(world: World, client: TestClient, consumer: str) -> None:
    page = client.get("/portal/sign-in")
    client.post("/portal/code", data={"consumer_id": consumer, "csrf_token": csrf_of(page.text)})
    code = world.outbox.sent[-1].code
    answer = client.post(
        "/portal/sign-in",
        data={"consumer_id": consumer, "code": code, "csrf_token": csrf_of(page.text)},
    )
    assert answer.status_code == 303, answer.text


def sign_in_operator(client: TestClient) -> None:
    page = client.get("/operator/sign-in")
    answer = client.post(
        "/operator/sign-in", data={"api_key": OPERATOR_KEY, "csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 303, answer.text
