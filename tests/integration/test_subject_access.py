"""Subject access export and erasure on a real database: only the consumer's own data, audited."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from meterguard.adapters.html_reports import render_subject_access
from meterguard.adapters.storage import schema
from meterguard.adapters.storage.audit_store import SqlAuditLog
from meterguard.adapters.storage.compliance_store import SqlSubjectAccessStore
from meterguard.bootstrap import import_directory
from meterguard.domain.period import Period
from meterguard.domain.time import parse_instant
from meterguard.services.audit import AuditRecord, with_released
from meterguard.services.subject_access import ContactKind, SubjectAccess, SubjectAccessRefused

SMALL = Path(__file__).parents[1] / "fixtures" / "small"
NOW = parse_instant("2026-03-01T12:00:00Z")
METER = "1012345678903"  # Alice until 2024-09-30, Bob from 2024-10-01


@pytest.fixture
def access(engine: Engine) -> SubjectAccess:
    import_directory(engine, SMALL)
    log = SqlAuditLog(engine)
    # A release of Bob's data, and one of Alice's, made before the exports.
    for start, end in (("2025-01-14", "2025-01-16"), ("2023-01-01", "2023-02-01")):
        period = Period(parse_instant(start), parse_instant(end))
        log.append(
            [
                AuditRecord(
                    "OCTO", "IS", "API", "hh_consumption", METER, "allow", "OK",
                    mpxn=METER, asked=(period,), allowed=(period,),
                )
            ],
            NOW - 86400,
        )  # fmt: skip
    return SubjectAccess(SqlSubjectAccessStore(engine), lambda: NOW)


def contacts(engine: Engine, consumer_id: str) -> int:
    table = schema.consumer_contacts
    with engine.connect() as connection:
        query = select(func.count()).where(table.c.consumer_id == consumer_id)
        return int(connection.execute(query).scalar_one())


def test_an_export_holds_the_consumers_own_data_and_nobody_elses(access: SubjectAccess) -> None:
    access.record_contact("C-BOB", ContactKind.CONSUMER_CONTACT, "bob@example.org", "app", "op")
    bob = access.export("C-BOB", "op")
    assert [o["mpxn"] for o in bob["occupancies"]] == [METER]
    assert [c["consent_id"] for c in bob["consents"]] == ["K1"]
    assert [e["event"] for e in bob["consents"][0]["events"]] == ["imported"]
    meter = bob["meter_points"][0]
    assert [r["ts"] for r in meter["readings"]] == [
        "2025-01-14T23:00:00Z",
        "2025-01-14T23:30:00Z",
        "2025-01-15T00:00:00Z",
        "2025-01-15T00:30:00Z",
    ]
    assert [e["allowed"] for e in meter["access_log"] if e["action"] == "hh_consumption"] == [
        [["2025-01-14T00:00:00Z", "2025-01-16T00:00:00Z"]]
    ]
    assert bob["contact_records"][0]["value"] == "bob@example.org"

    alice = access.export("C-ALICE", "op")
    alice_meter = alice["meter_points"][0]
    assert alice_meter["readings"] == []  # the readings are Bob's
    assert [e["allowed"] for e in alice_meter["access_log"]] == [
        [["2023-01-01T00:00:00Z", "2023-02-01T00:00:00Z"]]
    ]


def test_the_export_is_audited_per_meter_point_and_the_consumer_sees_it_next_time(
    access: SubjectAccess, engine: Engine
) -> None:
    access.export("C-BOB", "op")
    entries = [
        e
        for e in SqlAuditLog(engine).entries(mpxn=METER)
        if e.record.action == "subject_access.export"
    ]
    assert len(entries) == 1
    assert entries[0].record.subject == "consumer:C-BOB"
    assert entries[0].record.allowed == (Period(parse_instant("2024-10-01")),)
    again = access.export("C-BOB", "op")
    assert "subject_access.export" in [e["action"] for e in again["meter_points"][0]["access_log"]]
    # Bob's export is not in Alice's log: its period is Bob's occupancy.
    alice = access.export("C-ALICE", "op")
    assert "subject_access.export" not in [
        e["action"] for e in alice["meter_points"][0]["access_log"]
    ]


def test_a_bulk_extract_of_the_consumers_data_is_in_their_export(
    access: SubjectAccess, engine: Engine
) -> None:
    bulk = with_released(
        AuditRecord("OCTO", "IS", "BULK", "export", "hh_consumption", "allow", "OK"),
        {METER: (Period(parse_instant("2024-09-01"), parse_instant("2025-01-15")),)},
    )
    SqlAuditLog(engine).append([bulk], NOW)
    bob = access.export("C-BOB", "op")["meter_points"][0]["access_log"]
    assert [e["allowed"] for e in bob if e["channel"] == "BULK"] == [
        [["2024-10-01T00:00:00Z", "2025-01-15T00:00:00Z"]]  # clipped to his own time
    ]
    alice = access.export("C-ALICE", "op")["meter_points"][0]["access_log"]
    assert [e["allowed"] for e in alice if e["channel"] == "BULK"] == [
        [["2024-09-01T00:00:00Z", "2024-09-30T00:00:00Z"]]  # her September, and no more
    ]


def test_an_entry_shows_nothing_of_another_consumers_in_the_export(
    access: SubjectAccess, engine: Engine
) -> None:
    across_the_move = Period(parse_instant("2024-09-01"), parse_instant("2024-11-01"))
    SqlAuditLog(engine).append(
        [
            AuditRecord(
                "APP1", "OU", "API", "hh_consumption", METER, "allow", "OK",
                mpxn=METER, asked=(across_the_move,), allowed=(across_the_move,),
                basis="matrix v1 cell hh_consumption/OU/API = C; consent K7 of C-ALICE, "
                "who lived there from 2019-05-01 to 2024-09-30",
            )
        ],
        NOW,
    )  # fmt: skip
    bob = access.export("C-BOB", "op")["meter_points"][0]["access_log"]
    shown = [e for e in bob if e["party_id"] == "APP1"]
    assert [e["allowed"] for e in shown] == [[["2024-10-01T00:00:00Z", "2024-11-01T00:00:00Z"]]]
    assert "C-ALICE" not in shown[0]["basis"] and "2024-09-30" not in str(shown[0])
    assert shown[0]["basis"].startswith("matrix v1 cell hh_consumption/OU/API = C")


def test_the_readable_page_carries_the_same_content(access: SubjectAccess) -> None:
    page = render_subject_access(access.export("C-BOB", "op"))
    assert "What the hub holds about you" in page and "K1" in page and METER in page
    # No external asset: nothing the page loads or links to lives at another address.
    assert not re.search(r"""(src|href)\s*=\s*["']?[a-z]+://""", page.split("<body>")[1])


