"""The demo generator writes a folder that obeys every import rule and holds every scenario."""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from mpan import MPAN

from meterguard.adapters.demo_data import (
    CONSENT_STATES,
    DEFAULT_CRITICAL_ALERTS_PATH,
    DEFAULT_MATRIX_PATH,
    DemoSummary,
    write_demo_folder,
)

AS_OF = datetime(2025, 3, 1, tzinfo=UTC)
DAYS = 2
METERS = 200
SEED = 11
REPO_ROOT = Path(__file__).resolve().parents[2]

ROLES = {"IS", "ES", "GS", "ED", "GT", "SH", "RSA", "MAM", "OU", "MEU", "MAP", "DM"}
ELECTRICITY_ROLES = {"IS", "ES", "ED"}
GAS_ROLES = {"GS", "GT", "SH"}
NON_APPOINTMENT_ROLES = {"OU", "MEU", "MAP", "DM"}
CATEGORIES = {
    "large_supplier",
    "small_supplier",
    "electricity_network",
    "gas_network",
    "other_sec_party",
    "non_sec_party",
}
DEVICE_TYPES = {"ESME", "GSME", "CHF", "GPF", "PPMID", "IHD", "CAD", "HCALCS"}
STATUSES = {
    "pending",
    "whitelisted",
    "installed_not_commissioned",
    "commissioned",
    "decommissioned",
    "withdrawn",
    "suspended",
    "recovery",
    "recovered",
}
GROUPS = {"CONSUMPTION", "ALERTS", "METER_POINT", "REGISTRATION", "ADDRESS", "INVENTORY"}
ITEMS = [
    "hh_consumption",
    "daily_consumption",
    "hh_export",
    "alerts",
    "meter_point_details",
    "annual_quantity",
    "registration",
    "supply_address",
    "device_inventory",
    "consumer_contact",
    "emergency_contact",
    "priority_services",
]
SERIES_ITEMS = {"hh_consumption", "daily_consumption", "hh_export", "alerts"}
EXCLUDED_ITEMS = {"consumer_contact", "emergency_contact", "priority_services"}
TIME_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
GUID_PATTERN = re.compile(r"^[0-9A-F]{2}(-[0-9A-F]{2}){7}$")


# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------


def read_rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def parse_time(value: str) -> datetime:
    assert TIME_PATTERN.match(value), value
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def parse_optional_time(value: str) -> datetime | None:
    return None if value == "" else parse_time(value)


def is_mpan(mpxn: str) -> bool:
    return len(mpxn) == 13 and mpxn.isdigit()


def is_mprn(mpxn: str) -> bool:
    return 6 <= len(mpxn) <= 10 and mpxn.isdigit()


def mpan_check_digit_ok(core: str) -> bool:
    check = sum(p * int(d) for p, d in zip(MPAN.PRIMES, core[:12], strict=True)) % 11 % 10
    return check == int(core[12])


def overlaps(periods: list[tuple[datetime, datetime | None]]) -> bool:
    ordered = sorted(periods, key=lambda p: p[0])
    return any(
        earlier_end is None or earlier_end > later_start
        for (_s, earlier_end), (later_start, _e) in itertools.pairwise(ordered)
    )


def covers(periods: list[tuple[datetime, datetime | None]], at: datetime) -> bool:
    return any(start <= at and (end is None or at < end) for start, end in periods)


def generate(folder: Path, **overrides: object) -> DemoSummary:
    arguments: dict[str, object] = {
        "meters": METERS,
        "seed": SEED,
        "as_of": AS_OF,
        "days": DAYS,
        "readings_format": "csv",
    }
    arguments.update(overrides)
    return write_demo_folder(folder, **arguments)  # type: ignore[arg-type]


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def read_readings(path: Path) -> pa.Table:
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        labels = pa.array(
            [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in table.column("ts").to_pylist()]
        )
        return pa.table({"mpxn": table.column("mpxn"), "ts": labels, "kwh": table.column("kwh")})
    types = {"mpxn": pa.string(), "ts": pa.string(), "kwh": pa.float64()}
    return pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(column_types=types))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    folder = tmp_path_factory.mktemp("demo")
    return folder, generate(folder)


