"""The one place that wires concrete adapters to the services. Nothing is built at import time."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from meterguard.adapters.critical_alerts import critical_alert_codes
from meterguard.adapters.folder_files import CsvFolder, readings_source
from meterguard.adapters.message_files import open_messages
from meterguard.adapters.notifiers import ConsoleNotifier
from meterguard.adapters.storage.api_key_store import SqlApiKeyStore
from meterguard.adapters.storage.audit_store import SqlAuditLog
from meterguard.adapters.storage.compliance_store import (
    SqlAssessmentStore,
    SqlComplianceRecords,
    SqlPrivacyStore,
    SqlSubjectAccessStore,
)
from meterguard.adapters.storage.consent_store import SqlConsentStore
from meterguard.adapters.storage.database import open_database
from meterguard.adapters.storage.group_release import GroupReleases, SqlRoundWriter
from meterguard.adapters.storage.import_store import SqlImportStore
from meterguard.adapters.storage.matrix_change_store import SqlMatrixChangeStore
from meterguard.adapters.storage.portal_store import SqlPortalStore
from meterguard.adapters.storage.release_store import SqlReleaseStore
from meterguard.adapters.storage.routing_store import SqlRoutingStore
from meterguard.adapters.storage.shared_catch_up import SharedCatchUp, inline_reader
from meterguard.adapters.storage.snapshot_follower import Change, SnapshotFollower
from meterguard.adapters.storage.snapshot_loader import load_matrix_versions, load_snapshot
from meterguard.adapters.storage.usage_store import SqlDailyMeterPoints
from meterguard.adapters.storage.web_store import SqlSessionStore, SqlSignInStore
from meterguard.domain.time import Instant
from meterguard.policy.bulk import BulkPlan, BulkRequest, Window, plan_extract, supplier_windows
from meterguard.policy.matrix import MatrixVersion
from meterguard.policy.snapshot import Snapshot
from meterguard.services.access_log import ConsumerAccessLog
from meterguard.services.api_keys import ApiKeys
from meterguard.services.assessments import Assessments
from meterguard.services.compliance_report import ComplianceReports
from meterguard.services.consents import ConsentService
from meterguard.services.corrections import CorrectionReport
from meterguard.services.cos_report import CosReport, CredentialsGap
from meterguard.services.importing.importer import ImportReport, Progress, import_folder
from meterguard.services.ingest import IngestService, MessageSource
from meterguard.services.mailbox import Mailbox
from meterguard.services.matrix_changes import MatrixChanges
from meterguard.services.portal import Portal
from meterguard.services.privacy import PrivacyAssessments
from meterguard.services.quarantine import Quarantine
from meterguard.services.service_requests import ServiceRequests
from meterguard.services.sign_in import Notifier, SignIn
from meterguard.services.subject_access import SubjectAccess
from meterguard.services.web_sessions import Sessions

if TYPE_CHECKING:  # the bulk adapters load DuckDB and Arrow: only the commands that use them do
    from meterguard.adapters.bulk.output_files import TempExportFile
    from meterguard.services.exporting import ReadingsEngine


def system_clock() -> int:
    """Now, in the integer seconds the domain uses. Only entrypoints read the clock."""
    return int(time.time())


def database(url: str | None = None) -> Engine:
    return open_database(url)


def import_directory(
    engine: Engine, folder: Path, on_progress: Progress | None = None
) -> ImportReport:
    report = import_folder(
        CsvFolder(folder),
        readings_source(folder),
        SqlImportStore(engine),
        system_clock,
        on_progress,
    )
    # Corrected appointment history re-routes stored messages, in a transaction of its own that
    # moves the corrections cursor with it (services/corrections.py).
    if report.changed:
        correct_deliveries(engine)
    return report


def facts(engine: Engine, lazy: bool = True) -> Snapshot:
    """The engine's in-memory snapshot of the registry. Lazy by default: registry-wide facts
    now, each meter point's appointments, occupancies and devices when first decided on."""
    snapshot = load_snapshot(engine, lazy=lazy)
    # The snapshot lives as long as the process: take its objects out of the garbage collector's
    # full sweeps, which otherwise walk millions of tuples each time decisions are kept.
    gc.freeze()
    return snapshot


def consent_service(
    engine: Engine, snapshot: Snapshot, clock: Callable[[], int] = system_clock
) -> ConsentService:
    return ConsentService(SqlConsentStore(engine), snapshot, clock)


def audit_log(engine: Engine) -> SqlAuditLog:
    return SqlAuditLog(engine)


# -- the HTTP API (issue 5) -------------------------------------------------------------------


