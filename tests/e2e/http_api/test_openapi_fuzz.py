"""schemathesis against the published OpenAPI document, in process: no input a client can send,
with any key, gets a 5xx, and every 4xx is JSON with a code and a message. Bounded examples per
operation keep it to seconds; SQLite only (the HTTP layer is the subject, not the database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from meterguard.adapters.storage.database import open_database

from .support import Api, make_api

pytestmark = pytest.mark.slow


@pytest.fixture
def fuzzed(tmp_path: Path) -> Iterator[Api]:
    engine = open_database(f"sqlite:///{tmp_path / 'fuzz.db'}")
    yield from make_api(engine)
    engine.dispose()


def test_no_input_gets_a_server_error(fuzzed: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed.client.app)
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def no_server_error(case: Any) -> None:
            for who in ("BRIT", "APP1", "operator"):
                response = case.call(headers=fuzzed.as_(who))
                where = (who, case.method, case.formatted_path, response.text)
                assert response.status_code < 500, where
                if 400 <= response.status_code < 500:
                    body = response.json()
                    assert isinstance(body.get("code"), str), where
                    assert isinstance(body.get("message"), str), where

        no_server_error()
        tried += 1
    assert tried >= 20  # every operation of the document was attacked
