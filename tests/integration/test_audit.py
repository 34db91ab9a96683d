"""The audit log on SQLite and PostgreSQL: chained, verified, tamper-evident, append-only."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text, update
from sqlalchemy.exc import DBAPIError

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.audit_store import SqlAuditLog, append_audit
from meterguard.domain.period import Period
from meterguard.domain.time import parse_instant
from meterguard.services.audit import GENESIS_HASH, AuditRecord, with_released

JAN = Period(parse_instant("2025-01-01"), parse_instant("2025-02-01"))
AT = parse_instant("2025-03-01T12:00:00Z")


def record(n: int = 0, **changes: object) -> AuditRecord:
    fields: dict[str, object] = {
        "party_id": "OCTO",
        "role": "IS",
        "channel": "API",
        "action": "hh_consumption",
        "subject": "1012345678904",
        "decision": "allow",
        "code": "OK",
        "mpxn": "1012345678904",
        "asked": (JAN,),
        "allowed": (JAN,),
        "basis": "matrix v1 cell hh_consumption/IS/API = H; appointment IS",
        "request_id": f"r{n}",
        "detail": {"rows": n},
    }
    fields.update(changes)
    return AuditRecord(**fields)  # type: ignore[arg-type]


def test_entries_are_numbered_and_each_carries_the_hash_of_the_one_before(engine: Engine) -> None:
    log = SqlAuditLog(engine)
    first = log.append([record(1), record(2)], AT)
    third = log.append([record(3)], AT + 5)
    entries = log.entries()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash == first[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert log.head() == (3, third[0].hash)
    assert entries[0].record == record(1)
    assert log.verify().ok and log.verify().checked == 3


def test_verify_names_the_first_altered_entry(engine: Engine) -> None:
    log = SqlAuditLog(engine)
    log.append([record(n) for n in range(1, 6)], AT)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":  # the trigger refuses; the owner can disable it
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        connection.execute(
            update(schema.audit_log).where(schema.audit_log.c.seq == 3).values(party_id="EVIL")
        )
    report = log.verify()
    assert not report.ok and report.first_broken == 3 and "altered" in report.reason


def test_verify_names_a_removed_entry_and_a_log_cut_short(engine: Engine) -> None:
    log = SqlAuditLog(engine)
    log.append([record(n) for n in range(1, 6)], AT)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        connection.execute(schema.audit_log.delete().where(schema.audit_log.c.seq == 5))
    report = log.verify()
    assert not report.ok and report.first_broken == 5
    with engine.begin() as connection:
        connection.execute(schema.audit_log.delete().where(schema.audit_log.c.seq == 2))
    assert log.verify().first_broken == 2


@pytest.mark.postgres
def test_postgres_refuses_to_update_or_delete_an_entry(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the trigger is PostgreSQL's")
    from meterguard.adapters.storage.database import open_database

    engine = open_database(database_url)
    released = with_released(record(1), {"1012345678903": (Period(0, 1800),)})
    SqlAuditLog(engine).append([released], AT)
    for statement in (
        update(schema.audit_log).values(party_id="EVIL"),
        schema.audit_log.delete(),
        text("TRUNCATE audit_log"),
        update(schema.audit_released).values(mpxn="EVIL"),  # the meter points beside an entry
        schema.audit_released.delete(),
        text("TRUNCATE audit_released"),
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(statement)
    assert SqlAuditLog(engine).verify().ok
    engine.dispose()


def test_an_entry_written_in_a_rolled_back_transaction_leaves_no_trace(engine: Engine) -> None:
    log = SqlAuditLog(engine)
    log.append([record(1)], AT)
    with pytest.raises(RuntimeError), engine.begin() as connection:
        append_audit(connection, [record(2)], AT)
        raise RuntimeError("the release failed")
    assert [e.seq for e in log.entries()] == [1]
    log.append([record(3)], AT)
    assert log.verify().ok and log.head()[0] == 2


def test_concurrent_appenders_keep_one_unbroken_chain(engine: Engine) -> None:
    log = SqlAuditLog(engine)
    failures: list[BaseException] = []

    def append_many(who: str) -> None:
        try:
            for n in range(25):
                log.append([record(n, party_id=who)], AT + n)
        except BaseException as exc:  # reported below, not swallowed
            failures.append(exc)

    threads = [threading.Thread(target=append_many, args=(f"P{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    report = log.verify()
    assert report.ok and report.checked == 100
