"""`meterguard import` on SQLite and PostgreSQL: all or nothing, idempotent, every problem named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.import_store import table_counts
from meterguard.bootstrap import import_directory
from meterguard.domain.time import parse_instant
from meterguard.services.importing.problems import ImportRejected

SMALL = Path(__file__).parents[1] / "fixtures" / "small"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A private copy of the small fixture folder that a test may break."""
    return Path(shutil.copytree(SMALL, tmp_path / "folder"))


def replace_line(path: Path, line: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n")


def append(path: Path, text: str) -> None:
    with path.open("a") as handle:
        handle.write(text + "\n")


def rejected(engine: Engine, folder: Path) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        import_directory(engine, folder)
    return [str(p) for p in caught.value.problems]


def test_a_folder_imports_every_file(engine: Engine) -> None:
    report = import_directory(engine, SMALL)
    assert report.files["parties.csv"]["inserted"] == 9
    assert report.files["readings.csv"]["inserted"] == 5
    counts = table_counts(engine)
    assert (
        counts["appointments"] == 9
        and counts["matrix_cells"] == 7
        and counts["matrix_versions"] == 1
    )
    with engine.connect() as connection:
        row = connection.execute(
            select(schema.appointments).where(
                schema.appointments.c.party_id == "BRIT",
                schema.appointments.c.mpxn == "1012345678903",
            )
        ).one()
    assert row.valid_from == parse_instant("2025-01-15") and row.valid_to is None
    assert counts["import_runs"] == 1


def test_importing_the_same_folder_twice_changes_nothing(engine: Engine) -> None:
    import_directory(engine, SMALL)
    before = table_counts(engine)
    with engine.connect() as connection:
        snapshot = {
            t.name: sorted(map(tuple, connection.execute(select(t))))
            for t in schema.metadata.sorted_tables
        }
    report = import_directory(engine, SMALL)
    assert all(c["inserted"] == 0 and c["updated"] == 0 for c in report.files.values())
    assert table_counts(engine) == before
    with engine.connect() as connection:
        assert snapshot == {
            t.name: sorted(map(tuple, connection.execute(select(t))))
            for t in schema.metadata.sorted_tables
        }


def test_a_changed_row_updates_that_row(engine: Engine, folder: Path) -> None:
    import_directory(engine, SMALL)
    # A corrected gas Change of Supplier date (BRIT's period is extended, OCTO's new start is a
    # new row) and a restated reading.
    replace_line(folder / "appointments.csv", 7, "3938424403,GS,BRIT,2018-01-01,2024-07-01")
    replace_line(folder / "appointments.csv", 8, "3938424403,GS,OCTO,2024-07-01,")
    replace_line(folder / "readings.csv", 6, "3938424403,2025-01-15T00:00:00Z,1.5")
    report = import_directory(engine, folder)
    assert report.files["appointments.csv"] == {
        "inserted": 1,
        "updated": 1,
        "deleted": 1,
        "unchanged": 7,
    }
    assert report.files["readings.csv"] == {
        "inserted": 0,
        "updated": 1,
        "deleted": 0,
        "unchanged": 4,
    }
    with engine.connect() as connection:
        gas_suppliers = connection.execute(
            select(schema.appointments.c.party_id, schema.appointments.c.valid_from)
            .where(schema.appointments.c.mpxn == "3938424403", schema.appointments.c.role == "GS")
            .order_by(schema.appointments.c.valid_from)
        ).all()
    assert gas_suppliers == [
        ("BRIT", parse_instant("2018-01-01")),
        ("OCTO", parse_instant("2024-07-01")),
    ]


def test_a_folder_that_omits_a_slot_leaves_its_stored_history_alone(
    engine: Engine, folder: Path
) -> None:
    import_directory(engine, SMALL)
    lines = (folder / "appointments.csv").read_text().splitlines()
    (folder / "appointments.csv").write_text(
        "\n".join(lines[:1] + lines[4:5]) + "\n"
    )  # one slot only
    report = import_directory(engine, folder)
    assert report.files["appointments.csv"]["deleted"] == 0
    assert table_counts(engine)["appointments"] == 9


def test_a_correction_must_be_consistent_in_itself(engine: Engine, folder: Path) -> None:
    import_directory(engine, SMALL)
    replace_line(folder / "appointments.csv", 8, "3938424403,GS,OCTO,2024-05-01,")
    assert_nothing_written(engine, folder, "appointments.csv:8: valid_from: GS appointment of OCTO")


def test_a_folder_states_the_whole_history_of_each_slot_it_mentions(
    engine: Engine, folder: Path
) -> None:
    import_directory(engine, SMALL)
    (folder / "appointments.csv").write_text(
        "mpxn,role,party_id,valid_from,valid_to\n1200000000011,IS,BRIT,2025-01-01,\n"
    )
    for name in ("readings.csv", "matrix.csv"):
        (folder / name).unlink()
    report = import_directory(engine, folder)
    assert report.files["appointments.csv"] == {
        "inserted": 1,
        "updated": 0,
        "deleted": 1,
        "unchanged": 0,
    }
    with engine.connect() as connection:
        rows = connection.execute(
            select(schema.appointments.c.party_id).where(
                schema.appointments.c.mpxn == "1200000000011"
            )
        ).all()
    assert rows == [("BRIT",)]


def assert_nothing_written(engine: Engine, folder: Path, expected_problem: str) -> None:
    before = table_counts(engine)
    problems = rejected(engine, folder)
    assert any(p.startswith(expected_problem) for p in problems), problems
    assert table_counts(engine) == before


def test_a_wrong_mpan_check_digit_on_line_7_rejects_the_whole_folder(
    engine: Engine, folder: Path
) -> None:
    # Line 7 holds 1400000000057; its last digit, the check digit, is changed.
    replace_line(folder / "meter_points.csv", 7, "1400000000058,domestic,_E")
    assert_nothing_written(
        engine, folder, "meter_points.csv:7: mpxn: MPAN core '1400000000058' fails its check digit"
    )


def test_an_overlapping_appointment_rejects_the_whole_folder(engine: Engine, folder: Path) -> None:
    append(folder / "appointments.csv", "1200000000011,IS,BRIT,2023-01-01,2023-06-01")
    assert_nothing_written(
        engine, folder, "appointments.csv:11: valid_from: IS appointment of BRIT"
    )


def test_an_unknown_party_rejects_the_whole_folder(engine: Engine, folder: Path) -> None:
    append(folder / "appointments.csv", "1900000000040,IS,NOPE,2023-01-01,")
    assert_nothing_written(engine, folder, "appointments.csv:11: party_id: unknown party NOPE")


def test_a_matrix_granting_an_excluded_group_on_api_rejects_the_whole_folder(
    engine: Engine, folder: Path
) -> None:
    append(folder / "matrix.csv", "1,2019-01-01,emergency_contact,IS,API,C")
    assert_nothing_written(
        engine,
        folder,
        "matrix.csv:9: access: emergency_contact/IS/API = C: group EMERGENCY_CONTACT is never released through API",
    )


def test_nothing_is_written_even_when_only_a_reading_is_bad(engine: Engine, folder: Path) -> None:
    append(folder / "readings.csv", "1012345678903,2025-01-15T01:00:00Z,abc")
    assert_nothing_written(engine, folder, "readings.csv:7: kwh: 'abc' is not a number")
    assert table_counts(engine)["parties"] == 0


@pytest.mark.parametrize(
    ("file", "row", "problem"),
    [
        ("meter_points.csv", "12345,domestic,NW", "meter_points.csv:8: mpxn: '12345' is neither"),
        (
            "meter_points.csv",
            "1012345678903,domestic,_A",
            "meter_points.csv:8: mpxn: duplicate of line 2",
        ),
        (
            "parties.csv",
            "NEW1,New,IS XX,large_supplier,,,,",
            "parties.csv:11: roles: unknown role 'XX'",
        ),
        (
            "parties.csv",
            "DM2,Dev,DM,non_sec_party,,,,",
            "parties.csv:11: manufacturer: is required",
        ),
        (
            "appointments.csv",
            "1012345678903,IS,OCTO,2026-01-01,2025-01-01",
            "appointments.csv:11: valid_to: 2025-01-01 is not after valid_from",
        ),
        (
            "appointments.csv",
            "3938424403,IS,OCTO,2026-01-01,",
            "appointments.csv:11: role: IS (Import Supplier) is not a role at a gas meter point",
        ),
        (
            "appointments.csv",
            "1200000000011,ED,OCTO,2026-01-01,",
            "appointments.csv:11: party_id: party OCTO does not hold the role ED",
        ),
        (
            "appointments.csv",
            "1200000000011,OU,APP1,2026-01-01,",
            "appointments.csv:11: role: OU is held by consent",
        ),
        (
            "occupancies.csv",
            "1200000000011,C-ERIN,2022-01-01,",
            "occupancies.csv:7: valid_from: occupancy of C-ERIN",
        ),
        (
            "occupancies.csv",
            "9999999999,C-ERIN,2022-01-01,",
            "occupancies.csv:7: mpxn: unknown meter point 9999999999",
        ),
        (
            "devices.csv",
            "00-DB-12-34-56-78-90-C0,GSME,1012345678903,Acme,G,1,commissioned,North,,",
            "devices.csv:7: device_type: a GSME belongs at a gas meter point",
        ),
        (
            "devices.csv",
            "00-DB-12-34-56-78-90-C1,IHD,1012345678903,Acme,G,1,,North,,OCTO",
            "devices.csv:7: credentials_party_id: a Type 2 device",
        ),
        (
            "devices.csv",
            "00-DB-12-34-56-78-90-C2,ESME,1012345678903,Acme,G,1,,North,,",
            "devices.csv:7: status: is required for a ESME",
        ),
        (
            "devices.csv",
            "00-DB-12-34-56-78-90-C3,ESME,1012345678903,Acme,G,1,broken,North,,",
            "devices.csv:7: status: 'broken' is not one of",
        ),
        (
            "devices.csv",
            "00-db-12-34-56-78-90-c4,ESME,1012345678903,Acme,G,1,pending,North,,",
            "devices.csv:7: guid: device GUID",
        ),
        (
            "devices.csv",
            "00-DB-12-34-56-78-90-C5,ESME,1012345678903,Acme,G,1,pending,North,OCTO,",
            "devices.csv:7: owner_party_id: party OCTO does not hold the role MAP",
        ),
        (
            "consents.csv",
            "K9,C-BOB,1012345678903,APP1,energy_advice,CONSUMPTION,2024-01-01,,2024-11-01,,,,",
            "consents.csv:5: verification: is required",
        ),
        (
            "consents.csv",
            "K9,C-BOB,1012345678903,OCTO,energy_advice,CONSUMPTION,2024-01-01,,2024-11-01,,,,ihd",
            "consents.csv:5: party_id: party OCTO does not hold the role OU",
        ),
        (
            "consents.csv",
            "K9,C-BOB,1012345678903,APP1,energy_advice,CONSUMPTION GOSSIP,2024-01-01,,2024-11-01,,,,ihd",
            "consents.csv:5: data_groups: unknown group 'GOSSIP'",
        ),
        (
            "matrix.csv",
            "1,2019-01-01,alerts,SH,API,A",
            "matrix.csv:9: access: alerts/SH/API = A: community view is never valid",
        ),
        (
            "matrix.csv",
            "1,2019-01-01,hh_consumption,IS,API,C",
            "matrix.csv:9: version: duplicate of line 2",
        ),
        (
            "matrix.csv",
            "1,2020-01-01,alerts,IS,API,H",
            "matrix.csv:9: effective_from: matrix version 1 is in force from 2019-01-01T00:00:00Z on line 2",
        ),
        (
            "readings.csv",
            "1012345678903,2025-01-15T00:00:00Z,0.1",
            "readings.csv:7: ts: duplicate of line 4",
        ),
        (
            "readings.csv",
            "1012345678903,2025-01-15T00:10:00Z,0.1",
            "readings.csv:7: ts: is not the start of a half hour",
        ),
        (
            "readings.csv",
            "1012345678903,2025-01-15T01:00:00Z,-0.5",
            "readings.csv:7: kwh: '-0.5' is not a finite, non-negative",
        ),
        (
            "readings.csv",
            "1012345678904,2025-01-15T01:00:00Z,0.5",
            "readings.csv:7: mpxn: unknown meter point",
        ),
        ("critical_alerts.csv", "8f 0b,lower case", "critical_alerts.csv:4: alert_code:"),
    ],
)
def test_every_invalid_row_is_named_by_file_line_and_column(
    engine: Engine, folder: Path, file: str, row: str, problem: str
) -> None:
    append(folder / file, row)
    assert_nothing_written(engine, folder, problem)


def test_a_missing_column_is_named_on_the_header_line(engine: Engine, folder: Path) -> None:
    replace_line(folder / "meter_points.csv", 1, "mpxn,sector")
    assert_nothing_written(engine, folder, "meter_points.csv:1: region: column is missing")


def test_a_stored_matrix_version_is_never_rewritten(engine: Engine, folder: Path) -> None:
    import_directory(engine, SMALL)
    replace_line(folder / "matrix.csv", 2, "1,2019-01-01,hh_consumption,IS,API,C")
    assert_nothing_written(
        engine, folder, "matrix.csv:2: access: matrix version 1 is already stored"
    )
    append(folder / "matrix.csv", "2,2019-01-01,hh_consumption,IS,API,C")


def test_a_new_matrix_version_needs_its_own_start(engine: Engine, folder: Path) -> None:
    import_directory(engine, SMALL)
    append(folder / "matrix.csv", "2,2019-01-01,hh_consumption,IS,API,C")
    assert_nothing_written(
        engine,
        folder,
        "matrix.csv:9: effective_from: a new matrix version must come into force after the newest stored one (2019-01-01T00:00:00Z)",
    )
    replace_line(folder / "matrix.csv", 9, "2,2026-01-01,hh_consumption,IS,API,C")
    report = import_directory(engine, folder)
    assert report.files["matrix.csv"]["inserted"] == 1
    assert table_counts(engine)["matrix_versions"] == 2


def test_readings_may_come_as_parquet(engine: Engine, folder: Path) -> None:
    table = pacsv.read_csv(
        folder / "readings.csv",
        convert_options=pacsv.ConvertOptions(column_types={"mpxn": pa.string(), "ts": pa.string()}),
    )
    seconds = [parse_instant(s) for s in table.column("ts").to_pylist()]
    typed = pa.table(
        {
            "mpxn": table.column("mpxn"),
            "ts": pa.array(seconds, pa.timestamp("s", tz="UTC")),
            "kwh": table.column("kwh"),
        }
    )
    (folder / "readings.csv").unlink()
    pq.write_table(typed, folder / "readings.parquet")
    report = import_directory(engine, folder)
    assert report.files["readings.parquet"]["inserted"] == 5
    with engine.connect() as connection:
        kwh = connection.execute(
            select(schema.readings.c.kwh).where(schema.readings.c.mpxn == "3938424403")
        ).scalar_one()
    assert kwh == 1.25


def test_a_bad_parquet_row_is_named_by_its_row_number(engine: Engine, folder: Path) -> None:
    (folder / "readings.csv").unlink()
    pq.write_table(
        pa.table(
            {
                "mpxn": ["1012345678903", "1012345678903"],
                "ts": ["2025-01-15T00:00:00Z", "2025-01-15T00:00:01Z"],
                "kwh": [0.1, 0.2],
            }
        ),
        folder / "readings.parquet",
    )
    assert_nothing_written(
        engine, folder, "readings.parquet:2: ts: is not the start of a half hour"
    )


def test_blank_lines_are_skipped_and_lines_are_physical(engine: Engine, folder: Path) -> None:
    lines = (folder / "parties.csv").read_text().splitlines()
    (folder / "parties.csv").write_text(
        "\n".join([lines[0], lines[1], "", "BAD!,x,IS,large_supplier,,,,", *lines[2:]]) + "\n"
    )
    with (folder / "readings.csv").open("a") as handle:
        handle.write("\n1012345678903,2025-01-15T01:00:00Z,0.2\n")
    problems = rejected(engine, folder)
    assert problems == [
        "parties.csv:4: party_id: 'BAD!' is not a party id (2 to 32 of A-Z, 0-9, _)"
    ]


def test_parquet_values_that_do_not_convert_are_named_by_row(engine: Engine, folder: Path) -> None:
    (folder / "readings.csv").unlink()
    stamps = pa.array([1736899200000, 1736899200500], pa.timestamp("ms", tz="UTC"))
    pq.write_table(
        pa.table({"mpxn": ["1012345678903", "1012345678903"], "ts": stamps, "kwh": ["0.1", "abc"]}),
        folder / "readings.parquet",
    )
    problems = rejected(engine, folder)
    assert any(
        p.startswith("readings.parquet:2: ts:") and "not a whole second" in p for p in problems
    )
    assert any(p.startswith("readings.parquet:2: kwh: 'abc' is not a number") for p in problems)


def test_a_new_matrix_version_must_start_after_the_newest_stored_one(
    engine: Engine, folder: Path
) -> None:
    import_directory(engine, SMALL)
    append(folder / "matrix.csv", "2,2018-01-01,hh_consumption,IS,API,C")
    assert_nothing_written(
        engine,
        folder,
        "matrix.csv:9: effective_from: a new matrix version must come into force after",
    )


def test_a_party_cannot_give_up_a_role_that_stored_rows_rely_on(
    engine: Engine, folder: Path
) -> None:
    import_directory(engine, SMALL)
    replace_line(folder / "parties.csv", 7, "APP1,Watt Watcher App,MAP,other_sec_party,,,,false")
    assert_nothing_written(
        engine,
        folder,
        "parties.csv:7: roles: party APP1 would no longer hold OU, which consent K1, consent K2, consent K3 rely on",
    )


def test_every_copy_of_a_duplicated_reading_is_named(engine: Engine, folder: Path) -> None:
    for _ in range(2):
        append(folder / "readings.csv", "1012345678903,2025-01-15T00:00:00Z,0.1")
    problems = rejected(engine, folder)
    assert [p for p in problems if "duplicate" in p] == [
        "readings.csv:7: ts: duplicate of line 4 (same mpxn 1012345678903 and ts)",
        "readings.csv:8: ts: duplicate of line 4 (same mpxn 1012345678903 and ts)",
    ]


def test_two_new_versions_may_not_share_a_start(engine: Engine, folder: Path) -> None:
    append(folder / "matrix.csv", "2,2020-01-01,hh_consumption,IS,API,C")
    append(folder / "matrix.csv", "3,2020-01-01,hh_consumption,IS,API,H")
    assert_nothing_written(
        engine,
        folder,
        "matrix.csv:10: effective_from: matrix version 2 is already in force from 2020-01-01T00:00:00Z",
    )
