"""Message files as INTERCHANGE describes them: CSV, JSON Lines and Parquet read alike."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from meterguard.adapters.message_files import MessageFileError, open_messages
from meterguard.services.ingest import MESSAGE_COLUMNS

ROWS = [
    {
        "message_id": "m1",
        "mpxn": "1012345678903",
        "device_guid": "00-DB-12-34-56-78-90-A0",
        "ts": "2025-01-16T00:00:00Z",
        "kind": "read",
        "alert_code": "",
        "payload": '{"kwh": 0.5}',
    },
    {
        "message_id": "m2",
        "mpxn": "1012345678903",
        "device_guid": "00-DB-12-34-56-78-90-A0",
        "ts": "2025-01-16T00:05:00Z",
        "kind": "alert",
        "alert_code": "8F0A",
        "payload": "",
    },
]


def test_csv_json_lines_and_parquet_give_the_same_rows(tmp_path: Path) -> None:
    csv_path = tmp_path / "m.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, MESSAGE_COLUMNS)
        writer.writeheader()
        writer.writerows(ROWS)
    jsonl_path = tmp_path / "m.jsonl"
    jsonl_path.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    parquet_path = tmp_path / "m.parquet"
    table = pa.table(
        {
            **{c: [r[c] for r in ROWS] for c in MESSAGE_COLUMNS if c != "ts"},
            "ts": pa.array(
                [
                    datetime.strptime(str(r["ts"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
                    for r in ROWS
                ],
                type=pa.timestamp("s", tz="UTC"),
            ),
        }
    )
    pq.write_table(table, parquet_path)

    def plain(path: Path) -> list[tuple[object, ...]]:
        source = open_messages(path)
        assert set(MESSAGE_COLUMNS) <= set(source.columns())
        return [
            tuple(row.fields[c] for c in ("message_id", "kind", "alert_code", "payload"))
            for row in source.rows()
        ]

    assert plain(csv_path) == plain(jsonl_path) == plain(parquet_path)
    assert [r.fields["ts"] for r in open_messages(parquet_path).rows()] == [
        1736985600,
        1736985900,
    ]
    assert [r.line for r in open_messages(csv_path).rows()] == [2, 3]


def test_a_json_line_that_is_not_an_object_is_named_by_its_line(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n\n{not json\n[1, 2]\n", encoding="utf-8")
    rows = list(open_messages(path).rows())
    assert [(r.line, r.problem) for r in rows] == [
        (1, ""),
        (3, "not JSON: Expecting property name enclosed in double quotes at column 2"),
        (4, "not a JSON object"),
    ]


def test_an_unknown_file_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MessageFileError, match=r"\.csv, \.jsonl or \.parquet"):
        open_messages(tmp_path / "m.xml")
