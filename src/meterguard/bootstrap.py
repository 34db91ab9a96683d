"""The one place that wires concrete adapters to the services. Nothing is built at import time."""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from meterguard.adapters.critical_alerts import critical_alert_codes
from meterguard.adapters.folder_files import CsvFolder, readings_source
from meterguard.adapters.message_files import open_messages
from meterguard.adapters.storage.audit_store import SqlAuditLog
from meterguard.adapters.storage.consent_store import SqlConsentStore
from meterguard.adapters.storage.database import open_database
from meterguard.adapters.storage.import_store import SqlImportStore
from meterguard.adapters.storage.routing_store import SqlRoutingStore
from meterguard.adapters.storage.snapshot_loader import load_snapshot
from meterguard.policy.bulk import BulkPlan, BulkRequest, Window, plan_extract, supplier_windows
from meterguard.policy.snapshot import Snapshot
from meterguard.services.consents import ConsentService
from meterguard.services.corrections import CorrectionReport
from meterguard.services.cos_report import CosReport
from meterguard.services.importing.importer import ImportReport, Progress, import_folder
from meterguard.services.ingest import IngestService, MessageSource
from meterguard.services.mailbox import Mailbox
from meterguard.services.quarantine import Quarantine
from meterguard.services.service_requests import ServiceRequests

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


def consent_service(engine: Engine, snapshot: Snapshot) -> ConsentService:
    return ConsentService(SqlConsentStore(engine), snapshot, system_clock)


def audit_log(engine: Engine) -> SqlAuditLog:
    return SqlAuditLog(engine)


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


def mailbox(engine: Engine) -> Mailbox:
    return Mailbox(SqlRoutingStore(engine), system_clock)


def quarantine(engine: Engine) -> Quarantine:
    return Quarantine(SqlRoutingStore(engine), system_clock)


def cos_report(engine: Engine, snapshot: Snapshot) -> CosReport:
    return CosReport(SqlRoutingStore(engine), snapshot, system_clock)


def service_requests(engine: Engine, snapshot: Snapshot) -> ServiceRequests:
    return ServiceRequests(SqlRoutingStore(engine), snapshot, system_clock)


def message_file(path: Path) -> MessageSource:
    return open_messages(path)
