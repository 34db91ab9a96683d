"""Bulk extracts end to end over a real database: the right rows, audited before the file appears.

The small fixture has a change of supplier at 1012345678903 on 2025-01-15 (OCTO to BRIT) and
readings on both sides of it; a BULK cell is added to its matrix here.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Sequence
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from meterguard import bootstrap
from meterguard.adapters.bulk.duckdb_engine import DuckDbReadingsEngine
from meterguard.adapters.bulk.output_files import TempExportFile
from meterguard.adapters.bulk.sql_engine import SqlReadingsEngine
from meterguard.adapters.readings_parquet import ParquetReadings
from meterguard.adapters.storage.audit_store import SqlAuditLog
from meterguard.domain.time import parse_instant
from meterguard.policy.bulk import READINGS_ITEM, BulkRequest
from meterguard.services.audit import AuditEntry, AuditRecord
from meterguard.services.exporting import ExportRefused, export_entitled, tag_all
from meterguard.services.importing.problems import ImportRejected

SMALL = Path(__file__).parents[1] / "fixtures" / "small"
E1 = "1012345678903"
AT = parse_instant("2025-03-01T12:00:00Z")
NOW = parse_instant("2025-03-01T12:00:05Z")


def bulk_folder(tmp_path: Path) -> Path:
    folder = Path(shutil.copytree(SMALL, tmp_path / "small"))
    with (folder / "matrix.csv").open("a") as matrix:
        matrix.write(
            "1,2019-01-01,hh_consumption,IS,BULK,H\n1,2019-01-01,hh_consumption,GS,BULK,C\n"
        )
    return folder


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    bootstrap.import_directory(engine, bulk_folder(tmp_path))
    return engine


def request(party: str, role: str = "IS", start: str = "2025-01-01") -> BulkRequest:
    return BulkRequest(party, role, READINGS_ITEM, parse_instant(start), None, AT)


def csv_rows(path: Path) -> list[list[str]]:
    with path.open() as handle:
        return list(csv.reader(handle))


def export(engine: Engine, bulk: BulkRequest, out: Path, audit: object = None) -> object:
    plan = bootstrap.plan_bulk_extract(engine, bulk)
    return export_entitled(
        plan,
        SqlReadingsEngine(engine),
        TempExportFile(out, "csv"),
        audit or SqlAuditLog(engine),  # type: ignore[arg-type]
        lambda: NOW,
    )


def test_the_former_supplier_gets_its_readings_before_the_change_and_none_after(
    loaded: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "octo.csv"
    report = export(loaded, request("OCTO"), out)
    assert csv_rows(out) == [
        ["mpxn", "ts", "kwh"],
        [E1, "2025-01-14T23:00:00Z", "0.21"],
        [E1, "2025-01-14T23:30:00Z", "0.18"],
    ]
    entry = SqlAuditLog(loaded).entries()[-1]
    assert entry.seq == report.audit_seq  # type: ignore[attr-defined]
    record = entry.record
    assert (record.party_id, record.channel, record.action, record.decision) == (
        "OCTO",
        "BULK",
        "export",
        "allow",
    )
    assert record.detail["rows"] == 2
    assert record.detail["periods"][E1] == ["[2025-01-01T00:00:00Z..2025-01-15T00:00:00Z)"]
    assert record.detail["periods"]["1200000000011"] == [
        "[2025-01-01T00:00:00Z..2025-03-01T12:00:00Z)"
    ]
    assert entry.at == NOW


def test_the_new_supplier_gets_the_readings_from_the_supply_start_date(
    loaded: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "brit.csv"
    export(loaded, request("BRIT"), out)
    assert [row[1] for row in csv_rows(out)[1:] if row[0] == E1] == [
        "2025-01-15T00:00:00Z",
        "2025-01-15T00:30:00Z",
    ]


def test_a_current_only_cell_releases_only_the_stretch_that_holds_the_decision_time(
    loaded: Engine, tmp_path: Path
) -> None:
    # OCTO became gas supplier of 3938424403 on 2024-06-01: with C, only that stretch.
    out = tmp_path / "gas.csv"
    export(loaded, request("OCTO", "GS", "2024-01-01"), out)
    assert csv_rows(out)[1:] == [["3938424403", "2025-01-15T00:00:00Z", "1.25"]]
    assert export_detail(loaded)["periods"] == {
        "3938424403": ["[2024-06-01T00:00:00Z..2025-03-01T12:00:00Z)"]
    }


def export_detail(engine: Engine) -> dict[str, object]:
    return dict(SqlAuditLog(engine).entries()[-1].record.detail)


def test_a_refused_export_is_audited_and_writes_nothing(loaded: Engine, tmp_path: Path) -> None:
    out = tmp_path / "refused.csv"
    with pytest.raises(ExportRefused) as refused:
        export(loaded, request("OCTO", "ED"), out)
    assert refused.value.code == "ROLE_NOT_HELD"
    entry = SqlAuditLog(loaded).entries()[-1]
    assert (entry.record.decision, entry.record.code, entry.seq) == (
        "deny",
        "ROLE_NOT_HELD",
        refused.value.seq,
    )
    assert list(tmp_path.glob("*refused*")) == []


def test_a_period_starting_at_the_decision_time_is_refused_as_bad(
    loaded: Engine, tmp_path: Path
) -> None:
    with pytest.raises(ExportRefused) as refused:
        export(loaded, request("OCTO", start="2025-03-02"), tmp_path / "x.csv")
    assert refused.value.code == "BAD_PERIOD"


class WatchingAudit:
    """The real log, noting what the output folder held when the entry was appended."""

    def __init__(self, engine: Engine, folder: Path, fail: bool = False) -> None:
        self.log = SqlAuditLog(engine)
        self.folder = folder
        self.fail = fail
        self.seen: list[str] = []

    def append(self, records: Sequence[AuditRecord], at: int) -> list[AuditEntry]:
        self.seen = sorted(p.name for p in self.folder.iterdir())
        if self.fail:
            raise RuntimeError("the audit database is gone")
        return self.log.append(records, at)


def test_the_file_appears_under_its_name_only_after_the_audit_entry_is_written(
    loaded: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    audit = WatchingAudit(loaded, folder)
    export(loaded, request("OCTO"), folder / "octo.csv", audit)
    assert len(audit.seen) == 1 and audit.seen[0].endswith(".partial")  # only the temporary
    assert sorted(p.name for p in folder.iterdir()) == ["octo.csv"]


def test_an_export_that_cannot_be_audited_is_never_handed_over(
    loaded: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(RuntimeError):
        export(loaded, request("OCTO"), folder / "octo.csv", WatchingAudit(loaded, folder, True))
    assert list(folder.iterdir()) == []


def test_tag_all_names_the_responsible_supplier_of_every_reading(
    loaded: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "tags.parquet"
    windows = bootstrap.bulk_supplier_windows(loaded)
    report = tag_all(
        windows,
        "ops",
        SqlReadingsEngine(loaded),
        TempExportFile(out, "parquet", tagged=True),
        SqlAuditLog(loaded),
        lambda: NOW,
    )
    rows = pq.read_table(out).to_pylist()
    assert [(r["mpxn"], r["party_id"]) for r in rows] == [
        (E1, "OCTO"),
        (E1, "OCTO"),
        (E1, "BRIT"),
        (E1, "BRIT"),
        ("3938424403", "OCTO"),
    ]
    entry = SqlAuditLog(loaded).entries()[-1]
    assert (entry.record.action, entry.record.detail["rows"], report.rows) == (
        "export.tag_all",
        5,
        5,
    )


def test_parquet_readings_import_all_or_nothing_and_duckdb_exports_the_same_rows(
    engine: Engine, tmp_path: Path
) -> None:
    folder = bulk_folder(tmp_path)
    dataset = tmp_path / "readings"
    bootstrap.import_directory_to_parquet(engine, folder, dataset)
    assert sorted(p.name for p in dataset.iterdir()) == ["date=2025-01-14", "date=2025-01-15"]
    again = bootstrap.import_directory_to_parquet(engine, folder, dataset)
    assert again.files["readings.csv"] == {
        "inserted": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 5,
    }

    bad = Path(shutil.copytree(folder, tmp_path / "bad"))
    with (bad / "readings.csv").open("a") as readings:
        readings.write(f"{E1},2025-01-16T00:00:00Z,0.3\n{E1},2025-01-16T00:10:00Z,0.3\n")
    before = sorted(str(p.relative_to(tmp_path)) for p in dataset.rglob("*"))
    with pytest.raises(ImportRejected):
        bootstrap.import_directory_to_parquet(engine, bad, dataset)
    assert sorted(str(p.relative_to(tmp_path)) for p in dataset.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

    out = tmp_path / "octo.csv"
    plan = bootstrap.plan_bulk_extract(engine, request("OCTO"))
    export_entitled(
        plan,
        DuckDbReadingsEngine(ParquetReadings(dataset)),
        TempExportFile(out, "csv"),
        SqlAuditLog(engine),
        lambda: NOW,
    )
    assert [r[1] for r in csv_rows(out)[1:]] == ["2025-01-14T23:00:00Z", "2025-01-14T23:30:00Z"]


def test_a_bulk_extract_shows_in_each_occupants_access_log_for_their_own_time_only(
    loaded: Engine, tmp_path: Path
) -> None:
    from meterguard.adapters.storage.portal_store import SqlPortalStore
    from meterguard.domain.period import Period
    from meterguard.services.access_log import ConsumerAccessLog

    report = export(loaded, request("OCTO", start="2024-09-01"), tmp_path / "octo.csv")
    log = ConsumerAccessLog(SqlPortalStore(loaded))

    def bulk_lines(consumer: str) -> list[tuple[str, str, str, tuple[Period, ...]]]:
        return [
            (line.party_id, line.action, line.mpxn, line.periods)
            for line in log.lines(consumer)
            if line.channel == "BULK" and line.seq == report.audit_seq  # type: ignore[attr-defined]
        ]

    t = parse_instant
    # OCTO supplied E1 until 2025-01-15: ALICE lived there until 2024-09-30, BOB since 2024-10-01
    assert bulk_lines("C-ALICE") == [
        ("OCTO", "export", E1, (Period(t("2024-09-01"), t("2024-09-30")),))
    ]
    assert bulk_lines("C-BOB") == [
        ("OCTO", "export", E1, (Period(t("2024-10-01"), t("2025-01-15")),))
    ]
    assert bulk_lines("C-DAVE") == []  # his gas meter point was not in OCTO's extract


def test_the_meter_points_listed_beside_a_bulk_entry_are_covered_by_the_chain(
    loaded: Engine, tmp_path: Path
) -> None:
    from sqlalchemy import insert

    from meterguard.adapters.storage import schema

    report = export(loaded, request("OCTO"), tmp_path / "octo.csv")
    audit = SqlAuditLog(loaded)
    entry = audit.entries()[-1]
    assert set(entry.record.detail) >= {"released_sha256"}
    assert audit.verify().ok
    with loaded.begin() as connection:  # somebody slips a meter point in beside the entry
        connection.execute(
            insert(schema.audit_released).values(
                seq=report.audit_seq,  # type: ignore[attr-defined]
                mpxn="3938424403",
                data_from=0,
                data_to=1,
                periods='[["1970-01-01T00:00:00Z", "1970-01-01T00:00:01Z"]]',
            )
        )
    broken = audit.verify()
    assert not broken.ok and broken.first_broken == report.audit_seq  # type: ignore[attr-defined]
    assert "listed beside it" in broken.reason
