"""The ``api`` fixture: the API over the small fixture registry, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from .support import Api, make_api


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    yield from make_api(engine)