def snapshot_follower(engine: Engine, lazy: bool = True) -> SnapshotFollower:
    """The process's snapshot, kept current from the registry change feed."""
    follower = SnapshotFollower(engine, lazy=lazy)
    gc.freeze()
    return follower


def api_keys(engine: Engine, clock: Callable[[], int] = system_clock) -> ApiKeys:
    return ApiKeys(SqlApiKeyStore(engine), clock)


def release_store(engine: Engine) -> SqlReleaseStore:
    return SqlReleaseStore(engine)


def request_rounds(
    engine: Engine, follower: SnapshotFollower, on_change: Callable[[list[Change]], None]
) -> tuple[SharedCatchUp, GroupReleases]:
    """The hot routes' change-feed reads and audited releases, shared among the requests waiting
    (``services/batching``): over asynchronous psycopg on PostgreSQL, inline elsewhere."""
    if engine.dialect.name == "postgresql":
        from meterguard.adapters.storage.pg_rounds import PgFeedReader, PgRoundWriter

        reader, writer = PgFeedReader(engine), PgRoundWriter(engine)

        async def close() -> None:
            await reader.connection.aclose()
            await writer.aclose()

        return (
            SharedCatchUp(follower, reader.changes_after, on_change),
            GroupReleases(writer, close),
        )
    return (
        SharedCatchUp(follower, inline_reader(follower), on_change),
        GroupReleases(SqlRoundWriter(engine)),
    )


def daily_meter_points(engine: Engine, limit: int) -> SqlDailyMeterPoints:
    return SqlDailyMeterPoints(engine, limit)


# -- bulk extracts (issue 6) ---------------------------------------------------------------------

READINGS_ENGINES = ("sqlite", "postgres", "duckdb", "spark")


def import_directory_to_parquet(
    engine: Engine, folder: Path, dataset: Path, on_progress: Progress | None = None
) -> ImportReport:
    """The import, with readings written to a date-partitioned Parquet dataset at ``dataset``."""
    from meterguard.adapters.readings_parquet import ParquetImportStore, ParquetReadings

    return import_folder(
        CsvFolder(folder),
        readings_source(folder),
        ParquetImportStore(engine, ParquetReadings(dataset)),
        system_clock,
        on_progress,
    )


def readings_engine(name: str, engine: Engine, dataset: Path | None) -> ReadingsEngine:
    """``sqlite``/``postgres``: the ``readings`` table of the database (which must be that kind);
    ``duckdb``/``spark``: the Parquet dataset."""
    from meterguard.adapters.bulk.duckdb_engine import DuckDbReadingsEngine
    from meterguard.adapters.bulk.sql_engine import SqlReadingsEngine
    from meterguard.adapters.readings_parquet import ParquetReadings

    if name in ("sqlite", "postgres"):
        dialect = "postgresql" if name == "postgres" else "sqlite"
        if engine.dialect.name != dialect:
            raise ValueError(
                f"--engine {name} needs a {dialect} database, not {engine.dialect.name}"
            )
        return SqlReadingsEngine(engine)
    if dataset is None:
        raise ValueError(
            f"--engine {name} reads the Parquet readings dataset: give --readings PATH"
        )
    if name == "duckdb":
        return DuckDbReadingsEngine(ParquetReadings(dataset))
    if name == "spark":
        from meterguard.adapters.bulk.spark_engine import SparkReadingsEngine

        return SparkReadingsEngine(ParquetReadings(dataset))
    raise ValueError(f"unknown engine {name!r}; expected one of {', '.join(READINGS_ENGINES)}")


def export_file(path: Path, file_format: str, tagged: bool = False) -> TempExportFile:
    from meterguard.adapters.bulk.output_files import TempExportFile

    return TempExportFile(path, file_format, tagged)


def plan_bulk_extract(engine: Engine, request: BulkRequest) -> BulkPlan:
    return plan_extract(facts(engine, lazy=True), request)


def bulk_supplier_windows(engine: Engine) -> tuple[Window, ...]:
    return supplier_windows(facts(engine, lazy=True))


# --- Routing what devices send (ACCESS-RULES 9) ---------------------------------------------------


def routing_store(engine: Engine) -> SqlRoutingStore:
    return SqlRoutingStore(engine)


def ingest_service(engine: Engine, snapshot: Snapshot) -> IngestService:
    store = SqlRoutingStore(engine)
    return IngestService(store, snapshot, lambda: critical_alert_codes(store), system_clock)


def correct_deliveries(engine: Engine, snapshot: Snapshot | None = None) -> CorrectionReport:
    """Route stored messages again after appointment changes; a no-op when nothing changed."""
    if snapshot is None and not SqlRoutingStore(engine).corrections_due():
        return CorrectionReport()
    return ingest_service(engine, snapshot or facts(engine)).correct()