# ------------------------------------------------------------------------------------------
# Determinism
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("readings_format", ["csv", "parquet"])
def test_same_arguments_give_byte_identical_folders(tmp_path: Path, readings_format: str) -> None:
    generate(tmp_path / "a", meters=60, readings_format=readings_format)
    generate(tmp_path / "b", meters=60, readings_format=readings_format)
    assert folder_bytes(tmp_path / "a") == folder_bytes(tmp_path / "b")


def test_a_different_seed_gives_a_different_world(tmp_path: Path) -> None:
    generate(tmp_path / "a", meters=60)
    generate(tmp_path / "b", meters=60, seed=SEED + 1)
    first, second = folder_bytes(tmp_path / "a"), folder_bytes(tmp_path / "b")
    for name in ("meter_points.csv", "appointments.csv", "devices.csv", "readings.csv"):
        assert first[name] != second[name], name
    assert first["matrix.csv"] == second["matrix.csv"]


def test_switching_format_leaves_exactly_one_readings_file(tmp_path: Path) -> None:
    generate(tmp_path, meters=30, readings_format="parquet")
    generate(tmp_path, meters=30, readings_format="csv")
    assert not (tmp_path / "readings.parquet").exists()
    assert (tmp_path / "readings.csv").exists()


def test_as_of_must_be_an_aware_utc_midnight(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="UTC"):
        generate(tmp_path, as_of=datetime(2025, 3, 1))
    with pytest.raises(ValueError, match="midnight"):
        generate(tmp_path, as_of=datetime(2025, 3, 1, 12, tzinfo=UTC))


# ------------------------------------------------------------------------------------------
# Every row obeys the import rules
# ------------------------------------------------------------------------------------------


def test_every_mpan_passes_its_check_digit_and_every_mprn_is_well_formed(
    demo: tuple[Path, DemoSummary],
) -> None:
    folder, _summary = demo
    for row in read_rows(folder, "meter_points.csv"):
        mpxn = row["mpxn"]
        if is_mpan(mpxn):
            assert mpan_check_digit_ok(mpxn), mpxn
            assert 10 <= int(mpxn[:2]) <= 23, mpxn
            assert re.match(r"^_[A-P]$", row["region"]), row
        else:
            assert is_mprn(mpxn) and len(mpxn) == 10, mpxn
            weighted = sum(w * int(d) for w, d in zip(range(8, 0, -1), mpxn[:8], strict=True))
            assert f"{weighted % 11:02d}" == mpxn[8:], mpxn
            assert re.match(r"^[A-Z]{2}$", row["region"]), row
        assert row["sector"] in {"domestic", "non_domestic"}


def test_parties_obey_the_import_rules(demo: tuple[Path, DemoSummary]) -> None:
    folder, _summary = demo
    parties = read_rows(folder, "parties.csv")
    assert len({p["party_id"] for p in parties}) == len(parties)
    for p in parties:
        assert re.match(r"^[A-Z0-9_]{2,32}$", p["party_id"]), p
        roles = p["roles"].split(" ")
        assert roles and set(roles) <= ROLES, p
        assert p["category"] in CATEGORIES, p
        if "DM" in roles:
            assert p["manufacturer"], p
        for column in ("domestic_premises", "non_domestic_premises"):
            assert p[column] == "" or (p[column].isdigit() and int(p[column]) >= 0), p
        assert p["shared_resources"] in {"", "true", "false"}, p


def test_appointments_obey_the_import_rules(demo: tuple[Path, DemoSummary]) -> None:
    folder, _summary = demo
    roles_of = {p["party_id"]: set(p["roles"].split()) for p in read_rows(folder, "parties.csv")}
    meter_points = {m["mpxn"] for m in read_rows(folder, "meter_points.csv")}
    periods = defaultdict(list)
    for a in read_rows(folder, "appointments.csv"):
        assert a["mpxn"] in meter_points, a
        assert a["role"] not in NON_APPOINTMENT_ROLES, a
        assert a["role"] in roles_of[a["party_id"]], a
        if a["role"] in ELECTRICITY_ROLES:
            assert is_mpan(a["mpxn"]), a
        if a["role"] in GAS_ROLES:
            assert is_mprn(a["mpxn"]), a
        start, end = parse_time(a["valid_from"]), parse_optional_time(a["valid_to"])
        assert end is None or start < end, a
        periods[(a["mpxn"], a["role"])].append((start, end))
    for key, spans in periods.items():
        assert not overlaps(spans), key


