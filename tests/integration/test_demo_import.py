"""A generated demo folder imports cleanly, in CSV and Parquet, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from meterguard.adapters.demo_data import write_demo_folder
from meterguard.adapters.storage.import_store import table_counts
from meterguard.bootstrap import import_directory

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize("readings_format", ["csv", "parquet"])
def test_a_demo_folder_imports_whole_and_again_changes_nothing(
    engine: Engine, tmp_path: Path, readings_format: str
) -> None:
    summary = write_demo_folder(
        tmp_path / "demo",
        meters=120,
        seed=3,
        as_of=AS_OF,
        days=2,
        readings_format=readings_format,  # type: ignore[arg-type]
    )
    report = import_directory(engine, tmp_path / "demo")
    counts = table_counts(engine)
    assert counts["meter_points"] == summary.meter_points
    assert counts["appointments"] == summary.appointments
    assert counts["consents"] == summary.consents
    assert counts["readings"] == summary.readings == 120 * 2 * 48
    assert counts["matrix_cells"] == 432
    assert all(c["updated"] == 0 and c["deleted"] == 0 for c in report.files.values())

    again = import_directory(engine, tmp_path / "demo")
    assert all(c["inserted"] == c["updated"] == c["deleted"] == 0 for c in again.files.values())
    assert table_counts(engine) == counts


def test_the_demo_sample_requests_show_change_of_supplier_safety(
    engine: Engine, tmp_path: Path
) -> None:
    import json

    from meterguard.adapters.demo_requests import write_sample_requests
    from meterguard.bootstrap import facts
    from meterguard.services.checking import check_lines

    summary = write_demo_folder(tmp_path / "demo", meters=60, seed=1, as_of=AS_OF, days=1)
    write_sample_requests(summary, AS_OF, tmp_path / "demo" / "requests.jsonl")
    import_directory(engine, tmp_path / "demo")
    lines = (tmp_path / "demo" / "requests.jsonl").read_text().splitlines()
    codes = {d["request_id"]: d["code"] for d in map(json.loads, check_lines(lines, facts(engine)))}
    assert codes["former-supplier-across-the-ssd"] == "PARTIAL"
    assert codes["former-supplier-after-the-ssd"] == "OUTSIDE_ENTITLED_PERIOD"
    assert codes["gaining-supplier-since-the-ssd"] == "OK"
    assert codes["excluded-group-over-api"] == "EXCLUDED_GROUP"
    assert codes["other-user-other-purpose"] == "NO_CONSENT"
    assert codes["sr-6.23-by-the-gaining-supplier"] == "OK"
    assert codes["sr-6.23-by-the-former-supplier"] == "NOT_ELIGIBLE"