def mailbox(engine: Engine, clock: Callable[[], int] = system_clock) -> Mailbox:
    return Mailbox(SqlRoutingStore(engine), clock)


def quarantine(engine: Engine) -> Quarantine:
    return Quarantine(SqlRoutingStore(engine), system_clock)


def cos_report(
    engine: Engine, snapshot: Snapshot, clock: Callable[[], int] = system_clock
) -> CosReport:
    return CosReport(SqlRoutingStore(engine), snapshot, clock)


def service_requests(
    engine: Engine, snapshot: Snapshot, clock: Callable[[], int] = system_clock
) -> ServiceRequests:
    return ServiceRequests(SqlRoutingStore(engine), snapshot, clock)


def message_file(path: Path) -> MessageSource:
    return open_messages(path)


# The web portal and operator pages (issue 5).
INSECURE_COOKIES_VARIABLE = "MG_INSECURE_COOKIES"


@dataclass(frozen=True)
class WebPortal:
    """Everything the web pages use, built once per process."""

    engine: Engine
    sign_in: SignIn
    sessions: Sessions
    portal: Portal
    access_log: ConsumerAccessLog
    audit: SqlAuditLog
    clock: Callable[[], int]
    # An operator API key -> the operator's party id, or None when the key is not an operator's.
    authenticate_operator: Callable[[str], str | None] | None
    quarantine: Quarantine
    credentials_gaps: Callable[[], list[CredentialsGap]]
    secure_cookies: bool = True

    def matrix_versions(self) -> list[MatrixVersion]:
        return load_matrix_versions(self.engine)


def insecure_cookies_requested() -> bool:
    """``MG_INSECURE_COOKIES=1`` drops the Secure flag, for plain-http demos on localhost only."""
    return os.environ.get(INSECURE_COOKIES_VARIABLE, "") == "1"


def web_portal(
    engine: Engine,
    facts: SnapshotFollower,
    *,
    clock: Callable[[], int] = system_clock,
    notifier: Notifier | None = None,
    authenticate_operator: Callable[[str], str | None] | None = None,
    secure_cookies: bool | None = None,
) -> WebPortal:
    audit = SqlAuditLog(engine)
    portal_store = SqlPortalStore(engine)

    def credentials_gaps() -> list[CredentialsGap]:
        with facts.lock:  # the report reads the live snapshot: no change lands half way
            facts.catch_up()
            return CosReport(SqlRoutingStore(engine), facts.snapshot, clock).rows()

    return WebPortal(
        engine=engine,
        sign_in=SignIn(SqlSignInStore(engine), notifier or ConsoleNotifier(), clock),
        sessions=Sessions(SqlSessionStore(engine), clock),
        portal=Portal(portal_store, SqlConsentStore(engine), facts, audit, clock),
        access_log=ConsumerAccessLog(portal_store),
        audit=audit,
        clock=clock,
        authenticate_operator=authenticate_operator,
        quarantine=Quarantine(SqlRoutingStore(engine), clock),
        credentials_gaps=credentials_gaps,
        secure_cookies=not insecure_cookies_requested()
        if secure_cookies is None
        else secure_cookies,
    )


def operator_authenticator(keys: ApiKeys) -> Callable[[str], str | None]:
    """An operator's API key -> the operator's name; any other key -> None."""

    def operator_of(key: str) -> str | None:
        principal = keys.authenticate(key)
        return principal.party_id if principal is not None and principal.is_operator else None

    return operator_of


def sign_in_codes(engine: Engine, notifier: Notifier | None = None) -> SignIn:
    return SignIn(SqlSignInStore(engine), notifier or ConsoleNotifier(), system_clock)


# ---- Compliance (issue 7) ----


def assessments(engine: Engine) -> Assessments:
    return Assessments(SqlAssessmentStore(engine), system_clock)


def privacy_assessments(engine: Engine) -> PrivacyAssessments:
    return PrivacyAssessments(SqlPrivacyStore(engine), system_clock)


def matrix_changes(engine: Engine, clock: Callable[[], Instant] | None = None) -> MatrixChanges:
    return MatrixChanges(SqlMatrixChangeStore(engine), clock or system_clock)


def subject_access(engine: Engine) -> SubjectAccess:
    return SubjectAccess(SqlSubjectAccessStore(engine), system_clock)


def compliance_reports(engine: Engine) -> ComplianceReports:
    return ComplianceReports(
        assessments(engine),
        privacy_assessments(engine),
        matrix_changes(engine),
        SqlComplianceRecords(engine),
        system_clock,
    )


def matrix_versions(engine: Engine) -> list[MatrixVersion]:
    """Every stored matrix version, oldest first (the HTTP API's ``/v1/matrix/versions``)."""
    return load_matrix_versions(engine)
