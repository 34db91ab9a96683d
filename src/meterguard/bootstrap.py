"""The one place that wires concrete adapters to the services. Nothing is built at import time."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from meterguard.adapters.critical_alerts import critical_alert_codes
from meterguard.adapters.folder_files import CsvFolder, readings_source
from meterguard.adapters.message_files import open_messages
from meterguard.adapters.storage.api_key_store import SqlApiKeyStore
from meterguard.adapters.storage.audit_store import SqlAuditLog
from meterguard.adapters.storage.consent_store import SqlConsentStore
from meterguard.adapters.storage.database import open_database
from meterguard.adapters.storage.import_store import SqlImportStore
from meterguard.adapters.storage.release_store import SqlReleaseStore
from meterguard.adapters.storage.routing_store import SqlRoutingStore
from meterguard.adapters.storage.snapshot_follower import SnapshotFollower
from meterguard.adapters.storage.snapshot_loader import load_snapshot
from meterguard.adapters.storage.usage_store import SqlDailyMeterPoints
from meterguard.policy.snapshot import Snapshot
from meterguard.services.api_keys import ApiKeys
from meterguard.services.consents import ConsentService
from meterguard.services.corrections import CorrectionReport
from meterguard.services.cos_report import CosReport
from meterguard.services.importing.importer import ImportReport, Progress, import_folder
from meterguard.services.ingest import IngestService, MessageSource
from meterguard.services.mailbox import Mailbox
from meterguard.services.quarantine import Quarantine
from meterguard.services.service_requests import ServiceRequests


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


def daily_meter_points(engine: Engine, limit: int) -> SqlDailyMeterPoints:
    return SqlDailyMeterPoints(engine, limit)


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
