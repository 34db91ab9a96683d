"""Ingest, mailboxes, quarantine, purge and corrections, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

from routing_helpers import E1, SMALL, Messages
from sqlalchemy import Engine, func, select

from meterguard import bootstrap
from meterguard.adapters.storage import schema
from meterguard.domain.time import DAY
from meterguard.domain.time import parse_instant as t

SSD = t("2025-01-15")
AT = t("2025-03-01")
G1 = "3938424403"  # GS: BRIT from 2018-01-01 until 2024-06-01, OCTO from then
GSME_G1 = "00-DB-12-34-56-78-90-B0"  # credentials: OCTO


def count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def ready(engine: Engine) -> None:
    bootstrap.import_directory(engine, SMALL)


def test_the_same_message_twice_is_delivered_once_across_runs(engine: Engine) -> None:
    ready(engine)
    messages = Messages()
    messages.add("m1", SSD + DAY)
    messages.add("m1", SSD + DAY)  # the same id again in the same file
    messages.add("m2", SSD + 2 * DAY, "alert", "8F0A")
    ingest = bootstrap.ingest_service(engine, bootstrap.facts(engine))
    first = ingest.ingest(messages, at=AT)
    assert (first.delivered, first.deliveries, first.duplicates) == (2, 3, 1)
    again = ingest.ingest(messages, at=AT)
    assert (again.delivered, again.deliveries, again.duplicates) == (0, 0, 3)
    assert count(engine, schema.messages) == 2
    assert count(engine, schema.deliveries) == 3


def test_what_cannot_be_a_message_is_rejected_with_line_and_field(engine: Engine) -> None:
    ready(engine)
    messages = Messages()
    messages.add("ok", SSD + DAY)
    messages.add("unknown-meter", SSD + DAY, mpxn="1999999999999")
    messages.add("unknown-device", SSD + DAY, device_guid="00-00-00-00-00-00-00-00")
    messages.add("elsewhere", SSD + DAY, device_guid=GSME_G1)
    messages.add("no-code", SSD + DAY, "alert", "")
    messages.add("future", AT + 2 * DAY)
    messages.items.append({**messages.items[0], "message_id": "bad-time", "ts": "2025-01-16"})
    messages.items[-1]["ts"] = "16/01/2025"
    messages.items.append({**messages.items[0], "message_id": "bad-kind", "kind": "reading"})
    report = bootstrap.ingest_service(engine, bootstrap.facts(engine)).ingest(messages, at=AT)
    assert report.delivered == 1
    assert [str(r) for r in report.rejections] == [
        "messages.csv:3: mpxn: unknown meter point '1999999999999'",
        "messages.csv:4: device_guid: unknown device '00-00-00-00-00-00-00-00'",
        f"messages.csv:5: device_guid: device {GSME_G1} is not at meter point {E1}",
        "messages.csv:6: alert_code: an alert needs its alert code",
        "messages.csv:7: ts: 2025-03-03T00:00:00Z is in the future",
        "messages.csv:8: ts: '16/01/2025' is not a UTC time written YYYY-MM-DDTHH:MM:SSZ or a date",
        "messages.csv:9: kind: 'reading' is not one of read, alert",
    ]
    assert count(engine, schema.messages) == 1


def test_a_pull_is_audited_per_meter_point_and_acknowledged_items_are_not_handed_out_again(
    engine: Engine,
) -> None:
    ready(engine)
    messages = Messages()
    messages.add("e1-read", SSD + DAY)
    messages.add("e1-alert", SSD + DAY + 60, "alert", "8F0A")
    messages.add("e2-read", SSD + DAY, mpxn=G1, device_guid=GSME_G1)
    bootstrap.ingest_service(engine, bootstrap.facts(engine)).ingest(messages, at=AT)
    mailbox = bootstrap.mailbox(engine)
    items = mailbox.pull("OCTO", limit=10, at=AT)
    assert sorted(i.message_id for i in items) == ["e1-alert", "e2-read"]
    entries = [e.record for e in bootstrap.audit_log(engine).entries(party_id="OCTO")]
    assert [(e.action, e.mpxn) for e in entries] == [
        ("deliveries.pull", E1),
        ("deliveries.pull", G1),
    ]
    assert entries[0].detail["message_ids"] == ["e1-alert"]
    assert entries[0].allowed[0].start == SSD + DAY + 60
    # Not acknowledged: handed out again (and audited again); acknowledged: gone.
    assert len(mailbox.pull("OCTO", limit=10, at=AT)) == 2
    assert mailbox.acknowledge("OCTO", [items[0].delivery_id], at=AT) == 1
    assert mailbox.acknowledge("BRIT", [items[1].delivery_id], at=AT) == 0  # not BRIT's
    assert [i.delivery_id for i in mailbox.pull("OCTO", limit=10, at=AT)] == [items[1].delivery_id]
    assert mailbox.pull("OCTO", limit=10, at=AT, acknowledge=True)
    assert mailbox.pull("OCTO", limit=10, at=AT) == []
    assert bootstrap.audit_log(engine).verify().ok


def test_quarantine_holds_what_has_no_supplier_and_a_purge_empties_and_records_it(
    engine: Engine,
) -> None:
    ready(engine)
    messages = Messages()
    messages.add("orphan", t("2017-06-01"), mpxn=G1, device_guid=GSME_G1)  # BRIT from 2018
    report = bootstrap.ingest_service(engine, bootstrap.facts(engine)).ingest(
        messages, at=t("2025-01-01")
    )
    assert report.quarantined == 1
    quarantine = bootstrap.quarantine(engine)
    [held] = quarantine.list()
    assert (held.message_id, held.reason, held.payload) == (
        "orphan",
        "NO_RESPONSIBLE_SUPPLIER",
        '{"id": "orphan"}',
    )
    assert bootstrap.mailbox(engine).pull("BRIT", limit=10, at=AT) == []
    young = quarantine.purge(30, actor="ops", at=t("2025-01-20"))
    assert young.messages == 0
    old = quarantine.purge(30, actor="ops", at=t("2025-02-15"))
    assert old.messages == 1
    [purged] = quarantine.list()
    assert (purged.state, purged.payload) == ("purged", None)
    assert count(engine, schema.quarantine_purges) == 2
    actions = [e.record.action for e in bootstrap.audit_log(engine).entries(party_id="hub")]
    assert actions == ["quarantine", "quarantine.purge", "quarantine.purge", "quarantine.purge"]
    # A purged message sent again is still a duplicate.
    again = bootstrap.ingest_service(engine, bootstrap.facts(engine)).ingest(
        messages, at=t("2025-02-15")
    )
    assert again.duplicates == 1


def corrected_folder(tmp_path: Path, appointments: str) -> Path:
    folder = tmp_path / "correction"
    folder.mkdir()
    (folder / "appointments.csv").write_text(
        "mpxn,role,party_id,valid_from,valid_to\n" + appointments, encoding="utf-8"
    )
    return folder


def test_a_corrected_history_turns_deliveries_into_deletion_notices_and_routes_again(
    engine: Engine, tmp_path: Path
) -> None:
    ready(engine)
    messages = Messages()
    for day in range(-5, 3):  # reads around the Supply Start Date
        messages.add(f"r{day}", SSD + day * DAY)
    messages.add("orphan", t("2017-01-01"), mpxn=G1, device_guid=GSME_G1)
    bootstrap.ingest_service(engine, bootstrap.facts(engine)).ingest(messages, at=AT)
    mailbox = bootstrap.mailbox(engine)
    octo = mailbox.pull("OCTO", limit=100, at=AT, acknowledge=True)
    assert sorted(i.message_id for i in octo) == [f"r{d}" for d in (-1, -2, -3, -4, -5)]

    # The registry corrects itself: the Change of Supplier happened three days earlier, and
    # BRIT supplied G1 from 2015 (which makes the quarantined message routable).
    folder = corrected_folder(
        tmp_path,
        f"{E1},IS,OCTO,2020-01-01,2025-01-12T00:00:00Z\n"
        f"{E1},IS,BRIT,2025-01-12T00:00:00Z,\n"
        f"{G1},GS,BRIT,2015-01-01,2024-06-01\n"
        f"{G1},GS,OCTO,2024-06-01,\n",
    )
    bootstrap.import_directory(engine, folder)

    notices = mailbox.pull("OCTO", limit=100, at=AT + DAY)
    by_kind = {
        i.label: sorted(x.message_id for x in notices if x.label == i.label) for i in notices
    }
    assert by_kind == {"deletion_notice": ["r-1", "r-2", "r-3"]}
    assert all(i.payload is None for i in notices if i.label == "deletion_notice")
    brit = mailbox.pull("BRIT", limit=100, at=AT + DAY)
    assert sorted(i.message_id for i in brit) == sorted(
        ["r-3", "r-2", "r-1", "r0", "r1", "r2", "orphan"]
    )
    assert bootstrap.quarantine(engine).list() == []
    # Each message is held by exactly one party that may hold it.
    with engine.connect() as connection:
        live = connection.execute(
            select(schema.deliveries.c.message_id, func.count())
            .where(
                schema.deliveries.c.notice == "message",
                schema.deliveries.c.withdrawn_at.is_(None),
            )
            .group_by(schema.deliveries.c.message_id)
        ).all()
    assert {m: n for m, n in live} == {m["message_id"]: 1 for m in messages.items}
    corrected = [
        e.record
        for e in bootstrap.audit_log(engine).entries()
        if e.record.action == "routing.corrected"
    ]
    assert sorted(e.mpxn for e in corrected) == sorted([E1, G1])

    # Applying again changes nothing: the cursor moved with the corrections.
    assert not bootstrap.correct_deliveries(engine).changed


def test_a_correction_missed_by_a_crash_is_applied_by_the_next_ingest(
    engine: Engine, tmp_path: Path
) -> None:
    ready(engine)
    messages = Messages()
    messages.add("r-1", SSD - DAY)
    bootstrap.ingest_service(engine, bootstrap.facts(engine)).ingest(messages, at=AT)
    folder = corrected_folder(
        tmp_path,
        f"{E1},IS,OCTO,2020-01-01,2025-01-12T00:00:00Z\n{E1},IS,BRIT,2025-01-12T00:00:00Z,\n",
    )
    # The import alone, as if the process died before its corrections committed.
    from meterguard.adapters.folder_files import CsvFolder
    from meterguard.adapters.storage.import_store import SqlImportStore
    from meterguard.services.importing.importer import import_folder

    import_folder(CsvFolder(folder), None, SqlImportStore(engine), lambda: AT)
    assert [i.message_id for i in bootstrap.mailbox(engine).pull("OCTO", limit=9, at=AT)] == ["r-1"]
    later = Messages()
    later.add("r0", SSD)
    report = bootstrap.ingest_service(engine, bootstrap.facts(engine)).ingest(later, at=AT)
    assert report.corrections is not None and report.corrections.withdrawn == 1
    octo = bootstrap.mailbox(engine).pull("OCTO", limit=9, at=AT)
    assert [(i.label, i.message_id) for i in octo] == [("deletion_notice", "r-1")]


def test_without_an_imported_list_the_default_critical_alerts_apply(
    engine: Engine, tmp_path: Path
) -> None:
    folder = Path(shutil.copytree(SMALL, tmp_path / "no-list"))
    (folder / "critical_alerts.csv").unlink()
    bootstrap.import_directory(engine, folder)
    service = bootstrap.ingest_service(engine, bootstrap.facts(engine))
    assert "8F74" in service.router().critical_codes  # in the default list, not in SMALL's
    messages = Messages()
    messages.add("tamper", SSD + DAY, "alert", "0x8f74")
    service.ingest(messages, at=AT)
    [item] = bootstrap.mailbox(engine).pull("OCTO", limit=9, at=AT)
    assert (item.alert_code, item.basis) == ("8F74", "credentials_holder")
