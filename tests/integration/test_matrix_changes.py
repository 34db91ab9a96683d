"""Matrix change requests on a real database: impact, the excluded-group floor, the screening
gate, approval as a new effective-dated version that reaches live snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.audit_store import SqlAuditLog
from meterguard.adapters.storage.changes import REGISTRY, changes_since, latest_change
from meterguard.adapters.storage.matrix_change_store import SqlMatrixChangeStore
from meterguard.adapters.storage.snapshot_loader import load_snapshot
from meterguard.bootstrap import import_directory
from meterguard.domain.catalogue import Channel
from meterguard.domain.dpia import QUESTIONS, Answer, Screening
from meterguard.domain.roles import Role
from meterguard.domain.time import parse_instant
from meterguard.policy.matrix import Access, CellKey
from meterguard.services.matrix_changes import (
    ChangeRefused,
    ChangeStatus,
    MatrixChanges,
    ProposalRejected,
    parse_proposal,
)

SMALL = Path(__file__).parents[1] / "fixtures" / "small"
NOW = parse_instant("2026-03-01T12:00:00Z")
LATER = parse_instant("2026-04-01T00:00:00Z")

# Supply address is personal data; OU on BULK had no cell in the small matrix.
EXPOSES = {CellKey("supply_address", Role.OU, Channel.BULK): Access.CURRENT}
HARMLESS = {CellKey("meter_point_details", Role.SH, Channel.BULK): Access.COMMUNITY}


@pytest.fixture
def changes(engine: Engine) -> MatrixChanges:
    import_directory(engine, SMALL)
    return MatrixChanges(SqlMatrixChangeStore(engine), lambda: NOW)


def screening(yes: tuple[str, ...] = (), risks: tuple[str, ...] = ()) -> Screening:
    return Screening({q.ref: Answer(q.ref in yes) for q in QUESTIONS}, risks)


def count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_the_impact_names_gains_personal_data_and_the_parties_affected(
    changes: MatrixChanges,
) -> None:
    change = changes.draft("OU bulk addresses", {**EXPOSES, **HARMLESS}, "analyst")
    impact = changes.impact(change.change_id)
    assert impact.before_version == 1 and impact.after_version is None
    assert [str(c.key) for c in impact.diff.gained] == [
        "supply_address/OU/BULK",
        "meter_point_details/SH/BULK",
    ]
    assert [str(c.key) for c in impact.diff.personal_data_newly_exposed] == [
        "supply_address/OU/BULK"
    ]
    assert impact.parties_affected == {Role.OU: ("APP1",), Role.SH: ("SHIP1",)}
    as_json = impact.as_json()
    assert as_json["parties_affected"] == {"OU": ["APP1"], "SH": ["SHIP1"]}


def test_a_change_that_touches_an_excluded_group_cannot_be_drafted(
    changes: MatrixChanges, engine: Engine
) -> None:
    rows = [(2, {"item": "priority_services", "role": "IS", "channel": "BULK", "access": "-"})]
    with pytest.raises(ProposalRejected) as refused:
        parse_proposal(rows, "drr.csv")
    assert refused.value.problems == [
        "drr.csv:2: item: group PRIORITY_SERVICES is never released through BULK: a change may not touch it"
    ]
    key = CellKey("consumer_contact", Role.IS, Channel.API)
    with pytest.raises(ChangeRefused, match="excluded group"):
        changes.draft("contact details by API", {key: Access.CURRENT}, "analyst")
    assert count(engine, schema.matrix_changes) == 0


def test_a_proposal_file_reports_every_bad_row_with_line_and_field() -> None:
    rows = [
        (2, {"item": "hh_consumption", "role": "XX", "channel": "API", "access": "H"}),
        (3, {"item": "nothing", "role": "IS", "channel": "API", "access": "H"}),
        (4, {"item": "hh_consumption", "role": "IS", "channel": "API", "access": "A"}),
    ]
    with pytest.raises(ProposalRejected) as refused:
        parse_proposal(rows, "p.csv")
    assert [p.split(": ")[0:2] for p in refused.value.problems] == [
        ["p.csv:2", "role"],
        ["p.csv:3", "item"],
        ["p.csv:4", "access"],
    ]


def test_new_personal_data_exposure_cannot_be_approved_without_a_screening(
    changes: MatrixChanges, engine: Engine
) -> None:
    change = changes.draft("OU bulk addresses", EXPOSES, "analyst")
    changes.submit(change.change_id, "analyst")
    with pytest.raises(ChangeRefused, match="needs a completed DPIA screening"):
        changes.approve(change.change_id, "director", LATER)
    changes.screen(change.change_id, screening(yes=("DRR-c", "DRR-k")), "dpo")
    with pytest.raises(ChangeRefused, match="requires Stage 2"):
        changes.approve(change.change_id, "director", LATER)
    assert count(engine, schema.matrix_versions) == 1
    changes.screen(change.change_id, screening(yes=("DRR-c",)), "dpo", "DPIA-2026-7")
    approved = changes.approve(change.change_id, "director", LATER)
    assert approved.status is ChangeStatus.APPROVED and approved.new_version == 2


def test_a_change_exposing_no_personal_data_needs_no_screening(changes: MatrixChanges) -> None:
    change = changes.draft("shippers see meter points in bulk", HARMLESS, "analyst")
    changes.submit(change.change_id, "analyst")
    assert changes.approve(change.change_id, "director", LATER).new_version == 2


def test_an_approved_change_is_a_new_version_from_its_effective_time_and_reaches_snapshots(
    changes: MatrixChanges, engine: Engine
) -> None:
    before_feed = None
    with engine.connect() as connection:
        before_feed = latest_change(connection)
    change = changes.draft("OU bulk addresses", EXPOSES, "analyst")
    changes.submit(change.change_id, "analyst")
    changes.screen(change.change_id, screening(), "dpo")
    changes.approve(change.change_id, "director", LATER)

    matrix = load_snapshot(engine, lazy=True).matrix
    key = CellKey("supply_address", Role.OU, Channel.BULK)
    old, new = matrix.in_force_at(LATER - 1), matrix.in_force_at(LATER)
    assert old is not None and new is not None
    assert (old.version, old.access(key)) == (1, None)  # decisions before keep the old version
    assert (new.version, new.access(key)) == (2, Access.CURRENT)
    assert new.access(CellKey("hh_consumption", Role.IS, Channel.API)) is Access.HISTORIC
    with engine.connect() as connection:
        assert (None, REGISTRY) in [(m, k) for _, m, k in changes_since(connection, before_feed)]
    actions = [e.record.action for e in SqlAuditLog(engine).entries()]
    assert actions == [
        "matrix_change.drafted",
        "matrix_change.submitted",
        "dpia.screened",
        "matrix.approved",
    ]
    assert SqlAuditLog(engine).verify().ok


def test_approval_refuses_a_past_or_not_later_effective_time_and_a_stale_base(
    changes: MatrixChanges,
) -> None:
    first = changes.draft("one", HARMLESS, "analyst")
    second = changes.draft("two", EXPOSES, "analyst")
    for change in (first, second):
        changes.submit(change.change_id, "analyst")
    with pytest.raises(ChangeRefused, match="in the past"):
        changes.approve(first.change_id, "director", NOW - 60)
    with pytest.raises(ChangeRefused, match="after the newest version"):
        changes.approve(first.change_id, "director", parse_instant("2019-01-01"))
    changes.approve(first.change_id, "director", LATER)
    changes.screen(second.change_id, screening(), "dpo")
    with pytest.raises(ChangeRefused, match="draft it again on the newest version"):
        changes.approve(second.change_id, "director", LATER + 86400)


def test_only_a_submitted_change_is_decided_and_a_rejection_states_its_reason(
    changes: MatrixChanges,
) -> None:
    change = changes.draft("one", HARMLESS, "analyst")
    with pytest.raises(ChangeRefused, match="only a submitted change can be approved"):
        changes.approve(change.change_id, "director", LATER)
    changes.submit(change.change_id, "analyst")
    with pytest.raises(ChangeRefused, match="reason"):
        changes.reject(change.change_id, "director", " ")
    rejected = changes.reject(change.change_id, "director", "not justified")
    assert (rejected.status, rejected.decided_by, rejected.reason) == (
        ChangeStatus.REJECTED,
        "director",
        "not justified",
    )
    assert changes.get(change.change_id).status is ChangeStatus.REJECTED
    with pytest.raises(ChangeRefused):
        changes.screen(change.change_id, screening(), "dpo")


def test_diff_between_stored_versions(changes: MatrixChanges) -> None:
    change = changes.draft("one", HARMLESS, "analyst")
    changes.submit(change.change_id, "analyst")
    changes.approve(change.change_id, "director", LATER)
    impact = changes.diff_versions(1, 2)
    assert impact.after_version == 2
    assert [str(c) for c in impact.diff.changes] == [
        "meter_point_details/SH/BULK: not configured -> A"
    ]
    with pytest.raises(ChangeRefused, match="no matrix version 9"):
        changes.diff_versions(1, 9)
