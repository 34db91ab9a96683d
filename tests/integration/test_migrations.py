"""The migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from meterguard.adapters.storage.database import (
    current_revision,
    head_revision,
    open_database,
    open_engine,
    upgrade,
)
from meterguard.adapters.storage.schema import metadata


def test_an_empty_database_is_upgraded_to_the_newest_revision(database_url: str) -> None:
    engine = open_engine(database_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) >= {t.name for t in metadata.sorted_tables}


def test_the_migrated_schema_matches_the_declared_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_upgrading_a_current_database_changes_nothing(database_url: str) -> None:
    open_database(database_url).dispose()
    engine = open_database(database_url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert versions == [(head_revision(),)]


def test_the_appointment_questions_are_served_by_indexes(engine: Engine) -> None:
    inspector = inspect(engine)
    primary_key = inspector.get_pk_constraint("appointments")["constrained_columns"]
    assert primary_key == ["mpxn", "role", "valid_from"]  # who held R at M at t
    indexed = [ix["column_names"] for ix in inspector.get_indexes("appointments")]
    assert ["party_id", "role", "mpxn"] in indexed  # when did P hold R at M
