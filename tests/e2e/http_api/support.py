"""Helpers for the HTTP tests: an API over the small fixture registry, on SQLite and PostgreSQL, with a key per party."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from meterguard.bootstrap import api_keys, import_directory
from meterguard.domain.time import parse_instant
from meterguard.entrypoints.http.app import create_app

SMALL = Path(__file__).parents[2] / "fixtures" / "small"
PARTIES = ("OCTO", "BRIT", "UKPN", "APP1", "MAPCO", "ACME", "SHIP1", "BIGCO")
E1 = "1012345678903"  # OCTO supplied it (IS) until 2025-01-15, BRIT since; BOB occupies it
G1 = "3938424403"  # gas; DAVE's consent K3 to APP1 ended 2024-01-01


class Clock:
    def __init__(self, now: str) -> None:
        self.now = parse_instant(now)

    def __call__(self) -> int:
        return self.now


@dataclass
class Api:
    client: TestClient
    keys: dict[str, str]
    clock: Clock
    engine: Engine

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def get(self, who: str, path: str, **params: object) -> object:
        return self.client.get(path, params=params, headers=self.as_(who))

    def post(self, who: str, path: str, body: object) -> object:
        return self.client.post(path, json=body, headers=self.as_(who))


def make_api(engine: Engine, limit: int = 1000, folder: Path = SMALL) -> Iterator[Api]:
    import_directory(engine, folder)
    clock = Clock("2025-03-01T09:00:00Z")
    issuer = api_keys(engine, clock)
    keys = {party: issuer.issue(party_id=party) for party in PARTIES}
    keys["operator"] = issuer.issue(operator="ops")
    app = create_app(engine, clock=clock, ou_daily_meter_points=limit)
    with TestClient(app) as client:
        yield Api(client, keys, clock, engine)
