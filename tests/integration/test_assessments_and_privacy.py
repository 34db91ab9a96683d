"""User Entry dates, the assessment schedule, privacy assessments and samples, on a real database;
and the compliance report built from them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from meterguard.adapters.html_reports import render_compliance_report
from meterguard.adapters.storage.audit_store import SqlAuditLog
from meterguard.adapters.storage.compliance_store import (
    SqlAssessmentStore,
    SqlComplianceRecords,
    SqlPrivacyStore,
)
from meterguard.adapters.storage.matrix_change_store import SqlMatrixChangeStore
from meterguard.bootstrap import import_directory
from meterguard.domain.assessments import AssessmentKind, Rule
from meterguard.domain.privacy import Charge, PrivacyAssessmentKind
from meterguard.domain.time import parse_instant
from meterguard.services.assessments import AssessmentRefused, Assessments, Status
from meterguard.services.compliance_report import ComplianceReports
from meterguard.services.matrix_changes import MatrixChanges
from meterguard.services.privacy import PrivacyAssessments, PrivacyRefused

SMALL = Path(__file__).parents[1] / "fixtures" / "small"
NOW = parse_instant("2026-03-01T12:00:00Z")


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    import_directory(engine, SMALL)
    return engine


def services(engine: Engine) -> tuple[Assessments, PrivacyAssessments]:
    clock = lambda: NOW  # noqa: E731
    return (
        Assessments(SqlAssessmentStore(engine), clock),
        PrivacyAssessments(SqlPrivacyStore(engine), clock),
    )


def test_the_schedule_runs_from_user_entry_and_names_each_rule(loaded: Engine) -> None:
    assessments, _ = services(loaded)
    assert {p.party_id for p in assessments.schedule().without_entry} == {
        "OCTO", "BRIT", "UKPN", "CADENT", "APP1",
    }  # fmt: skip
    assessments.set_user_entry("BRIT", parse_instant("2024-06-01"), "secas")
    assessments.set_user_entry("OCTO", parse_instant("2025-02-01"), "secas")
    rows = {(r.party.party_id, r.due.year): r for r in assessments.schedule().rows}
    assert sorted(rows) == [
        ("BRIT", 2024),
        ("BRIT", 2025),
        ("BRIT", 2026),
        ("OCTO", 2025),
        ("OCTO", 2026),
    ]
    # BRIT: 250,000 domestic + 50,000 non-domestic with shared resources = 300,000 > 250,000.
    assert [rows[("BRIT", y)].due.kind for y in (2024, 2025, 2026)] == [AssessmentKind.FULL] * 3
    assert rows[("BRIT", 2025)].due.rule is Rule.DOMESTIC_ABOVE_THRESHOLD
    assert rows[("OCTO", 2026)].status == Status.OUTSTANDING
    only_2026 = assessments.schedule(2026).rows
    assert {r.due.year for r in only_2026} == {2026}


def test_a_recorded_assessment_is_compared_with_what_was_due(loaded: Engine) -> None:
    assessments, _ = services(loaded)
    with pytest.raises(AssessmentRefused, match="no User Entry"):
        assessments.record("APP1", 2025, AssessmentKind.FULL, "Approved", "cio")
    assessments.set_user_entry("APP1", parse_instant("2024-03-01"), "secas")
    assert assessments.record("APP1", 2025, AssessmentKind.SELF, "Approved", "cio").status == (
        Status.WEAKER  # year two of an Other User is a Verification
    )
    done = assessments.record("APP1", 2025, AssessmentKind.VERIFICATION, "Approved", "cio")
    assert done.status == Status.DONE
    with pytest.raises(AssessmentRefused, match="was not a User"):
        assessments.record("APP1", 2023, AssessmentKind.FULL, "Approved", "cio")
    with pytest.raises(AssessmentRefused, match="no DCC User role"):
        assessments.set_user_entry("MAPCO", parse_instant("2024-03-01"), "secas")
    actions = [e.record.action for e in SqlAuditLog(loaded).entries()]
    assert actions == ["assessment.user_entry", "assessment.recorded", "assessment.recorded"]


def test_a_sample_is_drawn_once_a_year_reproducibly_and_charged_as_recoverable(
    loaded: Engine,
) -> None:
    assessments, privacy = services(loaded)
    assessments.set_user_entry("APP1", parse_instant("2024-03-01"), "secas")
    stored = privacy.draw(2026, 1, "seed-1", "auditor")
    assert stored.draw.population == ("APP1",) and stored.draw.chosen == ("APP1",)
    with pytest.raises(PrivacyRefused, match="never re-drawn"):
        privacy.draw(2026, 1, "another seed", "auditor")
    again, same = privacy.verify(2026)
    assert same and again.draw.seed == "seed-1"
    own = privacy.open("APP1", 2026, "auditor")
    assert own.charge is Charge.EXPLICIT
    with pytest.raises(PrivacyRefused, match="not an Other User"):
        privacy.open("OCTO", 2026, "auditor")
    with pytest.raises(PrivacyRefused, match="add the report first"):
        privacy.add_response(own.assessment_id, "ok", "app1")
    privacy.add_report(own.assessment_id, "no findings", "auditor")
    assert privacy.add_response(own.assessment_id, "accepted", "app1").stage == "responded"
    charges = privacy.charges(2026)
    assert [a.kind for a in charges["recoverable costs"]] == [PrivacyAssessmentKind.RANDOM_SAMPLE]
    assert [a.kind for a in charges["APP1"]] == [PrivacyAssessmentKind.USER]


def test_the_population_holds_only_other_users_who_were_users_that_year(loaded: Engine) -> None:
    assessments, privacy = services(loaded)
    assert privacy.population(2026) == []  # no User Entry date: not known to be a User
    assessments.set_user_entry("APP1", parse_instant("2026-02-01"), "secas")
    assert privacy.population(2025) == []
    assert privacy.population(2026) == ["APP1"]
    with pytest.raises(PrivacyRefused, match="population of 0"):
        privacy.draw(2025, 1, "s", "auditor")


def test_the_compliance_report_gathers_the_year(loaded: Engine) -> None:
    assessments, privacy = services(loaded)
    assessments.set_user_entry("APP1", parse_instant("2025-03-01"), "secas")
    privacy.draw(2026, 1, "seed-1", "auditor")
    reports = ComplianceReports(
        assessments,
        privacy,
        MatrixChanges(SqlMatrixChangeStore(loaded), lambda: NOW),
        SqlComplianceRecords(loaded),
        lambda: NOW,
    )
    report = reports.build(2026, "auditor")
    assert [(r.party.party_id, r.due.kind) for r in report.schedule.rows] == [
        ("APP1", AssessmentKind.VERIFICATION)
    ]
    assert report.sample is not None and report.sample.draw.chosen == ("APP1",)
    assert report.chain.ok
    html = render_compliance_report(report)
    assert "Compliance report 2026" in html and "seed-1" in html and "other-user" in html
    assert "@media print" in html and "page-break-before" in html
    newest = SqlAuditLog(loaded).entries(newest_first=True, limit=1)[0]
    assert (newest.record.action, newest.record.party_id) == ("compliance.report", "auditor")
