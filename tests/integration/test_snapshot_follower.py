"""One truth across processes: a follower's snapshot catches up with changes another process
committed (a consent withdrawn, an appointment or a device imported, a party's roles), on SQLite
and PostgreSQL, whether it loads meter points lazily or not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from meterguard.adapters.storage.snapshot_follower import SnapshotFollower
from meterguard.bootstrap import consent_service, import_directory
from meterguard.domain.catalogue import Channel
from meterguard.domain.time import parse_instant as t
from meterguard.policy.decision import Code
from meterguard.policy.engine import decide
from meterguard.policy.requests import DataRequest

SMALL = Path(__file__).parents[1] / "fixtures" / "small"
E1, E2 = "1012345678903", "1200000000011"
A0 = "00-DB-12-34-56-78-90-A0"
AT = t("2025-03-01T09:00:00Z")


def hh(party: str, role: str, purpose: str = "") -> DataRequest:
    return DataRequest(
        "r", party, role, Channel.API, "hh_consumption", E1, t("2025-02-01"), None, AT, purpose
    )


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture(params=[True, False], ids=["lazy", "eager"])
def two_processes(
    request: pytest.FixtureRequest, engine: Engine
) -> tuple[SnapshotFollower, SnapshotFollower]:
    import_directory(engine, SMALL)
    writer, reader = (
        SnapshotFollower(engine, request.param),
        SnapshotFollower(engine, request.param),
    )
    assert decide(hh("BRIT", "IS"), reader.snapshot).code is Code.OK  # E1 is loaded now
    return writer, reader


def test_nothing_changed_means_nothing_to_apply(
    two_processes: tuple[SnapshotFollower, SnapshotFollower],
) -> None:
    _, reader = two_processes
    assert reader.catch_up() == []


def test_a_consent_withdrawn_elsewhere_is_honoured_by_the_next_decision(
    two_processes: tuple[SnapshotFollower, SnapshotFollower], engine: Engine
) -> None:
    writer, reader = two_processes
    assert decide(hh("APP1", "OU", "energy_advice"), reader.snapshot).code is Code.OK
    consent_service(engine, writer.snapshot, lambda: AT).withdraw("K1", actor="BOB")
    assert decide(hh("APP1", "OU", "energy_advice"), reader.snapshot).code is Code.OK  # stale
    reader.catch_up()
    assert (
        decide(hh("APP1", "OU", "energy_advice"), reader.snapshot).code is Code.CONSENT_NOT_ACTIVE
    )


def test_an_imported_appointment_device_move_and_role_change_are_all_applied(
    two_processes: tuple[SnapshotFollower, SnapshotFollower], engine: Engine, tmp_path: Path
) -> None:
    _, reader = two_processes
    assert reader.snapshot.device(A0).mpxn == E1  # type: ignore[union-attr]
    folder = tmp_path / "changed"
    shutil.copytree(SMALL, folder)
    edit(
        folder, "appointments.csv", "IS,BRIT,2025-01-15T00:00:00Z,", "IS,OCTO,2025-01-15T00:00:00Z,"
    )
    edit(folder, "devices.csv", f"{A0},ESME,{E1}", f"{A0},ESME,{E2}")
    import_directory(engine, folder)
    changes = reader.catch_up()
    assert {m for _, m, _ in changes} >= {E1}
    assert decide(hh("BRIT", "IS"), reader.snapshot).code is Code.NO_RELATIONSHIP
    assert decide(hh("OCTO", "IS"), reader.snapshot).code is Code.OK
    assert reader.snapshot.device(A0).mpxn == E2  # type: ignore[union-attr]
    assert A0 not in reader.snapshot.devices_at.get(E1, {})

    edit(folder, "parties.csv", "BRIT,Brit Gas Supply,IS GS", "BRIT,Brit Gas Supply,GS")
    edit(folder, "appointments.csv", "1500000000024,IS,BRIT", "1500000000024,IS,OCTO")
    import_directory(engine, folder)
    reader.catch_up()
    assert decide(hh("BRIT", "IS"), reader.snapshot).code is Code.ROLE_NOT_HELD


def test_a_large_change_reloads_the_snapshot_afresh(
    two_processes: tuple[SnapshotFollower, SnapshotFollower],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from meterguard.adapters.storage import snapshot_follower

    writer, reader = two_processes
    monkeypatch.setattr(snapshot_follower, "RELOAD_THRESHOLD", 0)
    before = reader.snapshot
    consent_service(engine, writer.snapshot, lambda: AT).withdraw("K1", actor="BOB")
    reader.catch_up()
    assert reader.snapshot is not before
    assert (
        decide(hh("APP1", "OU", "energy_advice"), reader.snapshot).code is Code.CONSENT_NOT_ACTIVE
    )