def test_occupancies_obey_the_import_rules(demo: tuple[Path, DemoSummary]) -> None:
    folder, _summary = demo
    meter_points = {m["mpxn"] for m in read_rows(folder, "meter_points.csv")}
    periods = defaultdict(list)
    for o in read_rows(folder, "occupancies.csv"):
        assert o["mpxn"] in meter_points, o
        assert re.match(r"^[A-Za-z0-9_-]{1,64}$", o["consumer_id"]), o
        start, end = parse_time(o["valid_from"]), parse_optional_time(o["valid_to"])
        assert end is None or start < end, o
        periods[o["mpxn"]].append((start, end))
    for mpxn, spans in periods.items():
        assert not overlaps(spans), mpxn


def test_devices_obey_the_import_rules(demo: tuple[Path, DemoSummary]) -> None:
    folder, _summary = demo
    parties = read_rows(folder, "parties.csv")
    holders = {
        role: {p["party_id"] for p in parties if role in p["roles"].split()} for role in ROLES
    }
    meter_points = {m["mpxn"] for m in read_rows(folder, "meter_points.csv")}
    devices = read_rows(folder, "devices.csv")
    assert len({d["guid"] for d in devices}) == len(devices)
    for d in devices:
        assert GUID_PATTERN.match(d["guid"]), d
        assert d["device_type"] in DEVICE_TYPES, d
        assert d["mpxn"] in meter_points, d
        if d["device_type"] in {"ESME", "HCALCS"}:
            assert is_mpan(d["mpxn"]), d
        if d["device_type"] in {"GSME", "GPF"}:
            assert is_mprn(d["mpxn"]), d
        type2 = d["device_type"] in {"IHD", "CAD"}
        assert d["status"] == "" if type2 else d["status"] in STATUSES, d
        assert d["csp_region"] in {"North", "Central", "South"}, d
        assert d["owner_party_id"] in holders["MAP"] | {""}, d
        assert d["credentials_party_id"] in holders["IS"] | holders["GS"] | {""}, d
        if type2:
            assert d["credentials_party_id"] == "", d
        assert d["manufacturer"] and d["model"] and d["firmware_version"], d


def test_consents_obey_the_import_rules(demo: tuple[Path, DemoSummary]) -> None:
    folder, _summary = demo
    parties = read_rows(folder, "parties.csv")
    other_users = {p["party_id"] for p in parties if "OU" in p["roles"].split()}
    meter_points = {m["mpxn"] for m in read_rows(folder, "meter_points.csv")}
    consents = read_rows(folder, "consents.csv")
    assert len({c["consent_id"] for c in consents}) == len(consents)
    for c in consents:
        assert re.match(r"^[A-Za-z0-9_-]+$", c["consent_id"]), c
        assert c["party_id"] in other_users, c
        assert c["mpxn"] in meter_points, c
        assert re.match(r"^[a-z][a-z0-9_]*$", c["purpose"]), c
        groups = c["data_groups"].split(" ")
        assert groups and set(groups) <= GROUPS, c
        data_from, data_to = parse_time(c["data_from"]), parse_optional_time(c["data_to"])
        assert data_to is None or data_to > data_from, c
        granted = parse_time(c["granted_at"])
        expires = parse_optional_time(c["expires_at"])
        assert expires is None or expires > granted, c
        for column in ("withdrawn_at", "notice_sent_at"):
            value = parse_optional_time(c[column])
            assert value is None or value >= granted, c
        assert c["verification"], c