def test_an_unknown_consumer_is_refused(access: SubjectAccess, engine: Engine) -> None:
    before = SqlAuditLog(engine).head()
    with pytest.raises(SubjectAccessRefused, match="holds nothing"):
        access.export("C-NOBODY", "op")
    assert SqlAuditLog(engine).head() == before


def test_erasure_is_refused_while_the_consumer_still_lives_there(
    access: SubjectAccess, engine: Engine
) -> None:
    access.record_contact("C-BOB", ContactKind.PRIORITY_SERVICES, "PSR code 14", "app", "op")
    with pytest.raises(SubjectAccessRefused, match="still occupies 1012345678903"):
        access.erase("C-BOB", "dpo")
    assert contacts(engine, "C-BOB") == 1


def test_erasure_removes_the_contact_records_of_a_consumer_who_left_and_records_it(
    access: SubjectAccess, engine: Engine
) -> None:
    with engine.begin() as connection:  # held from when Alice lived there
        connection.execute(
            schema.consumer_contacts.insert(),
            [
                {"consumer_id": "C-ALICE", "kind": k, "value": "v", "recorded_at": 1, "source": "s"}
                for k in ("consumer_contact", "priority_services")
            ],
        )
    with pytest.raises(SubjectAccessRefused, match="has left"):
        access.record_contact("C-ALICE", ContactKind.CONSUMER_CONTACT, "x", "app", "op")
    erasure = access.erase("C-ALICE", "dpo")
    assert erasure.removed == [ContactKind.CONSUMER_CONTACT, ContactKind.PRIORITY_SERVICES]
    assert contacts(engine, "C-ALICE") == 0
    assert access.export("C-ALICE", "op")["contact_records"] == []
    last = SqlAuditLog(engine).entries(newest_first=True, limit=3)
    erasures = [e for e in last if e.record.action == "subject_access.erasure"]
    assert erasures[0].record.detail["removed"] == ["consumer_contact", "priority_services"]
    assert access.erase("C-ALICE", "dpo").removed == []  # again: nothing left, still recorded
