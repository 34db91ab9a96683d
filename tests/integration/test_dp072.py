"""DP072 (seed 003) as a test: the gaining supplier delays SR 6.23 for 50 days while the meter sends
four to five messages a day, one read and the rest alerts.

With MeterGuard the former supplier receives no reading and only critical alerts after the Supply
Start Date; the credentials-gap report shows the gap every one of the 50 days, and clears once the
gaining supplier has sent SR 6.23. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

from routing_helpers import E1, ESME_E1, SMALL, Messages
from sqlalchemy import Engine

from meterguard import bootstrap
from meterguard.domain.time import DAY, HALF_HOUR
from meterguard.domain.time import parse_instant as t
from meterguard.policy.decision import Code
from meterguard.policy.requests import ServiceRequest

SSD = t("2025-01-15")  # OCTO -> BRIT at E1; the ESME still holds OCTO's credentials
CRITICAL = {"8F0A", "8F70"}  # tests/fixtures/small/critical_alerts.csv
NON_CRITICAL = ("8183", "8F01")
DELAY_DAYS = 50


def a_day_of_messages(day: int) -> Messages:
    """One read at midnight and three or four alerts (critical and not) during day ``day``."""
    messages = Messages()
    start = SSD + day * DAY
    messages.add(f"d{day}-read", start)
    alerts = ["8F0A", NON_CRITICAL[day % 2], "8F70"] + (["8183"] if day % 2 else [])
    for i, code in enumerate(alerts, start=1):
        messages.add(f"d{day}-alert{i}", start + i * 5 * HALF_HOUR, "alert", code)
    return messages


def test_the_former_supplier_gets_no_reading_and_only_critical_alerts_until_sr_6_23(
    engine: Engine,
) -> None:
    bootstrap.import_directory(engine, SMALL)
    facts = bootstrap.facts(engine)
    ingest = bootstrap.ingest_service(engine, facts)
    report = bootstrap.cos_report(engine, facts)
    mailbox = bootstrap.mailbox(engine)

    # Before the Supply Start Date the former supplier is the Responsible Supplier: all is OCTO's.
    for day in (-2, -1):
        ingest.ingest(a_day_of_messages(day), at=SSD + (day + 1) * DAY)
    before = mailbox.pull("OCTO", limit=10_000, at=SSD, acknowledge=True)
    assert len(before) == 9 and {i.kind for i in before} == {"read", "alert"}

    sent = withheld = critical_to_former = 0
    for day in range(DELAY_DAYS):
        day_messages = a_day_of_messages(day)
        assert len(day_messages.items) in (4, 5)
        result = ingest.ingest(day_messages, at=SSD + (day + 1) * DAY)
        assert result.delivered == len(day_messages.items)
        sent += len(day_messages.items)
        critical = sum(1 for m in day_messages.items if m["alert_code"] in CRITICAL)
        critical_to_former += critical
        withheld += len(day_messages.items) - critical

        # The report shows the gap on every day of the delay.
        at = SSD + day * DAY + DAY - 1
        rows = [r for r in report.rows(at) if r.device_guid == ESME_E1]
        assert len(rows) == 1, f"day {day}"
        gap = rows[0]
        assert (gap.mpxn, gap.gaining_supplier, gap.former_supplier) == (E1, "BRIT", "OCTO")
        assert gap.supply_start == SSD
        assert gap.days_since_supply_start == day
        assert gap.withheld_from_former == withheld
        assert gap.critical_alerts_to_former == critical_to_former
    assert 200 <= sent <= 250  # DP072: 234 alerts in 50 days

    # What the former supplier received after the Supply Start Date: critical alerts only.
    after = mailbox.pull("OCTO", limit=10_000, at=SSD + DELAY_DAYS * DAY)
    assert [i for i in after if i.kind == "read"] == []
    assert {i.alert_code for i in after} == CRITICAL
    assert all(i.ts >= SSD and i.basis == "credentials_holder" for i in after)
    assert len(after) == critical_to_former
    # The gaining supplier received everything.
    gaining = mailbox.pull("BRIT", limit=10_000, at=SSD + DELAY_DAYS * DAY)
    assert len(gaining) == sent

    # Day 50: the gaining supplier sends SR 6.23; the gap clears and stays cleared.
    decision = bootstrap.service_requests(engine, facts).execute(
        ServiceRequest("sr-1", "BRIT", "IS", "update_credentials_cos", ESME_E1, SSD + 50 * DAY)
    )
    assert decision.code is Code.OK
    assert [r for r in report.rows(SSD + 50 * DAY + 1) if r.device_guid == ESME_E1] == []
    # A fresh process (a new snapshot from the database) sees the same.
    fresh = bootstrap.cos_report(engine, bootstrap.facts(engine))
    assert [r for r in fresh.rows(SSD + 51 * DAY) if r.device_guid == ESME_E1] == []

    # And from now on the former supplier receives nothing at all, critical or not.
    ingest.ingest(a_day_of_messages(DELAY_DAYS), at=SSD + (DELAY_DAYS + 1) * DAY)
    new_to_octo = mailbox.pull("OCTO", limit=10_000, at=SSD + 52 * DAY, acknowledge=True)
    assert [i.message_id for i in new_to_octo if i.message_id.startswith(f"d{DELAY_DAYS}-")] == []


def test_sr_6_23_from_the_former_supplier_is_refused_and_changes_nothing(engine: Engine) -> None:
    bootstrap.import_directory(engine, SMALL)
    facts = bootstrap.facts(engine)
    decision = bootstrap.service_requests(engine, facts).execute(
        ServiceRequest("sr-2", "OCTO", "IS", "update_credentials_cos", ESME_E1, SSD + DAY)
    )
    assert decision.code is Code.NOT_ELIGIBLE
    assert facts.devices[ESME_E1].credentials_party_id == "OCTO"
    assert bootstrap.facts(engine, lazy=False).devices[ESME_E1].credentials_party_id == "OCTO"
    refusal = bootstrap.audit_log(engine).entries(party_id="OCTO")[-1].record
    assert (refusal.action, refusal.code, refusal.mpxn) == (
        "update_credentials_cos",
        "NOT_ELIGIBLE",
        E1,
    )