def test_matrix_and_critical_alerts_files_are_the_defaults(demo: tuple[Path, DemoSummary]) -> None:
    folder, _summary = demo
    assert (folder / "matrix.csv").read_bytes() == DEFAULT_MATRIX_PATH.read_bytes()
    assert (folder / "critical_alerts.csv").read_bytes() == (
        DEFAULT_CRITICAL_ALERTS_PATH.read_bytes()
    )


def test_every_file_is_utf8_with_a_header_and_no_null_words(
    demo: tuple[Path, DemoSummary],
) -> None:
    folder, _summary = demo
    for path in sorted(folder.glob("*.csv")):
        text = path.read_text(encoding="utf-8")
        assert "null" not in text.lower() and "None" not in text, path.name
        assert text.endswith("\n") and "\r" not in text, path.name


# ------------------------------------------------------------------------------------------
# The default Data Permissions Matrix and critical alerts
# ------------------------------------------------------------------------------------------


def matrix_cells(path: Path) -> dict[tuple[str, str, str], str]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {(r["version"], r["effective_from"]) for r in rows} == {("1", "2019-01-01T00:00:00Z")}
    cells = {(r["item"], r["role"], r["channel"]): r["access"] for r in rows}
    assert len(cells) == len(rows)
    return cells


def test_default_matrix_configures_every_cell_and_obeys_the_hard_rules() -> None:
    cells = matrix_cells(DEFAULT_MATRIX_PATH)
    expected = {(i, r, c) for i in ITEMS for r in ROLES for c in ("API", "BULK", "PORTAL")}
    assert set(cells) == expected and len(cells) == 432
    for (item, _role, channel), access in cells.items():
        assert access in {"-", "C", "H", "A"}
        if item in EXCLUDED_ITEMS and channel in {"API", "BULK"}:
            assert access == "-"
        if item in SERIES_ITEMS:
            assert access != "A"


