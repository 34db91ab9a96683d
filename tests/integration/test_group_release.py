"""Audited releases in group commits, and the change feed read once for many requests, on SQLite
and PostgreSQL: each release has its readings and its own entry in the transaction that commits
before it returns; one release that fails takes no other with it; the chain still verifies."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from meterguard.adapters.storage.group_release import GroupReleases
from meterguard.adapters.storage.release_store import fetch_readings
from meterguard.adapters.storage.shared_catch_up import SharedCatchUp
from meterguard.bootstrap import (
    audit_log,
    consent_service,
    import_directory,
    request_rounds,
    snapshot_follower,
)
from meterguard.domain.catalogue import Channel
from meterguard.domain.period import Period
from meterguard.domain.time import parse_instant as t
from meterguard.policy.decision import Code
from meterguard.policy.engine import decide
from meterguard.policy.requests import DataRequest
from meterguard.services.audit import AuditRecord
from meterguard.services.releases import Reading

SMALL = Path(__file__).parents[1] / "fixtures" / "small"
E1, G1 = "1012345678903", "3938424403"
AT = t("2025-03-01T09:00:00Z")
WINDOWS = {
    E1: (Period(t("2025-01-14T23:30:00Z"), t("2025-01-15T00:30:00Z")),),  # two of its four
    G1: (Period(t("2025-01-01"), t("2025-02-01")),),
}


def record(request_id: str, mpxn: str, rows: list[Reading]) -> AuditRecord:
    return AuditRecord(
        party_id="BRIT",
        role="IS",
        channel="API",
        action="hh_consumption",
        subject=mpxn,
        decision="allow",
        code="OK",
        mpxn=mpxn,
        allowed=WINDOWS[mpxn],
        request_id=request_id,
        detail={"readings": len(rows)},
    )


def refusal(request_id: str) -> AuditRecord:
    return AuditRecord(
        party_id="APP1",
        role="OU",
        channel="API",
        action="hh_consumption",
        subject=E1,
        decision="deny",
        code="NO_CONSENT",
        mpxn=E1,
        request_id=request_id,
    )


@pytest.fixture
def hub(engine: Engine) -> tuple[SharedCatchUp, GroupReleases]:
    import_directory(engine, SMALL)
    return request_rounds(engine, snapshot_follower(engine), lambda changes: None)


def test_concurrent_releases_share_commits_each_with_its_readings_and_its_own_entry(
    engine: Engine, hub: tuple[SharedCatchUp, GroupReleases]
) -> None:
    _, releases = hub
    asked = [(f"r{i}", E1 if i % 2 else G1, AT + i) for i in range(12)]

    async def scenario() -> list[list[Reading]]:
        got = await asyncio.gather(
            *(
                releases.readings(
                    mpxn, WINDOWS[mpxn], lambda rows, r=rid, m=mpxn: record(r, m, rows), at
                )
                for rid, mpxn, at in asked
            ),
            releases.record([refusal("d1"), refusal("d2")], AT + 99),
        )
        await releases.aclose()
        return got[:-1]

    released = asyncio.run(scenario())
    assert releases.rounds.rounds < releases.rounds.jobs  # commits were shared
    with engine.connect() as connection:
        for (_, mpxn, _), rows in zip(asked, released, strict=True):
            assert rows == fetch_readings(connection, mpxn, WINDOWS[mpxn])
    assert [len(rows) for rows in released[:2]] == [1, 2]  # G1's one, E1's two of four
    entries = {e.record.request_id: e for e in audit_log(engine).entries()}
    assert set(entries) == {rid for rid, _, _ in asked} | {"d1", "d2"}
    for (rid, _, at), rows in zip(asked, released, strict=True):
        assert entries[rid].record.detail == {"readings": len(rows)}
        assert entries[rid].at == at  # each entry keeps its own decision time
    assert entries["d1"].record.decision == "deny"
    assert audit_log(engine).verify().ok


def test_a_release_returns_only_once_its_entry_is_committed(
    engine: Engine, hub: tuple[SharedCatchUp, GroupReleases]
) -> None:
    _, releases = hub

    async def scenario() -> int:
        await releases.readings(E1, WINDOWS[E1], lambda rows: record("seen", E1, rows), AT)
        with engine.connect() as other:  # another connection: only committed rows are visible
            seen = other.execute(
                text("SELECT count(*) FROM audit_log WHERE request_id = 'seen'")
            ).scalar_one()
        await releases.aclose()
        return int(seen)

    assert asyncio.run(scenario()) == 1


def test_a_release_that_fails_takes_no_other_release_with_it(
    engine: Engine, hub: tuple[SharedCatchUp, GroupReleases]
) -> None:
    _, releases = hub

    def broken(rows: list[Reading]) -> AuditRecord:
        raise ValueError("this release's entry cannot be written")

    async def scenario() -> list[object]:
        outcomes = await asyncio.gather(
            releases.readings(E1, WINDOWS[E1], lambda rows: record("ok1", E1, rows), AT),
            releases.readings(E1, WINDOWS[E1], broken, AT),
            releases.readings(G1, WINDOWS[G1], lambda rows: record("ok2", G1, rows), AT),
            return_exceptions=True,
        )
        await releases.aclose()
        return outcomes

    first, failed, last = asyncio.run(scenario())
    assert isinstance(failed, ValueError)
    assert len(first) == 2 and len(last) == 1  # type: ignore[arg-type]
    entries = audit_log(engine).entries()
    assert sorted(e.record.request_id for e in entries) == ["ok1", "ok2"]
    assert audit_log(engine).verify().ok


def hh(party: str, role: str, purpose: str = "") -> DataRequest:
    return DataRequest(
        "r", party, role, Channel.API, "hh_consumption", E1, t("2025-02-01"), None, AT, purpose
    )


def test_one_feed_read_serves_every_request_waiting_and_sees_what_committed_before(
    engine: Engine, hub: tuple[SharedCatchUp, GroupReleases]
) -> None:
    feed, releases = hub
    follower = feed.follower
    assert decide(hh("APP1", "OU", "energy_advice"), follower.snapshot).code is Code.OK
    elsewhere = snapshot_follower(engine)  # another process's view, writing the change
    consent_service(engine, elsewhere.snapshot, lambda: AT).withdraw("K1", actor="BOB")

    async def scenario() -> None:
        await asyncio.gather(*(feed.catch_up() for _ in range(8)))
        await releases.aclose()

    asyncio.run(scenario())
    assert feed.rounds.jobs == 8 and feed.rounds.rounds < 8
    assert (
        decide(hh("APP1", "OU", "energy_advice"), follower.snapshot).code is Code.CONSENT_NOT_ACTIVE
    )


@pytest.mark.postgres
def test_connections_broken_by_a_database_restart_are_replaced_without_a_failed_request(
    engine: Engine, hub: tuple[SharedCatchUp, GroupReleases]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the asynchronous connections are PostgreSQL's")
    feed, releases = hub

    def terminate_the_hubs_connections() -> None:
        with engine.connect() as admin:
            admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )

    async def scenario() -> list[Reading]:
        await feed.catch_up()
        await releases.readings(E1, WINDOWS[E1], lambda rows: record("before", E1, rows), AT)
        terminate_the_hubs_connections()
        await feed.catch_up()
        rows = await releases.readings(E1, WINDOWS[E1], lambda rows: record("after", E1, rows), AT)
        await releases.aclose()
        return rows

    assert len(asyncio.run(scenario())) == 2
    assert [e.record.request_id for e in audit_log(engine).entries()] == ["before", "after"]
