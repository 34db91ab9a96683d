"""Shared fixtures: a fresh database on SQLite and on a real PostgreSQL, for every test that asks.

The PostgreSQL server is the machine's (``MG_TEST_POSTGRES_URL``, default the local trust-auth
server). Each test gets its own database, dropped afterwards. Where no server answers, the
PostgreSQL variants are skipped and the run ends with a banner that says so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from meterguard.adapters.storage.database import open_database

POSTGRES_ADMIN_URL = os.environ.get(
    "MG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
FIXTURES = Path(__file__).parent / "fixtures"

_postgres_state: dict[str, str | None] = {}


def postgres_unavailable_reason() -> str | None:
    """None when PostgreSQL answers; otherwise why not (checked once per run)."""
    if "reason" not in _postgres_state:
        try:
            engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
            _postgres_state["reason"] = None
        except Exception as exc:  # any failure to connect means: no server for these tests
            _postgres_state["reason"] = (
                f"no PostgreSQL at {make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)}: {type(exc).__name__}"
            )
    return _postgres_state["reason"]


def fresh_postgres_url() -> Iterator[str]:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    name = f"mg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote(name)  # a generated name, quoted all the same
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {quoted}"))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'meterguard.db'}"
    else:
        yield from fresh_postgres_url()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty database."""
    engine = open_database(database_url)
    yield engine
    engine.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    reason = _postgres_state.get("reason")
    if reason:
        terminalreporter.write_sep("!", "PostgreSQL tests were SKIPPED", red=True, bold=True)
        terminalreporter.write_line(f"  {reason}", red=True)
        terminalreporter.write_line(
            "  Start a server (see README) or set MG_TEST_POSTGRES_URL to run them.", red=True
        )