def test_default_matrix_doc_grid_matches_the_csv() -> None:
    """docs/default-matrix.md shows every cell; it must not drift from the CSV."""
    cells = matrix_cells(DEFAULT_MATRIX_PATH)
    documented: dict[tuple[str, str, str], str] = {}
    channel = ""
    header: list[str] = []
    for line in (REPO_ROOT / "docs" / "default-matrix.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):  # a grid runs from its "### CHANNEL" heading to the next one
            heading = re.match(r"^### (API|BULK|PORTAL)$", line)
            channel, header = (heading.group(1) if heading else ""), []
            continue
        columns = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if channel and columns[0] == "item":
            header = columns[1:]
        elif channel and header and columns[0] in ITEMS:
            for role, access in zip(header, columns[1:], strict=True):
                documented[(columns[0], role, channel)] = access
    assert documented == cells


def test_default_critical_alerts_are_the_documented_gbcs_codes() -> None:
    with DEFAULT_CRITICAL_ALERTS_PATH.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    codes = [r["alert_code"] for r in rows]
    assert codes == [
        "8F0A", "8F0C", "8F0F", "8F1C", "8F69", "8F70", "8F74", "8F75", "8F76", "8F78",
    ]  # fmt: skip
    assert all(re.match(r"^[0-9A-F]{4}$", c) for c in codes)
    assert all(r["description"] for r in rows)


# ------------------------------------------------------------------------------------------
# Scenarios
# ------------------------------------------------------------------------------------------


def supplier_periods(folder: Path) -> dict[str, list[tuple[str, datetime, datetime | None]]]:
    out = defaultdict(list)
    for a in read_rows(folder, "appointments.csv"):
        if a["role"] in {"IS", "GS"}:
            period = (parse_time(a["valid_from"]), parse_optional_time(a["valid_to"]))
            out[a["mpxn"]].append((a["party_id"], *period))
    return out


def responsible_supplier(
    periods: list[tuple[str, datetime, datetime | None]], at: datetime
) -> str | None:
    for party, start, end in periods:
        if start <= at and (end is None or at < end):
            return party
    return None


def test_a_credentials_gap_exists_after_a_recent_change_of_supplier(
    demo: tuple[Path, DemoSummary],
) -> None:
    folder, summary = demo
    suppliers = supplier_periods(folder)
    gaps: set[str] = set()
    for d in read_rows(folder, "devices.csv"):
        if d["device_type"] not in {"ESME", "GSME"} or d["status"] != "commissioned":
            continue
        current = responsible_supplier(suppliers[d["mpxn"]], AS_OF)
        if d["credentials_party_id"] and d["credentials_party_id"] != current:
            gaps.add(d["mpxn"])
            supply_start = max(start for _p, start, _e in suppliers[d["mpxn"]] if start <= AS_OF)
            assert AS_OF - timedelta(days=60) <= supply_start < AS_OF, d
            former = responsible_supplier(suppliers[d["mpxn"]], supply_start - timedelta(days=1))
            assert d["credentials_party_id"] == former, d
    assert summary.credentials_gap_mpxn in gaps
    assert len(gaps) == summary.credentials_gaps >= 2
    periods = suppliers[summary.credentials_gap_mpxn]
    assert responsible_supplier(periods, AS_OF) == summary.credentials_gap_current_supplier
    assert summary.credentials_gap_former_supplier != summary.credentials_gap_current_supplier


def test_changes_of_supplier_include_a_future_dated_one(demo: tuple[Path, DemoSummary]) -> None:
    folder, summary = demo
    suppliers = supplier_periods(folder)
    switched = {m for m, periods in suppliers.items() if len(periods) > 1}
    assert 0.12 <= len(switched) / len(suppliers) <= 0.35
    assert len(switched) == summary.changes_of_supplier
    future = {m for m, periods in suppliers.items() if any(s > AS_OF for _p, s, _e in periods)}
    assert summary.future_cos_mpxn in future
    assert len(future) == summary.future_changes_of_supplier >= 1
    for mpxn, periods in suppliers.items():  # handovers are back to back
        ordered = sorted(periods, key=lambda p: p[1])
        for (_a, _s, end), (_b, start, _e) in itertools.pairwise(ordered):
            assert end == start, mpxn


def consent_state_at(consent: dict[str, str], occupied: bool, at: datetime) -> str:
    if parse_time(consent["granted_at"]) > at:
        return "not_yet_granted"
    withdrawn = parse_optional_time(consent["withdrawn_at"])
    if withdrawn is not None and withdrawn <= at:
        return "withdrawn"
    expires = parse_optional_time(consent["expires_at"])
    if expires is not None and expires <= at:
        return "expired"
    if not occupied:
        return "ended_by_move_out"
    notice = parse_optional_time(consent["notice_sent_at"])
    if notice is None or notice > at:
        return "pending_notice"
    return "active"


def test_consents_cover_every_lifecycle_state(demo: tuple[Path, DemoSummary]) -> None:
    folder, summary = demo
    occupancy = defaultdict(list)
    for o in read_rows(folder, "occupancies.csv"):
        period = (parse_time(o["valid_from"]), parse_optional_time(o["valid_to"]))
        occupancy[(o["mpxn"], o["consumer_id"])].append(period)
    states: Counter[str] = Counter()
    reaching_back = 0
    for c in read_rows(folder, "consents.csv"):
        periods = occupancy[(c["mpxn"], c["consumer_id"])]
        assert periods, c  # the consenting consumer lived there
        states[consent_state_at(c, covers(periods, AS_OF), AS_OF)] += 1
        reaching_back += parse_time(c["data_from"]) < min(start for start, _e in periods)
    assert dict(states) == dict(summary.consent_states)
    assert all(states[state] > 0 for state in CONSENT_STATES), states
    assert reaching_back == summary.consents_reaching_before_move_in > 0


def test_summary_samples_point_at_real_rows(demo: tuple[Path, DemoSummary]) -> None:
    folder, summary = demo
    consents = {c["consent_id"]: c for c in read_rows(folder, "consents.csv")}
    active = consents[summary.active_consent_id]
    assert active["party_id"] == summary.active_consent_party_id
    assert active["consumer_id"] == summary.consumer_id
    assert active["mpxn"] == summary.active_consent_mpxn
    assert active["purpose"] == summary.active_consent_purpose
    occupants = {(o["mpxn"], o["consumer_id"]) for o in read_rows(folder, "occupancies.csv")}
    assert (summary.meu_mpxn, summary.meu_party_id) in occupants
    owners = {d["owner_party_id"] for d in read_rows(folder, "devices.csv")}
    assert summary.map_party_id in owners
    counted = {
        "parties.csv": summary.parties,
        "meter_points.csv": summary.meter_points,
        "appointments.csv": summary.appointments,
        "occupancies.csv": summary.occupancies,
        "devices.csv": summary.devices,
        "consents.csv": summary.consents,
        "matrix.csv": summary.matrix,
        "critical_alerts.csv": summary.critical_alerts,
    }
    for name, count in counted.items():
        assert len(read_rows(folder, name)) == count, name


def test_the_world_has_the_promised_shape(demo: tuple[Path, DemoSummary]) -> None:
    folder, summary = demo
    parties = {p["party_id"]: p for p in read_rows(folder, "parties.csv")}
    holding = Counter(role for p in parties.values() for role in p["roles"].split())
    assert holding["ED"] == 14 and holding["GT"] >= 4 and holding["SH"] >= 4
    assert holding["RSA"] == 2 and holding["MAM"] == 2 and holding["MAP"] == 2
    assert holding["DM"] == 3 and holding["OU"] >= 4 and holding["MEU"] >= 2
    assert "250000" in {p["domestic_premises"] for p in parties.values()}

    meter_points = read_rows(folder, "meter_points.csv")
    assert summary.meter_points == METERS == len(meter_points)
    assert 0.5 <= summary.electricity_meter_points / METERS <= 0.7
    non_domestic = {m["mpxn"] for m in meter_points if m["sector"] == "non_domestic"}
    assert 0.04 <= len(non_domestic) / METERS <= 0.2

    appointments = read_rows(folder, "appointments.csv")
    distributor = {a["mpxn"]: a["party_id"] for a in appointments if a["role"] == "ED"}
    prefixes = defaultdict(set)
    for mpxn, party in distributor.items():
        prefixes[party].add(mpxn[:2])
    assert all(len(p) == 1 for p in prefixes.values())  # one DNO per distributor id
    gas = {m["mpxn"] for m in meter_points if is_mprn(m["mpxn"])}
    for role in ("GS", "GT", "SH"):
        assert {a["mpxn"] for a in appointments if a["role"] == role} == gas, role
    assert {a["role"] for a in appointments} >= {"ES", "RSA", "MAM"}

    meus = {pid for pid, p in parties.items() if "MEU" in p["roles"].split()}
    occupied = {o["consumer_id"]: o["mpxn"] for o in read_rows(folder, "occupancies.csv")}
    assert meus & set(occupied)
    assert all(occupied[m] in non_domestic for m in meus & set(occupied))


def test_devices_look_like_a_real_estate(demo: tuple[Path, DemoSummary]) -> None:
    folder, _summary = demo
    devices = read_rows(folder, "devices.csv")
    by_point = defaultdict(set)
    for d in devices:
        by_point[d["mpxn"]].add(d["device_type"])
    for m in read_rows(folder, "meter_points.csv"):
        expected = {"ESME", "CHF"} if is_mpan(m["mpxn"]) else {"GSME", "GPF"}
        assert expected <= by_point[m["mpxn"]], m
    assert {d["status"] for d in devices} - {""} == STATUSES
    assert Counter(d["status"] for d in devices).most_common(1)[0][0] == "commissioned"
    parties = read_rows(folder, "parties.csv")
    dm_names = {p["manufacturer"] for p in parties if "DM" in p["roles"].split()}
    used = {d["manufacturer"] for d in devices}
    assert dm_names <= used and used - dm_names  # and some makers have no DM party


# ------------------------------------------------------------------------------------------
# Readings
# ------------------------------------------------------------------------------------------


def test_parquet_and_csv_hold_the_same_readings(tmp_path: Path) -> None:
    generate(tmp_path / "csv", meters=40, readings_format="csv")
    generate(tmp_path / "parquet", meters=40, readings_format="parquet")
    from_csv = read_readings(tmp_path / "csv" / "readings.csv")
    from_parquet = read_readings(tmp_path / "parquet" / "readings.parquet")
    assert from_csv.equals(from_parquet)
    schema = pq.read_schema(tmp_path / "parquet" / "readings.parquet")
    # Parquet has no seconds unit: timestamp("s") is stored, and read back, as milliseconds.
    assert schema.field("ts").type == pa.timestamp("ms", tz="UTC")
    assert schema.field("mpxn").type == pa.string()
    assert schema.field("kwh").type == pa.float64()


def test_readings_are_aligned_complete_and_non_negative(demo: tuple[Path, DemoSummary]) -> None:
    folder, summary = demo
    table = read_readings(folder / "readings.csv")
    assert table.num_rows == summary.readings == METERS * DAYS * 48
    kwh = table.column("kwh").to_numpy()
    assert np.isfinite(kwh).all() and (kwh >= 0).all()
    stamps = [parse_time(t) for t in table.column("ts").to_pylist()]
    first, last = AS_OF - timedelta(days=DAYS), AS_OF - timedelta(minutes=30)
    assert all(first <= t <= last and t.minute in (0, 30) and t.second == 0 for t in stamps)
    keys = list(zip(table.column("mpxn").to_pylist(), stamps, strict=True))
    assert len(set(keys)) == len(keys)
    counts = Counter(table.column("mpxn").to_pylist())
    assert set(counts.values()) == {DAYS * 48}
    assert set(counts) == {m["mpxn"] for m in read_rows(folder, "meter_points.csv")}


def mean_by_half_hour(folder: Path, mpxns: set[str]) -> np.ndarray:
    table = read_readings(folder / "readings.csv")
    wanted = np.array([m in mpxns for m in table.column("mpxn").to_pylist()])
    slots = np.array([parse_time(t).hour * 2 + parse_time(t).minute // 30 for t in
                      table.column("ts").to_pylist()])  # fmt: skip
    kwh = table.column("kwh").to_numpy()
    return np.array([kwh[wanted & (slots == s)].mean() for s in range(48)])


def test_domestic_evening_peak_stands_above_the_night_trough(
    demo: tuple[Path, DemoSummary],
) -> None:
    folder, _summary = demo  # 1 March: GMT, so UTC half hours are local ones
    domestic = {
        m["mpxn"] for m in read_rows(folder, "meter_points.csv") if m["sector"] == "domestic"
    }
    for fuel_test in (is_mpan, is_mprn):
        profile = mean_by_half_hour(folder, {m for m in domestic if fuel_test(m)})
        night, evening = profile[4:10].mean(), profile[34:40].mean()  # 02-05h, 17-20h
        assert evening > 2 * night, fuel_test.__name__


def test_gas_is_far_more_seasonal_than_electricity(tmp_path: Path) -> None:
    def totals(as_of: datetime, folder: Path) -> tuple[float, float]:
        generate(folder, as_of=as_of, meters=100, days=7)
        table = read_readings(folder / "readings.csv")
        kwh = table.column("kwh").to_numpy()
        electric = np.array([is_mpan(m) for m in table.column("mpxn").to_pylist()])
        return float(kwh[electric].sum()), float(kwh[~electric].sum())

    winter = totals(datetime(2025, 1, 20, tzinfo=UTC), tmp_path / "winter")
    summer = totals(datetime(2025, 7, 20, tzinfo=UTC), tmp_path / "summer")
    electricity_ratio, gas_ratio = winter[0] / summer[0], winter[1] / summer[1]
    assert 1.1 < electricity_ratio < 2.0
    assert gas_ratio > 3.0


def test_progress_reports_rows_written_so_far(tmp_path: Path) -> None:
    seen: list[int] = []
    summary = generate(tmp_path, meters=30, progress=seen.append)
    assert seen and seen == sorted(seen) and seen[-1] == summary.readings


def iter_lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as f:
        yield from f


def test_readings_csv_is_plain_and_unquoted(demo: tuple[Path, DemoSummary]) -> None:
    folder, _summary = demo
    lines = iter_lines(folder / "readings.csv")
    assert next(lines) == "mpxn,ts,kwh\n"
    assert all('"' not in line for line in lines)
